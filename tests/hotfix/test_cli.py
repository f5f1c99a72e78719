"""``routekeeper hotfix`` end to end through ``main([...])``: output, JSON, exit status, errors."""

from __future__ import annotations

import codecs
import io
import json
import re
import sys

import pytest

from routekeeper.hotfix.cli import main

W7 = ["check", "--os", "Windows 7", "--sp", "1", "--arch", "x64"]


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status: int, out: str, err: str, fragment: str) -> None:
    assert status == 2
    assert out == ""
    assert err.startswith("routekeeper: ")
    assert err.count("\n") == 1 and err.endswith("\n")
    assert fragment in err
    assert "Traceback" not in err


# -- check: the four verdicts ----------------------------------------------------------------


def test_check_fixed(capsys) -> None:
    status, out, err = run(capsys, [*W7, "--file", "tcpip.sys=6.1.7601.21734"])
    assert status == 0 and err == ""
    assert out.startswith("Windows 7 SP1 x64: carries the fix.")
    assert "not checked (not given): Fwpkclnt.sys" in out


def test_check_affected_names_file_and_replacement(capsys) -> None:
    status, out, _ = run(
        capsys, [*W7, "--file", "TCPIP.SYS=6.1.7601.17514", "--file", "fwpkclnt.sys=6.1.7601.21734"]
    )
    assert status == 1
    assert out.splitlines()[0].startswith("Windows 7 SP1 x64: affected: 1 file is older than the hotfix's")
    assert re.search(r"TCPIP\.SYS +6\.1\.7601\.17514 \(GDR\)", out)
    assert "older -> replaced by 6.1.7601.21734 (LDR)" in out
    assert "fwpkclnt.sys" in out and "current" in out


def test_check_prerequisite(capsys) -> None:
    status, out, _ = run(capsys, ["check", "--os", "windows vista", "--sp", "0", "--arch", "X86"])
    assert status == 2
    assert out == (
        "Windows Vista RTM x86: install the service pack first: the hotfix needs Windows Vista SP1 or SP2.\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--os", "Windows XP", "--sp", "3", "--arch", "x86"],
        ["check", "--os", "Windows Server 2003", "--arch", "x64"],
        ["check", "--os", "Windows 8", "--arch", "x64", "--file", "tcpip.sys=6.2.9200.16384"],
        ["check", "--os", "Windows 7", "--sp", "1", "--arch", "ia64"],
        ["check", "--os", "Windows Vista", "--sp", "2", "--arch", "IA64"],
        ["check", "--os", "Windows Server 2008 R2", "--sp", "1", "--arch", "x86"],
    ],
)
def test_check_not_applicable(capsys, argv: list[str]) -> None:
    status, out, err = run(capsys, argv)
    assert status == 2 and err == ""
    assert ": not applicable: " in out


# -- check: JSON ------------------------------------------------------------------------------


def test_check_json_affected(capsys) -> None:
    status, out, _ = run(capsys, [*W7, "--file", "tcpip.sys=6.1.7601.17514", "--json"])
    assert status == 1
    data = json.loads(out)
    assert data["status"] == "affected"
    assert (data["product"], data["sp"], data["arch"], data["level"], data["build"]) == (
        "Windows 7",
        1,
        "x64",
        "SP1",
        7601,
    )
    assert data["outdated"] == ["tcpip.sys"]
    [entry] = data["files"]
    assert entry == {
        "file": "tcpip.sys",
        "path": None,
        "installed": "6.1.7601.17514",
        "branch": "GDR",
        "hotfix_file": "Tcpip.sys",
        "hotfix_version": "6.1.7601.21734",
        "hotfix_branch": "LDR",
        "status": "older",
    }
    assert data["unchecked"] == ["Fwpkclnt.sys"]


@pytest.mark.parametrize(
    ("argv", "expected", "code"),
    [
        ([*W7, "--file", "tcpip.sys=6.1.7601.21734"], "fixed", 0),
        (["check", "--os", "Windows Vista", "--sp", "0", "--arch", "x64"], "prerequisite", 2),
        (["check", "--os", "Windows XP", "--arch", "x86"], "not-applicable", 2),
    ],
)
def test_check_json_status(capsys, argv: list[str], expected: str, code: int) -> None:
    status, out, _ = run(capsys, [*argv, "--json"])
    assert status == code
    assert json.loads(out)["status"] == expected


# -- check: inventories -----------------------------------------------------------------------


def test_check_inventory_files(capsys, tmp_path, samples) -> None:
    sysinfo = tmp_path / "systeminfo.txt"
    sysinfo.write_text(samples["win7_x64_sp1"])
    versions = tmp_path / "versions.txt"  # PowerShell 5.1 redirection writes UTF-16 with a BOM
    versions.write_bytes(codecs.BOM_UTF16_LE + samples["ps_tcpip_ldr"].encode("utf-16-le"))
    status, out, _ = run(capsys, ["check", "--inventory", str(sysinfo), "--inventory", str(versions)])
    assert status == 0
    assert out.startswith("Windows 7 SP1 x64: carries the fix.")


def test_check_inventory_stdin_with_cli_file(capsys, monkeypatch, samples) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(samples["s2008_x86"]))
    status, out, _ = run(
        capsys, ["check", "--inventory", "-", "--file", "tcpip.sys=6.0.6001.18000", "--json"]
    )
    assert status == 1
    data = json.loads(out)
    assert (data["product"], data["sp"], data["arch"]) == ("Windows Server 2008", 1, "x86")


def test_check_inventory_stdin_bytes(capsys, monkeypatch, win7_affected_inventory) -> None:
    raw = io.TextIOWrapper(io.BytesIO(win7_affected_inventory.encode("utf-16")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", raw)
    status, out, _ = run(capsys, ["check", "--inventory", "-"])
    assert status == 1
    assert "6.1.7601.17514 (GDR)" in out


# -- check: bad input, always one line and exit 2 ----------------------------------------------


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([*W7, "--file", "tcpip.sys=6.1.7601"], "malformed file version '6.1.7601'"),
        ([*W7, "--file", "tcpip.sys=6.1.7600.16385"], "host is at SP1"),
        ([*W7, "--file", "tcpip.sys=6.1.7601.15000"], "below the GDR branch"),
        ([*W7, "--file", "tcpip.sys"], "--file expects NAME=VERSION"),
        ([*W7, "--file", "=6.1.7601.1"], "--file expects NAME=VERSION"),
        (W7, "tcpip.sys's version is required"),
        (["check", "--os", "Windows 7", "--sp", "2", "--arch", "x64"], "Windows 7 has no SP2"),
        (["check", "--os", "Windows 7", "--sp", "one", "--arch", "x64"], "malformed service pack"),
        (["check", "--os", "Windows 7", "--sp", "1", "--arch", "arm"], "unknown architecture"),
        (["check", "--os", "Windows Vist", "--sp", "1", "--arch", "x86"], "unrecognised operating system"),
        (["check", "--sp", "1", "--arch", "x86"], "operating system unknown"),
        (["check", "--os", "Windows 7", "--sp", "1"], "architecture unknown"),
        (["check", "--inventory", "/nonexistent/inventory.txt"], "cannot read inventory"),
        (["check", "--inventory", "/"], "cannot read inventory"),
        (["check", "--inventory", "-", "--inventory", "-"], "read only once"),
        (["check", "--bogus"], "unrecognized arguments: --bogus"),
        (["check", "--os"], "expected one argument"),
        (["launch"], "invalid choice"),
        ([], "a subcommand is required"),
        (["files", "--os", "Windows 7"], "the following arguments are required: --arch"),
        ([*W7, "--file", "tcpip.sys=6.1.7601.17514", "--file", "tcpip.sys=6.1.7601.21734"], "given twice"),
    ],
)
def test_bad_input(capsys, argv: list[str], fragment: str) -> None:
    assert_one_line_error(*run(capsys, argv), fragment)


def test_malformed_inventory_file(capsys, tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("OS Name:                   Microsoft Windows 7 Enterprise\nOS Version:  6.1 SP1\n")
    assert_one_line_error(*run(capsys, ["check", "--inventory", str(bad)]), f"{bad} line 2: malformed")


def test_empty_inventory(capsys, tmp_path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert_one_line_error(*run(capsys, ["check", "--inventory", str(empty)]), "no systeminfo fields")


def test_contradicting_cli_and_inventory(capsys, tmp_path, samples) -> None:
    inv = tmp_path / "r2.txt"
    inv.write_text(samples["r2_rtm"])
    argv = ["check", "--inventory", str(inv), "--sp", "1", "--file", "tcpip.sys=6.1.7601.21734"]
    assert_one_line_error(*run(capsys, argv), "contradictory service packs")


def test_help_exits_zero_without_traceback(capsys) -> None:
    status, out, err = run(capsys, ["--help"])
    assert status == 0
    assert "check" in out and "files" in out
    status, out, _ = run(capsys, ["check", "--help"])
    assert status == 0 and "--inventory" in out


# -- files ---------------------------------------------------------------------------------------


def test_files_human(capsys) -> None:
    status, out, _ = run(capsys, ["files", "--os", "Windows Server 2008", "--arch", "ia64"])
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "Windows Server 2008 IA-64: the hotfix installs (all levels):"
    assert "Tcpip.sys     6.0.6001.22831  2,942,352  10-Jan-2011  20:46  IA-64" in out
    assert "Additional files (manifests and update metadata):" in out
    assert out.count("Wow64_microsoft-windows-") == 2


def test_files_json_one_level(capsys) -> None:
    status, out, _ = run(capsys, ["files", "--os", "Windows 7", "--arch", "x86", "--sp", "1", "--json"])
    assert status == 0
    data = json.loads(out)
    assert (data["status"], data["family"], data["level"], data["build"]) == ("ok", "7-2008r2", "SP1", 7601)
    assert [(f["file"], f["version"], f["size"]) for f in data["files"]] == [
        ("Fwpkclnt.sys", "6.1.7601.21734", 187776),
        ("Tcpip.sys", "6.1.7601.21734", 1303424),
    ]
    assert [f["file"] for f in data["additional"]] == [
        "Update.mum",
        "X86_microsoft-windows-tcpip-binaries_31bf3856ad364e35_6.1.7601.21734_none_b5997b16ddd62ed4.manifest",
    ]


def test_files_all_rows_of_a_table(capsys) -> None:
    status, out, _ = run(capsys, ["files", "--os", "Windows Vista", "--arch", "x64", "--json"])
    assert status == 0
    data = json.loads(out)
    assert (len(data["files"]), len(data["additional"])) == (12, 8)
    assert data["files"][-2]["platform"] == "x86"


@pytest.mark.parametrize(
    ("argv", "status_text"),
    [
        (["files", "--os", "Windows 7", "--arch", "ia64"], "not applicable"),
        (["files", "--os", "Windows XP", "--arch", "x86"], "not applicable"),
        (["files", "--os", "Windows Vista", "--arch", "x86", "--sp", "0"], "install the service pack first"),
    ],
)
def test_files_not_applicable_or_prerequisite(capsys, argv: list[str], status_text: str) -> None:
    status, out, _ = run(capsys, argv)
    assert status == 2
    assert status_text in out
    status, out, _ = run(capsys, [*argv, "--json"])
    assert status == 2
    assert json.loads(out)["files"] == []


def test_files_server_2008_sp0_is_sp1(capsys) -> None:
    status, out, _ = run(capsys, ["files", "--os", "Windows Server 2008", "--arch", "x86", "--sp", "0"])
    assert status == 0
    assert out.startswith("Windows Server 2008 SP1 x86: the hotfix installs (SP1 only):")
    assert "6.0.6002" not in out


def test_server_2008_sp0_agrees_with_systeminfo_sp1(capsys, tmp_path, samples) -> None:
    inv = tmp_path / "s2008.txt"
    inv.write_text(samples["s2008_x86"])
    argv = ["check", "--os", "Windows Server 2008", "--sp", "0", "--inventory", str(inv)]
    status, out, _ = run(capsys, [*argv, "--file", "tcpip.sys=6.0.6001.22831"])
    assert status == 0
    assert out.startswith("Windows Server 2008 SP1 x86: carries the fix.")


def test_bare_name_and_path_are_the_same_file(capsys) -> None:
    path = r"C:\Windows\System32\drivers\tcpip.sys"
    argv = [*W7, "--file", "tcpip.sys=6.1.7601.21734", "--file", f"{path}=6.1.7601.17514"]
    assert_one_line_error(*run(capsys, argv), "given twice with different versions")
    status, out, _ = run(
        capsys, [*W7, "--file", "tcpip.sys=6.1.7601.21734", "--file", f"{path}=6.1.7601.21734"]
    )
    assert status == 0
    assert path in out  # the repeat with a path is the one kept


# -- a fully updated host: later GDR, later LDR, and the rollups' single branch ------------------


@pytest.mark.parametrize(
    ("version", "status", "fragment"),
    [
        (
            "6.1.7601.24214",
            0,
            "6.1.7601.24214 (rollup) current",
        ),  # 2018 rollup, from the LDR line
        ("6.1.7601.23505", 0, "6.1.7601.23505 (LDR)   current"),  # LDR went on into 23xxx
        ("6.1.7601.19135", 1, "6.1.7601.19135 (GDR)   older"),  # GDR never took the fix
    ],
)
def test_later_updates_of_windows_7_are_judged(capsys, version: str, status: int, fragment: str) -> None:
    code, out, err = run(capsys, [*W7, "--file", f"tcpip.sys={version}"])
    assert (code, err) == (status, "")
    assert fragment in out
