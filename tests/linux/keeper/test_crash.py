"""Crash and restart: `kill -9` the daemon in the middle of a bulk reconcile, start it again, and
find every persistent route in the kernel exactly once (no duplicate, none missing).

Nothing needs recovering by design: the kernel is the state, routes are added with NLM_F_EXCL, and a
restarted keeper reads what is there before adding what is missing.
"""

from __future__ import annotations

import collections
import signal
import subprocess
import time

from routekeeper.core.values import IP, PersistentRoute, Prefix
from routekeeper.linux.nlsock import RtnlSocket
from routekeeper.linux.observe import PROTO_ROUTEKEEPER
from routekeeper.store.linux import LinuxRouteStore, StoredRoute

N = 60_000


def ours(ns: str) -> collections.Counter[tuple[int, int]]:
    with RtnlSocket(ns) as s:
        return collections.Counter(
            (r.dst, r.dst_len) for r in s.routes(version=4, table=254) if r.proto == PROTO_ROUTEKEEPER
        )


def fill_store(state: str, ns: str) -> set[tuple[int, int]]:
    gw = IP.parse("10.0.0.1")
    wanted = {((11 << 24) + (n << 8), 24) for n in range(N)}
    with LinuxRouteStore(state, ns) as store:
        store.add(
            StoredRoute(PersistentRoute(Prefix(4, net, length), gw), None, False) for net, length in wanted
        )
    return wanted


def kill_when(lab, ns: str, p: subprocess.Popen[bytes], low: int) -> int:  # type: ignore[no-untyped-def]
    """SIGKILL the daemon as soon as it has installed at least `low` routes; returns how many it had."""
    seen = 0

    def started() -> bool:
        nonlocal seen
        seen = sum(ours(ns).values())
        return seen >= low or p.poll() is not None

    assert lab.wait_for(started, 30.0, 0.001)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    return seen


def test_kernel_kill_9_mid_reconcile_and_restart(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    lab, ns, _peer = pair
    subprocess.run(["ip", "-n", ns, "addr", "add", "10.0.0.2/24", "dev", "va0"], check=True)
    wanted = fill_store(state_file, ns)
    p = lab.daemon("--netns", ns, "--state", state_file, "--interval", "3600")
    kill_when(lab, ns, p, 1)
    after_kill = ours(ns)
    assert 0 < sum(after_kill.values()) < N, "killed mid-reconcile (some routes in, not all)"
    assert p.returncode == -signal.SIGKILL
    p2 = lab.daemon("--netns", ns, "--state", state_file, "--once")
    assert p2.wait(timeout=60) == 0
    got = ours(ns)
    assert set(got) == wanted, f"missing {len(wanted - set(got))}, unexpected {len(set(got) - wanted)}"
    assert max(got.values()) == 1, "no duplicates"


def test_kernel_kill_9_mid_reinstall_after_flush(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """The same during the event-driven path: the address goes (flush), comes back, the keeper is
    killed while re-installing, a new keeper finishes the job."""
    lab, ns, _peer = pair
    subprocess.run(["ip", "-n", ns, "addr", "add", "10.0.0.2/24", "dev", "va0"], check=True)
    wanted = fill_store(state_file, ns)
    p = lab.daemon("--netns", ns, "--state", state_file, "--interval", "3600")
    assert lab.wait_for(lambda: sum(ours(ns).values()) == N, 60.0, 0.05)
    time.sleep(0.1)  # let it reach its event loop
    subprocess.run(["ip", "-n", ns, "addr", "del", "10.0.0.2/24", "dev", "va0"], check=True)
    assert lab.wait_for(lambda: not ours(ns), 10.0)
    subprocess.run(["ip", "-n", ns, "addr", "add", "10.0.0.2/24", "dev", "va0"], check=True)
    kill_when(lab, ns, p, 1)
    assert sum(ours(ns).values()) < N
    p2 = lab.daemon("--netns", ns, "--state", state_file, "--interval", "3600")
    assert lab.wait_for(lambda: set(ours(ns)) == wanted, 60.0, 0.05)
    got = ours(ns)
    assert max(got.values()) == 1
    p2.send_signal(signal.SIGTERM)
    assert p2.wait(timeout=10) == 0
