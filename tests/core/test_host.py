"""A host's addresses keep their order when the host is copied or rebuilt from its addresses.

The order is not cosmetic: the first usable address of a family is a route's source, and on `linux`
the first IPv4 address of a subnet is its primary. A copy (what-if, all-or-nothing batches) and a
host rebuilt from what a store holds must agree with the live host on it.
"""

from __future__ import annotations

from routekeeper.core import operations as op
from routekeeper.core.host import Host
from routekeeper.core.values import IP, Interface

ip = IP.parse
VA = Interface(2, "va", "veth", "02-00-00-00-00-02")


def linux_host(promote: bool = False) -> Host:
    host = Host("linux")
    host.apply(op.AddInterface(VA.with_(promote_secondaries=promote)))
    return host


def order(host: Host, version: int | None = None) -> list[str]:
    return [str(a.ip) for a in host.addresses_of(VA.index, version)]


def rebuilt(host: Host) -> Host:
    """The host as a store rebuilds it: from its parts, addresses handed over in any order."""
    persistent = [(p, p.key in host.parked, host.last_placed.get(p.key)) for p in host.persistent.values()]
    return Host.restore(
        host.profile.name,
        host.name,
        host.interfaces.values(),
        list(reversed(host.all_addresses())),
        list(host.table),
        persistent,
        host.held.values(),
    )


def assert_same_order(host: Host) -> None:
    expected = {i: [str(a) for a in host.addresses_of(i)] for i in host.interfaces}
    for other in (host.copy(), rebuilt(host)):
        assert {i: [str(a) for a in other.addresses_of(i)] for i in other.interfaces} == expected


def test_linux_newest_ipv6_address_comes_first_in_copies_and_rebuilds():
    host = linux_host()
    host.apply(op.AddAddress(2, ip("2001:db8::1"), 64))
    host.apply(op.AddAddress(2, ip("2001:db8::2"), 64))
    assert order(host, 6)[:2] == ["2001:db8::2", "2001:db8::1"]
    assert_same_order(host)
    for other in (host.copy(), rebuilt(host)):
        route = other.lookup(ip("2001:db8::99"))
        assert route is not None
        source = other.source_address(route)
        assert source is not None and str(source.ip) == "2001:db8::2"


def test_linux_new_primary_goes_before_secondaries_in_copies_and_rebuilds():
    host = linux_host()
    for text, length in (("10.0.0.5", 24), ("10.0.0.6", 24), ("10.1.0.5", 16)):
        host.apply(op.AddAddress(2, ip(text), length))
    assert order(host, 4) == ["10.0.0.5", "10.1.0.5", "10.0.0.6"]
    assert_same_order(host)


def test_linux_promoted_secondary_keeps_its_place_in_copies_and_rebuilds():
    """The promoted secondary moves after the last primary; later primaries go after it."""
    host = linux_host(promote=True)
    for text in ("10.0.0.5", "10.1.0.5", "10.0.0.6", "10.1.0.6", "10.0.0.7"):
        host.apply(op.AddAddress(2, ip(text), 24))
    assert order(host, 4) == ["10.0.0.5", "10.1.0.5", "10.0.0.6", "10.1.0.6", "10.0.0.7"]
    host.apply(op.DeleteAddress(2, ip("10.1.0.5")))
    assert order(host, 4) == ["10.0.0.5", "10.1.0.6", "10.0.0.6", "10.0.0.7"]
    assert_same_order(host)
    host.apply(op.DeleteAddress(2, ip("10.0.0.5")))
    assert order(host, 4) == ["10.1.0.6", "10.0.0.6", "10.0.0.7"]
    assert_same_order(host)
    host.apply(op.AddAddress(2, ip("10.2.0.5"), 24))
    assert order(host, 4) == ["10.1.0.6", "10.0.0.6", "10.2.0.5", "10.0.0.7"]
    assert_same_order(host)
    copy = host.copy()
    for h in (host, copy):
        h.apply(op.AddAddress(2, ip("10.3.0.5"), 24))
    assert order(copy) == order(host)


def test_windows_addresses_keep_the_order_they_were_added_in():
    host = Host("hotfix")
    host.apply(op.AddInterface(VA))
    for text in ("10.0.0.6", "2001:db8::2", "10.0.0.5", "2001:db8::1"):
        host.apply(op.AddAddress(2, ip(text), 64 if ":" in text else 24))
    assert order(host)[1:] == ["10.0.0.6", "2001:db8::2", "10.0.0.5", "2001:db8::1"]
    assert_same_order(host)
