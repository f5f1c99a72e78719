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
from routekeeper.core.values import Address, Prefix, Route
from routekeeper.frontends.render import ip_text, mask_text

CHUNK = 1 << 15  # rows formatted per step: output starts at once and memory stays flat


def v4_active_rows(host: Host) -> Iterator[str]:
    """The IPv4 `Active Routes` rows of `route print`, in Windows order; routes whose interface is
    down are left out, as the row-by-row path leaves them."""
    cols = host.table.to_columns()
    keep = np.flatnonzero(cols.version == 4)
    ifindex = cols.ifindex[keep].astype(np.int64)
    cost, usable = _costs(host, ifindex, cols.metric[keep].astype(np.int64))
    keep, ifindex, cost = keep[usable], ifindex[usable], cost[usable]
    network = cols.lo[keep].astype(np.int64)
    length = cols.length[keep].astype(np.int64)
    nexthop = cols.nexthop[keep].astype(np.int64)
    hop_values = np.array([ip.value if ip.version == 4 else 0 for ip in cols.ips] or [0], np.int64)
    loopbacks = np.array(sorted(i.index for i in host.interfaces.values() if i.loopback), np.int64)
    ifkey = np.where(np.isin(ifindex, loopbacks), ifindex, ifindex | (1 << 32))
    order = np.lexsort((hop_values[nexthop], ifkey, length, network))
    yield from _lines(host, cols, keep[order], network[order], length[order], ifindex[order],
                      nexthop[order], cost[order])  # fmt: skip


def _costs(host: Host, ifindex: np.ndarray, metric: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`Host.cost` for every row: the route's metric plus its interface's, unusable when the interface
    is missing or down."""
    present, inverse = np.unique(ifindex, return_inverse=True)
    link = np.zeros(present.size, np.int64)
    up = np.zeros(present.size, bool)
    for n, index in enumerate(present.tolist()):
        iface = host.interfaces.get(index)
        if iface is not None and iface.up:
            link[n], up[n] = host.profile.interface_metric(iface), True
    inverse = inverse.reshape(-1)
    return metric + link[inverse], up[inverse]


def _lines(
    host: Host,
    cols: RouteColumns,
    rows: np.ndarray,
    network: np.ndarray,
    length: np.ndarray,
    ifindex: np.ndarray,
    nexthop: np.ndarray,
    cost: np.ndarray,
) -> Iterator[str]:
    ips = cols.ips
    pairs = [f"{v >> 8}.{v & 255}" for v in range(1 << 16)]  # an address is two of these
    masks = [f"{mask_text(n):>17}" for n in range(33)]
    gateways = [f"{'On-link':>16} " if ip.is_unspecified else f"{ip_text(ip):>17}" for ip in ips]
    sources = _sources(host, cols, rows, network, length, ifindex, nexthop)
    for start in range(0, rows.size, CHUNK):
        stop = start + CHUNK
        yield from [
            f"{pairs[net >> 16] + '.' + pairs[net & 0xFFFF]:>17}{masks[plen]}{gateways[nh]}{src:>17}{c:>7}"
            for net, plen, nh, src, c in zip(
                network[start:stop].tolist(), length[start:stop].tolist(), nexthop[start:stop].tolist(),
                sources[start:stop].tolist(), cost[start:stop].tolist(), strict=True,
            )
        ]  # fmt: skip


def _sources(
    host: Host,
    cols: RouteColumns,
    rows: np.ndarray,
    network: np.ndarray,
    length: np.ndarray,
    ifindex: np.ndarray,
    nexthop: np.ndarray,
) -> np.ndarray:
    """The Interface column (the source address) of every row, as `Host.source_address` chooses it.

    A gateway route's source depends on its interface, next hop and preferred source only, so it is
    asked once per distinct triple (a handful for a full table); on-link and host routes depend on
    their prefix, and are asked one by one."""
    unspecified = np.array([ip.is_unspecified for ip in cols.ips] or [False])
    prefsrc = cols.prefsrc[rows].astype(np.int64)
    per_row = unspecified[nexthop] | (length == 32)
    triples = np.stack([ifindex, nexthop, prefsrc], axis=1)
    _, first, group = np.unique(triples, axis=0, return_index=True, return_inverse=True)
    texts = np.empty(first.size, object)
    for n, at in enumerate(first.tolist()):
        texts[n] = _source_text(
            host.source_address(_route(cols, rows, network, length, ifindex, nexthop, at))
        )
    out = texts[group.reshape(-1)]
    for at in np.flatnonzero(per_row).tolist():
        out[at] = _source_text(host.source_address(_route(cols, rows, network, length, ifindex, nexthop, at)))
    return out


def _source_text(address: Address | None) -> str:
    return ip_text(address.ip) if address is not None else "0.0.0.0"


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
