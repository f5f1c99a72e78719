"""Issue 11 finding 11: the systemd unit works after `pip install`, holds minimal capabilities, stops
restarting on a bad state file, and `systemd-analyze security` rates it OK or better."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess

import pytest

UNIT = os.path.join(os.path.dirname(__file__), "..", "..", "packaging", "routekeeper-keep.service")
pytestmark = pytest.mark.no_kernel


def service() -> dict[str, str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT)
    return dict(parser["Service"])


def test_exec_start_is_found_after_pip_install() -> None:
    """A bare command name: systemd resolves it in /usr/local/bin (pip) and /usr/bin (a package)."""
    argv = service()["ExecStart"].split()
    assert argv[0] == "routekeeper" and argv[1] == "keep"


def test_capabilities_are_minimal() -> None:
    s = service()
    assert s["CapabilityBoundingSet"].split() == ["CAP_NET_ADMIN"]
    assert "AmbientCapabilities" not in s or s.get("User", "root") != "root"
    assert "78" in s["RestartPreventExitStatus"].split(), "a bad state file must not restart-loop"


def test_systemd_analyze_security_rates_it_ok() -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed: the static checks above still ran")
    r = subprocess.run([tool, "security", "--offline=true", UNIT], capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", r.stdout)
    assert m is not None, r.stdout + r.stderr
    assert m.group(2) in ("OK", "SAFE", "PERFECT"), m.group(0)
