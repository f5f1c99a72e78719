"""One named test per rule of spec/windows.md §1-2 (the hotfix and prehotfix profiles)."""

from __future__ import annotations

import pytest

from routekeeper.core import operations as op
from routekeeper.core.events import Kind
from routekeeper.core.host import Host
from routekeeper.core.operations import RefusalCode, Refused
from routekeeper.core.values import IP, AddressStore, Interface, Origin, Prefix, link_speed_metric

ip, pfx = IP.parse, Prefix.parse
DEFAULT = pfx("0.0.0.0/0")


def manual(host: Host) -> set[tuple[str, int, str]]:
    return {(str(r.prefix), r.ifindex, str(r.nexthop)) for r in host.table if r.manual}


def system(host: Host, ifindex: int) -> set[str]:
    return {str(r.prefix) for r in host.table.on_interface(ifindex) if not r.manual}


def scenario(host: Host) -> None:
    """The defect report: .20, a persistent default route via .1, then .21 added and deleted."""
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("192.168.0.1"), persistent=True))
    host.apply(op.AddAddress(11, ip("192.168.0.21"), 24))
    host.apply(op.DeleteAddress(11, ip("192.168.0.21")))


# ---------------------------------------------------------------- §1 the defect and its fix
def test_defect_scenario_hotfix_keeps_default_route(make_host):
    host = make_host("hotfix")
    scenario(host)
    assert ("0.0.0.0/0", 11, "192.168.0.1") in manual(host)


def test_defect_scenario_prehotfix_withdraws_but_keeps_persistent(make_host):
    host = make_host("prehotfix")
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("192.168.0.1"), persistent=True))
    host.apply(op.AddAddress(11, ip("192.168.0.21"), 24))
    events = host.apply(op.DeleteAddress(11, ip("192.168.0.21")))
    assert manual(host) == set()
    assert [p.prefix for p in host.persistent.values()] == [DEFAULT]
    withdrawn = [e for e in events if e.kind is Kind.ROUTE_WITHDRAWN]
    assert len(withdrawn) == 1 and "192.168.0.21" in withdrawn[0].reason


def test_prehotfix_withdraws_unbound_routes_even_with_reachable_next_hop(make_host):
    host = make_host("prehotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    host.apply(op.AddAddress(11, ip("10.1.0.5"), 24))
    host.apply(op.AddRoute(pfx("172.16.0.0/12"), ip("10.0.0.1"), persistent=True))
    host.apply(op.DeleteAddress(11, ip("10.1.0.5")))  # unrelated subnet
    assert host.reachable(ip("10.0.0.1"), 11)
    assert manual(host) == set()


def test_prehotfix_only_touches_the_interface_that_lost_an_address(make_host):
    host = make_host("prehotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    host.apply(op.AddAddress(11, ip("10.0.9.5"), 24))
    host.apply(op.AddAddress(12, ip("10.2.0.5"), 24))
    host.apply(op.AddRoute(pfx("172.16.0.0/12"), ip("10.2.0.1"), persistent=True))
    host.apply(op.DeleteAddress(11, ip("10.0.9.5")))
    assert manual(host) == {("172.16.0.0/12", 12, "10.2.0.1")}


def test_prehotfix_address_add_replumbs_persistent_routes(make_host):
    host = make_host("prehotfix")
    scenario(host)
    events = host.apply(op.AddAddress(11, ip("192.168.0.22"), 24))
    assert ("0.0.0.0/0", 11, "192.168.0.1") in manual(host)
    assert any(e.kind is Kind.ROUTE_RESTORED for e in events)


def test_prehotfix_loses_active_only_routes(make_host):
    host = make_host("prehotfix")
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    host.apply(op.AddRoute(pfx("10.0.0.0/8"), ip("192.168.0.1")))
    host.apply(op.AddAddress(11, ip("192.168.0.21"), 24))
    host.apply(op.DeleteAddress(11, ip("192.168.0.21")))
    host.apply(op.AddAddress(11, ip("192.168.0.22"), 24))
    assert manual(host) == set()
    assert not host.held


def test_prehotfix_bound_route_survives_documented_workaround(make_host):
    host = make_host("prehotfix")
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("192.168.0.1"), ifindex=11, persistent=True))
    host.apply(op.AddAddress(11, ip("192.168.0.21"), 24))
    host.apply(op.DeleteAddress(11, ip("192.168.0.21")))
    assert ("0.0.0.0/0", 11, "192.168.0.1") in manual(host)


def test_hotfix_delete_removes_only_the_address_host_route(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    host.apply(op.AddAddress(11, ip("192.168.0.21"), 24))
    host.apply(op.DeleteAddress(11, ip("192.168.0.21")))
    assert "192.168.0.21/32" not in system(host, 11)
    assert {"192.168.0.0/24", "192.168.0.20/32", "192.168.0.255/32"} <= system(host, 11)


def test_hotfix_withdraws_route_whose_next_hop_left_and_restores_it(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("192.168.0.1"), persistent=True))
    events = host.apply(op.DeleteAddress(11, ip("192.168.0.20")))
    withdrawn = [e for e in events if e.kind is Kind.ROUTE_WITHDRAWN]
    assert withdrawn[0].reason == "next hop 192.168.0.1 no longer on-link on interface 11"
    assert manual(host) == set() and len(host.persistent) == 1
    host.apply(op.AddAddress(11, ip("192.168.0.30"), 24))
    assert manual(host) == {("0.0.0.0/0", 11, "192.168.0.1")}


def test_hotfix_restores_active_only_route_until_reboot(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    host.apply(op.AddRoute(pfx("10.0.0.0/8"), ip("192.168.0.1")))
    host.apply(op.DeleteAddress(11, ip("192.168.0.20")))
    assert len(host.held) == 1
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    assert manual(host) == {("10.0.0.0/8", 11, "192.168.0.1")}
    host.apply(op.DeleteAddress(11, ip("192.168.0.20")))
    host.apply(op.Reboot())
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    assert manual(host) == set()


def test_hotfix_keeps_route_when_another_address_still_covers_next_hop(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 16))
    host.apply(op.AddAddress(11, ip("10.0.1.5"), 24))
    host.apply(op.AddRoute(pfx("172.16.0.0/12"), ip("10.0.1.1"), persistent=True))
    host.apply(op.DeleteAddress(11, ip("10.0.1.5")))
    assert ("172.16.0.0/12", 11, "10.0.1.1") in manual(host)


# ---------------------------------------------------------------- §2 stores, routes, addresses
def test_route_key_is_prefix_interface_next_hop(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    host.apply(op.AddAddress(12, ip("10.1.0.5"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1")))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.2")))
    host.apply(op.AddRoute(DEFAULT, ip("10.1.0.1")))
    assert len(manual(host)) == 3
    with pytest.raises(Refused) as exc:
        host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1")))
    assert exc.value.code is RefusalCode.EXISTS


def test_unspecified_next_hop_means_on_link(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    host.apply(op.AddRoute(pfx("172.16.0.0/16"), ip("0.0.0.0"), ifindex=11))
    route = host.lookup(ip("172.16.3.4"))
    assert route is not None and route.on_link and route.ifindex == 11


def test_total_metric_is_route_plus_interface_metric(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(12, ip("10.1.0.5"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.1.0.1"), metric=7))
    route = host.lookup(ip("8.8.8.8"))
    assert route is not None and route.metric == 7 and host.cost(route) == 7 + 20


def test_route_without_metric_stores_one(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1"), persistent=True))
    assert [p.metric for p in host.persistent.values()] == [1]


def test_metric_above_9999_refused(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    with pytest.raises(Refused):
        host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1"), metric=10000))


def test_system_routes_have_metric_256_and_type_system(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    routes = host.table.on_interface(11)
    assert routes and all(r.metric == 256 and r.origin is Origin.SYSTEM for r in routes)


@pytest.mark.parametrize(
    "speed, metric",
    [
        (10_000_000_000, 5),
        (2_000_000_000, 5),
        (1_000_000_000, 10),
        (200_000_001, 10),
        (200_000_000, 20),
        (100_000_000, 20),
        (80_000_001, 20),
        (80_000_000, 25),
        (20_000_001, 25),
        (20_000_000, 30),
        (4_000_001, 30),
        (4_000_000, 40),
        (500_001, 40),
        (500_000, 50),
        (9_600, 50),
    ],
)
def test_automatic_interface_metric_by_link_speed(speed, metric):
    assert link_speed_metric(speed) == metric


def test_loopback_metric_is_50_and_system_routes_print_306():
    host = Host("hotfix")
    lo = host.interfaces[1]
    assert lo.effective_metric == 50
    assert {host.cost(r) for r in host.table.on_interface(1)} == {306}


def test_address_creates_subnet_host_broadcast_multicast_and_limited_broadcast(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    assert system(host, 11) >= {
        "192.168.0.0/24",
        "192.168.0.20/32",
        "192.168.0.255/32",
        "224.0.0.0/4",
        "255.255.255.255/32",
    }


@pytest.mark.parametrize("length", [31, 32])
def test_no_subnet_broadcast_route_for_31_and_32(make_host, length):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.4"), length))
    v4 = {p for p in system(host, 11) if ":" not in p}
    expected = {"10.0.0.4/32", "224.0.0.0/4", "255.255.255.255/32"}
    if length == 31:
        expected.add("10.0.0.4/31")
    assert v4 == expected


def test_loopback_routes():
    host = Host("hotfix")
    assert system(host, 1) == {
        "127.0.0.0/8",
        "127.0.0.1/32",
        "127.255.255.255/32",
        "224.0.0.0/4",
        "255.255.255.255/32",
        "::1/128",
        "ff00::/8",
    }


def test_ipv6_link_local_from_mac_and_multicast(make_host):
    host = make_host("hotfix")
    addrs = [str(a) for a in host.addresses_of(11, 6)]
    assert addrs == ["fe80::215:5dff:fe01:203/64"]
    assert system(host, 11) == {"fe80::/64", "fe80::215:5dff:fe01:203/128", "ff00::/8"}


def test_two_addresses_in_one_subnet_share_subnet_and_broadcast_routes(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    host.apply(op.AddAddress(11, ip("192.168.0.21"), 24))
    v4 = [r for r in host.table.on_interface(11) if r.prefix.version == 4]
    assert len([r for r in v4 if str(r.prefix) == "192.168.0.0/24"]) == 1
    assert {"192.168.0.20/32", "192.168.0.21/32"} <= system(host, 11)
    host.apply(op.DeleteAddress(11, ip("192.168.0.20")))
    assert "192.168.0.0/24" in system(host, 11) and "192.168.0.255/32" in system(host, 11)
    host.apply(op.DeleteAddress(11, ip("192.168.0.21")))
    assert not [p for p in system(host, 11) if ":" not in p]


def test_configured_gateway_is_bound_manual_route_in_both_stores(make_host):
    host = make_host("prehotfix")
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    host.apply(
        op.AddRoute(
            DEFAULT, ip("192.168.0.1"), ifindex=11, metric=256, persistent=True, origin=Origin.GATEWAY
        )
    )
    (p,) = host.persistent.values()
    assert p.origin is Origin.GATEWAY and p.ifindex == 11
    host.apply(op.AddAddress(11, ip("192.168.0.21"), 24))
    host.apply(op.DeleteAddress(11, ip("192.168.0.21")))
    assert ("0.0.0.0/0", 11, "192.168.0.1") in manual(host)  # bound: survives even before the fix


def test_reboot_rebuilds_table_and_plumbs_reachable_persistent_routes(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    host.apply(op.AddAddress(12, ip("10.9.0.5"), 24, store=AddressStore.ACTIVE))
    host.apply(op.AddRoute(DEFAULT, ip("192.168.0.1"), persistent=True))
    host.apply(op.AddRoute(pfx("172.16.0.0/12"), ip("10.9.0.1"), persistent=True))
    host.apply(op.AddRoute(pfx("10.50.0.0/16"), ip("192.168.0.1")))  # active only
    host.apply(op.Reboot())
    assert manual(host) == {("0.0.0.0/0", 11, "192.168.0.1")}
    assert host.addresses_of(12, 4) == []  # active-only address gone
    assert [str(p.prefix) for p in host.waiting()] == ["172.16.0.0/12"]


def test_lookup_longest_prefix_wins(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1")))
    host.apply(op.AddRoute(pfx("8.8.0.0/16"), ip("10.0.0.2"), metric=500))
    assert host.lookup(ip("8.8.8.8")).nexthop == ip("10.0.0.2")
    assert host.lookup(ip("9.9.9.9")).nexthop == ip("10.0.0.1")


def test_lookup_equal_prefixes_lowest_total_metric(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))  # metric 10
    host.apply(op.AddAddress(12, ip("10.1.0.5"), 24))  # metric 20
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1"), metric=15))  # 25
    host.apply(op.AddRoute(DEFAULT, ip("10.1.0.1"), metric=1))  # 21
    assert host.lookup(ip("8.8.8.8")).ifindex == 12


def test_lookup_skips_disconnected_interfaces(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    host.apply(op.AddAddress(12, ip("10.1.0.5"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1"), metric=1))
    host.apply(op.AddRoute(DEFAULT, ip("10.1.0.1"), metric=100))
    host.apply(op.SetInterface(11, connected=False))
    assert host.lookup(ip("8.8.8.8")).ifindex == 12
    assert ("0.0.0.0/0", 11, "10.0.0.1") in manual(host)  # still configured, not a candidate


def test_skipassource_address_not_chosen_as_source(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24, skipassource=True))
    host.apply(op.AddAddress(11, ip("10.0.0.6"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1")))
    route = host.lookup(ip("8.8.8.8"))
    assert host.source_address(route).ip == ip("10.0.0.6")


def test_source_is_first_added_address_in_next_hop_subnet(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.9.0.5"), 24))
    host.apply(op.AddAddress(11, ip("10.0.0.7"), 24))
    host.apply(op.AddAddress(11, ip("10.0.0.6"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1")))
    assert host.source_address(host.lookup(ip("8.8.8.8"))).ip == ip("10.0.0.7")


def test_unreachable_gateway_refused_without_changes(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    before = (set(host.table), dict(host.persistent))
    with pytest.raises(Refused) as exc:
        host.apply(op.AddRoute(DEFAULT, ip("192.0.2.1"), persistent=True))
    assert exc.value.code is RefusalCode.INVALID
    assert (set(host.table), dict(host.persistent)) == before


def test_delete_route_removes_from_both_stores(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1"), persistent=True))
    host.apply(op.DeleteRoute(DEFAULT))
    assert manual(host) == set() and host.persistent == {}
    with pytest.raises(Refused) as exc:
        host.apply(op.DeleteRoute(DEFAULT))
    assert exc.value.code is RefusalCode.NOT_FOUND


def test_change_route_gateway_and_metric(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1"), persistent=True))
    host.apply(op.ChangeRoute(DEFAULT, new_nexthop=ip("10.0.0.2"), new_metric=9))
    assert manual(host) == {("0.0.0.0/0", 11, "10.0.0.2")}
    (p,) = host.persistent.values()
    assert p.nexthop == ip("10.0.0.2") and p.metric == 9


def test_flush_removes_gateway_routes_keeps_persistent_store_until_reboot(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1"), persistent=True))
    host.apply(op.AddRoute(pfx("172.16.0.0/12"), ip("10.0.0.1")))
    host.apply(op.FlushGatewayRoutes())
    assert manual(host) == set() and len(host.persistent) == 1
    host.apply(op.AddAddress(11, ip("10.0.0.6"), 24))
    assert manual(host) == set()  # parked: not restored by an address change
    host.apply(op.Reboot())
    assert manual(host) == {("0.0.0.0/0", 11, "10.0.0.1")}


def test_interface_names_unique_and_indexes_unique(make_host):
    host = make_host("hotfix")
    with pytest.raises(Refused):
        host.apply(op.AddInterface(Interface(11, "other")))
    with pytest.raises(Refused):
        host.apply(op.AddInterface(Interface(13, "local area connection 1")))


def test_fast_lookup_equals_generic_lookup_through_interface_changes(make_host):
    host = make_host("hotfix")
    host.apply(op.AddAddress(11, ip("10.0.0.5"), 24))
    host.apply(op.AddAddress(12, ip("10.0.0.6"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1"), ifindex=11, metric=15))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1"), ifindex=12, metric=1))
    host.apply(op.AddRoute(pfx("8.8.0.0/16"), ip("10.0.0.2"), ifindex=11))
    probes = [ip(a) for a in ("8.8.8.8", "9.9.9.9", "10.0.0.77", "127.0.0.1", "224.1.1.1")]
    for change in (
        op.SetInterface(12, metric=50),
        op.SetInterface(11, connected=False),
        op.SetInterface(11, connected=True),
        op.DeleteAddress(12, ip("10.0.0.6")),
    ):
        host.apply(change)
        for probe in probes:
            assert host.lookup(probe) == host.table.lookup(probe, host.cost), (change, probe)


def test_copy_is_independent_and_equal(make_host):
    host = make_host("prehotfix")
    scenario(host)
    twin = host.copy()
    assert manual(twin) == manual(host) and twin.persistent == host.persistent
    twin.apply(op.AddAddress(11, ip("192.168.0.22"), 24))
    assert manual(twin) == {("0.0.0.0/0", 11, "192.168.0.1")} and manual(host) == set()
