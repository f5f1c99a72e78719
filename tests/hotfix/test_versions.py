"""Version parsing and classification: family, service-pack level, branch."""

from __future__ import annotations

import pytest

from routekeeper.hotfix import (
    Branch,
    Family,
    FileVersion,
    UnclassifiableVersionError,
    VersionError,
    build_for,
    classify_version,
    parse_version,
    sp_for_build,
)


@pytest.mark.parametrize(
    ("text", "family", "sp", "level", "branch"),
    [
        ("6.0.6000.16386", Family.VISTA_2008, 0, "RTM", Branch.GDR),
        ("6.0.6001.18000", Family.VISTA_2008, 1, "SP1", Branch.GDR),
        ("6.0.6001.22831", Family.VISTA_2008, 1, "SP1", Branch.LDR),
        ("6.0.6002.18005", Family.VISTA_2008, 2, "SP2", Branch.GDR),
        ("6.0.6002.22567", Family.VISTA_2008, 2, "SP2", Branch.LDR),
        ("6.1.7600.16385", Family.WIN7_2008R2, 0, "RTM", Branch.GDR),
        ("6.1.7600.20974", Family.WIN7_2008R2, 0, "RTM", Branch.LDR),
        ("6.1.7601.17514", Family.WIN7_2008R2, 1, "SP1", Branch.GDR),
        ("6.1.7601.21734", Family.WIN7_2008R2, 1, "SP1", Branch.LDR),
    ],
)
def test_classify(text: str, family: Family, sp: int, level: str, branch: Branch) -> None:
    c = classify_version(text)
    assert (c.family, c.sp, c.level, c.branch) == (family, sp, level, branch)
    assert str(c.version) == text


@pytest.mark.parametrize(
    ("revision", "branch"),
    [
        (16000, Branch.GDR),
        (17999, Branch.GDR),
        (18999, Branch.GDR),
        (20000, Branch.LDR),
        (21000, Branch.LDR),
        (22999, Branch.LDR),
        (19000, Branch.GDR),
        (19999, Branch.GDR),
        (23000, Branch.LDR),
        (23999, Branch.LDR),
        (24000, Branch.ROLLUP),
        (24545, Branch.ROLLUP),
    ],
)
def test_branch_boundaries(revision: int, branch: Branch) -> None:
    assert classify_version(f"6.1.7601.{revision}").branch is branch


@pytest.mark.parametrize("revision", [0, 15999])
def test_revision_below_every_branch_is_unclassifiable(revision: int) -> None:
    with pytest.raises(UnclassifiableVersionError, match="below the GDR branch"):
        classify_version(f"6.1.7601.{revision}")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("5.2.3790.4000", "not from Windows Vista"),
        ("6.2.9200.16384", "not from Windows Vista"),
        ("6.1.7602.17514", "build 7602"),
        ("6.0.6003.20000", "build 6003"),
    ],
)
def test_versions_outside_the_scheme(text: str, fragment: str) -> None:
    with pytest.raises(UnclassifiableVersionError, match=fragment):
        classify_version(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "6.1.7601",
        "6.1.7601.17514.1",
        "6.1.7601.x",
        "v6.1.7601.17514",
        "6,1,7601,17514",
        "6.1.7601.70000",
        "6.1.7601.-1",
        "6.1.7601.1751...",
    ],
)
def test_malformed_versions_raise_a_value_error(text: str) -> None:
    with pytest.raises(VersionError) as info:
        parse_version(text)
    assert isinstance(info.value, ValueError)
    assert "malformed file version" in str(info.value)


def test_non_text_version() -> None:
    with pytest.raises(VersionError):
        parse_version(6.1)  # type: ignore[arg-type]


def test_build_tag_and_whitespace_are_accepted() -> None:
    assert parse_version(" 6.1.7601.17514 (win7sp1_rtm.101119-1850) ") == FileVersion(6, 1, 7601, 17514)


def test_versions_order_field_by_field() -> None:
    assert parse_version("6.1.7601.21734") > parse_version("6.1.7601.17514")
    assert parse_version("6.1.7601.9") < parse_version("6.1.7601.10")


def test_build_and_sp_tables() -> None:
    assert build_for(Family.VISTA_2008, 1) == 6001
    assert build_for(Family.VISTA_2008, 2) == 6002
    assert build_for(Family.WIN7_2008R2, 0) == 7600
    assert build_for(Family.WIN7_2008R2, 1) == 7601
    assert sp_for_build(Family.WIN7_2008R2, 7601) == 1
    with pytest.raises(UnclassifiableVersionError):
        build_for(Family.WIN7_2008R2, 2)
