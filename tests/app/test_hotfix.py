"""Simulated twins of real hosts: the profile follows the hotfix verdict, and `host apply-hotfix` checks
the prerequisites and takes effect only at the next reboot (the report's restart requirement)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from routekeeper.cli import run

SYSTEMINFO = """
Host Name:                 LAB-W7-01
OS Name:                   Microsoft Windows 7 Enterprise
OS Version:                6.1.7601 Service Pack 1 Build 7601
System Type:               x64-based PC
"""
WMIC = """wmic datafile where name="C:\\\\Windows\\\\System32\\\\drivers\\\\tcpip.sys" get version
Version
{version}
"""


def rk(state: Path, *words: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(["--state", str(state), *words], out, err, env={})
    return status, out.getvalue(), err.getvalue()


def defect(state: Path) -> list[str]:
    """The defect scenario through native commands; returns the manual routes left."""
    rk(state, "host", "add-interface", "index=11", "name=LAN", "mac=00-15-5D-01-02-03")
    rk(state, "add-address", "LAN", "192.168.0.20/24")
    rk(state, "add-route", "0.0.0.0/0", "--via", "192.168.0.1", "--persistent")
    rk(state, "add-address", "LAN", "192.168.0.21/24")
    rk(state, "delete-address", "LAN", "192.168.0.21")
    return manual_routes(state)


def manual_routes(state: Path) -> list[str]:
    return [line.split()[0] for line in rk(state, "routes")[1].splitlines() if " manual " in line]


@pytest.mark.parametrize("version, profile", [("6.1.7601.17514", "prehotfix"), ("6.1.7601.21734", "hotfix")])
def test_init_from_inventory_picks_profile_from_verdict(tmp_path, version, profile):
    (tmp_path / "systeminfo.txt").write_text(SYSTEMINFO)
    (tmp_path / "files.txt").write_text(WMIC.format(version=version))
    state = tmp_path / "s.db"
    status, out, err = rk(
        state, "host", "init", "--from-inventory", str(tmp_path / "systeminfo.txt"),
        "--from-inventory", str(tmp_path / "files.txt"),
    )  # fmt: skip
    assert status == 0, err
    assert f"(profile {profile})" in out
    assert rk(state, "host", "list")[1] == f"default\t{profile}\n"


def test_init_from_malformed_inventory_is_a_clear_error(tmp_path):
    (tmp_path / "junk.txt").write_text("hello\nworld\n")
    status, _, err = rk(tmp_path / "s.db", "host", "init", "--from-inventory", str(tmp_path / "junk.txt"))
    assert status == 1 and err.startswith("routekeeper: ") and err.count("\n") == 1
    assert rk(tmp_path / "s.db", "host", "list")[1] == ""


def test_apply_hotfix_takes_effect_only_after_reboot(tmp_path):
    state = tmp_path / "s.db"
    rk(state, "host", "init", "--profile", "prehotfix", "--os", "Windows 7", "--sp", "1", "--arch", "x64")
    assert defect(state) == []  # the defect
    rk(state, "add-address", "LAN", "192.168.0.21/24")
    assert manual_routes(state) == ["0.0.0.0/0"]
    status, out, _ = rk(state, "host", "apply-hotfix")
    assert status == 0 and "restart" in out
    rk(state, "delete-address", "LAN", "192.168.0.21")
    assert manual_routes(state) == []  # still the old stack until the restart
    status, out, _ = rk(state, "host", "reboot")
    assert "the installed hotfix took effect: profile hotfix" in out
    assert rk(state, "host", "list")[1] == "default\thotfix\n"
    rk(state, "add-address", "LAN", "192.168.0.21/24")
    rk(state, "delete-address", "LAN", "192.168.0.21")
    assert manual_routes(state) == ["0.0.0.0/0"]  # fixed
    status, _, err = rk(state, "host", "apply-hotfix")
    assert status == 1 and "already carries the fix" in err


@pytest.mark.parametrize(
    "facts, message",
    [
        (["--os", "Windows Vista", "--sp", "0"], "install the service pack first"),
        (["--os", "Windows 7", "--sp", "1", "--arch", "ia64"], "has no ia64 edition"),
        ([], "product and service pack are unknown"),
        (["--os", "Windows XP", "--sp", "3"], "not a product the hotfix applies to"),
    ],
)
def test_apply_hotfix_checks_prerequisites(tmp_path, facts, message):
    state = tmp_path / "s.db"
    assert rk(state, "host", "init", "--profile", "prehotfix", *facts)[0] == 0
    status, _, err = rk(state, "host", "apply-hotfix")
    assert status == 1 and message in err


def test_server_2008_rtm_counts_as_sp1(tmp_path):
    state = tmp_path / "s.db"
    rk(state, "host", "init", "--profile", "prehotfix", "--os", "Windows Server 2008", "--sp", "0")
    assert rk(state, "host", "apply-hotfix")[0] == 0


def test_whatif_reboot_previews_the_pending_hotfix_and_keeps_nothing(tmp_path):
    state = tmp_path / "s.db"
    rk(state, "host", "init", "--profile", "prehotfix", "--os", "Windows 7", "--sp", "1")
    defect(state)
    rk(state, "host", "apply-hotfix")
    status, out, _ = rk(state, "whatif", "host", "reboot")
    assert status == 0
    assert "the installed hotfix took effect: profile hotfix" in out
    assert "+ 0.0.0.0/0 via 192.168.0.1 on interface 11" in out
    assert rk(state, "host", "list")[1] == "default\tprehotfix\n"  # nothing kept
    status, _, err = rk(state, "whatif", "host", "init")
    assert status == 2 and "cannot preview 'host init'" in err
