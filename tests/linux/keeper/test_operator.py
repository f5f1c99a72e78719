"""Issue 11: a keeper that never fights its operator. Each test is one numbered finding, on a real
kernel (namespaces + veth, as in test_loop), driving routekeeper through its command line as an
operator would while `routekeeper keep` runs.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

from routekeeper.core.values import IP, PersistentRoute, Prefix
from routekeeper.linux import codec
from routekeeper.linux.observe import PROTO_ROUTEKEEPER
from routekeeper.store.linux import LinuxRouteStore, StoredRoute
from tests.linux.keeper.test_loop import SRC, has_route, ip, routes, start, wait_log, wait_route


def rk(
    ns: str, state: str, *words: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`routekeeper --backend linux --netns NS --state FILE WORDS...`, this checkout's code."""
    full_env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC), **(env or {}))
    argv = [
        sys.executable,
        "-m",
        "routekeeper",
        "--backend",
        "linux",
        "--netns",
        ns,
        "--state",
        state,
        *words,
    ]
    return subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=60)


def ok(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr}"
    return r.stdout


# ------------------------------------------------------------------------------------------ finding 1
def test_kernel_delete_through_routekeeper_stays_deleted(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 1: a kept route deleted through routekeeper is gone from the kernel and stays gone."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    ok(rk(ns, state_file, "add-route", "10.90.0.0/16", "--via", "10.0.0.1", "--persistent"))
    p = start(lab, ns, state_file)
    assert has_route(ns, "10.90.0.0/16")
    ok(rk(ns, state_file, "delete-route", "10.90.0.0/16", "--via", "10.0.0.1"))
    time.sleep(0.3)
    assert not has_route(ns, "10.90.0.0/16"), "the daemon put back a route its operator deleted"
    # and a flush-and-return of the address does not bring it back either
    ip(ns, "addr", "del", "10.0.0.2/24", "dev", "va0")
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    time.sleep(0.3)
    assert not has_route(ns, "10.90.0.0/16")
    assert p.poll() is None


def test_kernel_change_metric_through_routekeeper(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 1: `change-route --metric 20` leaves exactly the metric-20 route, kept at 20."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    ok(rk(ns, state_file, "add-route", "10.91.0.0/16", "--via", "10.0.0.1", "--persistent"))
    start(lab, ns, state_file)
    ok(rk(ns, state_file, "change-route", "10.91.0.0/16", "--via", "10.0.0.1", "--metric", "20"))
    time.sleep(0.3)
    assert [r.priority for r in routes(ns, "10.91.0.0/16")] == [20]
    ip(ns, "addr", "del", "10.0.0.2/24", "dev", "va0")
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    assert wait_route(lab, ns, "10.91.0.0/16")
    time.sleep(0.1)
    assert [(r.priority, r.proto) for r in routes(ns, "10.91.0.0/16")] == [(20, PROTO_ROUTEKEEPER)]


# ------------------------------------------------------------------------------------------ finding 3
def test_kernel_route_added_while_running_is_kept_at_once(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 3: a route added through the CLI while the daemon runs is kept from that moment (the
    daemon's periodic reload is an hour away here)."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    p = start(lab, ns, state_file)
    ok(rk(ns, state_file, "add-route", "10.92.0.0/16", "--via", "10.0.0.1", "--persistent"))
    assert has_route(ns, "10.92.0.0/16")
    ip(ns, "addr", "del", "10.0.0.2/24", "dev", "va0")
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    assert wait_route(lab, ns, "10.92.0.0/16", timeout=3.0), "not restored after the flush"
    assert "reloading the store" in wait_log(p, "reloading the store")


def test_kernel_second_daemon_refused(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Two daemons keeping one state file in one namespace would fight over the control socket."""
    lab, ns, _peer = pair
    start(lab, ns, state_file)
    q = lab.daemon("--netns", ns, "--state", state_file, "--interval", "3600")
    assert q.wait(timeout=20) == 1
    assert q.stderr is not None and "another routekeeper keep" in q.stderr.read().decode()


# ------------------------------------------------------------------------------------------ finding 2
def test_kernel_keep_honours_global_options(lab, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 2: `routekeeper --backend linux --netns NS --state FILE keep` keeps FILE's routes in NS.

    The command runs inside a scratch namespace of the test's own, so "the caller's namespace" it
    must not fall back to is a throwaway one; and the default state file is pointed at a decoy."""
    ns, peer, caller = lab.netns(), lab.netns(), lab.netns()
    lab.veth(ns, "va0", peer, "vb0")
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    ok(rk(ns, state_file, "add-route", "10.93.0.0/16", "--via", "10.0.0.1", "--persistent"))
    ip(ns, "route", "del", "10.93.0.0/16")
    decoy = os.path.join(os.path.dirname(state_file), "decoy.db")
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC), ROUTEKEEPER_LINUX_STATE=decoy)
    argv = ["ip", "netns", "exec", caller, sys.executable, "-m", "routekeeper", "--backend", "linux"]
    argv += ["--netns", ns, "--state", state_file, "keep", "--once"]
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert f"from {state_file}" in r.stderr
    assert has_route(ns, "10.93.0.0/16"), "the route was not put back in the namespace given"
    assert not os.path.exists(decoy), "the default state file was opened"
    # conflicting values are refused, not one silently chosen
    r = rk(ns, state_file, "keep", "--netns", caller, "--once")
    assert r.returncode == 2 and "--netns given twice" in r.stderr
    # a namespace that does not exist: one line, exit 1, never the caller's own namespace
    for words in (
        ("keep", "--once"),
        ("add-route", "10.9.0.0/16", "--via", "10.0.0.1"),
        ("adopt", "10.9.0.0/16"),
    ):
        r = rk(f"{ns}-missing", state_file, *words)
        prog = "routekeeper keep" if words[0] == "keep" else "routekeeper"
        assert r.stderr == f"{prog}: no network namespace named '{ns}-missing'\n", words
        assert r.returncode == 1


# ------------------------------------------------------------------------------------------ finding 9
def test_kernel_bad_state_files(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 9: a corrupt file, a simulator's file and a bad row: one line naming the file (and the
    row), exit 78 for the daemon, nothing written into a file that is not ours."""
    lab, ns, _peer = pair
    directory = os.path.dirname(state_file)

    corrupt = os.path.join(directory, "corrupt.db")
    with open(corrupt, "wb") as f:
        f.write(b"this is no database" * 300)
    before = open(corrupt, "rb").read()
    q = lab.daemon("--netns", ns, "--state", corrupt, "--once")
    assert q.wait(timeout=20) == 78
    assert q.stderr is not None
    err = q.stderr.read().decode()
    assert err.count("\n") == 1 and corrupt in err and "Traceback" not in err, err
    assert open(corrupt, "rb").read() == before

    sim = os.path.join(directory, "sim.db")
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC))
    subprocess.run(
        [sys.executable, "-m", "routekeeper", "--state", sim, "host", "init", "--profile", "linux"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    before = open(sim, "rb").read()
    q = lab.daemon("--netns", ns, "--state", sim, "--once")
    assert q.wait(timeout=20) == 78
    assert q.stderr is not None and "not a routekeeper linux state file" in q.stderr.read().decode()
    r = rk(ns, sim, "add-route", "10.94.0.0/16", "--via", "10.0.0.1", "--persistent")
    assert r.returncode == 1 and sim in r.stderr and "internal error" not in r.stderr, r.stderr
    assert open(sim, "rb").read() == before, "a simulator state file was written into"
    assert not os.path.exists(sim + "-wal") or os.path.getsize(sim + "-wal") == 0

    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    ok(rk(ns, state_file, "add-route", "10.95.0.0/16", "--via", "10.0.0.1", "--persistent"))
    db = sqlite3.connect(state_file)
    db.execute("UPDATE persistent_route SET prefix = '10.95.0.0/99'")
    db.commit()
    db.close()
    q = lab.daemon("--netns", ns, "--state", state_file, "--once")
    assert q.wait(timeout=20) == 78
    assert q.stderr is not None
    err = q.stderr.read().decode()
    assert "row 1" in err and "10.95.0.0/99" in err and state_file in err and err.count("\n") == 1, err


# ------------------------------------------------------------------------------------------ status (issue 16)
def test_kernel_status_present_waiting_conflicting(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """`routekeeper status` asks the running daemon: a present route, one waiting with its reason,
    one a hand-made route holds the slot of; exit 1 while a reachable route is missing, 0 after."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    r = rk(ns, state_file, "status")
    assert r.returncode == 3 and "no routekeeper keep running" in r.stderr, r.stderr
    ok(rk(ns, state_file, "add-route", "10.97.0.0/16", "--via", "10.0.0.1", "--persistent"))
    ip(ns, "route", "add", "10.99.0.0/16", "via", "10.0.0.9")
    with LinuxRouteStore(state_file, ns) as store:  # unreachable; and a slot the operator's route holds
        store.add(
            [
                StoredRoute(PersistentRoute(Prefix.parse(p), IP.parse(nh), 0), None, False)
                for p, nh in (("10.98.0.0/16", "10.7.0.1"), ("10.99.0.0/16", "10.0.0.1"))
            ]
        )
    start(lab, ns, state_file)
    r = rk(ns, state_file, "status", "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    by_prefix = {x["prefix"]: x for x in json.loads(r.stdout)["routes"]}
    assert by_prefix["10.97.0.0/16"]["state"] == "present"
    assert by_prefix["10.97.0.0/16"]["last_restore"] is None, "installed by the command, not restored"
    waiting = by_prefix["10.98.0.0/16"]
    assert waiting["state"] == "waiting" and not waiting["reachable"]
    assert waiting["reason"] == "next hop 10.7.0.1 is not on-link on any interface that is up"
    conflict = by_prefix["10.99.0.0/16"]
    assert conflict["state"] == "conflicting" and conflict["reachable"]
    assert conflict["conflict"] == "boot via 10.0.0.9 dev va0 metric 0"
    text = rk(ns, state_file, "status").stdout
    assert "10.98.0.0/16 via 10.7.0.1 metric 0: waiting (next hop 10.7.0.1 is not on-link" in text
    assert text.endswith("3 kept routes in namespace " + ns + ": 1 conflicting, 1 present, 1 waiting\n")

    # the slot is freed: the keeper takes it at once, and status is clean (exit 0) with the restore
    ip(ns, "route", "del", "10.99.0.0/16", "via", "10.0.0.9")
    assert lab.wait_for(lambda: [x.proto for x in routes(ns, "10.99.0.0/16")] == [PROTO_ROUTEKEEPER], 3.0)
    r = rk(ns, state_file, "status", "--json")
    assert r.returncode == 0, r.stdout
    back = {x["prefix"]: x for x in json.loads(r.stdout)["routes"]}["10.99.0.0/16"]
    assert back["state"] == "present" and back["last_restore_latency_ms"] is not None
    with LinuxRouteStore(state_file, ns) as store:
        kinds = [kind for _at, _prefix, kind, _detail in store.history("10.99.0.0/16")]
    assert kinds == ["conflict", "restored"], "the conflict journalled once, then the route taken back"

    # a flush: the route waits, reachable again once the address is back
    ip(ns, "link", "set", "va0", "down")
    assert wait_route(lab, ns, "10.97.0.0/16", present=False)
    r = rk(ns, state_file, "status", "--json")
    down = {x["prefix"]: x for x in json.loads(r.stdout)["routes"]}["10.97.0.0/16"]
    assert down["state"] == "waiting" and not down["reachable"], down
    assert r.returncode == 0, "an unreachable next hop is no fault"


def test_kernel_why_and_log_on_the_linux_backend(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 9: `why` and `log` read the keeper's journal: added by a command, flushed, restored
    (with the reason), deleted by a command; `why` adds what the running daemon says now."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    ok(rk(ns, state_file, "add-route", "10.88.0.0/16", "--via", "10.0.0.1", "--persistent"))
    start(lab, ns, state_file)
    ip(ns, "addr", "del", "10.0.0.2/24", "dev", "va0")
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    assert wait_route(lab, ns, "10.88.0.0/16")
    assert lab.wait_for(lambda: "restored" in rk(ns, state_file, "log", "10.88.0.0/16").stdout, 3.0)
    text = ok(rk(ns, state_file, "why", "10.88.0.0/16"))
    lines = text.splitlines()
    assert lines[0] == "10.88.0.0/16 via 10.0.0.1 metric 0: persistent"
    assert lines[1].startswith("now: 10.88.0.0/16 via 10.0.0.1 metric 0: present (in the kernel)")
    kinds = [line.split()[1] for line in lines[2:]]
    assert kinds == ["kept:", "flushed:", "restored:"], text
    assert "address 10.0.0.2/24 deleted" in lines[3] and "address 10.0.0.2/24 added" in lines[4]
    events = json.loads(ok(rk(ns, state_file, "log", "10.88.0.0/16", "--json")))["events"]
    assert [e["kind"] for e in events] == ["kept", "flushed", "restored"]
    why = json.loads(ok(rk(ns, state_file, "why", "10.88.0.0/16", "--json")))
    assert why["kept"][0]["nexthop"] == "10.0.0.1" and why["now"][0]["state"] == "present"
    ok(rk(ns, state_file, "delete-route", "10.88.0.0/16", "--via", "10.0.0.1"))
    log = ok(rk(ns, state_file, "log"))
    assert log.splitlines()[-1].split()[1:3] == ["released:", "10.88.0.0/16:"], log


# ------------------------------------------------------------------------------------------ finding 10
def test_kernel_journald_priorities_and_flush_lines(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 10: under systemd ($JOURNAL_STREAM names stderr) each line carries its syslog priority;
    a flush is one warning line naming the route and the cause, the restore one info line."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    ok(rk(ns, state_file, "add-route", "10.87.0.0/16", "--via", "10.0.0.1", "--persistent"))
    r, w = os.pipe()
    st = os.fstat(w)
    os.environ["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    try:
        p = lab.daemon("--netns", ns, "--state", state_file, "--interval", "3600", stderr=w)
    finally:
        del os.environ["JOURNAL_STREAM"]
        os.close(w)
    p.stderr = os.fdopen(r, "rb")  # read by wait_log; closed with the lab
    assert wait_log(p, "ready in").startswith("<6>")
    ip(ns, "link", "set", "va0", "down")
    line = wait_log(p, "flushed 10.87.0.0/16")
    assert line == "<4>flushed 10.87.0.0/16 dev va0: interface va0 set down", line
    ip(ns, "link", "set", "va0", "up")
    assert wait_log(p, "installed 10.87.0.0/16").startswith("<6>installed 10.87.0.0/16 via 10.0.0.1 dev va0")


# ------------------------------------------------------------------------------------------ finding 4
def test_kernel_binding_follows_the_interface_name(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 4: a route bound to va0 waits (saying so) while no va0 exists, and comes back on the
    new va0 (a new ifindex) as soon as it is up with its address; no SIGHUP, no restart."""
    lab, ns, peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    ok(
        rk(
            ns,
            state_file,
            "add-route",
            "10.86.0.0/16",
            "--via",
            "10.0.0.1",
            "--interface",
            "va0",
            "--persistent",
        )
    )
    start(lab, ns, state_file)
    old_index = routes(ns, "10.86.0.0/16")[0].oif
    ip(ns, "link", "del", "va0")
    r = rk(ns, state_file, "status", "--json")
    assert r.stdout, r.stderr
    (st,) = json.loads(r.stdout)["routes"]
    assert st["state"] == "waiting" and st["reason"] == "interface va0 does not exist", st
    assert st["interface"] == "va0"
    ip(ns, "link", "add", "va0", "type", "veth", "peer", "name", "vb0", "netns", peer)
    ip(peer, "link", "set", "vb0", "up")
    ip(ns, "link", "set", "va0", "up")
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    assert wait_route(lab, ns, "10.86.0.0/16", timeout=3.0), "not restored on the new va0"
    (back,) = routes(ns, "10.86.0.0/16")
    assert back.oif != old_index and back.proto == PROTO_ROUTEKEEPER
    # renamed away: the route bound to the name va0 waits; renamed back: it returns
    ip(ns, "link", "set", "va0", "down")
    ip(ns, "link", "set", "va0", "name", "wan0")
    ip(ns, "link", "set", "wan0", "up")
    ip(ns, "addr", "add", "10.0.0.3/24", "dev", "wan0")
    time.sleep(0.3)
    assert not has_route(ns, "10.86.0.0/16"), "a route bound to va0 went onto wan0"
    ip(ns, "link", "set", "wan0", "down")
    ip(ns, "link", "set", "wan0", "name", "va0")
    ip(ns, "link", "set", "va0", "up")
    assert wait_route(lab, ns, "10.86.0.0/16", timeout=3.0), "not restored after the rename back"


# ------------------------------------------------------------------------------------------ finding 6
def test_kernel_link_local_next_hop_needs_its_interface(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 6: an unbound link-local next hop is refused by the command line with a clear message,
    and one already stored unbound is never placed on some link: it waits, saying why."""
    lab, ns, peer = pair
    lab.veth(ns, "va1", peer, "vb1")
    r = rk(ns, state_file, "add-route", "2001:db8:77::/64", "--via", "fe80::1", "--persistent")
    assert r.returncode == 1 and "fe80::1" in r.stderr and "interface" in r.stderr, r.stderr
    assert not has_route(ns, "2001:db8:77::/64", 6)
    with LinuxRouteStore(state_file, ns) as store:
        assert store.load() == [], "nothing stored"
        store.add(
            [
                StoredRoute(
                    PersistentRoute(Prefix.parse("2001:db8:77::/64"), IP.parse("fe80::1"), 0), None, False
                )
            ]
        )
    start(lab, ns, state_file)
    time.sleep(0.2)
    assert not has_route(ns, "2001:db8:77::/64", 6), "placed on an arbitrary link"
    (st,) = json.loads(rk(ns, state_file, "status", "--json").stdout)["routes"]
    assert st["state"] == "waiting" and "needs an interface" in st["reason"], st
    ok(
        rk(
            ns,
            state_file,
            "add-route",
            "2001:db8:78::/64",
            "--via",
            "fe80::1",
            "--interface",
            "va1",
            "--persistent",
        )
    )
    assert [r.oif for r in routes(ns, "2001:db8:78::/64", 6)] == [
        int(ip(ns, "-o", "link", "show", "va1").split(":")[0])
    ]


# ------------------------------------------------------------------------------------------ finding 8
def test_kernel_adopt_and_release(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 8: a route made by hand is taken under the keeper's care as it is (never removed),
    restored after a flush; released, it stays in the kernel and is no longer restored."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    ip(ns, "route", "add", "10.85.0.0/16", "via", "10.0.0.1", "metric", "7")
    ip(ns, "route", "add", "10.84.0.0/16", "via", "10.0.0.1", "src", "10.0.0.2")
    start(lab, ns, state_file)
    out = ok(rk(ns, state_file, "adopt", "10.85.0.0/16"))
    assert out == (
        "adopted: 10.85.0.0/16 boot via 10.0.0.1 dev va0 metric 7: kept from now on;"
        " the route stays as it is\n"
    )
    assert [(r.proto, r.priority) for r in routes(ns, "10.85.0.0/16")] == [(codec.RTPROT_BOOT, 7)]
    r = rk(ns, state_file, "adopt", "10.85.0.0/16")
    assert r.returncode == 1 and "already kept" in r.stderr
    r = rk(ns, state_file, "adopt", "10.83.0.0/16")
    assert r.returncode == 1 and "no route 10.83.0.0/16" in r.stderr
    r = rk(ns, state_file, "adopt", "10.84.0.0/16")
    assert r.returncode == 1 and "cannot restore yet" in r.stderr, "src would be lost on restore"
    (st,) = json.loads(rk(ns, state_file, "status", "--json").stdout)["routes"]
    assert st["state"] == "present" and st["metric"] == 7

    ip(ns, "addr", "del", "10.0.0.2/24", "dev", "va0")
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    assert wait_route(lab, ns, "10.85.0.0/16")
    assert [(r.proto, r.priority) for r in routes(ns, "10.85.0.0/16")] == [(PROTO_ROUTEKEEPER, 7)]

    assert ok(rk(ns, state_file, "release", "10.85.0.0/16")).startswith("released: 10.85.0.0/16 via 10.0.0.1")
    assert has_route(ns, "10.85.0.0/16"), "release leaves the route in the kernel"
    ip(ns, "addr", "del", "10.0.0.2/24", "dev", "va0")
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    time.sleep(0.3)
    assert not has_route(ns, "10.85.0.0/16"), "a released route is no longer kept"
    r = rk(ns, state_file, "release", "10.85.0.0/16")
    assert r.returncode == 1 and "is not kept" in r.stderr


# ------------------------------------------------------------------------------------------ finding 7
def test_kernel_replaced_by_another_daemon_then_withdrawn(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 7: another daemon replaces our route (NLM_F_REPLACE at equal metric, as FRR's zebra
    does) and later withdraws it: the keeper puts its route back at once, not at its next sync."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    ok(rk(ns, state_file, "add-route", "10.82.0.0/16", "--via", "10.0.0.1", "--persistent"))
    start(lab, ns, state_file)
    ip(ns, "route", "replace", "10.82.0.0/16", "via", "10.0.0.9", "proto", "186")
    assert [r.proto for r in routes(ns, "10.82.0.0/16")] == [186]
    ip(ns, "route", "del", "10.82.0.0/16", "proto", "186")
    assert lab.wait_for(lambda: [r.proto for r in routes(ns, "10.82.0.0/16")] == [PROTO_ROUTEKEEPER], 3.0)


def test_kernel_address_with_a_second_prefix_length(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 7: addresses are tracked by IP and prefix length: 10.0.0.2/16 beside 10.0.0.2/24
    makes 10.0.5.1 on-link, and the route through it goes in at once."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    with LinuxRouteStore(state_file, ns) as store:
        store.add(
            [StoredRoute(PersistentRoute(Prefix.parse("10.81.0.0/16"), IP.parse("10.0.5.1"), 0), None, False)]
        )
    p = start(lab, ns, state_file)
    assert not has_route(ns, "10.81.0.0/16")
    ip(ns, "addr", "add", "10.0.0.2/16", "dev", "va0")
    assert wait_route(lab, ns, "10.81.0.0/16", timeout=3.0)
    ip(ns, "addr", "del", "10.0.0.2/16", "dev", "va0")
    ip(ns, "addr", "del", "10.0.0.2/24", "dev", "va0")
    assert wait_route(lab, ns, "10.81.0.0/16", present=False)
    assert p.poll() is None


# ------------------------------------------------------------------------------------------ finding 5
def test_kernel_src_and_onlink_are_kept(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """Finding 5 (src, onlink): both are stored and come back with the route after a flush; a route
    whose source is not local waits, saying so."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    ip(ns, "addr", "add", "10.0.0.21/24", "dev", "va0")
    ok(
        rk(
            ns,
            state_file,
            "add-route",
            "10.78.0.0/16",
            "--via",
            "10.0.0.1",
            "--src",
            "10.0.0.21",
            "--persistent",
        )
    )
    ok(
        rk(
            ns, state_file, "add-route", "10.77.0.0/16", "--via", "192.168.99.1", "--interface", "va0",
            "--onlink", "--persistent",
        )
    )  # fmt: skip
    with LinuxRouteStore(state_file, ns) as store:
        attrs = {str(s.route.prefix): (str(s.prefsrc), s.onlink) for s in store.load()}
    assert attrs == {"10.78.0.0/16": ("10.0.0.21", False), "10.77.0.0/16": ("None", True)}
    start(lab, ns, state_file)
    ip(ns, "link", "set", "va0", "down")
    assert wait_route(lab, ns, "10.78.0.0/16", present=False) and not has_route(ns, "10.77.0.0/16")
    ip(ns, "link", "set", "va0", "up")
    assert wait_route(lab, ns, "10.77.0.0/16", timeout=3.0), "the onlink route never came back"
    (onlink,) = routes(ns, "10.77.0.0/16")
    assert onlink.flags & codec.RTNH_F_ONLINK and onlink.proto == PROTO_ROUTEKEEPER
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0", check=False)  # addresses went with the link
    ip(ns, "addr", "add", "10.0.0.21/24", "dev", "va0", check=False)
    assert wait_route(lab, ns, "10.78.0.0/16", timeout=3.0)
    (src,) = routes(ns, "10.78.0.0/16")
    assert src.prefsrc == IP.parse("10.0.0.21").value, "restored without its src"

    ip(ns, "addr", "del", "10.0.0.21/24", "dev", "va0")  # the kernel deletes the src route itself
    assert wait_route(lab, ns, "10.78.0.0/16", present=False)
    time.sleep(0.2)
    assert not has_route(ns, "10.78.0.0/16"), "put back without its source"
    st = {x["prefix"]: x for x in json.loads(rk(ns, state_file, "status", "--json").stdout)["routes"]}
    assert st["10.78.0.0/16"]["reason"] == "its source 10.0.0.21 is not an address of this host"
    ip(ns, "addr", "add", "10.0.0.21/24", "dev", "va0")
    assert wait_route(lab, ns, "10.78.0.0/16", timeout=3.0)
