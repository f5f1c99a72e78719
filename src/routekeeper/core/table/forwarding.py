"""The forwarding view: per-prefix winners under per-interface costs, and lookups that are one or
two array reads.

Which prefixes contain an address does not depend on interface state; which route wins does. So the
view keeps, for per-interface costs, the winning route of each prefix over the table's LPM snapshots
(`lpm`). A table change re-decides only its own prefix; a link-cost change re-decides the prefixes
with routes on the interfaces whose cost changed. A prefix without a usable route passes the lookup to
its parent, which is exactly the reference semantics "longest prefix that has a usable route".

It reads the table's storage directly (that is what makes it fast); `RouteTable.forwarding` makes
and caches one view per table.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping

import numpy as np

from routekeeper.core.table.lpm import Dir248, Dxr, as_int32_array
from routekeeper.core.table.prefix_hash import probe_many
from routekeeper.core.table.storage import RouteStorage

CHUNK = 1 << 16  # batch lookups work in cache-sized chunks


class Forwarding:
    """Per-prefix winners under per-interface costs, over a table's LPM; answers are route rows.

    cost(route) = route.metric + link_costs[route.ifindex]; an interface missing from `link_costs` or
    mapped to None makes its routes unusable. Equal to `RouteTable.lookup` with that cost function.
    """

    def __init__(self, table: RouteStorage, link_costs: Mapping[int, int | None]) -> None:
        self._t = table
        self._costs: dict[int, int | None] = dict(link_costs)
        self._stamp = -1
        self._own = np.zeros(0, np.int32)
        table._changed = set()
        self._decide_all()

    # -------------------------------------------------------------- keeping winners current
    def set_link_costs(self, link_costs: Mapping[int, int | None]) -> None:
        new = dict(link_costs)
        old = self._costs
        if new == old:
            return
        moved = [i for i in set(new) | set(old) if new.get(i) != old.get(i)]
        self._costs = new
        self._t._fresh[0] = False
        t = self._t
        affected = sum(t._by_if[i][2] for i in moved if i in t._by_if)
        if affected * 16 > max(len(t), 1):
            self._decide_all()
            return
        pids = set()
        r_pid = t._r_pid
        for i in moved:
            ends = t._by_if.get(i)
            if ends is not None:
                pids.update(r_pid[row] for row in t._walk(t._r_inext, ends[0]))
        self._sync()
        for pid in pids:
            self._decide(pid)

    def _sync(self) -> None:
        """Catch up with table changes: re-decide the prefixes they touched, refresh snapshots."""
        t = self._t
        if self._stamp == t._stamp:
            return
        changed = t._changed if t._changed is not None else set()
        t._changed = set()
        if len(changed) * 16 > max(t._nprefixes, 1):
            self._decide_all()
        else:
            if len(self._own) < t._pc.capacity + 1:
                grown = np.full(t._pc.capacity + 1, -1, np.int32)
                grown[: len(self._own)] = self._own
                self._set_own(grown)
            for pid in changed:
                self._decide(pid)
        self._snaps = {v: t._snapshot(v) for v in (4, 6)}
        d4 = self._snaps[4]
        self._fast4 = d4 if isinstance(d4, Dir248) and not t._loose_lengths[4] else None
        self._dxr4 = d4 if isinstance(d4, Dxr) and not t._loose_lengths[4] else None
        self._stamp = t._stamp
        t._fresh = [True]  # compiled lookups made from now on hold this flag; changes clear it

    def _set_own(self, own: np.ndarray) -> None:
        self._own_view = as_int32_array(own)
        self._own = np.frombuffer(self._own_view, np.int32)

    def _decide(self, pid: int) -> None:
        t = self._t
        costs = self._costs
        r_ifx, r_metric, r_chain = t._r_ifx, t._r_metric, t._r_chain
        best, best_cost, best_if = -1, 0, 0
        row = t._p_head[pid] if t._p_ver[pid] else -1
        while row >= 0:
            ifindex = r_ifx[row]
            link = costs.get(ifindex)
            if link is not None:
                c = r_metric[row] + link
                if best < 0 or (c, ifindex) < (best_cost, best_if):
                    best, best_cost, best_if = row, c, ifindex
            row = r_chain[row]
        self._own_view[pid + 1] = best

    def _decide_all(self) -> None:
        """Vectorised: winners of every prefix by (cost, interface, position in its prefix)."""
        t = self._t
        t._changed = set()
        own = np.full(t._pc.capacity + 1, -1, np.int32)
        ra = t._rc.arrays
        used = t._r_used
        live = np.flatnonzero(ra["flags"][:used] & 128)
        ifx = ra["ifx"][live]
        uniq, inverse = np.unique(ifx, return_inverse=True)
        link = np.array([self._costs.get(int(i)) for i in uniq], object)
        usable_if = np.array([c is not None for c in link], bool)
        link_cost = np.array([c if c is not None else 0 for c in link], np.int64)
        usable = usable_if[inverse]
        cost = ra["metric"][live] + link_cost[inverse]
        rank = _chain_rank(t, live, used)
        pid = ra["pid"][live]
        u = np.flatnonzero(usable)
        order = np.lexsort((rank[u], ifx[u], cost[u], pid[u]))
        chosen = u[order]
        first = np.ones(chosen.size, bool)
        first[1:] = pid[chosen][1:] != pid[chosen][:-1]
        win = chosen[first]
        own[pid[win] + 1] = live[win]
        self._set_own(own)
        self._stamp = -1
        self._sync()

    # -------------------------------------------------------------- lookups
    def lookup_row(self, version: int, value: int) -> int:
        """The winning route's row for an address (integer value), -1 when nothing matches."""
        if self._stamp != self._t._stamp:
            self._sync()
        if version == 4 and self._fast4 is not None:
            return self.lookup_v4(value)
        t = self._t
        own = self._own_view
        snap = self._snaps[version]
        w, best_len = -1, -1
        if snap is not None:
            v = snap.find(value)
            w = own[v]
            parent = snap.parent_view
            while w < 0 and v:
                v = parent[v]
                w = own[v]
            if w >= 0:
                best_len = t._p_len[v - 1]
        # loose prefixes (added since the snapshot, or IPv6 beyond /64): longest first, and only
        # those longer than what the snapshot found
        bits = 32 if version == 4 else 128
        full = (1 << bits) - 1
        for length in t._loose_lengths[version]:
            if length <= best_len:
                break
            pid = t._find_prefix(version, value & (full ^ ((1 << (bits - length)) - 1)), length)
            if pid >= 0:
                c = own[pid + 1]
                if c >= 0:
                    return c
        return w

    def lookup_v4(self, value: int) -> int:
        """The single-address fast path: DIR-24-8 to the prefix, its winner, parents if it has none."""
        if self._stamp != self._t._stamp:
            self._sync()
        d = self._fast4
        if d is None:
            return self.lookup_row(4, value)
        v = d.t24_view[value >> 8]
        if v < 0:
            v = d.t8_view[((~v) << 8) | (value & 255)]
        own = self._own_view
        w = own[v]
        if w < 0 and v:
            parent = d.parent_view
            while w < 0 and v:
                v = parent[v]
                w = own[v]
        return w

    def compile_v4(self) -> Callable[[int], int]:
        """A function address (int) -> winning row, bound to the current arrays: the quickest single
        lookup Python can make (no attribute lookups). It stays correct after the table or the link
        costs change (it then defers to `lookup_row`), but only fast again once recompiled."""
        self._sync()
        if self._dxr4 is not None:
            return self._compile_dxr4(self._dxr4)
        d = self._fast4
        if d is None:
            return lambda value: self.lookup_row(4, value)
        fresh = self._t._fresh
        t24, t8, own, parent = d.t24_view, d.t8_view, self._own_view, d.parent_view
        slow = self.lookup_row

        def lookup_v4(value: int) -> int:
            if not fresh[0]:
                return slow(4, value)
            v = t24[value >> 8]
            if v < 0:
                v = t8[((~v) << 8) | (value & 255)]
            w = own[v]
            while w < 0 and v:
                v = parent[v]
                w = own[v]
            return w

        return lookup_v4

    def _compile_dxr4(self, d: Dxr) -> Callable[[int], int]:
        """`compile_v4` over a DXR snapshot: one read for an address in an unsplit chunk, else a binary
        search among its chunk's boundaries; then the prefix's winner, or its parents'."""
        fresh = self._t._fresh
        first, bounds, labels, parent = d.first_view, d.bounds_view, d.labels_view, d.parent_view
        own, shift = self._own_view, d.shift
        slow = self.lookup_row
        search = bisect_right

        def lookup_v4(value: int) -> int:
            if not fresh[0]:
                return slow(4, value)
            c = value >> shift
            lo = first[c]
            hi = first[c + 1]
            v = labels[lo if lo == hi else search(bounds, value, lo + 1, hi + 1) - 1]
            w = own[v]
            while w < 0 and v:
                v = parent[v]
                w = own[v]
            return w

        return lookup_v4

    def lookup(self, ip: object) -> object:
        """The winning Route for an `IP`, or None."""
        row = self.lookup_row(ip.version, ip.value)  # type: ignore[attr-defined]
        return self._t._route_at(row) if row >= 0 else None

    def lookup_batch(
        self, addresses: np.ndarray, version: int = 4, low: np.ndarray | None = None
    ) -> np.ndarray:
        """Winning rows (int32, -1 for none) for many addresses at once.

        IPv4: `addresses` is a uint32 array. IPv6: `addresses` holds the high 64 bits and `low` the
        low 64 bits (uint64 arrays).
        """
        if self._stamp != self._t._stamp:
            self._sync()
        if version == 4:
            lo = np.ascontiguousarray(addresses, np.uint32)
            hi = None
        else:
            hi = np.ascontiguousarray(addresses, np.uint64)
            lo = np.ascontiguousarray(low, np.uint64)
        n = lo.size
        out = np.empty(n, np.int32)
        for a in range(0, n, CHUNK):
            b = min(a + CHUNK, n)
            out[a:b] = self._batch_chunk(version, hi[a:b] if hi is not None else None, lo[a:b])
        return out

    def _batch_chunk(self, version: int, hi: np.ndarray | None, lo: np.ndarray) -> np.ndarray:
        t = self._t
        own = self._own
        snap = self._snaps[version]
        if snap is not None:
            v = snap.find_many(hi, lo)
            w = own.take(v)
            todo = np.flatnonzero((w < 0) & (v > 0))
            while todo.size:
                v[todo] = snap.parent.take(v[todo])
                w[todo] = own.take(v[todo])
                todo = todo[(w[todo] < 0) & (v[todo] > 0)]
            if not t._loose_lengths[version]:
                return w
            best_len = np.where(w >= 0, t._pc.arrays["len"].take(np.maximum(v - 1, 0)).astype(np.int16), -1)
        else:
            w = np.full(lo.size, -1, np.int32)
            best_len = np.full(lo.size, -1, np.int16)
        for length in t._loose_lengths[version]:
            want = best_len < length
            if not want.any():
                break
            pid = probe_many(t._slots, t._pc.arrays, version, hi, lo, length)
            cand = np.where(pid >= 0, own.take(pid + 1), -1)
            take = want & (cand >= 0)
            w = np.where(take, cand, w)
            best_len = np.where(take, length, best_len)
        return w


def _chain_rank(t: RouteStorage, live: np.ndarray, used: int) -> np.ndarray:
    """Position of each live row within its prefix's chain (0 for the head), walked for all at once."""
    ra, pa = t._rc.arrays, t._pc.arrays
    rank_all = np.zeros(used, np.int32)
    pids = np.unique(ra["pid"][live])
    cur = pa["head"][pids]
    cur = cur[cur >= 0].astype(np.int64)
    chain = ra["chain"]
    k = 0
    while cur.size:
        rank_all[cur] = k
        cur = chain[cur].astype(np.int64)
        cur = cur[cur >= 0]
        k += 1
    return rank_all[live]
