"""Kernel tests: real network namespaces joined by veth pairs, always removed, even on failure.

Every namespace is named `rk-<pid>-<n>` so parallel runs never collide and a leftover is easy to
trace. Nothing here touches the host's own interfaces, addresses or routes, and no traffic leaves
the namespaces the tests make. Kernel tests skip (with the reason printed) only when not root or
without network namespace support; tests marked `no_kernel` (pure decisions and encoders, fed
values) always run.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator

import pytest

_counter = itertools.count()
SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "kernel tests need root (CAP_NET_ADMIN and CAP_SYS_ADMIN for network namespaces)"
    if not os.path.exists("/proc/self/ns/net"):
        return "no network namespace support in this kernel"
    try:
        r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"iproute2 not usable: {exc}"
    if r.returncode != 0:
        return f"ip netns not usable: {r.stderr.strip()}"
    return None


SKIP = _skip_reason()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "no_kernel: a test under tests/linux that needs no root and no kernel")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SKIP is None:
        return
    print(f"\nkernel tests skipped: {SKIP}", file=sys.stderr)
    marker = pytest.mark.skip(reason=SKIP)
    for item in items:
        if "tests/linux" in str(item.fspath).replace(os.sep, "/") and not item.get_closest_marker(
            "no_kernel"
        ):
            item.add_marker(marker)


def sh(*args: str, check: bool = True, ns: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, inside namespace `ns` when given (`ip -n` for ip, `ip netns exec` otherwise)."""
    argv = list(args)
    if ns is not None:
        argv = ["ip", "-n", ns, *argv[1:]] if argv[0] == "ip" else ["ip", "netns", "exec", ns, *argv]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r


class Lab:
    """Namespaces, veth pairs and daemons made by one test, all removed by `close()`."""

    def __init__(self) -> None:
        self.namespaces: list[str] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self.tmp_files: list[str] = []

    def netns(self) -> str:
        """A fresh namespace with lo up and DAD off (addresses usable at once, deterministic)."""
        name = f"rk-{os.getpid()}-{next(_counter)}"
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "link", "set", "lo", "up", ns=name)
        for conf in ("all", "default"):
            sh("sysctl", "-qw", f"net.ipv6.conf.{conf}.accept_dad=0", ns=name)
        return name

    def veth(self, ns: str, name: str, peer_ns: str, peer: str, up: bool = True) -> None:
        sh("ip", "-n", ns, "link", "add", name, "type", "veth", "peer", "name", peer, "netns", peer_ns)
        if up:
            sh("ip", "-n", peer_ns, "link", "set", peer, "up")
            self.up(ns, name)

    def up(self, ns: str, dev: str) -> None:
        """Bring `dev` up and wait for IPv6 to be ready (link-local present)."""
        sh("ip", "-n", ns, "link", "set", dev, "up")
        self.wait_for(lambda: "inet6 fe80" in sh("ip", "-n", ns, "addr", "show", "dev", dev).stdout, 3.0)

    @staticmethod
    def wait_for(predicate: Callable[[], object], timeout: float = 2.0, interval: float = 0.005) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(interval)
        return bool(predicate())

    def daemon(self, *args: str, stderr: int | None = None) -> subprocess.Popen[bytes]:
        env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC), PYTHONUNBUFFERED="1")
        p = subprocess.Popen(
            [sys.executable, "-m", "routekeeper.app.keep", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr if stderr is not None else subprocess.PIPE,
        )
        self.processes.append(p)
        return p

    def close(self) -> None:
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait(timeout=10)
            for stream in (p.stderr, p.stdout):
                if stream is not None:
                    stream.close()
        for name in self.namespaces:
            sh("ip", "netns", "del", name, check=False)
        for path in self.tmp_files:
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.unlink(path + suffix)
                except FileNotFoundError:
                    pass


@pytest.fixture
def lab() -> Iterator[Lab]:
    the_lab = Lab()
    try:
        yield the_lab
    finally:
        the_lab.close()


@pytest.fixture
def pair(lab: Lab) -> tuple[Lab, str, str]:
    """Namespace `host` with veth `va0` whose peer `vb0` lives in namespace `peer`; both up."""
    host, peer = lab.netns(), lab.netns()
    lab.veth(host, "va0", peer, "vb0")
    return lab, host, peer


@pytest.fixture
def state_file(lab: Lab) -> Iterator[str]:
    """A state file in a directory of our own: pytest prunes old basetemp directories when other
    pytest runs start, which must not pull a store from under a running daemon."""
    directory = tempfile.mkdtemp(prefix=f"rk-kernel-{os.getpid()}-")
    path = os.path.join(directory, "state.db")
    try:
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)
