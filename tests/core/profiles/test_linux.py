"""One named test per address and route-removal rule of spec/linux.md (the `linux` profile)."""

from __future__ import annotations

import pytest

from routekeeper.core import operations as op
from routekeeper.core.events import Kind
from routekeeper.core.host import Host
from routekeeper.core.keeper import keep
from routekeeper.core.operations import RefusalCode, Refused
from routekeeper.core.values import IP, Address, Interface, Prefix

ip, pfx = IP.parse, Prefix.parse
ETH0 = Interface(2, "eth0", "veth", "02-00-00-00-00-02")
ETH1 = Interface(3, "eth1", "veth", "02-00-00-00-00-03")
DEFAULT = pfx("0.0.0.0/0")


@pytest.fixture
def host() -> Host:
    h = Host("linux")
    h.apply(op.AddInterface(ETH0))
    h.apply(op.AddInterface(ETH1))
    return h


def manual(host: Host) -> set[tuple[str, int, str]]:
    return {(str(r.prefix), r.ifindex, str(r.nexthop)) for r in host.table if r.manual}


def addrs(host: Host, ifindex: int, version: int = 4) -> list[str]:
    return [str(a.ip) for a in host.addresses_of(ifindex, version)]


def test_first_address_in_subnet_is_primary_and_owns_prefix_route(host):
    host.apply(op.AddAddress(2, ip("192.168.0.20"), 24))
    host.apply(op.AddAddress(2, ip("192.168.0.21"), 24))
    (prefix_route,) = [r for r in host.table.with_prefix(pfx("192.168.0.0/24"))]
    assert prefix_route.prefsrc == ip("192.168.0.20")


def test_deleting_primary_deletes_secondaries_without_promote(host):
    host.apply(op.AddAddress(2, ip("192.168.0.20"), 24))
    host.apply(op.AddAddress(2, ip("192.168.0.21"), 24))
    host.apply(op.AddAddress(2, ip("10.0.0.1"), 8))
    host.apply(op.DeleteAddress(2, ip("192.168.0.20")))
    assert addrs(host, 2) == ["10.0.0.1"]


def test_deleting_primary_promotes_secondary_with_promote_secondaries(host):
    host.apply(op.SetInterface(2, promote_secondaries=True))
    host.apply(op.AddAddress(2, ip("192.168.0.20"), 24))
    host.apply(op.AddAddress(2, ip("192.168.0.21"), 24))
    host.apply(op.AddAddress(2, ip("192.168.0.22"), 24))
    host.apply(op.DeleteAddress(2, ip("192.168.0.20")))
    assert addrs(host, 2) == ["192.168.0.21", "192.168.0.22"]
    (prefix_route,) = host.table.with_prefix(pfx("192.168.0.0/24"))
    assert prefix_route.prefsrc == ip("192.168.0.21")


def test_deleting_secondary_keeps_primary_and_routes(host):
    host.apply(op.AddAddress(2, ip("192.168.0.20"), 24))
    host.apply(op.AddAddress(2, ip("192.168.0.21"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("192.168.0.1")))
    host.apply(op.DeleteAddress(2, ip("192.168.0.21")))
    assert addrs(host, 2) == ["192.168.0.20"]
    assert manual(host) == {("0.0.0.0/0", 2, "192.168.0.1")}


def test_ipv6_has_no_primary_or_secondary(host):
    host.apply(op.AddAddress(2, ip("2001:db8::1"), 64))
    host.apply(op.AddAddress(2, ip("2001:db8::2"), 64))
    host.apply(op.DeleteAddress(2, ip("2001:db8::1")))
    assert "2001:db8::2" in addrs(host, 2, 6)


def test_defect_scenario_on_linux_primary_deleted_flushes_route(host):
    host.apply(op.AddAddress(2, ip("192.168.0.20"), 24))
    host.apply(op.AddAddress(2, ip("192.168.0.21"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("192.168.0.1"), persistent=True))
    host.apply(op.DeleteAddress(2, ip("192.168.0.21")))
    assert manual(host) == {("0.0.0.0/0", 2, "192.168.0.1")}
    host.apply(op.AddAddress(2, ip("192.168.0.21"), 24))
    events = host.apply(op.DeleteAddress(2, ip("192.168.0.20")))
    assert addrs(host, 2) == [] and manual(host) == set()
    assert any("lost its last IPv4 address" in e.reason for e in events)
    host.apply(op.AddAddress(2, ip("192.168.0.20"), 24))
    assert manual(host) == set()  # the kernel never puts it back
    keep(host)
    assert manual(host) == {("0.0.0.0/0", 2, "192.168.0.1")}


def test_last_ipv4_address_flushes_every_ipv4_route_of_device(host):
    host.apply(op.AddAddress(2, ip("10.0.0.5"), 24))
    host.apply(op.AddRoute(pfx("172.16.0.0/12"), ip("10.0.0.1")))
    host.apply(op.AddRoute(pfx("192.0.2.0/24"), ip("0.0.0.0"), ifindex=2))
    host.apply(op.AddAddress(3, ip("10.1.0.5"), 24))
    host.apply(op.AddRoute(pfx("198.51.100.0/24"), ip("10.1.0.1")))
    host.apply(op.DeleteAddress(2, ip("10.0.0.5")))
    assert manual(host) == {("198.51.100.0/24", 3, "10.1.0.1")}


def test_admin_down_flushes_ipv4_routes_but_keeps_addresses(host):
    host.apply(op.AddAddress(2, ip("10.0.0.5"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1")))
    host.apply(op.SetInterface(2, enabled=False))
    assert manual(host) == set() and addrs(host, 2) == ["10.0.0.5"]
    host.apply(op.SetInterface(2, enabled=True))
    assert manual(host) == set()
    assert host.table.with_prefix(pfx("10.0.0.0/24"))  # the kernel's own prefix route is back


def test_route_goes_when_prefsrc_is_no_longer_local(host):
    host.apply(op.AddAddress(2, ip("10.0.0.5"), 24))
    host.apply(op.AddAddress(3, ip("10.1.0.5"), 24))
    host.apply(op.AddRoute(pfx("172.16.0.0/12"), ip("10.0.0.1"), prefsrc=ip("10.1.0.5")))
    host.apply(op.DeleteAddress(3, ip("10.1.0.5")))
    assert manual(host) == set()


def test_no_next_hop_revalidation_when_gateway_subnet_goes(host):
    host.apply(op.AddAddress(2, ip("10.0.0.5"), 24))
    host.apply(op.AddAddress(2, ip("10.1.0.5"), 24))
    host.apply(op.AddRoute(pfx("172.16.0.0/12"), ip("10.0.0.1")))
    host.apply(op.DeleteAddress(2, ip("10.0.0.5")))
    assert manual(host) == {("172.16.0.0/12", 2, "10.0.0.1")}


def test_carrier_loss_keeps_routes_not_used_for_lookup(host):
    host.apply(op.AddAddress(2, ip("10.0.0.5"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1")))
    host.apply(op.SetInterface(2, connected=False))
    assert manual(host) == {("0.0.0.0/0", 2, "10.0.0.1")}
    assert host.lookup(ip("8.8.8.8")) is None
    host.apply(op.SetInterface(2, connected=True))
    assert host.lookup(ip("8.8.8.8")) is not None


def test_readding_address_restores_only_kernel_routes(host):
    host.apply(op.AddAddress(2, ip("10.0.0.5"), 24))
    host.apply(op.AddRoute(DEFAULT, ip("10.0.0.1"), persistent=True))
    host.apply(op.DeleteAddress(2, ip("10.0.0.5")))
    host.apply(op.AddAddress(2, ip("10.0.0.5"), 24))
    assert manual(host) == set()
    assert host.table.with_prefix(pfx("10.0.0.0/24"))


def test_gateway_not_on_link_refused_unless_onlink_flag(host):
    host.apply(op.AddAddress(2, ip("10.0.0.5"), 24))
    with pytest.raises(Refused) as exc:
        host.apply(op.AddRoute(DEFAULT, ip("192.0.2.1"), ifindex=2))
    assert exc.value.code is RefusalCode.UNREACHABLE
    host.apply(op.AddRoute(DEFAULT, ip("192.0.2.1"), ifindex=2, onlink=True))
    assert manual(host) == {("0.0.0.0/0", 2, "192.0.2.1")}


def test_gateway_reachable_through_manual_on_link_route(host):
    host.apply(op.AddRoute(pfx("10.0.0.0/8"), ip("0.0.0.0"), ifindex=2))
    host.apply(op.AddRoute(DEFAULT, ip("10.1.2.3")))
    assert ("0.0.0.0/0", 2, "10.1.2.3") in manual(host)


def test_ipv6_address_deletion_keeps_gateway_routes(host):
    host.apply(op.AddAddress(2, ip("2001:db8::5"), 64))
    host.apply(op.AddRoute(pfx("::/0"), ip("fe80::1"), ifindex=2))
    host.apply(op.AddRoute(pfx("2001:db8:1::/48"), ip("2001:db8::1")))
    host.apply(op.DeleteAddress(2, ip("2001:db8::5")))
    assert manual(host) == {("::/0", 2, "fe80::1"), ("2001:db8:1::/48", 2, "2001:db8::1")}


def test_ipv6_route_src_cleared_when_address_deleted(host):
    host.apply(op.AddAddress(2, ip("2001:db8::5"), 64))
    host.apply(op.AddRoute(pfx("2001:db8:1::/48"), ip("2001:db8::1"), prefsrc=ip("2001:db8::5")))
    host.apply(op.DeleteAddress(2, ip("2001:db8::5")))
    (route,) = [r for r in host.table if r.manual]
    assert route.prefsrc is None


def test_ipv6_admin_down_removes_addresses_and_routes_not_back_on_up(host):
    host.apply(op.AddAddress(2, ip("2001:db8::5"), 64))
    host.apply(op.AddRoute(pfx("::/0"), ip("fe80::1"), ifindex=2))
    host.apply(op.SetInterface(2, enabled=False))
    assert addrs(host, 2, 6) == [] and manual(host) == set()
    host.apply(op.SetInterface(2, enabled=True))
    assert manual(host) == set()
    assert "2001:db8::5" not in addrs(host, 2, 6)
    assert addrs(host, 2, 6) == ["fe80::ff:fe00:2"]  # link-local comes back with the link


def test_promotion_is_announced_with_the_promoted_address_new_place(host):
    """The kernel sends RTM_NEWADDR for the promoted secondary; a store applying the events keeps
    the order it moved to."""
    host.apply(op.SetInterface(2, promote_secondaries=True))
    for text in ("192.168.0.20", "10.0.0.1", "192.168.0.21"):
        host.apply(op.AddAddress(2, ip(text), 24 if text.startswith("192") else 8))
    events = host.apply(op.DeleteAddress(2, ip("192.168.0.20")))
    (promoted,) = [e.address for e in events if e.kind is Kind.ADDRESS_ADDED]
    assert promoted is not None and str(promoted.ip) == "192.168.0.21"
    assert addrs(host, 2) == ["10.0.0.1", "192.168.0.21"]
    assert host.addresses_of(2, 4)[-1] == promoted


def test_addresses_numbered_in_kernel_order_alone_take_new_ones_in_the_right_place():
    """A host built from a kernel dump numbers its addresses 0, 1, 2... in the kernel's order; a new
    primary still goes before the secondaries, a new secondary at the tail."""
    dumped = [
        Address(ip("192.168.0.20"), 24, 2, 0),
        Address(ip("10.0.0.1"), 8, 2, 1),
        Address(ip("192.168.0.21"), 24, 2, 2),
        Address(ip("2001:db8::2"), 64, 2, 3),
        Address(ip("2001:db8::1"), 64, 2, 4),
        Address(ETH0.link_local(), 64, 2, 5),
    ]
    h = Host.restore("linux", "dumped", [ETH0], reversed(dumped), [], [], [])
    assert [str(a.ip) for a in h.addresses_of(2)] == [str(a.ip) for a in dumped]
    h.apply(op.AddAddress(2, ip("172.16.0.1"), 16))
    h.apply(op.AddAddress(2, ip("10.0.0.2"), 8))
    h.apply(op.AddAddress(2, ip("2001:db8::3"), 64))
    assert addrs(h, 2) == ["192.168.0.20", "10.0.0.1", "172.16.0.1", "192.168.0.21", "10.0.0.2"]
    assert addrs(h, 2, 6)[:3] == ["2001:db8::3", "2001:db8::2", "2001:db8::1"]
    assert [str(a) for a in h.copy().addresses_of(2)] == [str(a) for a in h.addresses_of(2)]
