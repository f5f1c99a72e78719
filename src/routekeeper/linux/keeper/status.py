"""Each kept route as `routekeeper status` shows it: present, waiting (why) or conflicting (with whom).

Decided from a fresh dump of the main table (status is asked rarely; the answer must be the kernel's
truth, not the mirror's belief), the daemon's view of links and addresses (is the next hop
reachable?), and the ledger (since when, last restore and its latency). Pure: the loop does the dump.

- present: a route with the prefix and next hop is in the kernel (on the bound interface, if bound);
  ours (proto 199) or an identical one made by someone else;
- conflicting: missing, and another route holds the kernel's slot (same prefix, and for IPv4 the same
  metric: the kernel keys IPv4 routes on prefix + metric) - named with its protocol and next hop;
- waiting: missing because it cannot go in now (the reason says why), or missing although it could
  (`reachable`: a restore is due or was refused - what `status` exits non-zero for).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from routekeeper.core.host import Host
from routekeeper.core.keeper import reconcile
from routekeeper.core.values import IP, Prefix
from routekeeper.linux import codec
from routekeeper.linux.codec import KLink, KRoute
from routekeeper.linux.keeper.index import RouteGroup
from routekeeper.linux.keeper.ledger import Ledger
from routekeeper.linux.keeper.view import additions

PROTO_NAMES = {
    2: "kernel",
    3: "boot",
    4: "static",
    16: "dhcp",
    12: "bird",
    186: "bgp",
    188: "ospf",
    196: "zebra",
}
PROTO_NAMES[199] = "routekeeper"


@dataclass(frozen=True, slots=True)
class RouteStatus:
    prefix: str
    nexthop: str
    interface: str | None  # bound interface name (None: any)
    metric: int
    state: str  # present | waiting | conflicting
    reason: str
    reachable: bool  # the next hop is usable now: a missing route here is a fault
    since: float | None  # unix time
    last_restore: float | None
    last_restore_latency_ms: float | None
    conflict: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def proto_name(proto: int) -> str:
    return PROTO_NAMES.get(proto, f"proto {proto}")


def describe(r: KRoute, links: dict[int, KLink]) -> str:
    via = f"via {IP(r.version, r.gateway)} " if r.gateway else ""
    dev = links[r.oif].name if r.oif in links else str(r.oif)
    return f"{proto_name(r.proto)} {via}dev {dev} metric {r.priority}".strip()


def snapshot(
    groups: Iterable[RouteGroup],
    kernel: Iterable[KRoute],
    view: Host,
    links: dict[int, KLink],
    ledger: Ledger,
    unresolved: dict[int, str] | None = None,
) -> list[RouteStatus]:
    """The status of every member of every group (`unresolved`: placeholder interface indexes of
    routes bound to a name that does not exist now, and why)."""
    unresolved = unresolved or {}
    by_prefix: dict[tuple[int, int, int], list[KRoute]] = {}
    for r in kernel:
        if r.table == codec.RT_TABLE_MAIN and r.proto != codec.RTPROT_KERNEL:
            by_prefix.setdefault((r.version, r.dst, r.dst_len), []).append(r)
    found = []
    for g in groups:
        bound = bound_name(g.ifindex, links, unresolved)
        for (network, length), k in zip(g.members, g.keys, strict=True):
            here = by_prefix.get((g.version, network, length), [])
            restore = ledger.last_restore(g, k)
            last = (restore.at, round(restore.latency * 1000, 3)) if restore else (None, None)
            base = {
                "prefix": str(Prefix(g.version, network, length)),
                "nexthop": str(IP(g.version, g.nexthop)),
                "interface": bound,
                "metric": g.metric,
                "last_restore": last[0],
                "last_restore_latency_ms": last[1],
            }
            mine = [
                r
                for r in here
                if r.gateway == g.nexthop
                and (g.ifindex is None or r.oif == g.ifindex)
                and r.type == codec.RTN_UNICAST
            ]
            if mine:
                why = (
                    "in the kernel" if mine[0].proto == 199 else f"in the kernel ({describe(mine[0], links)})"
                )
                since = restore.at if restore else ledger.started
                found.append(RouteStatus(**base, state="present", reason=why, reachable=True, since=since))
                continue
            if g.onlink:
                link = links.get(g.ifindex) if g.ifindex is not None else None
                reachable = link is not None and bool(link.flags & codec.IFF_UP)
            else:
                reachable = bool(additions(reconcile([g.representative(network, length)], view)))
            src_missing = g.prefsrc is not None and not view.is_local(IP(g.version, g.prefsrc))
            reachable = reachable and not src_missing
            loss = ledger.loss_after(restore)
            since = loss.at if loss else (restore.at if restore else ledger.started)
            rivals = [r for r in here if g.version == 6 or r.priority == g.metric]
            if rivals:
                who = describe(rivals[0], links)
                found.append(
                    RouteStatus(
                        **base,
                        state="conflicting",
                        reason=f"the kernel holds {who} in its place",
                        reachable=reachable,
                        since=since,
                        conflict=who,
                    )
                )
                continue
            why = unresolved.get(g.ifindex or 0) or waiting_reason(g, view, links, reachable, ledger)
            if src_missing and g.prefsrc is not None:
                why = f"its source {IP(g.version, g.prefsrc)} is not an address of this host"
            if loss:
                why += f"; flushed: {loss.why}"
            found.append(RouteStatus(**base, state="waiting", reason=why, reachable=reachable, since=since))
    return found


def bound_name(ifindex: int | None, links: dict[int, KLink], unresolved: dict[int, str]) -> str | None:
    """The interface a route is bound to, by name (a name that does not exist now included)."""
    if ifindex is None:
        return None
    if ifindex in links:
        return links[ifindex].name
    why = unresolved.get(ifindex, "")
    if why.startswith("interface "):
        return why.split()[1]
    return None if ifindex in unresolved else str(ifindex)


def waiting_reason(
    g: RouteGroup, view: Host, links: dict[int, KLink], reachable: bool, ledger: Ledger
) -> str:
    """Why a missing route is not in the kernel, in the operator's words."""
    if reachable:
        refused = ledger.refused.get(Ledger.key(g))
        return f"the kernel refused it: {refused[1]}" if refused else "a restore is due"
    nexthop = IP(g.version, g.nexthop)
    if g.ifindex is not None:
        link = links.get(g.ifindex)
        if link is None:
            return f"interface {g.ifindex} does not exist"
        if not link.flags & codec.IFF_UP:
            return f"interface {link.name} is down"
        if g.nexthop == 0:
            return f"interface {link.name} has no IPv{g.version} address"
        return f"next hop {nexthop} is not on-link on {link.name}"
    if g.nexthop == 0:
        return "an on-link route needs an interface"
    return f"next hop {nexthop} is not on-link on any interface that is up"
