"""Start-up: the stored routes into the kernel before the daemon's machinery is loaded.

Most of a start-up is Python importing what the daemon decides with (the core Host, the policy,
NumPy), none of which the routes need to get into the kernel when there is no doubt where they go.
So `install_stored` runs first, with only the store's rows and netlink: one dump of links,
addresses and main-table routes, every route placed by the raw reachability rule the hot path uses
(`fastpath.onlink_interfaces`, held to the core view by the tests), the missing ones packed and sent
in batches. The daemon then starts as usual: its full sync finds these routes present and decides
everything else.

Only the unambiguous case is decided here: a gateway route whose next hop is on-link on the
interface it is bound to, or, unbound, on exactly one interface. On-link routes, next hops on-link
on several interfaces (the tie-break is the core policy's) and unreachable ones are left to the
full sync; `tests/linux/keeper/test_start.py` checks every placement made here against
`keeper.reconcile` on random hosts.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable

from routekeeper.linux import codec
from routekeeper.linux.keeper.fastpath import onlink_interfaces
from routekeeper.linux.nlsock import RtnlSocket

PROTO_ROUTEKEEPER = 199  # = observe.PROTO_ROUTEKEEPER (observe imports the core; checked by the tests)
BATCH = 512  # messages per sendmsg, as `send.BATCH`
DETAIL = 10  # up to this many routes are logged one line each, as the daemon's installs (`send.DETAIL`)
SEQ = 1 << 30  # sequence numbers of the start-up's messages (its own socket: any range will do)

log = logging.getLogger("routekeeper.keep")

# (prefix, next hop, metric, ifindex, ifname, parked): a row of the linux store, as text
Row = tuple[str, str, int, "int | None", "str | None", int]
# (version, network, length, next hop, metric, ifindex or None): a route to place
Wanted = tuple[int, int, int, int, int, "int | None"]


def parse_rows(rows: Iterable[Row], names: dict[str, int]) -> list[Wanted]:
    """The stored routes to keep now (parked ones left out), interfaces re-bound by name as the
    store's `load` does. Text is parsed with inet_pton: ipaddress costs ten times more per route."""
    out: list[Wanted] = []
    for prefix, nexthop, metric, ifindex, ifname, parked in rows:
        if parked:
            continue
        text, _, length = prefix.partition("/")
        family = socket.AF_INET6 if ":" in text else socket.AF_INET
        version = 6 if family == socket.AF_INET6 else 4
        network = int.from_bytes(socket.inet_pton(family, text), "big")
        gateway = int.from_bytes(socket.inet_pton(family, nexthop), "big")
        if ifname and ifname in names:
            ifindex = names[ifname]
        out.append((version, network, int(length), gateway, metric, ifindex))
    return out


def placements(
    wanted: Iterable[Wanted],
    links: dict[int, codec.KLink],
    addrs: list[codec.KAddr],
    onlink: list[codec.KRoute],
) -> dict[tuple[int, int, int, int | None], int]:
    """(version, next hop, metric, binding) -> interface, for the groups placed without doubt."""
    out: dict[tuple[int, int, int, int | None], int] = {}
    seen: set[tuple[int, int, int, int | None]] = set()
    for version, _net, _len, gateway, metric, ifindex in wanted:
        key = (version, gateway, metric, ifindex)
        if key in seen:
            continue
        seen.add(key)
        if gateway == 0:
            continue
        where = onlink_interfaces(version, gateway, links, addrs, onlink)
        if ifindex is not None:
            if ifindex in where:
                out[key] = ifindex
        elif len(where) == 1:
            out[key] = where[0]
    return out


def install_stored(netns: str | None, rows: Iterable[Row]) -> int:
    """Send the stored routes whose place is certain and that the kernel lacks; returns how many
    went in. Errors are left for the daemon's full sync to meet and report."""
    with RtnlSocket(netns) as s:
        links = {link.index: link for link in s.links()}
        addrs = s.addresses()
        routes = s.routes(table=codec.RT_TABLE_MAIN)
        wanted = parse_rows(rows, {link.name: link.index for link in links.values()})
        onlink = [r for r in routes if r.gateway == 0 and r.type == codec.RTN_UNICAST]
        where = placements(wanted, links, addrs, onlink)
        present_any: set[tuple[int, int, int, int]] = set()
        present_on: set[tuple[int, int, int, int, int]] = set()
        for r in routes:
            if r.proto != codec.RTPROT_KERNEL:
                present_any.add((r.version, r.gateway, r.dst, r.dst_len))
                present_on.add((r.version, r.gateway, r.dst, r.dst_len, r.oif))
        encoders = {v: codec.BulkEncoder(codec.RTM_NEWROUTE, v, PROTO_ROUTEKEEPER) for v in (4, 6)}
        refused: dict[int, int] = {}  # seq -> errno
        buf = bytearray()
        count = 0
        seq = SEQ
        todo = [
            (w, oif)
            for w in wanted
            if (oif := where.get((w[0], w[3], w[4], w[5]))) is not None
            and (
                (w[0], w[3], w[1], w[2], oif) not in present_on
                if w[5] is not None
                else (w[0], w[3], w[1], w[2]) not in present_any
            )
        ]
        last = len(todo) - 1
        for n, ((version, network, length, gateway, metric, _bound), oif) in enumerate(todo):
            ack = count == BATCH - 1 or n == last
            encoders[version].encode(buf, seq, network, length, gateway, oif, metric, ack=ack)
            count += 1
            if ack:
                refused.update(s.send_bulk(buf, seq))
                buf, count = bytearray(), 0
            seq += 1
        names = {i: link.name for i, link in links.items()}
    sent = len(todo) - len(refused)
    if sent and sent <= DETAIL:
        for n, ((version, network, length, gateway, metric, _bound), oif) in enumerate(todo):
            if SEQ + n not in refused:
                log.info(
                    "installed %s via %s dev %s metric %d: at start-up, next hop on-link there",
                    f"{_text(version, network)}/{length}",
                    _text(version, gateway),
                    names.get(oif, oif),
                    metric,
                )
    elif sent:
        log.info("installed %d routes at start-up, their next hops on-link", sent)
    if refused:
        log.info("the kernel refused %d routes at start-up: the full sync retries them", len(refused))
    return sent


def _text(version: int, value: int) -> str:
    family, size = (socket.AF_INET, 4) if version == 4 else (socket.AF_INET6, 16)
    return socket.inet_ntop(family, value.to_bytes(size, "big"))
