"""`routekeeper --backend linux report --html`: the kept routes of a namespace as they are now.

Runs in a namespace of its own (veth pair; removed even on failure); skipped, with the reason, where
there is no root or no `ip netns`.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from routekeeper.cli import run


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    try:
        r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"iproute2 not usable: {exc}"
    return None if r.returncode == 0 else f"ip netns not usable: {r.stderr.strip()}"


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"rk-{os.getpid()}-report"
    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "add", "va0", "type", "veth", "peer", "name", "vb0")
        for dev in ("lo", "va0", "vb0"):
            ip("-n", name, "link", "set", dev, "up")
        ip("-n", name, "addr", "add", "10.0.0.2/24", "dev", "va0")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True, timeout=30)


def rk(ns: str, state: Path, *words: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(["--backend", "linux", "--netns", ns, "--state", str(state), *words], out, err, env={})
    return status, out.getvalue(), err.getvalue()


def test_linux_report_shows_active_and_waiting(netns: str, tmp_path: Path) -> None:
    state = tmp_path / "linux.db"
    assert rk(netns, state, "route", "-p", "add", "10.5.0.0", "mask", "255.255.0.0", "10.0.0.1")[0] == 0
    assert rk(netns, state, "route", "-p", "add", "10.6.0.0", "mask", "255.255.0.0", "10.0.0.1")[0] == 0
    ip("-n", netns, "route", "del", "10.6.0.0/16")  # gone from the kernel, no daemon to put it back
    ip("-n", netns, "addr", "del", "10.0.0.2/24", "dev", "va0")  # and now nothing is reachable
    page_path = tmp_path / "report.html"
    status, out, err = rk(netns, state, "report", "--html", str(page_path))
    assert (status, err) == (0, "")
    page = page_path.read_text()
    assert f"namespace {netns}" in page
    assert page.count('class="state waiting"') == 2
    assert "next hop 10.0.0.1 is on-link on no interface" in page
    assert "holds no keeper journal" in page
