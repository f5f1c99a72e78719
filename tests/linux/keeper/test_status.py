"""`status.snapshot` and the ledger, fed values (no kernel): each state, its reason, since when."""

from __future__ import annotations

import pytest

from routekeeper.core.values import IP, PersistentRoute, Prefix
from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr, KLink, KRoute
from routekeeper.linux.keeper.decide import Decider
from routekeeper.linux.keeper.ledger import Ledger, Loss, Restore
from routekeeper.linux.keeper.status import snapshot

pytestmark = pytest.mark.no_kernel

LO = KLink(1, "lo", codec.IFF_UP | codec.IFF_LOOPBACK, 65536, "", True)
VA0 = KLink(2, "va0", codec.IFF_UP, 1500, "02:00:00:00:00:02", True)
ADDR = KAddr(4, IP.parse("10.0.0.2").value, 24, 2, 0)


def kroute(prefix: str, gateway: str, proto: int, metric: int = 0) -> KRoute:
    p = Prefix.parse(prefix)
    return KRoute(4, p.network, p.length, 2, IP.parse(gateway).value, metric, codec.RT_TABLE_MAIN, proto,
                  codec.RT_SCOPE_UNIVERSE, codec.RTN_UNICAST, 0, None)  # fmt: skip


def test_each_state_with_its_reason_and_times() -> None:
    d = Decider(None, False)
    wanted = {
        "10.1.0.0/16": "10.0.0.1",  # present (ours)
        "10.2.0.0/16": "10.0.0.1",  # present (someone's identical copy)
        "10.3.0.0/16": "10.0.0.1",  # conflicting
        "10.4.0.0/16": "10.7.0.1",  # waiting, unreachable
        "10.5.0.0/16": "10.0.0.1",  # waiting though reachable: flushed, a restore is due
    }
    d.load([PersistentRoute(Prefix.parse(p), IP.parse(nh), 0) for p, nh in wanted.items()])
    d.mirror.replace([LO, VA0], [ADDR], [])
    (g,) = [g for g in d.groups.values() if g.nexthop == IP.parse("10.0.0.1").value]
    ledger = Ledger(started=100.0)
    ledger.restored(g, None, Restore(200.0, 0.003, 2, "address back"))
    ledger.lost(2, Loss(300.0, "interface va0 set down"))
    kernel = [
        kroute("10.1.0.0/16", "10.0.0.1", 199),
        kroute("10.2.0.0/16", "10.0.0.1", codec.RTPROT_BOOT),
        kroute("10.3.0.0/16", "10.0.0.9", codec.RTPROT_BOOT),
        kroute("10.5.0.0/16", "10.0.0.9", codec.RTPROT_BOOT, metric=5),  # another metric: no conflict
    ]
    found = {
        s.prefix: s for s in snapshot(d.groups.values(), kernel, d.mirror.view(), d.mirror.links, ledger)
    }
    assert found["10.1.0.0/16"].state == "present" and found["10.1.0.0/16"].reason == "in the kernel"
    assert found["10.1.0.0/16"].since == 200.0 and found["10.1.0.0/16"].last_restore_latency_ms == 3.0
    assert found["10.2.0.0/16"].reason == "in the kernel (boot via 10.0.0.1 dev va0 metric 0)"
    c = found["10.3.0.0/16"]
    assert (c.state, c.conflict, c.reachable) == ("conflicting", "boot via 10.0.0.9 dev va0 metric 0", True)
    w = found["10.4.0.0/16"]
    assert (w.state, w.reachable, w.since) == ("waiting", False, 100.0)
    assert w.reason == "next hop 10.7.0.1 is not on-link on any interface that is up"
    due = found["10.5.0.0/16"]
    assert (due.state, due.reachable, due.since) == ("waiting", True, 300.0)
    assert due.reason == "a restore is due; flushed: interface va0 set down"
    ledger.refuse(g, 301.0, "Invalid argument")
    again = snapshot(d.groups.values(), kernel, d.mirror.view(), d.mirror.links, ledger)
    assert {s.prefix: s for s in again}["10.5.0.0/16"].reason.startswith(
        "the kernel refused it: Invalid argument"
    )


def test_unresolved_interface_names_are_named() -> None:
    d = Decider(None, False)
    d.load([PersistentRoute(Prefix.parse("10.6.0.0/16"), IP.parse("10.0.0.1"), 0, -1)])
    d.mirror.replace([LO, VA0], [ADDR], [])
    (s,) = snapshot(
        d.groups.values(),
        [],
        d.mirror.view(),
        d.mirror.links,
        Ledger(),
        {-1: "interface wan0 does not exist"},
    )
    assert (s.state, s.interface, s.reason) == ("waiting", "wan0", "interface wan0 does not exist")
