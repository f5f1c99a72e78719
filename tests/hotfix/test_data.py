"""The packaged file table against the defect report.

The expected counts and spot values below were counted and read by hand from the report's
"File information" and "Additional file information" sections.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from routekeeper.hotfix import Arch, Branch, Family, classify_version, hotfix_files, load_rows
from routekeeper.hotfix.tables import NOT_APPLICABLE, rows_for

V, W = Family.VISTA_2008, Family.WIN7_2008R2

# (family, table, section) -> number of rows in the report
EXPECTED_COUNTS = {
    (V, Arch.X86, "files"): 10,
    (V, Arch.X64, "files"): 12,
    (V, Arch.IA64, "files"): 12,
    (W, Arch.X86, "files"): 4,
    (W, Arch.X64, "files"): 4,
    (W, Arch.IA64, "files"): 4,
    (V, Arch.X86, "additional"): 6,
    (V, Arch.X64, "additional"): 8,
    (V, Arch.IA64, "additional"): 8,
    (W, Arch.X86, "additional"): 3,
    (W, Arch.X64, "additional"): 3,
    (W, Arch.IA64, "additional"): 3,
}

# The hotfix's build per level, and its LDR revision there.
HOTFIX_REVISION = {6001: 22831, 6002: 22567, 7600: 20974, 7601: 21734}
SP_OF_BUILD = {6001: 1, 6002: 2, 7600: 0, 7601: 1}


def test_row_count_per_table_matches_report() -> None:
    counts = Counter((r.family, r.table, r.section) for r in load_rows())
    assert dict(counts) == EXPECTED_COUNTS
    assert len(load_rows()) == 77


@pytest.mark.parametrize("row", load_rows(), ids=lambda r: f"{r.family}-{r.table}-{r.name}")
def test_every_versioned_row_classifies_as_its_table_implies(row) -> None:
    if row.version_text == NOT_APPLICABLE:
        assert row.platform == NOT_APPLICABLE
        return
    c = classify_version(row.version_text)
    assert c.family is row.family
    assert c.branch is Branch.LDR
    assert c.sp == SP_OF_BUILD[c.version.build]
    assert c.version.revision == HOTFIX_REVISION[c.version.build]
    # Platform is the table's own, or x86 for the 32-bit copy the 64-bit tables list.
    assert row.platform in (row.table.label, "x86")


@pytest.mark.parametrize("row", load_rows(), ids=lambda r: f"{r.family}-{r.table}-{r.name}")
def test_every_row_is_well_formed(row) -> None:
    assert row.size > 0
    assert re.fullmatch(r"\d{2}-[A-Z][a-z]{2}-20(10|11)", row.date)
    assert re.fullmatch(r"\d{2}:\d{2}", row.time)
    if row.section == "additional":
        assert row.version_text == NOT_APPLICABLE
        assert row.name == "Update.mum" or row.name.endswith(".manifest")
        level = row.level_version
        if level is not None:  # a manifest's name carries the level it belongs to
            c = classify_version(level)
            assert c.family is row.family
            assert level.revision == HOTFIX_REVISION[level.build]


def test_rows_kept_as_the_report_has_them() -> None:
    x64 = rows_for(V, Arch.X64, section="files")
    assert [(r.name, r.platform) for r in x64[-2:]] == [
        ("Fwpuclnt.dll", "x86"),
        ("Wfp.mof", NOT_APPLICABLE),
    ]
    first = rows_for(V, Arch.X86, section="files")[0]
    assert (first.name, first.version_text, first.size_text, first.date, first.time) == (
        "Tcpipreg.sys",
        "6.0.6002.22567",
        "31,232",
        "10-Jan-2011",
        "14:00",
    )
    last = rows_for(W, Arch.IA64, section="files")[-1]
    assert (last.name, last.version_text, last.size, last.date, last.platform) == (
        "Tcpip.sys",
        "6.1.7601.21734",
        3803520,
        "25-May-2011",
        "IA-64",
    )
    mum = [r for r in rows_for(W, Arch.IA64, section="additional") if r.name == "Update.mum"]
    assert [(r.size, r.time) for r in mum] == [(2168, "18:21")]
    assert sum(r.name.startswith("Wow64_") for r in load_rows()) == 4


@pytest.mark.parametrize(
    ("family", "arch", "build", "expected"),
    [
        (
            V,
            Arch.X86,
            6001,
            {"netio.sys", "bfe.dll", "fwpkclnt.sys", "fwpuclnt.dll", "ikeext.dll", "tcpip.sys"},
        ),
        (V, Arch.X64, 6002, {"tcpipreg.sys", "tcpip.sys"}),
        (V, Arch.IA64, 6002, {"tcpipreg.sys", "tcpip.sys"}),
        (W, Arch.X86, 7600, {"fwpkclnt.sys", "tcpip.sys"}),
        (W, Arch.X64, 7601, {"fwpkclnt.sys", "tcpip.sys"}),
        (V, Arch.X86, 6000, set()),
    ],
)
def test_hotfix_files_per_level(family, arch, build, expected) -> None:
    files = hotfix_files(family, arch, build)
    assert set(files) == expected
    for hf in files.values():
        assert hf.version.build == build


def test_wow64_copy_is_kept_apart() -> None:
    fwpuclnt = hotfix_files(V, Arch.X64, 6001)["fwpuclnt.dll"]
    assert str(fwpuclnt.native) == str(fwpuclnt.wow64) == "6.0.6001.22831"
    assert fwpuclnt.version_for_path(r"C:\Windows\SysWOW64\fwpuclnt.dll") == fwpuclnt.wow64
    assert hotfix_files(V, Arch.X86, 6001)["fwpuclnt.dll"].wow64 is None


def test_rows_for_a_level_keep_unversioned_rows_and_matching_manifests() -> None:
    rows = rows_for(W, Arch.X64, build=7600)
    names = [r.name for r in rows]
    assert "Update.mum" in names
    assert all("7601" not in n for n in names)
    assert len(rows) == 2 + 2  # two 7600 binaries, one 7600 manifest, Update.mum
