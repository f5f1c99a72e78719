"""Reading a real network namespace into a core `Host` (profile linux).

The kernel is the state: there is nothing to replay, so the host is rebuilt with `Host.restore` from
one dump of links, addresses and the main and local routing tables. Routes the kernel derived from
addresses (proto kernel) become system routes; every other protocol (boot for `ip route add`, static,
dhcp, ra, bird, zebra, routekeeper's own) is a manual route. The protocol of each route is kept in
`KernelHost.protos` because the core `Route` has no field for it and does not need one.
"""

from __future__ import annotations

from collections.abc import Iterable

from routekeeper.core.host import Host
from routekeeper.core.values import IP, Address, Interface, Origin, PersistentRoute, Prefix, Route, RouteKey
from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr, KLink, KRoute
from routekeeper.linux.netns import inside, read_sysctl
from routekeeper.linux.nlsock import RtnlSocket

PROTO_ROUTEKEEPER = 199
"""rtm_protocol of routes routekeeper installs (unassigned in iproute2's rt_protos; FRR uses 186-196)."""

TABLES = (codec.RT_TABLE_MAIN, codec.RT_TABLE_LOCAL)


class KernelHost(Host):
    """A `Host` read from a kernel, remembering where it came from and each route's protocol."""

    netns: str | None
    protos: dict[RouteKey, int]


def interface_of(link: KLink, promote_secondaries: bool) -> Interface:
    return Interface(
        index=link.index,
        name=link.name,
        description=link.name,
        mac=link.mac if link.mac and link.mac != "00:00:00:00:00:00" else "",
        connected=link.carrier,
        enabled=bool(link.flags & codec.IFF_UP),
        mtu=link.mtu,
        loopback=bool(link.flags & codec.IFF_LOOPBACK),
        promote_secondaries=promote_secondaries,
    )


def promote_secondaries(ifname: str) -> bool:
    """Effective value: the kernel ORs `all` with the device's own setting."""
    own = read_sysctl("ipv4", ifname, "promote_secondaries")
    every = read_sysctl("ipv4", "all", "promote_secondaries")
    return own == "1" or every == "1"


def route_of(k: KRoute) -> Route | None:
    """A kernel route as a core route; None for what the core cannot hold (no output interface)."""
    if k.oif == 0:
        return None
    kind = codec.TYPE_NAMES.get(k.type, "unicast")
    return Route(
        Prefix(k.version, k.dst, k.dst_len),
        k.oif,
        IP(k.version, k.gateway),
        k.priority,
        Origin.SYSTEM if k.proto == codec.RTPROT_KERNEL else Origin.MANUAL,
        bound=True,
        prefsrc=IP(k.version, k.prefsrc) if k.prefsrc is not None else None,
        onlink_flag=bool(k.flags & codec.RTNH_F_ONLINK),
        kind=kind,
    )


def address_of(a: KAddr, order: int) -> Address:
    return Address(IP(a.version, a.ip), a.length, a.ifindex, order=order)


def build_host(
    links: Iterable[KLink],
    promote: dict[str, bool],
    addrs: Iterable[KAddr],
    routes: Iterable[KRoute],
    persistent: Iterable[tuple[PersistentRoute, bool]] = (),
    netns: str | None = None,
    name: str = "linux",
) -> KernelHost:
    """Assemble a KernelHost from dumped pieces (kept separate so the daemon can reuse its dumps)."""
    interfaces = [interface_of(link, promote.get(link.name, False)) for link in links]
    known = {i.index for i in interfaces}
    addresses = [address_of(a, n) for n, a in enumerate(addrs) if a.ifindex in known]
    persistent = list(persistent)
    active: dict[RouteKey, Route] = {}
    protos: dict[RouteKey, int] = {}
    for k in routes:
        if k.table not in TABLES:
            continue
        r = route_of(k)
        if r is None or r.ifindex not in known or r.key in active:
            continue
        active[r.key] = r
        protos[r.key] = k.proto
    # Mark the active copies of persistent routes so the restored host knows what is plumbed, and
    # where each unbound one sits (the host's placement memory).
    triples: list[tuple[PersistentRoute, bool, int | None]] = []
    for p, parked in persistent:
        placed = None
        for key in [] if parked else _candidates(active, p):
            r = active[key]
            active[key] = r.with_(persistent=True, bound=p.ifindex is not None)
            placed = r.ifindex if p.ifindex is None else None
            break
        triples.append((p, parked, placed))
    host = KernelHost.restore("linux", name, interfaces, addresses, active.values(), triples, ())
    host.netns = netns
    host.protos = protos
    return host


def _candidates(active: dict[RouteKey, Route], p: PersistentRoute) -> list[RouteKey]:
    if p.ifindex is not None:
        key = (p.prefix, p.ifindex, p.nexthop)
        r = active.get(key)
        return [key] if r is not None and r.manual else []
    return sorted(
        k for k, r in active.items() if r.manual and r.prefix == p.prefix and r.nexthop == p.nexthop
    )


def dump(
    netns: str | None, sock: RtnlSocket | None = None
) -> tuple[list[KLink], dict[str, bool], list[KAddr], list[KRoute]]:
    """One consistent-enough read of links, sysctls, addresses and both tables."""
    own = sock is None
    s = sock or RtnlSocket(netns)
    try:
        links = s.links()
        addrs = s.addresses()
        routes = [r for t in TABLES for r in s.routes(table=t)]
    finally:
        if own:
            s.close()
    with inside(netns):
        promote = {link.name: promote_secondaries(link.name) for link in links}
    return links, promote, addrs, routes


def observe(netns: str | None = None, persistent: Iterable[tuple[PersistentRoute, bool]] = ()) -> KernelHost:
    """The namespace's interfaces, addresses (kernel order: primary first) and main + local routes."""
    links, promote, addrs, routes = dump(netns)
    return build_host(links, promote, addrs, routes, persistent, netns=netns, name=netns or "linux")
