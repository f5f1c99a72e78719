"""The hot path's decision: where the routes an added address makes reachable belong.

When an address comes back, the daemon decides with integers on its raw mirror of the kernel
(links, addresses, on-link routes) instead of running `keeper.reconcile` on the core view, so that
no core object is built before the first message goes out. `tests/linux/keeper/test_fastpath.py`
holds these functions to `Host.onlink_interfaces` and `reconcile` on random hosts.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr, KLink, KRoute

if TYPE_CHECKING:  # kept light: the daemon's start-up (`start`) uses this module before the core
    from routekeeper.linux.keeper.index import NexthopIndex, RouteGroup


def new_onlink_prefix(a: KAddr, link: KLink | None, before: Iterable[KAddr]) -> tuple[int, int, int] | None:
    """The on-link prefix route an added address gives its device, as the linux profile derives it
    (fib_add_ifaddr / addrconf_prefix_route): (version, network, length), or None when it gives none
    and so nothing can have become reachable (device down, host-length address, an IPv4 secondary
    whose subnet is already there, IPv4 on loopback). `before` are the addresses without `a`."""
    if link is None or not link.flags & codec.IFF_UP:
        return None
    bits = 32 if a.version == 4 else 128
    if a.length >= bits:
        return None
    mask = ((1 << bits) - 1) ^ ((1 << (bits - a.length)) - 1)
    network = a.ip & mask
    if a.version == 4:
        if link.flags & codec.IFF_LOOPBACK:
            return None
        for x in before:
            if x.version == 4 and x.ifindex == a.ifindex and x.length == a.length and x.ip & mask == network:
                return None  # a secondary: its subnet's prefix route is there already
    return (a.version, network, a.length)


def onlink_interfaces(
    version: int, nexthop: int, links: dict[int, KLink], addrs: Iterable[KAddr], onlink: Iterable[KRoute]
) -> list[int]:
    """Interfaces where `nexthop` is on-link, by the linux profile's rule, from the raw mirror.

    The profile's `reachable`: the device is up and one of its unicast on-link routes holds the next
    hop (an IPv6 link-local one needs the device up only). Those routes are the prefix routes its
    addresses give it (IPv4: not on loopback, shorter than /32; IPv6: shorter than /128) and the
    manual on-link routes. Computed with integers so that the hot path builds no core object; the
    fast-path test checks it against `Host.onlink_interfaces` on the view."""
    bits = 32 if version == 4 else 128
    up = {i for i, link in links.items() if link.flags & codec.IFF_UP}
    if version == 6 and nexthop >> 118 == 0x3FA:
        return sorted(up)
    found: set[int] = set()
    for x in addrs:
        if (
            x.ifindex in up
            and x.version == version
            and x.length < bits
            and (nexthop ^ x.ip) >> (bits - x.length) == 0
            and not (version == 4 and links[x.ifindex].flags & codec.IFF_LOOPBACK)
        ):
            found.add(x.ifindex)
    for r in onlink:
        if (
            r.oif in up
            and r.version == version
            and r.proto != codec.RTPROT_KERNEL
            and r.type == codec.RTN_UNICAST
            and (nexthop ^ r.dst) >> (bits - r.dst_len) == 0
        ):
            found.add(r.oif)
    return sorted(found)


def interface_metric(link: KLink) -> int:
    """The view's `Interface.effective_metric` for a link (loopback last): the tie-break of placement."""
    return _metric(bool(link.flags & codec.IFF_LOOPBACK))


@cache
def _metric(loopback: bool) -> int:
    from routekeeper.linux.observe import interface_of

    flags = codec.IFF_LOOPBACK if loopback else 0
    return interface_of(KLink(0, "x", flags, 0, "", False), False).effective_metric


def address_added_targets(
    prefix: tuple[int, int, int],
    ifindex: int,
    links: dict[int, KLink],
    addrs: Iterable[KAddr],
    onlink: Iterable[KRoute],
    index: NexthopIndex,
) -> list[tuple[RouteGroup, int]]:
    """Where each group whose next hop `prefix` (new on `ifindex`) covers now belongs.

    This is `keeper.reconcile`'s placement, specialised to one change and computed on the mirror as it
    was *before* the address (so nothing has to be updated before the messages go out): adding an
    address only makes next hops reachable on its own device, so a group bound there belongs there,
    a group bound elsewhere is unaffected, and an unbound group goes to the best of the interfaces
    where its next hop was already on-link plus this one (lowest interface metric, then index; the view
    holds no gateway routes and no placement memory, so no slot is taken).
    `tests/linux/keeper/test_fastpath.py` checks it against `reconcile` run on the view with the
    address added."""
    version, network, length = prefix
    out: list[tuple[RouteGroup, int]] = []
    for g in index.covered(version, network, length):
        if g.ifindex is not None:
            if g.ifindex == ifindex:
                out.append((g, ifindex))
            continue
        candidates = set(onlink_interfaces(g.version, g.nexthop, links, addrs, onlink))
        candidates.add(ifindex)
        out.append((g, min(candidates, key=lambda i: (interface_metric(links[i]), i))))
    return out
