"""Every branch of the verdict, the GDR/LDR and service-pack rules, and the decisions."""

from __future__ import annotations

import pytest

from routekeeper.hotfix import (
    Arch,
    FactsError,
    Family,
    FileFact,
    HostFacts,
    HotfixInputError,
    Status,
    UnclassifiableVersionError,
    VersionError,
    check,
    hotfix_files,
    identify_os,
    load_rows,
    normalize_arch,
)
from routekeeper.hotfix.products import OtherProduct, Product


def facts(os: str, sp: int | None, arch: str | None, **files: str) -> dict[str, object]:
    return {"os": os, "sp": sp, "arch": arch, "files": {k.replace("_", "."): v for k, v in files.items()}}


# -- fixed / affected ------------------------------------------------------------------------

# (os, sp, arch, hotfix tcpip.sys version)
LEVELS = [
    ("Windows Vista", 1, "x86", "6.0.6001.22831"),
    ("Windows Vista", 2, "x64", "6.0.6002.22567"),
    ("Windows Server 2008", 1, "ia64", "6.0.6001.22831"),
    ("Windows Server 2008", 2, "x86", "6.0.6002.22567"),
    ("Windows 7", 0, "x86", "6.1.7600.20974"),
    ("Windows 7", 1, "x64", "6.1.7601.21734"),
    ("Windows Server 2008 R2", 0, "ia64", "6.1.7600.20974"),
    ("Windows Server 2008 R2", 1, "x64", "6.1.7601.21734"),
]


@pytest.mark.parametrize(("os", "sp", "arch", "hotfix"), LEVELS)
def test_hotfix_version_itself_is_fixed(os: str, sp: int, arch: str, hotfix: str) -> None:
    v = check(facts(os, sp, arch, tcpip_sys=hotfix))
    assert v.status is Status.FIXED
    assert (v.product, v.sp, v.arch) == (os, sp, arch)
    assert v.exit_status == 0
    assert v.outdated == ()


@pytest.mark.parametrize(("os", "sp", "arch", "hotfix"), LEVELS)
def test_later_ldr_revision_is_fixed(os: str, sp: int, arch: str, hotfix: str) -> None:
    later = hotfix.rsplit(".", 1)[0] + ".22999"
    assert check(facts(os, sp, arch, tcpip_sys=later)).status is Status.FIXED


@pytest.mark.parametrize(("os", "sp", "arch", "hotfix"), LEVELS)
def test_earlier_ldr_revision_is_affected(os: str, sp: int, arch: str, hotfix: str) -> None:
    prefix, revision = hotfix.rsplit(".", 1)
    older = f"{prefix}.{int(revision) - 1}"
    v = check(facts(os, sp, arch, tcpip_sys=older))
    assert v.status is Status.AFFECTED
    assert v.exit_status == 1
    [outdated] = v.outdated
    assert (outdated.installed, outdated.hotfix_version, outdated.branch.value) == (older, hotfix, "LDR")


@pytest.mark.parametrize(("os", "sp", "arch", "hotfix"), LEVELS)
def test_any_gdr_revision_is_affected(os: str, sp: int, arch: str, hotfix: str) -> None:
    prefix = hotfix.rsplit(".", 1)[0]
    for revision in (16385, 17514, 18999):
        v = check(facts(os, sp, arch, tcpip_sys=f"{prefix}.{revision}"))
        assert v.status is Status.AFFECTED
        assert v.outdated[0].branch.value == "GDR"
        assert v.outdated[0].hotfix_version == hotfix


def test_every_hotfix_row_passes_as_installed_file() -> None:
    """Feeding back every versioned row of every table gives 'fixed' on its own level."""
    products = {
        ("vista-2008", "x86"): "Windows Vista",
        ("vista-2008", "x64"): "Windows Server 2008",
        ("vista-2008", "ia64"): "Windows Server 2008",
        ("7-2008r2", "x86"): "Windows 7",
        ("7-2008r2", "x64"): "Windows Server 2008 R2",
        ("7-2008r2", "ia64"): "Windows Server 2008 R2",
    }
    for row in load_rows():
        version = row.version
        if version is None:
            continue
        os = products[(row.family.value, row.table.value)]
        sp = {6001: 1, 6002: 2, 7600: 0, 7601: 1}[version.build]
        tcpip = next(
            r.version_text
            for r in load_rows()
            if r.family is row.family
            and r.table is row.table
            and r.name == "Tcpip.sys"
            and r.version is not None
            and r.version.build == version.build
        )
        path = rf"C:\Windows\SysWOW64\{row.name}" if row.platform != row.table.label else row.name
        v = check(
            {
                "os": os,
                "sp": sp,
                "arch": row.table.value,
                "files": [("tcpip.sys", tcpip), (path, row.version_text)],
            }
        )
        assert v.status is Status.FIXED, row


def test_one_old_companion_file_makes_the_host_affected() -> None:
    v = check(facts("Windows Server 2008", 1, "x64", tcpip_sys="6.0.6001.22831", netio_sys="6.0.6001.18000"))
    assert v.status is Status.AFFECTED
    assert [(c.name, c.hotfix_version) for c in v.outdated] == [("netio.sys", "6.0.6001.22831")]
    assert "Bfe.dll" in v.unchecked and "Netio.sys" not in v.unchecked


def test_file_names_are_case_insensitive_and_paths_allowed() -> None:
    v = check(
        {
            "os": "windows 7",
            "sp": "SP1",
            "arch": "X64",
            "files": {r"C:\Windows\System32\drivers\TCPIP.SYS": "6.1.7601.21734"},
        }
    )
    assert v.status is Status.FIXED
    assert v.checks[0].path == r"C:\Windows\System32\drivers\TCPIP.SYS"
    assert v.unchecked == ("Fwpkclnt.sys",)


def test_wow64_copy_compared_with_the_x86_row() -> None:
    v = check(
        {
            "os": "Windows Vista",
            "sp": 1,
            "arch": "x64",
            "files": [
                ("tcpip.sys", "6.0.6001.22831"),
                (r"C:\Windows\System32\fwpuclnt.dll", "6.0.6001.22831"),
                (r"C:\Windows\SysWOW64\fwpuclnt.dll", "6.0.6001.18000"),
            ],
        }
    )
    assert v.status is Status.AFFECTED
    assert [c.path for c in v.outdated] == [r"C:\Windows\SysWOW64\fwpuclnt.dll"]


def test_files_not_installed_at_the_level_are_ignored() -> None:
    v = check(
        facts(
            "Windows Vista",
            2,
            "x86",
            tcpip_sys="6.0.6002.22567",
            netio_sys="6.0.6001.18000",
            notepad_exe="6.0.6002.18005",
        )
    )
    assert v.status is Status.FIXED
    assert v.ignored == ("netio.sys", "notepad.exe")
    assert v.unchecked == ("Tcpipreg.sys",)


# -- prerequisite --------------------------------------------------------------------------


def test_vista_rtm_needs_a_service_pack() -> None:
    v = check(facts("Windows Vista", 0, "x86"))
    assert v.status is Status.PREREQUISITE
    assert v.exit_status == 2
    assert "SP1 or SP2" in v.reason


def test_vista_rtm_from_tcpip_build_needs_a_service_pack() -> None:
    v = check(facts("Windows Vista", None, "x64", tcpip_sys="6.0.6000.16386"))
    assert (v.status, v.sp) == (Status.PREREQUISITE, 0)


def test_server_2008_rtm_counts_as_sp1() -> None:
    v = check(facts("Windows Server 2008", 0, "x86", tcpip_sys="6.0.6001.22831"))
    assert (v.status, v.sp, v.build) == (Status.FIXED, 1, 6001)
    assert any("SP1 integrated" in n for n in v.notes)


@pytest.mark.parametrize("os", ["Windows 7", "Windows Server 2008 R2"])
def test_win7_family_rtm_qualifies(os: str) -> None:
    v = check(facts(os, 0, "x64", tcpip_sys="6.1.7600.16385"))
    assert v.status is Status.AFFECTED
    assert v.outdated[0].hotfix_version == "6.1.7600.20974"


@pytest.mark.parametrize(
    ("os", "sp"),
    [("Windows 7", 2), ("Windows Server 2008 R2", 3), ("Windows Vista", 3), ("Windows Vista", -1)],
)
def test_service_packs_that_never_existed_are_bad_input(os: str, sp: int) -> None:
    with pytest.raises(FactsError, match="has no|malformed"):
        check({"os": os, "sp": sp, "arch": "x64", "files": {"tcpip.sys": "6.1.7601.21734"}})


# -- not applicable ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "os",
    [
        "Windows XP",
        "Microsoft Windows XP Professional",
        "Windows Server 2003",
        "Microsoft(R) Windows(R) Server 2003",
        "Windows 8",
        "Windows 8.1",
        "Windows 10 Pro",
        "Windows Server 2012 R2",
        "Windows Embedded Standard 7",
        "Windows 2000",
    ],
)
def test_other_products_are_not_applicable(os: str) -> None:
    v = check({"os": os, "sp": 3, "arch": "x86", "files": {"tcpip.sys": "5.1.2600.5512"}})
    assert v.status is Status.NOT_APPLICABLE
    assert v.exit_status == 2
    assert v.product == os


@pytest.mark.parametrize(
    ("os", "arch"),
    [("Windows Vista", "ia64"), ("Windows 7", "ia64"), ("Windows Server 2008 R2", "x86")],
)
def test_architectures_the_product_lacks_are_not_applicable(os: str, arch: str) -> None:
    v = check(facts(os, 1, arch, tcpip_sys="6.1.7601.21734"))
    assert v.status is Status.NOT_APPLICABLE
    assert (v.product, v.arch) == (os, arch)
    assert "no IA-64 edition" in v.reason or "no x86 edition" in v.reason


@pytest.mark.parametrize(
    ("os", "arch"), [("Windows Server 2008", "ia64"), ("Windows Server 2008 R2", "ia64")]
)
def test_itanium_exists_for_the_servers(os: str, arch: str) -> None:
    tcpip = "6.0.6002.22567" if os == "Windows Server 2008" else "6.1.7601.21734"
    assert check(facts(os, 2 if "R2" not in os else 1, arch, tcpip_sys=tcpip)).status is Status.FIXED


# -- bad input -----------------------------------------------------------------------------


def test_build_mismatch_is_bad_input() -> None:
    with pytest.raises(FactsError, match="from RTM .*host is at SP1"):
        check(facts("Windows 7", 1, "x64", tcpip_sys="6.1.7600.20974"))


def test_family_mismatch_is_bad_input() -> None:
    with pytest.raises(FactsError, match="not a Windows 7 / Windows Server 2008 R2 file"):
        check(facts("Windows 7", 1, "x64", tcpip_sys="6.0.6002.22567"))
    with pytest.raises(FactsError, match="not a"):
        check(facts("Windows 7", 1, "x64", tcpip_sys="5.2.3790.4000"))


def test_unknown_branch_is_bad_input() -> None:
    with pytest.raises(UnclassifiableVersionError, match="tcpip.sys: version 6.1.7601.15000"):
        check(facts("Windows 7", 1, "x64", tcpip_sys="6.1.7601.15000"))


def test_a_later_rollup_carries_the_fix() -> None:
    verdict = check(facts("Windows 7", 1, "x64", tcpip_sys="6.1.7601.24214"))
    assert verdict.reason.startswith("carries the fix: every checked file is a later rollup's")


def test_malformed_version_is_bad_input_even_for_other_products() -> None:
    with pytest.raises(VersionError, match="tcpip.sys: malformed"):
        check(facts("Windows XP", 3, "x86", tcpip_sys="5.1.2600"))


def test_tcpip_is_required() -> None:
    with pytest.raises(FactsError, match="tcpip.sys's version is required"):
        check(facts("Windows 7", 1, "x64", fwpkclnt_sys="6.1.7601.21734"))


def test_missing_sp_is_inferred_from_tcpip() -> None:
    v = check(facts("Windows 7", None, "x64", tcpip_sys="6.1.7601.17514"))
    assert (v.status, v.sp) == (Status.AFFECTED, 1)
    assert any("taken from tcpip.sys" in n for n in v.notes)


def test_missing_sp_without_tcpip_is_bad_input() -> None:
    with pytest.raises(FactsError, match="service pack unknown"):
        check(facts("Windows 7", None, "x64"))


def test_missing_os_or_arch_is_bad_input() -> None:
    with pytest.raises(FactsError, match="operating system unknown"):
        check({"sp": 1, "arch": "x64"})
    with pytest.raises(FactsError, match="architecture unknown"):
        check(facts("Windows 7", 1, None, tcpip_sys="6.1.7601.21734"))


@pytest.mark.parametrize("os", ["Windows Vist", "Linux", "", "Windows"])
def test_unrecognised_os_is_bad_input(os: str) -> None:
    with pytest.raises(FactsError):
        check(facts(os, 1, "x64"))


def test_unknown_arch_and_fact_keys_are_bad_input() -> None:
    with pytest.raises(FactsError, match="unknown architecture"):
        check(facts("Windows 7", 1, "arm64"))
    with pytest.raises(FactsError, match="unknown host fact"):
        check({"os": "Windows 7", "colour": "blue"})
    with pytest.raises(FactsError):
        check("Windows 7")  # type: ignore[arg-type]


def test_os_version_must_agree() -> None:
    host = HostFacts(
        os="Windows 7",
        sp=0,
        arch="x64",
        os_version="6.1.7601",
        files=(FileFact("tcpip.sys", "6.1.7601.21734"),),
    )
    with pytest.raises(FactsError, match="contradicts OS version"):
        check(host)
    with pytest.raises(FactsError, match="is not Windows Vista's"):
        check(HostFacts(os="Windows Vista", arch="x64", os_version="6.1.7601"))


def test_all_input_errors_are_value_errors() -> None:
    assert issubclass(HotfixInputError, ValueError)
    for exc in (FactsError, VersionError, UnclassifiableVersionError):
        assert issubclass(exc, HotfixInputError)


# -- product and arch recognition ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "product"),
    [
        ("Microsoft Windows 7 Enterprise ", Product.WIN7),
        ("Microsoft Windows 7 Home Basic", Product.WIN7),
        ("Microsoft Windows Server 2008 R2 Enterprise", Product.SERVER_2008_R2),
        ("Microsoftr Windows Serverr 2008 Standard", Product.SERVER_2008),
        ("Microsoft\u00ae Windows Server\u00ae 2008 Enterprise", Product.SERVER_2008),
        ("Microsoftr Windows VistaT Business", Product.VISTA),
        ("Microsoft\u00ae Windows Vista\u2122 Ultimate", Product.VISTA),
        ("Windows Web Server 2008 R2", Product.SERVER_2008_R2),
        ("windows server 2008 r2", Product.SERVER_2008_R2),
        ("WINDOWS VISTA", Product.VISTA),
    ],
)
def test_identify_os(name: str, product: Product) -> None:
    assert identify_os(name) is product


def test_identify_other_os_keeps_the_name() -> None:
    assert identify_os("Microsoft Windows XP Professional") == OtherProduct(
        "Microsoft Windows XP Professional"
    )


@pytest.mark.parametrize(
    ("text", "arch"), [("X64", "x64"), ("amd64", "x64"), ("IA-64", "ia64"), ("x86", "x86")]
)
def test_normalize_arch(text: str, arch: str) -> None:
    assert normalize_arch(text).value == arch


def test_hotfix_set_sanity() -> None:
    # The verdict's expectations rest on these table facts.
    assert set(hotfix_files(Family.WIN7_2008R2, Arch.X64, 7601)) == {"fwpkclnt.sys", "tcpip.sys"}
