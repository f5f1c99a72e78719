"""Routes as columns: the exchange format a state store reads and writes, and the row flags.

Why a module of its own: a store speaks `RouteColumns` without needing the table, and the flags that
pack a route's small fields into one byte are shared by `RouteColumns`, the storage's rows and
`RouteTable.where`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routekeeper.core.values import BITS, IP, Origin, Prefix, Route

M64 = (1 << 64) - 1
ORIGINS = tuple(Origin)
ORIGIN_CODE = {o: i for i, o in enumerate(ORIGINS)}
F_ORIGIN = 3
F_BOUND = 4
F_PERSISTENT = 8
F_ONLINK = 16
F_ALIVE = 128  # the row holds a route (free rows have 0)
INT32 = 1 << 31
INT64 = 1 << 63


@dataclass(frozen=True, eq=False)
class RouteColumns:
    """Routes as parallel arrays, one element per route, in the table's insertion order.

    Why: a state store holding a million routes reads them as columns; making a `Route` (with its
    Prefix and IPs) per row only for the table to take it apart again cost seconds. Next hops,
    preferred sources and kinds are dictionary-encoded (indexes into `ips` / `kinds`), as the table
    itself keeps them. Network halves are unsigned: an IPv4 network is `lo` (with `hi` 0), an IPv6
    one `hi << 64 | lo`.
    """

    version: np.ndarray  # 4 or 6
    hi: np.ndarray  # uint64, network bits 127..64 (0 for IPv4)
    lo: np.ndarray  # uint64, network bits 63..0
    length: np.ndarray
    ifindex: np.ndarray
    nexthop: np.ndarray  # index into ips
    metric: np.ndarray
    origin: np.ndarray  # index into tuple(Origin)
    bound: np.ndarray  # bool
    persistent: np.ndarray  # bool
    onlink: np.ndarray  # bool (Route.onlink_flag)
    prefsrc: np.ndarray  # index into ips, -1 for none
    kind: np.ndarray  # index into kinds
    ips: Sequence[IP]
    kinds: Sequence[str]

    def __len__(self) -> int:
        return len(self.version)

    def routes(self) -> list[Route]:
        """The same routes as objects (validated as any Route's Prefix is)."""
        ips, kinds = self.ips, self.kinds
        out = []
        for ver, hi, lo, length, ifx, nh, metric, origin, bound, pers, onlink, src, kind in zip(
            self.version.tolist(), self.hi.tolist(), self.lo.tolist(), self.length.tolist(),
            self.ifindex.tolist(), self.nexthop.tolist(), self.metric.tolist(), self.origin.tolist(),
            self.bound.tolist(), self.persistent.tolist(), self.onlink.tolist(), self.prefsrc.tolist(),
            self.kind.tolist(), strict=True,
        ):  # fmt: skip
            out.append(
                Route(
                    Prefix(ver, (hi << 64) | lo, length), ifx, ips[nh], metric, ORIGINS[origin],
                    bool(bound), bool(pers), None if src < 0 else ips[src], bool(onlink), kinds[kind],
                )
            )  # fmt: skip
        return out


def checked_columns(c: RouteColumns) -> tuple[np.ndarray, ...]:
    """The columns in the table's dtypes, after the checks `Route`, `Prefix` and `add` make one by one:
    (ver, hi, lo, length, ifindex, nexthop, metric, flags, prefsrc, kind)."""
    n = len(c.version)
    fields = (
        c.version, c.hi, c.lo, c.length, c.ifindex, c.nexthop, c.metric, c.origin, c.bound,
        c.persistent, c.onlink, c.prefsrc, c.kind,
    )  # fmt: skip
    arrays = [np.asarray(a) for a in fields]
    if any(a.ndim != 1 or a.size != n for a in arrays):
        raise ValueError("route columns differ in length")
    if any(type(ip) is not IP for ip in c.ips):
        raise TypeError("route columns: ips must all be IP")
    if any(type(k) is not str for k in c.kinds):
        raise TypeError("route columns: kinds must all be str")
    ints = []
    for a, low, high in (
        (arrays[0], 4, 6), (arrays[3], 0, BITS[6]), (arrays[4], -INT32, INT32 - 1),
        (arrays[5], 0, len(c.ips) - 1), (arrays[7], 0, len(ORIGINS) - 1), (arrays[11], -1, len(c.ips) - 1),
        (arrays[12], 0, len(c.kinds) - 1),
    ):  # fmt: skip
        if n and (a.dtype.kind not in "iu" or int(a.min()) < low or int(a.max()) > high):
            raise ValueError(f"route column out of range ({low}..{high})")
        ints.append(a.astype(np.int64))
    ver, plen, ifx, nh, origin, src, kind = ints
    metric = arrays[6]
    if n and (metric.dtype.kind not in "iu" or (metric.dtype.kind == "u" and int(metric.max()) >= INT64)):
        raise ValueError("route metric does not fit the table (64-bit)")
    hi, lo = arrays[1].astype(np.uint64), arrays[2].astype(np.uint64)
    v4 = ver == 4
    if ((ver != 4) & (ver != 6)).any() or (v4 & (plen > BITS[4])).any():
        raise ValueError("route columns: bad family or prefix length")
    ones = np.uint64(M64)
    # host bits: IPv4 below bit 32 - length of lo (and nothing above bit 31); IPv6 across both halves
    shift4 = np.minimum(plen + 32, 64).astype(np.uint64)
    host4 = np.where(plen + 32 >= 64, np.uint64(0), ones >> shift4)
    host_hi = np.where(plen >= 64, np.uint64(0), ones >> np.minimum(plen, 63).astype(np.uint64))
    host_lo = np.where(plen >= 128, np.uint64(0), ones >> (np.clip(plen, 64, 127) - 64).astype(np.uint64))
    bad4 = v4 & ((hi != 0) | (lo & ~np.uint64((1 << 32) - 1) != 0) | (lo & host4 != 0))
    bad6 = ~v4 & (((hi & host_hi) != 0) | ((lo & host_lo) != 0))
    if (bad4 | bad6).any():
        raise ValueError("host bits set in prefix")
    flags = (
        origin
        | np.where(arrays[8].astype(bool), F_BOUND, 0)
        | np.where(arrays[9].astype(bool), F_PERSISTENT, 0)
        | np.where(arrays[10].astype(bool), F_ONLINK, 0)
        | F_ALIVE
    ).astype(np.uint8)
    return (
        ver.astype(np.uint8), hi, lo, plen.astype(np.uint8), ifx.astype(np.int32), nh,
        metric.astype(np.int64), flags, src, kind,
    )  # fmt: skip
