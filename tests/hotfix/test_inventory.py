"""Inventory parsing: systeminfo, PowerShell VersionInfo, wmic; malformed inventories."""

from __future__ import annotations

import codecs

import pytest

from routekeeper.hotfix import (
    InventoryError,
    Status,
    decode_inventory,
    parse_inventories,
    parse_inventory,
    verdict_for_inventory,
)
from routekeeper.hotfix.errors import FactsError


@pytest.mark.parametrize(
    ("key", "os", "sp", "arch", "os_version"),
    [
        ("win7_x64_sp1", "Microsoft Windows 7 Enterprise", 1, "x64", "6.1.7601"),
        ("r2_rtm", "Microsoft Windows Server 2008 R2 Enterprise", 0, "x64", "6.1.7600"),
        ("s2008_x86", "Microsoftr Windows Serverr 2008 Standard", 1, "x86", "6.0.6001"),
        ("vista_sp2", "Microsoftr Windows VistaT Business", 2, "x64", "6.0.6002"),
        (
            "s2008_ia64",
            "Microsoft Windows Server 2008 Enterprise for Itanium-Based Systems",
            2,
            "ia64",
            "6.0.6002",
        ),
        ("xp", "Microsoft Windows XP Professional", 3, "x86", "5.1.2600"),
    ],
)
def test_systeminfo(samples, key, os, sp, arch, os_version) -> None:
    facts = parse_inventory(samples[key])
    assert (facts.os, facts.sp, facts.arch, facts.os_version) == (os, sp, arch, os_version)
    assert facts.files == ()


def test_systeminfo_csv() -> None:
    text = (
        '"Host Name","OS Name","OS Version","OS Manufacturer","System Type"\r\n'
        '"LAB-2","Microsoft Windows 7 Professional","6.1.7600 N/A Build 7600","Microsoft Corporation",'
        '"X86-based PC"\r\n'
    )
    facts = parse_inventory(text)
    assert (facts.os, facts.sp, facts.arch) == ("Microsoft Windows 7 Professional", 0, "x86")


def test_systeminfo_ia64_as_reactos_words_it() -> None:
    facts = parse_inventory(
        "OS Name: Microsoft Windows Server 2008 R2 Datacenter\nSystem Type: IA64-based PC\n"
    )
    assert facts.arch == "ia64"


def test_powershell_table_uses_product_version_when_file_version_is_truncated(samples) -> None:
    facts = parse_inventory(samples["ps_tcpip_gdr"])
    [fact] = facts.files
    assert (fact.name, fact.version, fact.path) == (
        "tcpip.sys",
        "6.1.7601.17514",
        r"C:\Windows\System32\drivers\tcpip.sys",
    )


def test_powershell_table_wide_file_version_with_build_tag() -> None:
    text = (
        "ProductVersion   FileVersion                              FileName\n"
        "--------------   -----------                              --------\n"
        "6.1.7601.17514   6.1.7601.17514 (win7sp1_rtm.101119-1850) C:\\Windows\\System32\\"
        "drivers\\tcpip.sys\n"
        "                 6.1.7601.21734 (win7sp1_ldr.110525-0414) C:\\Windows\\System32\\"
        "drivers\\fwpkclnt.sys\n"
    )
    facts = parse_inventory(text)
    assert [(f.name, f.version) for f in facts.files] == [
        ("tcpip.sys", "6.1.7601.17514"),
        ("fwpkclnt.sys", "6.1.7601.21734"),
    ]


def test_powershell_table_unicode_ellipsis_and_path_with_spaces() -> None:
    text = (
        "ProductVersion   FileVersion      FileName\n"
        "--------------   -----------      --------\n"
        "6.1.7601.21734   6.1.7601.21734 \u2026 D:\\Old Windows\\System32\\drivers\\tcpip.sys\n"
        "6.1.7601.21734   6.1.7601.2173\u2026   D:\\Old Windows\\System32\\drivers\\fwpkclnt.sys\n"
    )
    tcpip, fwpkclnt = parse_inventory(text).files
    assert (tcpip.version, tcpip.path) == ("6.1.7601.21734", r"D:\Old Windows\System32\drivers\tcpip.sys")
    assert (fwpkclnt.name, fwpkclnt.version) == ("fwpkclnt.sys", "6.1.7601.21734")


def test_powershell_list_layout() -> None:
    text = """
OriginalFilename : tcpip.sys.mui
FileDescription  : TCP/IP Driver
ProductName      : Microsoft\u00ae Windows\u00ae Operating System
Comments         :
CompanyName      : Microsoft Corporation
FileName         : C:\\Windows\\System32\\drivers\\tcpip.sys
FileVersion      : 6.1.7601.21734 (win7sp1_ldr.110525-0414)
ProductVersion   : 6.1.7601.21734
IsDebug          : False

OriginalFilename : fwpkclnt.sys.mui
FileName         : C:\\Windows\\System32\\drivers\\fwpkclnt.sys
FileVersion      : 6.1.7601.17514 (win7sp1_rtm.101119-1850)
ProductVersion   : 6.1.7601.17514
"""
    facts = parse_inventory(text)
    assert [(f.name, f.version) for f in facts.files] == [
        ("tcpip.sys", "6.1.7601.21734"),
        ("fwpkclnt.sys", "6.1.7601.17514"),
    ]


def test_wmic_bare_version_takes_the_name_from_the_command(samples) -> None:
    [fact] = parse_inventory(samples["wmic_tcpip_ldr"]).files
    assert (fact.name, fact.version, fact.path) == (
        "tcpip.sys",
        "6.1.7601.21734",
        r"C:\Windows\System32\drivers\tcpip.sys",
    )


def test_wmic_bare_version_without_command_is_tcpip() -> None:
    [fact] = parse_inventory("Version\n6.1.7600.16385\n").files
    assert (fact.name, fact.version) == ("tcpip.sys", "6.1.7600.16385")


def test_wmic_two_commands_two_files() -> None:
    text = (
        'C:\\>wmic datafile where name="C:\\\\Windows\\\\System32\\\\drivers\\\\tcpip.sys" get version\n'
        "Version\n6.1.7601.21734\n\n"
        "C:\\>wmic datafile where \"name='C:\\\\Windows\\\\System32\\\\drivers\\\\fwpkclnt.sys'\" "
        "get Version\n"
        "Version\n6.1.7601.21734\n"
    )
    facts = parse_inventory(text)
    assert [f.name for f in facts.files] == ["tcpip.sys", "fwpkclnt.sys"]


def test_wmic_name_version_table_and_value_format() -> None:
    table = (
        "Name                                        Version\n"
        "c:\\windows\\system32\\drivers\\tcpip.sys  6.1.7601.21734\n"
    )
    files = parse_inventory(table).files
    assert [(f.name, f.version) for f in files] == [("tcpip.sys", "6.1.7601.21734")]
    value = "\n\nName=c:\\windows\\system32\\drivers\\fwpkclnt.sys\nVersion=6.1.7601.17514\n\n\n"
    files = parse_inventory(value).files
    assert [(f.name, f.version) for f in files] == [("fwpkclnt.sys", "6.1.7601.17514")]
    assert [f.name for f in parse_inventory("Version=6.1.7601.17514\n").files] == ["tcpip.sys"]


def test_full_transcript_gives_a_verdict(win7_fixed_inventory, win7_affected_inventory) -> None:
    assert verdict_for_inventory(win7_fixed_inventory).status is Status.FIXED
    v = verdict_for_inventory(win7_affected_inventory)
    assert v.status is Status.AFFECTED
    assert (v.product, v.sp, v.arch) == ("Windows 7", 1, "x64")


def test_inventories_merge_and_contradictions_raise(samples) -> None:
    facts = parse_inventories([("a", samples["r2_rtm"]), ("b", samples["wmic_tcpip_ldr"])])
    assert (facts.sp, facts.files[0].version) == (0, "6.1.7601.21734")
    with pytest.raises(FactsError, match="contradictory"):
        parse_inventories([("a", samples["r2_rtm"]), ("b", samples["win7_x64_sp1"])])


def test_decode_utf16_and_oem_bytes(samples) -> None:
    text = samples["win7_x64_sp1"]
    assert decode_inventory(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) == text
    assert decode_inventory(text.encode("utf-16-le")) == text
    assert decode_inventory(codecs.BOM_UTF8 + text.encode()) == text
    assert "Vista" in decode_inventory("OS Name: Microsoft\xae Windows Vista\x99".encode("latin-1"))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "no systeminfo fields and no file versions"),
        ("hello world\nC:\\> dir\n", "no systeminfo fields and no file versions"),
        ("OS Version:                6.1 SP1\n", "malformed systeminfo OS Version"),
        ("OS Version:                6.1.7601 Service Pack 1 Build 7600\n", "two different builds"),
        ("OS Name:                   \n", "OS Name is empty"),
        ("System Type:               ARM64-based PC\n", "unknown systeminfo System Type"),
        ("OS Name: Microsoft Windows 7 Enterprise\nOS Name: Microsoft Windows XP\n", "contradicts"),
        ("Version\n\n", "Version header without a value"),
        ("Version\nnot-a-version\n", "malformed file version"),
        ("Version\n6.1.7601.1\n\nVersion\n6.1.7601.2\n", "second wmic version without a file name"),
        ("No Instance(s) Available.\n", "No Instance"),
        ("Name=c:\\x\\tcpip.sys\n", "without a Version"),
        ("Name  Version\nonlyonefield\n", "does not hold a name and version"),
        (
            "ProductVersion   FileVersion      FileName\n--------------   -----------      --------\n",
            "VersionInfo table without rows",
        ),
        (
            "ProductVersion   FileVersion      FileName\n--------------   -----------      --------\n"
            "6.1.7601.1751... 6.1.7601.1751... C:\\Windows\\System32\\drivers\\tcpip.sys\n",
            "no complete version",
        ),
        (
            "ProductVersion   FileVersion      FileName\n--------------   -----------      --------\n"
            "6.1.7601.17514   6.1.7601.17514   C:\\Windows\\System32\\drivers\\tcp...\n",
            "truncated",
        ),
        ("FileName : C:\\Windows\\System32\\drivers\\tcpip.sys\nIsDebug : False\n", "has no version"),
        ('"Host Name","OS Name"\n', "CSV header without a value row"),
    ],
)
def test_malformed_inventories(text: str, fragment: str) -> None:
    with pytest.raises(InventoryError, match=fragment) as info:
        parse_inventory(text, source="inv.txt")
    assert str(info.value).startswith("inv.txt")
    assert isinstance(info.value, ValueError)


def test_duplicate_file_with_different_versions_is_an_error() -> None:
    text = "Version=6.1.7601.17514\n"
    table = (
        "ProductVersion   FileVersion      FileName\n--------------   -----------      --------\n"
        "6.1.7601.21734   6.1.7601.21734   tcpip.sys\n"
    )
    with pytest.raises(FactsError, match="given twice"):
        parse_inventories([("a", text), ("b", table)])


def test_non_text_inventory() -> None:
    with pytest.raises(InventoryError):
        parse_inventory(b"OS Name: x")  # type: ignore[arg-type]
