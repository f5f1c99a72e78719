"""The active route table: routes keyed by (prefix, interface, next hop), longest-prefix match, and
the queries address and interface events make.

The public API and its semantics are those of the dict-of-routes table it replaced, including every
order a caller can observe:

- iteration follows insertion order; replacing a route keeps its place (a dict's `d[k] = v`);
- `with_prefix`, `on_interface` and `via` list routes in the order they were last added or replaced
  (the old per-bucket dicts deleted and re-inserted on replace), and `nexthops_on` lists next hops in
  the order their group was last created;
- among routes of the same prefix and equal (cost, interface), the one first in `with_prefix` order
  wins a lookup.

How the routes are kept (columns, indexes, LPM snapshots) is `storage`; the fast per-interface-cost
lookups are `forwarding`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

import numpy as np

from routekeeper.core.table.columns import (
    F_ALIVE,
    F_BOUND,
    F_ONLINK,
    F_ORIGIN,
    F_PERSISTENT,
    INT32,
    M64,
    ORIGIN_CODE,
    RouteColumns,
    checked_columns,
)
from routekeeper.core.table.forwarding import Forwarding
from routekeeper.core.table.storage import NIL, RouteStorage
from routekeeper.core.values import IP, Origin, Prefix, Route, RouteKey

# A cost function: the total metric of a route, or None when the route may not be used
# (its interface is disconnected, disabled or gone).
Cost = Callable[[Route], int | None]

BULK_MIN = 256  # below this, building row by row is as quick as the vectorised path


class RouteTable(RouteStorage):
    """Routes keyed by (prefix, interface, next hop)."""

    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self._forwarding: Forwarding | None = None  # the cached view (see `forwarding`)
        self._reset(16, 16)
        batch = routes if isinstance(routes, list | tuple) else list(routes)
        if len(batch) >= BULK_MIN and self._bulk_load(batch):
            return
        for route in batch:
            self.add(route)

    def __iter__(self) -> Iterator[Route]:
        """Insertion order, materialised a chunk at a time; like a dict, changing the table while
        iterating raises RuntimeError (callers that mutate iterate over `list(table)`)."""
        nxt = self._r_onext
        row = self._ohead
        stamp = self._stamp
        rows: list[int] = []
        while row >= 0:
            rows.append(row)
            row = nxt[row]
            if len(rows) == 4096 or row < 0:
                if self._stamp != stamp:
                    raise RuntimeError("route table changed during iteration")
                yield from self._routes_at(rows)
                rows = []
                if self._stamp != stamp:
                    raise RuntimeError("route table changed during iteration")
                nxt = self._r_onext

    def __contains__(self, key: object) -> bool:
        return self._find_row(key) >= 0

    def get(self, key: RouteKey) -> Route | None:
        row = self._find_row(key)
        return self._route_at(row) if row >= 0 else None

    def add(self, route: Route) -> Route | None:
        """Insert or replace; returns the route it replaced, if any."""
        prefix, ifindex = route.prefix, route.ifindex
        if type(prefix) is not Prefix:
            raise TypeError(f"not a Prefix: {prefix!r}")
        if type(ifindex) is not int or not -INT32 <= ifindex < INT32:
            raise ValueError(f"interface index {ifindex!r} does not fit the table (32-bit)")
        nh = self._intern_ip(route.nexthop)
        version, network, length = prefix.version, prefix.network, prefix.length
        pid = self._find_prefix(version, network, length)
        if pid >= 0:
            row = self._p_head[pid]
            r_ifx, r_nh, r_chain = self._r_ifx, self._r_nh, self._r_chain
            while row >= 0 and not (r_nh[row] == nh and r_ifx[row] == ifindex):
                row = r_chain[row]
            if row >= 0:
                old = self._route_at(row, prefix)
                # Unhook and re-hook, as the dict table deleted and re-inserted: the route moves to the
                # end of its prefix, interface and next-hop lists (and a next hop it was alone on, to
                # the end of nexthops_on), but keeps its place in iteration order.
                self._unindex(row)
                self._encode(route, row)
                self._index(row, pid, ifindex, nh, self._r_src[row])
                self._touch(pid)
                return old
        else:
            pid = self._new_prefix(version, network, length)
        if self._r_free:
            row = self._r_free.pop()
            self._row_ordered = False
        else:
            row = self._r_used
            if row >= self._rc.capacity:
                self._rc.grow(row + 1)
                self._bind()
            self._r_used += 1
        self._r_pid[row] = pid
        self._r_ifx[row] = ifindex
        self._r_nh[row] = nh
        self._encode(route, row)
        self._index(row, pid, ifindex, nh, self._r_src[row])
        tail = self._otail
        self._r_onext[row] = NIL
        self._r_oprev[row] = tail
        if tail < 0:
            self._ohead = row
        else:
            self._r_onext[tail] = row
        self._otail = row
        self._count += 1
        self._touch(pid)
        return None

    def remove(self, key: RouteKey) -> Route | None:
        row = self._find_row(key)
        if row < 0:
            return None
        route = self._route_at(row, key[0])
        pid = self._r_pid[row]
        self._unindex(row)
        n, p = self._r_onext[row], self._r_oprev[row]
        if p < 0:
            self._ohead = n
        else:
            self._r_onext[p] = n
        if n < 0:
            self._otail = p
        else:
            self._r_oprev[n] = p
        self._r_flags[row] = 0
        self._r_free.append(row)
        self._count -= 1
        if self._p_head[pid] < 0:
            self._drop_prefix(pid)
        self._touch(pid)
        return route

    def on_interface(self, ifindex: int) -> list[Route]:
        ends = self._by_if.get(ifindex)
        return self._routes_at(self._walk(self._r_inext, ends[0])) if ends else []

    def via(self, nexthop: IP, ifindex: int) -> list[Route]:
        nh = self._ip_ids.get(nexthop)
        ends = self._by_nh.get(ifindex, {}).get(nh) if nh is not None else None
        return self._routes_at(self._walk(self._r_gnext, ends[0])) if ends else []

    def nexthops_on(self, ifindex: int) -> list[IP]:
        """Distinct next hops used on an interface (the unspecified one for on-link routes)."""
        return [self._ips[nh] for nh in self._by_nh.get(ifindex, {})]

    def with_prefsrc(self, ip: IP) -> list[Route]:
        src = self._ip_ids.get(ip)
        ends = self._by_src.get(src) if src is not None else None
        return self._routes_at(self._walk(self._r_snext, ends[0])) if ends else []

    def with_prefix(self, prefix: Prefix) -> list[Route]:
        pid = self._find_prefix(prefix.version, prefix.network, prefix.length)
        if pid < 0:
            return []
        return [self._route_at(row, prefix) for row in self._walk(self._r_chain, self._p_head[pid])]

    def lookup(self, ip: IP, cost: Cost) -> Route | None:
        """Longest prefix wins; among equals the lowest cost; unusable routes are skipped.

        Exact for any cost function: the LPM structure only proposes the matching prefixes, longest
        first, and `cost` decides among each one's routes. With per-interface costs, `forwarding`
        gives the same answers without calling back into Python per route.
        """
        for pid in self._candidates(ip.version, ip.value):
            best: Route | None = None
            best_cost = 0
            for row in self._walk(self._r_chain, self._p_head[pid]):
                route = self._route_at(row)
                c = cost(route)
                if c is None:
                    continue
                if best is None or (c, route.ifindex) < (best_cost, best.ifindex):
                    best, best_cost = route, c
            if best is not None:
                return best
        return None

    def forwarding(self, link_costs: Mapping[int, int | None]) -> Forwarding:
        """A forwarding view for per-interface costs: cost(route) = route.metric + link_costs[ifindex],
        unusable when the interface is missing or maps to None (what `Host.cost` computes).

        The view keeps one winner per prefix; table changes and changed link costs re-decide only the
        prefixes they touch. It answers exactly as `lookup(ip, cost)` with that cost function.
        """
        view = self._forwarding
        if view is None:
            view = self._forwarding = Forwarding(self, link_costs)
        else:
            view.set_link_costs(link_costs)
        return view

    def route_at(self, row: int) -> Route:
        """The route stored in `row` (a forwarding view answers with rows)."""
        if not 0 <= row < self._r_used or not self._r_flags[row] & F_ALIVE:
            raise KeyError(row)
        return self._route_at(row)

    def copy(self) -> RouteTable:
        """An independent table: columns are copied (memcpy), immutable LPM snapshots are shared."""
        t = RouteTable.__new__(RouteTable)
        t.__dict__.update(self.__dict__)
        t._pc, t._rc = self._pc.copy(), self._rc.copy()
        t._p_free, t._r_free = list(self._p_free), list(self._r_free)
        t._ips, t._ip_ids = list(self._ips), dict(self._ip_ids)
        t._kinds, t._kind_ids = list(self._kinds), dict(self._kind_ids)
        t._by_if = {k: list(v) for k, v in self._by_if.items()}
        t._by_nh = {k: {nh: list(v) for nh, v in g.items()} for k, g in self._by_nh.items()}
        t._by_src = {k: list(v) for k, v in self._by_src.items()}
        t._slots = self._slots.copy()
        t._loose = {v: list(c) for v, c in self._loose.items()}
        t._loose_lengths = {v: list(c) for v, c in self._loose_lengths.items()}
        t._family_count = dict(self._family_count)
        t._snap = {v: (s.clone() if s is not None else None) for v, s in self._snap.items()}
        t._in_snap = self._in_snap.copy()
        t._dead_snap = list(self._dead_snap)
        t._changed = None
        t._fresh = [False]
        t._forwarding = None
        t._bind()
        return t

    # ------------------------------------------------------------------ columns in, columns out
    @classmethod
    def from_columns(cls, columns: RouteColumns) -> RouteTable:
        """The table `RouteTable(columns.routes())` would be, built from the arrays directly.

        Why: loading a full-table host from a store is dominated by per-route objects otherwise; here
        only the distinct next hops, sources and kinds are Python objects. Raises ValueError (or
        TypeError) for what `Route`/`Prefix` or `add` would refuse: a bad family or length, host bits
        set, an interface index or metric that does not fit, an index outside `ips` / `kinds`.
        """
        arrays = checked_columns(columns)
        table = cls()
        n = len(columns)
        if n < BULK_MIN:
            for route in columns.routes():
                table.add(route)
            return table
        ver, hi, lo, plen, ifx, nh_in, metric, flags, src_in, kind_in = arrays
        ip_ids = np.array([table._intern_ip(ip) for ip in columns.ips] or [0], np.int32)
        kind_ids = np.array([table._intern_kind(k) for k in columns.kinds] or [0], np.uint16)
        nh = ip_ids[nh_in]
        src = np.where(src_in >= 0, ip_ids[np.maximum(src_in, 0)], NIL).astype(np.int32)
        kind = kind_ids[kind_in]
        if table._bulk_arrays(ver, hi, lo, plen, ifx, nh, src, metric, flags, kind):
            return table
        table = cls()  # keys repeat: the later route replaces the earlier one, in its place, as add() does
        for route in columns.routes():
            table.add(route)
        return table

    def to_columns(self, version: int | None = None) -> RouteColumns:
        """The routes as columns, in iteration order (`from_columns` of it is an equal table); with
        `version`, that family's only (what `route print -4` reads).

        `ips` and `kinds` are the table's whole pools; some entries may no longer be used."""
        rows = self._live_rows()
        ra, pa = self._rc.arrays, self._pc.arrays
        if version is not None:
            rows = rows[pa["ver"][ra["pid"][rows]] == version]
        pid = ra["pid"][rows]
        f = ra["flags"][rows]
        return RouteColumns(
            version=pa["ver"][pid],
            hi=pa["hi"][pid],
            lo=pa["lo"][pid],
            length=pa["len"][pid],
            ifindex=ra["ifx"][rows],
            nexthop=ra["nh"][rows],
            metric=ra["metric"][rows],
            origin=f & F_ORIGIN,
            bound=(f & F_BOUND) != 0,
            persistent=(f & F_PERSISTENT) != 0,
            onlink=(f & F_ONLINK) != 0,
            prefsrc=ra["src"][rows],
            kind=ra["kind"][rows],
            ips=tuple(self._ips),
            kinds=tuple(self._kinds),
        )

    def where(
        self,
        *,
        ifindex: int | None = None,
        manual: bool | None = None,
        bound: bool | None = None,
        persistent: bool | None = None,
    ) -> list[Route]:
        """Routes whose flags match (None: either), in iteration order, or with `ifindex` in
        `on_interface` order. Only the matches are materialised: a restored host asks for its few
        persistent routes without touching the million others."""
        if ifindex is not None:
            ends = self._by_if.get(ifindex)
            rows = np.array(self._walk(self._r_inext, ends[0]) if ends else [], np.int64)
        else:
            rows = self._live_rows()
        f = self._rc.arrays["flags"][rows]
        keep = np.ones(rows.size, bool)
        if manual is not None:
            keep &= ((f & F_ORIGIN) != ORIGIN_CODE[Origin.SYSTEM]) == manual
        if bound is not None:
            keep &= ((f & F_BOUND) != 0) == bound
        if persistent is not None:
            keep &= ((f & F_PERSISTENT) != 0) == persistent
        return self._routes_at(rows[keep].tolist())

    # ------------------------------------------------------------------ size and statistics
    def nbytes(self) -> int:
        """Bytes held by the table's arrays (columns, hash, LPM snapshots), without Python objects."""
        total = sum(a.nbytes for a in self._pc.arrays.values()) + sum(
            a.nbytes for a in self._rc.arrays.values()
        )
        total += self._slots.nbytes + self._in_snap.nbytes
        for snap in self._snap.values():
            if snap is not None:
                total += snap.nbytes()
        return total

    def lpm_kind(self, version: int) -> str:
        """Which longest-prefix structure serves a family now: 'probe' (small) or the snapshot's name."""
        snap = self._snap[version]
        return "probe" if snap is None else snap.kind

    # ------------------------------------------------------------------ bulk loading
    def _bulk_load(self, routes: list[Route]) -> bool:
        """Vectorised construction; False (nothing changed) when keys repeat, to keep add() semantics."""
        n = len(routes)
        prefixes = [r.prefix for r in routes]
        if any(type(p) is not Prefix for p in prefixes):
            return False
        ifx_list = [r.ifindex for r in routes]
        try:
            ifx = np.array(ifx_list, np.int32)
            metric = np.array([r.metric for r in routes], np.int64)
        except (OverflowError, TypeError, ValueError):
            return False
        if any(type(i) is not int for i in ifx_list):
            return False
        ver = np.array([p.version for p in prefixes], np.uint8)
        plen = np.array([p.length for p in prefixes], np.uint8)
        nets = [p.network for p in prefixes]
        if (ver == 6).any():
            hi = np.array([x >> 64 for x in nets], np.uint64)
            lo = np.array([x & M64 for x in nets], np.uint64)
        else:
            hi = np.zeros(n, np.uint64)
            lo = np.array(nets, np.uint64)
        ids = self._ip_ids
        for ip in {r.nexthop for r in routes} | {r.prefsrc for r in routes if r.prefsrc is not None}:
            self._intern_ip(ip)
        nh = np.array([ids[r.nexthop] for r in routes], np.int32)
        src = np.array([NIL if r.prefsrc is None else ids[r.prefsrc] for r in routes], np.int32)
        kind_ids = self._kind_ids
        for k in {r.kind for r in routes}:
            self._intern_kind(k)
        kind = np.array([kind_ids[r.kind] for r in routes], np.uint16)
        oc = ORIGIN_CODE
        flags = np.array(
            [
                oc[r.origin]
                | (F_BOUND if r.bound else 0)
                | (F_PERSISTENT if r.persistent else 0)
                | (F_ONLINK if r.onlink_flag else 0)
                | F_ALIVE
                for r in routes
            ],
            np.uint8,
        )
        return self._bulk_arrays(ver, hi, lo, plen, ifx, nh, src, metric, flags, kind)
