"""The keeper daemon on a real kernel: the defect scenario and the other ways Linux drops routes.

Each test makes its own namespaces (`pair`: namespace `host` with veth va0, peer vb0 elsewhere), writes
persistent routes through the linux backend's session (as `route -p add` would), runs
`python -m routekeeper.app.keep` as a subprocess, breaks things with `ip`, and watches the kernel.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

from routekeeper.app.linux_session import session
from routekeeper.core import operations as op
from routekeeper.core.values import IP, PersistentRoute, Prefix
from routekeeper.linux import codec
from routekeeper.linux.nlsock import RtnlSocket
from routekeeper.linux.observe import PROTO_ROUTEKEEPER
from routekeeper.store.linux import LinuxRouteStore, StoredRoute

DEFAULT = "0.0.0.0/0"
SRC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "src")


def ip(ns: str, *args: str, check: bool = True) -> str:
    r = subprocess.run(["ip", "-n", ns, *args], capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError(f"ip -n {ns} {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def routes(ns: str, prefix: str, version: int = 4) -> list[codec.KRoute]:
    p = Prefix.parse(prefix)
    with RtnlSocket(ns) as s:
        return [
            r
            for r in s.routes(version=version, table=codec.RT_TABLE_MAIN)
            if r.dst == p.network and r.dst_len == p.length
        ]


def has_route(ns: str, prefix: str, version: int = 4) -> bool:
    return bool(routes(ns, prefix, version))


def wait_route(
    lab, ns: str, prefix: str, present: bool = True, timeout: float = 3.0, version: int = 4
) -> bool:  # type: ignore[no-untyped-def]
    return lab.wait_for(lambda: has_route(ns, prefix, version) == present, timeout, 0.002)


def persist(ns: str, state: str, prefix: str, nexthop: str, ifname: str | None = None) -> None:
    """`route -p add` through the backend session: stored, and installed now if reachable."""
    with session(ns, state) as host:
        ifindex = next(i.index for i in host.interfaces.values() if i.name == ifname) if ifname else None
        host.apply(op.AddRoute(Prefix.parse(prefix), IP.parse(nexthop), ifindex, persistent=True))


def start(lab, ns: str, state: str, *extra: str) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    p = lab.daemon("--netns", ns, "--state", state, "--interval", "3600", *extra)
    wait_log(p, "ready in")
    return p


_pending: dict[int, list[str]] = {}


def wait_log(p: subprocess.Popen[bytes], text: str, timeout: float = 15.0) -> str:
    """Read the daemon's stderr until a line containing `text` (returns it).

    Reads the raw pipe (os.read) and splits lines here: a buffered readline would swallow several
    lines at once and leave select() waiting for data that has already arrived."""
    assert p.stderr is not None
    fd = p.stderr.fileno()
    lines = _pending.setdefault(fd, [""])
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        while len(lines) > 1:
            line = lines.pop(0)
            seen.append(line)
            if text in line:
                return line
        if time.monotonic() >= deadline:
            break
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            chunk = os.read(fd, 65536).decode()
            if not chunk:
                break
            parts = (lines.pop() + chunk).split("\n")
            lines.extend(parts)
    raise AssertionError(f"daemon never logged {text!r}; got:\n{chr(10).join(seen)}")


# ------------------------------------------------------------------------------------------ baseline
def test_kernel_defect_without_keeper(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """The defect itself, no daemon: the flushed default route does not come back with the address."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "192.168.0.20/24", "dev", "va0")
    ip(ns, "addr", "add", "192.168.0.21/24", "dev", "va0")
    persist(ns, state_file, DEFAULT, "192.168.0.1")
    assert has_route(ns, DEFAULT)
    ip(ns, "addr", "del", "192.168.0.21/24", "dev", "va0")
    assert has_route(ns, DEFAULT), "deleting a secondary keeps the route"
    ip(ns, "addr", "del", "192.168.0.20/24", "dev", "va0")
    assert not has_route(ns, DEFAULT), "the last address going flushes it"
    ip(ns, "addr", "add", "192.168.0.20/24", "dev", "va0")
    time.sleep(0.05)
    assert not has_route(ns, DEFAULT), "and the kernel never puts it back"


# ------------------------------------------------------------------------------------------ the keeper
def test_kernel_defect_scenario_with_keeper(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "192.168.0.20/24", "dev", "va0")
    ip(ns, "addr", "add", "192.168.0.21/24", "dev", "va0")
    persist(ns, state_file, DEFAULT, "192.168.0.1")
    p = start(lab, ns, state_file)
    ip(ns, "addr", "del", "192.168.0.21/24", "dev", "va0")
    time.sleep(0.05)
    assert has_route(ns, DEFAULT)
    ip(ns, "netns", "exec", ns, "true", check=False)
    subprocess.run(
        ["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.conf.va0.promote_secondaries=0"], check=True
    )
    ip(ns, "addr", "del", "192.168.0.20/24", "dev", "va0")
    assert wait_route(lab, ns, DEFAULT, present=False)
    ip(ns, "addr", "add", "192.168.0.20/24", "dev", "va0")
    assert wait_route(lab, ns, DEFAULT), "the keeper puts the route back when .20 returns"
    (r,) = routes(ns, DEFAULT)
    assert r.proto == PROTO_ROUTEKEEPER and r.gateway == IP.parse("192.168.0.1").value
    assert "installed 0.0.0.0/0 via 192.168.0.1 dev va0" in wait_log(p, "installed 0.0.0.0/0")


def test_kernel_primary_deleted_takes_secondaries(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """promote_secondaries=0: deleting the primary deletes .21 too, the device has no address left."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "192.168.0.20/24", "dev", "va0")
    ip(ns, "addr", "add", "192.168.0.21/24", "dev", "va0")
    persist(ns, state_file, "10.9.0.0/16", "192.168.0.1")
    start(lab, ns, state_file)
    ip(ns, "addr", "del", "192.168.0.20/24", "dev", "va0")
    assert "192.168.0.21" not in ip(ns, "addr", "show", "dev", "va0")
    assert wait_route(lab, ns, "10.9.0.0/16", present=False)
    ip(ns, "addr", "add", "192.168.0.21/24", "dev", "va0")
    assert wait_route(lab, ns, "10.9.0.0/16")


def test_kernel_last_address_deleted_and_readded(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    for n in range(5):
        persist(ns, state_file, f"10.{10 + n}.0.0/16", "10.0.0.1")
    start(lab, ns, state_file)
    for _round in range(3):
        ip(ns, "addr", "del", "10.0.0.2/24", "dev", "va0")
        assert wait_route(lab, ns, "10.14.0.0/16", present=False)
        ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
        for n in range(5):
            assert wait_route(lab, ns, f"10.{10 + n}.0.0/16")


def test_kernel_link_down_up(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    lab, ns, peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    persist(ns, state_file, "10.20.0.0/16", "10.0.0.1")
    start(lab, ns, state_file)
    ip(ns, "link", "set", "va0", "down")
    assert wait_route(lab, ns, "10.20.0.0/16", present=False)
    ip(ns, "link", "set", "va0", "up")
    assert wait_route(lab, ns, "10.20.0.0/16")
    # Carrier loss keeps the route (flagged linkdown): nothing to do, nothing broken.
    ip(peer, "link", "set", "vb0", "down")
    time.sleep(0.05)
    assert has_route(ns, "10.20.0.0/16")
    ip(peer, "link", "set", "vb0", "up")


def test_kernel_prefsrc_address_deleted(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """An administrator's route with `src .21` is what holds the persistent prefix; deleting .21 makes
    the kernel delete it (with RTM_DELROUTE): the keeper installs its own copy."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.20/24", "dev", "va0")
    ip(ns, "addr", "add", "10.0.0.21/24", "dev", "va0")
    ip(ns, "route", "add", "10.30.0.0/16", "via", "10.0.0.1", "src", "10.0.0.21")
    with LinuxRouteStore(state_file, ns) as store:  # already in the kernel: stored only
        store.add(
            [StoredRoute(PersistentRoute(Prefix.parse("10.30.0.0/16"), IP.parse("10.0.0.1")), None, False)]
        )
    start(lab, ns, state_file)
    (r,) = routes(ns, "10.30.0.0/16")
    assert r.proto == codec.RTPROT_BOOT, "the keeper leaves a route that is already there alone"
    ip(ns, "addr", "del", "10.0.0.21/24", "dev", "va0")
    assert lab.wait_for(lambda: [x.proto for x in routes(ns, "10.30.0.0/16")] == [PROTO_ROUTEKEEPER], 3.0)


def test_kernel_route_deleted_by_hand_is_repaired(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    persist(ns, state_file, "10.40.0.0/16", "10.0.0.1")
    p = start(lab, ns, state_file)
    for _ in range(3):
        ip(ns, "route", "del", "10.40.0.0/16")
        assert wait_route(lab, ns, "10.40.0.0/16")
    assert "deleted by another process" in wait_log(p, "deleted by another process")


def test_kernel_foreign_routes_untouched(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Routes that are not persistent are never touched, even when they go away."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    ip(ns, "route", "add", "10.50.0.0/16", "via", "10.0.0.1")
    persist(ns, state_file, "10.51.0.0/16", "10.0.0.1")
    start(lab, ns, state_file)
    ip(ns, "route", "del", "10.50.0.0/16")
    time.sleep(0.1)
    assert not has_route(ns, "10.50.0.0/16")
    assert [r.proto for r in routes(ns, "10.51.0.0/16")] == [PROTO_ROUTEKEEPER]


def test_kernel_ipv6(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """IPv6: address deletion keeps gateway routes; admin-down removes them; up brings them back."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "2001:db8::5/64", "dev", "va0", "nodad")
    persist(ns, state_file, "2001:db8:9::/64", "2001:db8::fe")
    persist(ns, state_file, "2001:db8:a::/64", "fe80::1", ifname="va0")
    start(lab, ns, state_file)
    assert has_route(ns, "2001:db8:9::/64", 6) and has_route(ns, "2001:db8:a::/64", 6)
    ip(ns, "addr", "del", "2001:db8::5/64", "dev", "va0")
    time.sleep(0.05)
    assert has_route(ns, "2001:db8:9::/64", 6), "IPv6 keeps gateway routes when the address goes"
    ip(ns, "link", "set", "va0", "down")
    assert wait_route(lab, ns, "2001:db8:a::/64", present=False, version=6)
    ip(ns, "link", "set", "va0", "up")
    assert wait_route(lab, ns, "2001:db8:a::/64", version=6, timeout=5.0), "link-local gateway: back on up"
    assert not has_route(ns, "2001:db8:9::/64", 6), "global gateway not on-link: waits for its address"
    ip(ns, "addr", "add", "2001:db8::5/64", "dev", "va0", "nodad")
    assert wait_route(lab, ns, "2001:db8:9::/64", version=6)


def test_kernel_once_and_unreachable(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    with LinuxRouteStore(state_file, ns) as store:
        store.add(
            [
                StoredRoute(PersistentRoute(Prefix.parse("10.60.0.0/16"), IP.parse("10.0.0.1")), None, False),
                StoredRoute(PersistentRoute(Prefix.parse("10.61.0.0/16"), IP.parse("10.7.0.1")), None, False),
            ]
        )
    p = lab.daemon("--netns", ns, "--state", state_file, "--once")
    assert p.wait(timeout=20) == 0
    assert has_route(ns, "10.60.0.0/16")
    assert not has_route(ns, "10.61.0.0/16"), "next hop not on-link: waits"


def test_kernel_keep_through_the_command_line(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """`routekeeper keep` (the command line's entry, not the module's) runs the same daemon."""
    _lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    with LinuxRouteStore(state_file, ns) as store:
        store.add(
            [StoredRoute(PersistentRoute(Prefix.parse("10.62.0.0/16"), IP.parse("10.0.0.1")), None, False)]
        )
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC))
    argv = [sys.executable, "-m", "routekeeper", "keep", "--netns", ns, "--state", state_file, "--once"]
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "installed 10.62.0.0/16 via 10.0.0.1 dev va0" in r.stderr
    assert has_route(ns, "10.62.0.0/16")


def test_kernel_sighup_sigterm_and_sd_notify(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = os.path.join(os.path.dirname(state_file), "notify.sock")
    notify.bind(path)
    try:
        os.environ["NOTIFY_SOCKET"] = path
        try:
            p = start(lab, ns, state_file)
        finally:
            del os.environ["NOTIFY_SOCKET"]
        notify.settimeout(5)
        assert notify.recv(4096).startswith(b"READY=1")
        with LinuxRouteStore(state_file, ns) as store:
            store.add(
                [
                    StoredRoute(
                        PersistentRoute(Prefix.parse("10.70.0.0/16"), IP.parse("10.0.0.1")), None, False
                    )
                ]
            )
        p.send_signal(signal.SIGHUP)
        assert wait_route(lab, ns, "10.70.0.0/16")
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0
        assert has_route(ns, "10.70.0.0/16"), "routes stay when the keeper stops"
    finally:
        notify.close()


def test_kernel_session_round_trip(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """The backend session: a persistent route added, seen by a new session, deleted."""
    _lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    persist(ns, state_file, "10.80.0.0/16", "10.0.0.1")
    with session(ns, state_file) as host:
        (r,) = [r for r in host.table if str(r.prefix) == "10.80.0.0/16"]
        assert r.persistent and host.protos[r.key] == PROTO_ROUTEKEEPER
        host.apply(op.DeleteRoute(Prefix.parse("10.80.0.0/16")))
    assert not has_route(ns, "10.80.0.0/16")
    with LinuxRouteStore(state_file, ns) as store:
        assert store.load() == []


def test_kernel_session_not_permitted(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib

    from routekeeper.app.linux_session import NotPermitted

    session_module = importlib.import_module("routekeeper.app.linux_session")

    monkeypatch.setattr(session_module, "has_net_admin", lambda: False)
    with pytest.raises(NotPermitted) as info:
        with session_module.session(None, "/nonexistent/state.db"):
            pass
    assert "\n" not in str(info.value) and "CAP_NET_ADMIN" in str(info.value)
