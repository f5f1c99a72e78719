"""Longest-prefix-match structures for big tables, and the forwarding view built on them.

Why two layers. Which prefixes contain an address does not depend on interface state; which route
wins does. So:

- a *snapshot* maps an address to the longest prefix that contains it (as `pid + 1`, 0 for none) and
  each prefix to its parent (the next-longest prefix containing it). IPv4 uses DIR-24-8 (Gupta,
  Lin, McKeown 1998, as in DPDK's rte_lpm): one int32 per /24, plus a 256-entry group for each /24
  holding longer prefixes; 64 MiB whatever the table, so it is built only for a family with at least
  `SNAPSHOT_MIN` prefixes. IPv6 uses the sorted boundaries of the disjoint ranges the prefixes of up
  to /64 cut the top 64 bits into (binary search). Prefixes added after the snapshot are *loose*:
  found by probing the prefix hash at the lengths loose prefixes have; removed ones stay in the
  snapshot as dead ids and are skipped by following parents. A snapshot is rebuilt, on a lookup and
  never on an event, once the changes since it was built exceed a fraction of it.
- a *forwarding view* (`Forwarding`) keeps, for per-interface costs, the winning route of each
  prefix. A table change re-decides only its own prefix; a link-cost change re-decides the prefixes
  with routes on the interfaces whose cost changed. Lookups then cost one or two array reads.

A prefix without a usable route passes the lookup to its parent, which is exactly the reference
semantics "longest prefix that has a usable route".
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from routekeeper.core.table import RouteTable

SNAPSHOT_MIN = 2048  # below this many prefixes a family is served by probing the prefix hash
STALE_MIN = 1024
HASH_MUL = 0x9E3779B97F4A7C15
HI_MUL = 0xC2B2AE3D27D4EB4F
CHUNK = 1 << 16  # batch lookups work in cache-sized chunks


def prefix_hash_many(ver: np.ndarray, hi: np.ndarray, lo: np.ndarray, length: np.ndarray) -> np.ndarray:
    """`table.prefix_hash` over arrays (uint64 arithmetic wraps exactly like the masked Python ints)."""
    k = lo.astype(np.uint64) ^ (hi.astype(np.uint64) * np.uint64(HI_MUL))
    k ^= length.astype(np.uint64) << np.uint64(55)
    k ^= ver.astype(np.uint64) << np.uint64(48)
    return k * np.uint64(HASH_MUL)


def build_hash(
    ver: np.ndarray, hi: np.ndarray, lo: np.ndarray, length: np.ndarray, pids: np.ndarray, size: int
) -> np.ndarray:
    """An open-addressing (linear probing) slot array holding `pids`, built in vectorised rounds.

    Each round places, for every free slot that pending keys sit on, the first of them; the others
    step one slot on. A key thus only ever passes occupied slots, which is the linear-probing
    invariant lookups and backward-shift deletion rely on.
    """
    slots = np.full(size, -1, np.int32)
    shift = np.uint64(64 - (size.bit_length() - 1))
    pids = np.asarray(pids, np.int64)
    pos = (prefix_hash_many(ver[pids], hi[pids], lo[pids], length[pids]) >> shift).astype(np.int64)
    mask = size - 1
    pending = pids
    while pending.size:
        free = slots[pos] < 0
        cand_pos = pos[free]
        cand = pending[free]
        first_pos, first = np.unique(cand_pos, return_index=True)
        slots[first_pos] = cand[first]
        placed = np.zeros(pending.size, bool)
        placed[np.flatnonzero(free)[first]] = True
        pending = pending[~placed]
        pos = pos[~placed]
        pos = np.where(slots[pos] >= 0, (pos + 1) & mask, pos)
    return slots


class Snapshot:
    """The cost-independent LPM of one family at build time (immutable; shared by table copies)."""

    kind = "snapshot"

    def __init__(self, members: np.ndarray, parent: np.ndarray, loose_at_build: int) -> None:
        self.members = members  # sorted pids it indexes
        self.parent_view = _as_array(parent)  # indexed by pid + 1 -> parent pid + 1 (0: none)
        self.parent = np.frombuffer(self.parent_view, np.int32)
        self.loose_at_build = loose_at_build
        self.dead = 0

    def has(self, pid: int) -> bool:
        i = int(np.searchsorted(self.members, pid))
        return i < len(self.members) and int(self.members[i]) == pid

    def stale(self, loose: int) -> bool:
        """Rebuild when prefixes added or removed since the build exceed an eighth of it."""
        limit = max(STALE_MIN, len(self.members) // 8)
        return loose - self.loose_at_build > limit or self.dead > limit

    def clone(self) -> Snapshot:
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        return twin

    def find(self, value: int) -> int:
        raise NotImplementedError

    def find_many(self, hi: np.ndarray | None, lo: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def nbytes(self) -> int:
        return self.members.nbytes + self.parent.nbytes


class Dir248(Snapshot):
    """IPv4 DIR-24-8: t24 holds pid + 1, or ~g for group g of t8 (256 entries, indexed by the last octet)."""

    kind = "dir-24-8"

    def __init__(self, members: np.ndarray, parent: np.ndarray, t24: np.ndarray, t8: np.ndarray) -> None:
        super().__init__(members, parent, 0)
        # array.array for the single-address path (its item access is ~20% quicker than a
        # memoryview's); NumPy views of the same buffers for the batch path.
        self.t24_view, self.t8_view = _as_array(t24), _as_array(t8)
        self.t24 = np.frombuffer(self.t24_view, np.int32)
        self.t8 = np.frombuffer(self.t8_view, np.int32)

    def find(self, value: int) -> int:
        v = self.t24_view[value >> 8]
        if v < 0:
            v = self.t8_view[((~v) << 8) | (value & 255)]
        return v

    def find_many(self, hi: np.ndarray | None, lo: np.ndarray) -> np.ndarray:
        a = lo.astype(np.uint32, copy=False)
        v = self.t24.take(a >> 8)
        neg = np.flatnonzero(v < 0)
        if neg.size:
            v[neg] = self.t8.take((np.invert(v[neg]).astype(np.int64) << 8) | (a[neg] & 255))
        return v

    def nbytes(self) -> int:
        return super().nbytes() + self.t24.nbytes + self.t8.nbytes


class Ranges64(Snapshot):
    """IPv6: boundaries of the disjoint ranges of the top 64 bits, each labelled with pid + 1."""

    kind = "ranges-64"

    def __init__(
        self, members: np.ndarray, parent: np.ndarray, bounds: np.ndarray, labels: np.ndarray, loose: int
    ) -> None:
        super().__init__(members, parent, loose)
        self.bounds, self.labels = bounds, labels
        self.bounds_view, self.labels_view = memoryview(bounds), memoryview(labels)

    def find(self, value: int) -> int:
        i = bisect.bisect_right(self.bounds_view, value >> 64) - 1
        return self.labels_view[i] if i >= 0 else 0

    def find_many(self, hi: np.ndarray | None, lo: np.ndarray) -> np.ndarray:
        assert hi is not None
        i = np.searchsorted(self.bounds, hi, "right") - 1
        out = self.labels.take(np.maximum(i, 0))
        out[i < 0] = 0
        return out

    def nbytes(self) -> int:
        return super().nbytes() + self.bounds.nbytes + self.labels.nbytes


def build_snapshot(
    version: int, hi: np.ndarray, lo: np.ndarray, length: np.ndarray, live: np.ndarray, capacity: int
) -> Snapshot:
    """Paint prefixes shortest first: the entry under a prefix's network just before its own length
    is painted is its parent, and what remains is the longest match everywhere."""
    parent = np.zeros(capacity + 1, np.int32)
    if version == 4:
        return _build_dir248(lo, length, live, parent)
    return _build_ranges64(hi, length, live, parent)


def _build_dir248(lo: np.ndarray, length: np.ndarray, live: np.ndarray, parent: np.ndarray) -> Dir248:
    net = lo[live].astype(np.uint32)
    plen = length[live].astype(np.int64)
    t24 = np.zeros(1 << 24, np.int32)
    for n in range(25):
        sel = np.flatnonzero(plen == n)
        if not sel.size:
            continue
        label = (live[sel] + 1).astype(np.int32)
        start = (net[sel] >> 8).astype(np.int64)
        parent[label] = t24[start]
        count = 1 << (24 - n)
        if count >= 256:
            for s, lab in zip(start.tolist(), label.tolist(), strict=True):
                t24[s : s + count] = lab
        else:
            t24[(start[:, None] + np.arange(count)).ravel()] = np.repeat(label, count)
    long_ = np.flatnonzero(plen > 24)
    t8 = np.zeros(0, np.int32)
    if long_.size:
        base = np.unique(net[long_] >> 8).astype(np.int64)
        t8 = np.repeat(t24[base], 256)
        t24[base] = np.invert(np.arange(base.size, dtype=np.int32))
        for n in range(25, 33):
            sel = long_[plen[long_] == n]
            if not sel.size:
                continue
            label = (live[sel] + 1).astype(np.int32)
            group = np.searchsorted(base, (net[sel] >> 8).astype(np.int64))
            start = group * 256 + (net[sel] & 255).astype(np.int64)
            parent[label] = t8[start]
            count = 1 << (32 - n)
            t8[(start[:, None] + np.arange(count)).ravel()] = np.repeat(label, count)
    return Dir248(np.sort(live), parent, t24, t8)


def _build_ranges64(hi: np.ndarray, length: np.ndarray, live: np.ndarray, parent: np.ndarray) -> Ranges64:
    inside = live[length[live] <= 64]
    loose = int(live.size - inside.size)
    start = hi[inside].astype(np.uint64)
    plen = length[inside].astype(np.int64)
    size = np.where(plen == 0, 0, np.left_shift(np.uint64(1), (64 - plen).astype(np.uint64)))
    end = start + size.astype(np.uint64)  # wraps to 0 for a range reaching the top of the space
    wraps = (end == 0) | (plen == 0)
    bounds = np.unique(np.concatenate([np.zeros(1, np.uint64), start, end[~wraps]]))
    labels = np.zeros(bounds.size, np.int32)
    s_idx = np.searchsorted(bounds, start)
    e_idx = np.where(wraps, bounds.size, np.searchsorted(bounds, end))
    for n in range(65):
        sel = np.flatnonzero(plen == n)
        if not sel.size:
            continue
        lab = (inside[sel] + 1).astype(np.int32)
        parent[lab] = labels[s_idx[sel]]
        # same-length prefixes are disjoint: mark each one's range with its index, fill forward
        marks = np.zeros(bounds.size + 1, np.int64)
        np.add.at(marks, s_idx[sel], np.arange(1, sel.size + 1))
        np.add.at(marks, e_idx[sel], -np.arange(1, sel.size + 1))
        which = np.cumsum(marks)[:-1]
        covered = which > 0
        labels[covered] = lab[which[covered] - 1]
    return Ranges64(np.sort(inside), parent, bounds, labels, loose)


def bulk_layout(
    ver: np.ndarray,
    hi: np.ndarray,
    lo: np.ndarray,
    plen: np.ndarray,
    ifx: np.ndarray,
    nh: np.ndarray,
    src: np.ndarray,
) -> tuple | None:
    """Prefix records and every ordered index for rows given in insertion order (None if keys repeat).

    Each list is in row order, which is what adding the rows one by one would give.
    """
    n = ver.size
    order = np.lexsort((plen, lo, hi, ver))
    sv, sh, sl, sp = ver[order], hi[order], lo[order], plen[order]
    new = np.ones(n, bool)
    new[1:] = (sv[1:] != sv[:-1]) | (sh[1:] != sh[:-1]) | (sl[1:] != sl[:-1]) | (sp[1:] != sp[:-1])
    pid_sorted = np.cumsum(new) - 1
    pid_of = np.empty(n, np.int32)
    pid_of[order] = pid_sorted
    firsts = order[new]
    p_ver, p_hi, p_lo, p_len = ver[firsts], hi[firsts], lo[firsts], plen[firsts]
    # duplicate keys: same prefix, interface and next hop
    key_order = np.lexsort((nh, ifx, pid_of))
    kp, ki, kn = pid_of[key_order], ifx[key_order], nh[key_order]
    if n > 1 and ((kp[1:] == kp[:-1]) & (ki[1:] == ki[:-1]) & (kn[1:] == kn[:-1])).any():
        return None
    columns: dict[str, np.ndarray] = {}
    rows = np.arange(n, dtype=np.int32)
    onext = rows + 1
    onext[-1] = -1
    columns["onext"], columns["oprev"] = onext, rows - 1
    # prefix chains (singly linked) in row order
    by_pid = np.argsort(pid_of, kind="stable")
    chain = np.full(n, -1, np.int32)
    same = pid_of[by_pid[1:]] == pid_of[by_pid[:-1]]
    chain[by_pid[:-1][same]] = by_pid[1:][same]
    columns["chain"] = chain
    p_head = np.full(firsts.size, -1, np.int32)
    lead = np.ones(n, bool)
    lead[1:] = ~same
    p_head[pid_of[by_pid[lead]]] = by_pid[lead]  # stable sort: a pid's first row leads its run
    by_if, columns["inext"], columns["iprev"] = _lists(rows, (ifx,))
    groups, columns["gnext"], columns["gprev"] = _lists(rows, (ifx, nh))
    by_nh: dict[int, dict[int, list[int]]] = {}
    for (i, h), ends in sorted(groups.items(), key=lambda item: item[1][0]):
        by_nh.setdefault(i, {})[h] = ends
    has_src = rows[src >= 0]
    srcs, snext, sprev = _lists(has_src, (src[has_src],), n)
    columns["snext"], columns["sprev"] = snext, sprev
    by_src = {k[0]: v for k, v in srcs.items()}
    by_if_flat = {k[0]: v for k, v in by_if.items()}
    lists = {"columns": columns, "by_if": by_if_flat, "by_nh": by_nh, "by_src": by_src}
    return pid_of, (p_ver, p_hi, p_lo, p_len, p_head), lists


def _lists(
    rows: np.ndarray, keys: tuple[np.ndarray, ...], n: int | None = None
) -> tuple[dict[tuple[int, ...], list[int]], np.ndarray, np.ndarray]:
    """Doubly linked lists of `rows` grouped by `keys`, in row order.

    Returns ({key: [head, tail, count]}, next, prev)."""
    size = rows.size if n is None else n
    nxt = np.full(size, -1, np.int32)
    prv = np.full(size, -1, np.int32)
    ends: dict[tuple[int, ...], list[int]] = {}
    if not rows.size:
        return ends, nxt, prv
    order = np.lexsort((rows, *keys[::-1]))
    srt = rows[order]
    same = np.ones(rows.size - 1, bool)
    for k in keys:
        ks = k[order]
        same &= ks[1:] == ks[:-1]
    nxt[srt[:-1][same]] = srt[1:][same]
    prv[srt[1:][same]] = srt[:-1][same]
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    stops = np.concatenate([starts[1:], [rows.size]]) - 1
    key_cols = [k[order][starts].tolist() for k in keys]
    for j, (a, b) in enumerate(zip(starts.tolist(), stops.tolist(), strict=True)):
        ends[tuple(col[j] for col in key_cols)] = [int(srt[a]), int(srt[b]), b - a + 1]
    return ends, nxt, prv


class Forwarding:
    """Per-prefix winners under per-interface costs, over a table's LPM; answers are route rows.

    cost(route) = route.metric + link_costs[route.ifindex]; an interface missing from `link_costs` or
    mapped to None makes its routes unusable. Equal to `RouteTable.lookup` with that cost function.
    """

    def __init__(self, table: RouteTable, link_costs: Mapping[int, int | None]) -> None:
        self._t = table
        self._costs: dict[int, int | None] = dict(link_costs)
        self._stamp = -1
        self._own = np.zeros(0, np.int32)
        self._fresh = [False]
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
        self._fresh[0] = False
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
        self._stamp = t._stamp
        self._fresh = [True]  # compiled lookups made from now on hold this flag; changes clear it

    def _set_own(self, own: np.ndarray) -> None:
        self._own_view = _as_array(own)
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
        d = self._fast4
        if d is None:
            return lambda value: self.lookup_row(4, value)
        fresh = self._fresh
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
            pid = _probe_many(t, version, hi, lo, length)
            cand = np.where(pid >= 0, own.take(pid + 1), -1)
            take = want & (cand >= 0)
            w = np.where(take, cand, w)
            best_len = np.where(take, length, best_len)
        return w


def _as_array(a: np.ndarray) -> array:
    """An int32 array.array copy of a NumPy array (scalar reads from Python are quickest on it)."""
    out = array("i")
    out.frombytes(np.ascontiguousarray(a, np.int32).tobytes())
    return out


def _chain_rank(t: RouteTable, live: np.ndarray, used: int) -> np.ndarray:
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


def _probe_many(
    t: RouteTable, version: int, hi: np.ndarray | None, lo: np.ndarray, length: int
) -> np.ndarray:
    """Vectorised exact match of (address masked to `length`) in the table's prefix hash; pid or -1."""
    n = lo.size
    if version == 4:
        q_hi = np.zeros(n, np.uint64)
        keep = (0xFFFFFFFF ^ ((1 << (32 - length)) - 1)) if length else 0
        q_lo = lo.astype(np.uint64) & np.uint64(keep)
    else:
        assert hi is not None
        hi_mask = ((1 << 64) - 1) ^ ((1 << max(64 - length, 0)) - 1) if length else 0
        lo_mask = ((1 << 64) - 1) ^ ((1 << (128 - length)) - 1) if length > 64 else 0
        q_hi = hi & np.uint64(hi_mask)
        q_lo = lo & np.uint64(lo_mask)
    slots = t._slots
    size = slots.size
    shift = np.uint64(64 - (size.bit_length() - 1))
    pos = (
        prefix_hash_many(np.full(n, version, np.uint8), q_hi, q_lo, np.full(n, length, np.uint8)) >> shift
    ).astype(np.int64)
    pa = t._pc.arrays
    out = np.full(n, -1, np.int32)
    todo = np.arange(n)
    while todo.size:
        s = slots[pos[todo]]
        empty = s < 0
        sp = np.maximum(s, 0)
        hit = (
            ~empty
            & (pa["lo"][sp] == q_lo[todo])
            & (pa["hi"][sp] == q_hi[todo])
            & (pa["len"][sp] == length)
            & (pa["ver"][sp] == version)
        )
        out[todo[hit]] = s[hit]
        go = ~empty & ~hit
        todo = todo[go]
        pos[todo] = (pos[todo] + 1) & (size - 1)
    return out
