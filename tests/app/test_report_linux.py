"""`routekeeper --backend linux report --html`: the kept routes of a namespace as they are now.

Runs in a namespace of its own (veth pair; removed even on failure); skipped, with the reason, where
there is no root or no `ip netns`.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from routekeeper.cli import run
from routekeeper.store.linux import LinuxRouteStore


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
    journal = hasattr(LinuxRouteStore, "history")
    assert ("holds no keeper journal" in page) is not journal


@pytest.mark.skipif(
    not hasattr(LinuxRouteStore, "history"), reason="this store has no keeper journal (issue 11's store)"
)
def test_linux_report_from_the_keepers_journal(netns: str, tmp_path: Path) -> None:
    """A daemon keeps a route through the defect (the last address deleted, then added back): the
    report draws the flush and the restore from the journal it wrote."""
    state = tmp_path / "linux.db"
    assert rk(netns, state, "route", "-p", "add", "10.5.0.0", "mask", "255.255.0.0", "10.0.0.1")[0] == 0
    src = Path(__file__).resolve().parents[2] / "src"
    daemon = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "routekeeper.app.keep",
            "--netns",
            netns,
            "--state",
            str(state),
            "--interval",
            "3600",
        ],
        env=dict(os.environ, PYTHONPATH=str(src)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert daemon.stderr is not None
        for line in daemon.stderr:
            if "ready in" in line:
                break
        ip("-n", netns, "addr", "del", "10.0.0.2/24", "dev", "va0")
        time.sleep(0.3)
        ip("-n", netns, "addr", "add", "10.0.0.2/24", "dev", "va0")
        deadline = time.monotonic() + 5
        while "10.5.0.0/16" not in route_show(netns) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # the journal is written after the restore
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=10)
        if daemon.stderr is not None:
            daemon.stderr.close()
    page_path = tmp_path / "report.html"
    assert rk(netns, state, "report", "--html", str(page_path))[0] == 0
    page = page_path.read_text()
    assert page.count('class="marker withdrawn"') == 1 and page.count('class="marker restored"') == 1
    assert "address 10.0.0.2/24 deleted" in page and "address 10.0.0.2/24 added" in page


def route_show(ns: str) -> str:
    return subprocess.run(["ip", "-n", ns, "route"], capture_output=True, text=True, timeout=30).stdout
