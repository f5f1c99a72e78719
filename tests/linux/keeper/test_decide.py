"""The daemon's pure decision: feed decoded events, check the actions. No root, no kernel, no socket.

The host: loopback (1) and va0 (2, up) with 10.0.0.2/24; persistent routes 10.20.n.0/24 via
10.0.0.1 (one group, more than SMALL members: the vectorised install) and 10.90.0.0/16 via 10.1.0.1
(not on-link anywhere). The kernel holds the routes via 10.0.0.1, unless a test says otherwise.
"""

from __future__ import annotations

import errno

import pytest

from routekeeper.core.values import IP, PersistentRoute, Prefix
from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr, KLink, KRoute
from routekeeper.linux.keeper.decide import (
    Decider,
    Forgotten,
    Install,
    PromoteSecondaries,
    ReconcileAll,
    Remember,
    Repair,
    Resync,
    Tally,
    Verify,
)
from routekeeper.linux.keeper.events import (
    AddressAdded,
    AddressDeleted,
    EventsLost,
    LinkChanged,
    LinkRemoved,
    RouteDeleted,
    decode,
)
from routekeeper.linux.keeper.index import prefix_key
from routekeeper.linux.observe import PROTO_ROUTEKEEPER

pytestmark = pytest.mark.no_kernel

LO = KLink(1, "lo", codec.IFF_UP | codec.IFF_LOOPBACK, 65536, "", True)
VA0 = KLink(2, "va0", codec.IFF_UP, 1500, "02:00:00:00:00:02", True)
ADDR = KAddr(4, IP.parse("10.0.0.2").value, 24, 2, 0)
GW = IP.parse("10.0.0.1").value
FAR = IP.parse("10.1.0.1").value
COVERED = [Prefix.parse(f"10.20.{n}.0/24") for n in range(20)]
OTHER = Prefix.parse("10.90.0.0/16")


def kroute(p: Prefix, gateway: int, oif: int = 2, proto: int = PROTO_ROUTEKEEPER) -> KRoute:
    scope = codec.RT_SCOPE_LINK if gateway == 0 else codec.RT_SCOPE_UNIVERSE
    return KRoute(
        p.version,
        p.network,
        p.length,
        oif,
        gateway,
        0,
        codec.RT_TABLE_MAIN,
        proto,
        scope,
        codec.RTN_UNICAST,
        0,
        None,
    )


def decider(installed: bool = True, manage_promote: bool = False) -> Decider:
    """The host above, loaded and mirrored (its routes in the kernel when `installed`)."""
    d = Decider(None, manage_promote)
    routes = [PersistentRoute(p, IP(4, GW)) for p in COVERED] + [PersistentRoute(OTHER, IP(4, FAR))]
    d.load(routes)
    kernel = [kroute(p, GW) for p in COVERED] if installed else []
    d.mirror.replace([LO, VA0], [ADDR], kernel)
    return d


def group_via(d: Decider, gateway: int):  # type: ignore[no-untyped-def]
    return next(g for g in d.groups.values() if g.nexthop == gateway)


# ------------------------------------------------------------------------------------------ hot path
def test_address_back_installs_the_covered_group_then_remembers_the_address() -> None:
    d = decider(installed=False)
    d.on(AddressDeleted(ADDR))
    d.settle()
    actions = d.on(AddressAdded(ADDR))
    assert [type(a) for a in actions] == [Install, Remember]
    install, remember = actions
    assert isinstance(install, Install) and isinstance(remember, Remember)
    assert (install.group, install.oif, install.members) == (group_via(d, GW), 2, None)
    assert callable(install.reason)
    assert install.reason() == (
        "keeper: re-plumbed, next hop 10.0.0.1 is on-link on interface 2 (address 10.0.0.2/24 added)"
    )
    assert (remember.addr, remember.covered) == (ADDR, 1)
    assert ADDR not in d.mirror.addrs, "the mirror is updated after the send, not before"
    d.remember(ADDR)
    assert ADDR in d.mirror.addrs
    assert d.settle() == [], "nothing left for the slow path"


def test_a_flags_update_of_a_known_address_does_nothing() -> None:
    d = decider()
    assert d.on(AddressAdded(ADDR._replace(flags=0x80))) == []
    assert d.settle() == []


def test_an_address_covering_no_next_hop_is_only_remembered() -> None:
    d = decider()
    a = KAddr(4, IP.parse("192.168.7.1").value, 24, 2, 0)
    assert d.on(AddressAdded(a)) == [Remember(a, None)]
    assert d.settle() == []


def test_an_address_on_an_unknown_interface_goes_the_slow_way() -> None:
    d = decider()
    a = KAddr(4, IP.parse("10.1.0.2").value, 24, 9, 0)
    assert d.on(AddressAdded(a)) == [Remember(a, None)]
    assert d.settle() == [ReconcileAll("address 10.1.0.2/24 added")]


# ------------------------------------------------------------------------------------------ flushes
def test_last_ipv4_address_deleted_forgets_the_interface_routes_and_verifies() -> None:
    d = decider()
    g = group_via(d, GW)
    assert d.mirror.is_present(g, g.keys[0])
    assert d.on(AddressDeleted(ADDR)) == []
    assert not d.mirror.is_present(g, g.keys[0]), "the kernel flushed them, silently"
    assert d.settle() == [
        Verify(2, "address 10.0.0.2/24 deleted"),
        ReconcileAll("address 10.0.0.2/24 deleted"),
    ]
    assert d.settle() == [], "a batch is acted on once"


def test_link_set_down_verifies_and_reconciles() -> None:
    d = decider()
    assert d.on(LinkChanged(VA0._replace(flags=0))) == []
    assert not d.mirror.is_present(group_via(d, GW), group_via(d, GW).keys[0])
    assert d.settle() == [Verify(2, "interface va0 set down"), ReconcileAll("interface va0 set down")]


@pytest.mark.parametrize(
    ("old", "new", "want"),
    [
        (VA0._replace(flags=0), VA0, ReconcileAll("interface va0 set up")),
        (VA0, VA0._replace(carrier=False), None),
        (VA0._replace(carrier=False), VA0, ReconcileAll("interface va0 has carrier")),
    ],
)
def test_link_changes(old: KLink, new: KLink, want: ReconcileAll | None) -> None:
    d = decider()
    d.mirror.links[2] = old
    assert d.on(LinkChanged(new)) == []
    if want is None:  # lost carrier: re-read, then reconcile
        assert d.settle() == [
            Verify(2, "interface va0 lost carrier"),
            ReconcileAll("interface va0 lost carrier"),
        ]
    else:
        assert d.settle() == [want]


def test_new_link_promotes_secondaries_only_when_managed() -> None:
    va1 = KLink(3, "va1", codec.IFF_UP, 1500, "02:00:00:00:00:03", True)
    assert decider(manage_promote=True).on(LinkChanged(va1)) == [PromoteSecondaries()]
    d = decider()
    assert d.on(LinkChanged(va1)) == []
    assert d.settle() == [ReconcileAll("interface va1 appeared")]


def test_removed_link_is_forgotten_without_a_dump() -> None:
    d = decider()
    d.on(LinkRemoved(VA0))
    assert 2 not in d.mirror.links and d.mirror.addrs == []
    assert d.settle() == [
        Forgotten(2, "interface va0 removed"),
        ReconcileAll("interface va0 removed"),
    ], "no Verify: there is nothing to read"
    assert not d.mirror.is_present(group_via(d, GW), group_via(d, GW).keys[0])


# ------------------------------------------------------------------------------------------ repairs
def test_our_route_deleted_by_another_is_repaired() -> None:
    d = decider()
    p = COVERED[3]
    assert d.on(RouteDeleted(kroute(p, GW))) == []
    key = prefix_key(4, p.network, p.length)
    [repair] = d.settle()
    assert repair == Repair(frozenset({(4, GW, key)}), "deleted by another process")
    [install] = list(d.repair(repair.deleted, repair.why))
    assert (install.group, install.oif, install.members) == (group_via(d, GW), 2, [(p.network, p.length)])
    assert isinstance(install.reason, str) and install.reason.endswith("(deleted by another process)")


def test_a_route_not_ours_deleted_is_ignored() -> None:
    d = decider()
    assert d.on(RouteDeleted(kroute(Prefix.parse("172.16.0.0/16"), GW, proto=codec.RTPROT_BOOT))) == []
    assert d.settle() == []


def test_repairs_join_the_reconcile_of_the_same_batch() -> None:
    d = decider()
    d.on(RouteDeleted(kroute(COVERED[0], GW)))
    d.on(RouteDeleted(kroute(COVERED[1], GW)))
    d.on(LinkChanged(VA0._replace(carrier=False)))
    assert d.settle()[-1] == ReconcileAll("interface va0 lost carrier; 2 routes deleted by others")


# ------------------------------------------------------------------------------------------ lost events
def test_lost_events_turn_the_batch_into_a_resync() -> None:
    d = decider(installed=False)
    d.on(AddressDeleted(ADDR))
    d.settle()
    d.on(EventsLost())
    assert d.on(AddressAdded(ADDR)) == [Remember(ADDR, None)], "no fast path on a mirror that missed events"
    assert d.settle() == [Resync("events lost", overflowed=True)]


# ------------------------------------------------------------------------------------------ slow path
def test_reconcile_installs_what_is_reachable_and_missing() -> None:
    d = decider(installed=False)
    installs = list(d.reconcile("start"))
    assert [(i.group.nexthop, i.oif, i.members) for i in installs] == [(GW, 2, None)], (
        "10.1.0.1 is not on-link"
    )
    assert isinstance(installs[0].reason, str) and installs[0].reason.endswith("(start)")


def test_plan_sends_only_the_missing_members() -> None:
    d = decider(installed=True)
    g = group_via(d, GW)
    assert d.plan(Install(g, 2, "x")) is None, "all present: nothing to send"
    d.on(RouteDeleted(kroute(COVERED[5], GW)))
    planned = d.plan(Install(g, 2, "x"))
    assert planned is not None
    plan, _tally = planned
    assert plan.single == [(COVERED[5].network, COVERED[5].length)] and not plan.vector
    d.mirror.replace([LO, VA0], [ADDR], [])
    planned = d.plan(Install(g, 2, "x"))
    assert planned is not None and planned[0].vector and planned[0].pick is None, "a flushed big group"


def test_tally_counts_eexist_as_a_conflict_and_other_refusals_as_missing() -> None:
    tally = Tally(set())
    tally.sent([10, 11, 12], 100, {101: errno.EEXIST, 102: errno.ENETUNREACH})
    assert tally.target == {10}, "a route refused with EEXIST is not ours in the kernel"
    assert tally.done == 1
    assert tally.errors == {errno.ENETUNREACH: 1}
    assert tally.conflicts == [11]


# ------------------------------------------------------------------------------------------ decoding
def test_decode_keeps_main_table_route_deletions_only() -> None:
    p = COVERED[0]
    main = codec.encode_route(codec.RTM_DELROUTE, 4, p.network, p.length, gateway=GW, oif=2)
    local = codec.encode_route(codec.RTM_DELROUTE, 4, p.network, p.length, table=codec.RT_TABLE_LOCAL)
    added = codec.encode_route(codec.RTM_NEWROUTE, 4, p.network, p.length, gateway=GW, oif=2)
    events = list(decode(memoryview(main + local + added)))
    assert len(events) == 1 and isinstance(events[0], RouteDeleted)
    r = events[0].route
    assert (r.dst, r.dst_len, r.gateway, r.oif) == (p.network, p.length, GW, 2)
