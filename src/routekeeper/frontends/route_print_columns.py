"""`route print`'s IPv4 active rows formatted from the table's columns.

Why: the row-by-row path made a `Route` for every row twice (once to sort, once to print) and asked the
host for each one's cost; a full internet table printed at ~80k rows/s. Here the table is read once as
columns (`RouteTable.to_columns`), costs are one array operation per interface, the Windows row order is
one `lexsort`, and the text is built from columns with per-value caches (octet pairs, masks, gateways,
sources): only a line's string is made per row, a chunk of rows at a time, so output still streams.

The lines are exactly those of the row-by-row path (`frontends.route._active_rows`), which stays the
path for destination patterns and IPv6.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from routekeeper.core.host import Host
from routekeeper.core.table.columns import ORIGINS, RouteColumns
from routekeeper.core.values import Prefix, Route
from routekeeper.frontends.render import ip_text, mask_text

CHUNK = 1 << 15  # rows formatted per step: output starts at once and memory stays flat


def v4_active_rows(host: Host) -> Iterator[str]:
    """The IPv4 `Active Routes` rows of `route print`, in Windows order; routes whose interface is
    down are left out, as the row-by-row path leaves them."""
    cols = host.table.to_columns(4)
    keep = np.flatnonzero(cols.version == 4)
    ifindex = cols.ifindex[keep].astype(np.int64)
    cost, rank = _costs(host, ifindex, cols.metric[keep].astype(np.int64))
    usable = rank >= 0
    keep, ifindex, cost, rank = keep[usable], ifindex[usable], cost[usable], rank[usable]
    network = cols.lo[keep].astype(np.int64)
    length = cols.length[keep].astype(np.int64)
    nexthop = cols.nexthop[keep].astype(np.int64)
    hop_values = np.array([ip.value if ip.version == 4 else 0 for ip in cols.ips] or [0], np.int64)
    # Windows order: destination, prefix length, interface (loopback first), gateway; two sort keys.
    order = np.lexsort(((rank << 32) | hop_values[nexthop], (network << 6) | length))
    yield from _lines(host, cols, keep[order], network[order], length[order], ifindex[order],
                      nexthop[order], cost[order], rank[order])  # fmt: skip


def _costs(host: Host, ifindex: np.ndarray, metric: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`Host.cost` for every row (the route's metric plus its interface's), and its interface's rank
    in Windows row order (loopback first, then by index); rank -1 where the route may not be used
    (its interface is missing or down). One comparison per interface: a host has few."""
    cost = metric.copy()
    rank = np.full(ifindex.size, -1, np.int64)
    ranked = sorted(host.interfaces.values(), key=lambda i: (not i.loopback, i.index))
    for n, iface in enumerate(ranked):
        if iface.up:
            on = ifindex == iface.index
            cost[on] += host.profile.interface_metric(iface)
            rank[on] = n
    return cost, rank


def _lines(
    host: Host,
    cols: RouteColumns,
    rows: np.ndarray,
    network: np.ndarray,
    length: np.ndarray,
    ifindex: np.ndarray,
    nexthop: np.ndarray,
    cost: np.ndarray,
    rank: np.ndarray,
) -> Iterator[str]:
    source_codes, sources = _sources(host, cols, rows, network, length, ifindex, nexthop, rank)
    text = _Texts(cols, sources)
    for start in range(0, rows.size, CHUNK):
        part = slice(start, start + CHUNK)
        yield from text.rows(network[part], length[part], nexthop[part], source_codes[part], cost[part])


class _Texts:
    """Every field's texts, and a chunk of rows made from them.

    Each field of a row is right-aligned in a fixed width (17, 17, 17, 17, 7), so while every cost fits
    its 7 columns a chunk is laid out as one byte matrix, a row per line, by array indexing; a cost wider
    than that (Linux metrics go to 2**32) makes the line longer, and its chunk is formatted line by line.
    """

    WIDTH = 17 * 4 + 7

    def __init__(self, cols: RouteColumns, sources: list[str]) -> None:
        pairs = [f"{v >> 8}.{v & 255}" for v in range(1 << 16)]  # an address is two of these
        self.pairs = pairs
        self.masks = [f"{mask_text(n):>17}" for n in range(33)]
        self.gateways = [
            f"{'On-link':>16} " if ip.is_unspecified else f"{ip_text(ip):>17}" for ip in cols.ips
        ]
        self.sources = [f"{s:>17}" for s in sources] or [" " * 17]
        self.low_pairs = _fixed(pairs, 7)
        self.high_pairs = _fixed([p + "." for p in pairs], 8)
        self.pair_length = np.array([len(p) for p in pairs], np.int64)
        self.mask_bytes = _fixed(self.masks, 17)
        self.gateway_bytes = _fixed(self.gateways, 17)
        self.source_bytes = _fixed(self.sources, 17)

    def rows(
        self, net: np.ndarray, plen: np.ndarray, nh: np.ndarray, src: np.ndarray, cost: np.ndarray
    ) -> list[str]:
        if cost.size and int(cost.max()) >= 10**7:
            return [
                f"{self.pairs[n >> 16] + '.' + self.pairs[n & 0xFFFF]:>17}{self.masks[p]}{self.gateways[h]}"
                f"{self.sources[s]}{c:>7}"
                for n, p, h, s, c in zip(
                    net.tolist(), plen.tolist(), nh.tolist(), src.tolist(), cost.tolist(), strict=True
                )
            ]
        out = np.full((net.size, self.WIDTH + 1), ord(" "), np.uint8)
        out[:, -1] = ord("\n")
        high, low = net >> 16, net & 0xFFFF
        out[:, 10:17] = self.low_pairs[low]  # the low half ends the destination's 17 columns
        low_length = self.pair_length[low]
        for n in np.unique(low_length).tolist():  # the high half and its dot end where the low half begins
            at = np.flatnonzero(low_length == n)
            out[at, 9 - n : 17 - n] = self.high_pairs[high[at]]
        out[:, 17:34] = self.mask_bytes[plen]
        out[:, 34:51] = self.gateway_bytes[nh]
        out[:, 51:68] = self.source_bytes[src]
        left = cost.copy()
        for column in range(74, 67, -1):  # the cost's digits from the right; spaces once it is used up
            digit = (left % 10 + ord("0")).astype(np.uint8)
            out[:, column] = np.where((left > 0) | (column == 74), digit, ord(" "))
            left //= 10
        return out.tobytes().decode("ascii").split("\n")[:-1]


def _fixed(texts: list[str], width: int) -> np.ndarray:
    """ASCII texts right-aligned in `width` bytes, one row each."""
    joined = "".join(f"{t:>{width}}" for t in texts).encode("ascii")
    return np.frombuffer(joined, np.uint8).reshape(len(texts), width)


def _sources(
    host: Host,
    cols: RouteColumns,
    rows: np.ndarray,
    network: np.ndarray,
    length: np.ndarray,
    ifindex: np.ndarray,
    nexthop: np.ndarray,
    rank: np.ndarray,
) -> tuple[np.ndarray, list[str]]:
    """The Interface column (the source address) of every row as `Host.source_address` chooses it:
    a code per row, and the codes' texts.

    A gateway route's source depends on its interface, next hop and preferred source only, so it is
    asked once per distinct triple (a handful for a full table); on-link and host routes depend on
    their prefix, and are asked one by one."""
    unspecified = np.array([ip.is_unspecified for ip in cols.ips] or [False])
    prefsrc = cols.prefsrc[rows].astype(np.int64)
    per_row = unspecified[nexthop] | (length == 32)
    pool = len(cols.ips) + 1
    if (int(rank.max(initial=0)) + 1) * pool * pool < 1 << 62:  # the triple as one integer
        _, first, group = np.unique((rank * pool + nexthop) * pool + prefsrc + 1, True, True)
    else:
        triples = np.stack([rank, nexthop, prefsrc], axis=1)
        _, first, group = np.unique(triples, axis=0, return_index=True, return_inverse=True)
    codes: dict[str, int] = {}

    def source_of(at: int) -> int:
        found = host.source_address(_route(cols, rows, network, length, ifindex, nexthop, at))
        return codes.setdefault(ip_text(found.ip) if found is not None else "0.0.0.0", len(codes))

    by_group = np.array([source_of(at) for at in first.tolist()] or [0], np.int64)
    out = by_group[group.reshape(-1)] if rows.size else np.zeros(0, np.int64)
    for at in np.flatnonzero(per_row).tolist():
        out[at] = source_of(at)
    return out, list(codes)


def _route(
    cols: RouteColumns,
    rows: np.ndarray,
    network: np.ndarray,
    length: np.ndarray,
    ifindex: np.ndarray,
    nexthop: np.ndarray,
    at: int,
) -> Route:
    """The route printed at position `at`, for `Host.source_address`."""
    row = int(rows[at])
    src = int(cols.prefsrc[row])
    return Route(
        Prefix(4, int(network[at]), int(length[at])),
        int(ifindex[at]),
        cols.ips[int(nexthop[at])],
        int(cols.metric[row]),
        ORIGINS[int(cols.origin[row])],
        bound=bool(cols.bound[row]),
        persistent=bool(cols.persistent[row]),
        prefsrc=cols.ips[src] if src >= 0 else None,
        onlink_flag=bool(cols.onlink[row]),
        kind=cols.kinds[int(cols.kind[row])],
    )
