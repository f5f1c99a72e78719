"""A route table's storage: prefix records and route rows in NumPy columns, the prefix hash, every
ordered index, and the LPM snapshots over them.

Why columnar: a full internet table is about 1M IPv4 and 200k IPv6 routes. As `Route` objects in dicts
that costs about a kilobyte a route; here a route is one row of fixed-width NumPy columns (about 70
bytes, next hops, preferred sources and kinds interned) and a `Route` is materialised only when someone
asks for it.

Every ordered index is an intrusive doubly linked list through the rows (the Linux FIB's fib_info
lists, in arrays), so adding, replacing or removing a route costs O(1) plus a walk of the routes of
its own prefix, and an address or interface event that asks for the routes on an interface, via a next
hop or with a preferred source pays for what it gets back, never for the table's size.

Prefixes are records of their own (a route row points at one), found by an open-addressing hash over
(version, network, length) held in one int32 array. LPM snapshots are built lazily, only for a family
with many prefixes, so a host with twenty routes never pays for a 64 MiB DIR-24-8 table.

Why a class apart from `RouteTable`: the forwarding view reads these internals directly (that is what
makes it fast), and the table creates forwarding views; with the storage here, both sit above it and
neither module imports the other's importer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from routekeeper.core.table.bulk import bulk_layout
from routekeeper.core.table.columns import (
    F_ALIVE,
    F_BOUND,
    F_ONLINK,
    F_ORIGIN,
    F_PERSISTENT,
    INT64,
    M64,
    ORIGIN_CODE,
    ORIGINS,
)
from routekeeper.core.table.lpm import SNAPSHOT_MIN, Snapshot, build_snapshot
from routekeeper.core.table.prefix_hash import build_hash, prefix_hash
from routekeeper.core.values import BITS, IP, Prefix, Route

NIL = -1
PREFIX_COLUMNS = {"ver": np.uint8, "hi": np.uint64, "lo": np.uint64, "len": np.uint8, "head": np.int32}
ROUTE_COLUMNS = {
    "pid": np.int32,
    "ifx": np.int32,
    "nh": np.int32,
    "metric": np.int64,
    "src": np.int32,
    "flags": np.uint8,
    "kind": np.uint16,
    "chain": np.int32,  # next route of the same prefix, in with_prefix order
    "onext": np.int32,  # iteration order
    "oprev": np.int32,
    "inext": np.int32,  # same interface
    "iprev": np.int32,
    "gnext": np.int32,  # same interface and next hop
    "gprev": np.int32,
    "snext": np.int32,  # same preferred source
    "sprev": np.int32,
}
# Set-descriptors of the frozen dataclasses: materialising through them skips the per-field frozen
# __setattr__ dance of the generated __init__ (0.9 us a route instead of 2).
SET_PREFIX = tuple(getattr(Prefix, name).__set__ for name in ("version", "network", "length"))
SET_ROUTE = tuple(
    getattr(Route, name).__set__
    for name in (
        "prefix",
        "ifindex",
        "nexthop",
        "metric",
        "origin",
        "bound",
        "persistent",
        "prefsrc",
        "onlink_flag",
        "kind",
    )
)


class Columns:
    """Growable NumPy columns plus memoryviews of them (memoryview item access is ~3x numpy's)."""

    def __init__(self, spec: Mapping[str, type], capacity: int) -> None:
        self.spec = dict(spec)
        self.capacity = capacity
        self.arrays: dict[str, np.ndarray] = {name: np.zeros(capacity, dtype) for name, dtype in spec.items()}

    def grow(self, need: int) -> None:
        capacity = max(need, self.capacity + self.capacity // 2 + 16)
        for name, old in self.arrays.items():
            new = np.zeros(capacity, old.dtype)
            new[: self.capacity] = old
            self.arrays[name] = new
        self.capacity = capacity

    def copy(self) -> Columns:
        c = Columns.__new__(Columns)
        c.spec, c.capacity = self.spec, self.capacity
        c.arrays = {name: a.copy() for name, a in self.arrays.items()}
        return c

    def view(self, name: str) -> memoryview:
        return memoryview(self.arrays[name])


class RouteStorage:
    """Prefix records, route rows and their indexes; `RouteTable` is the API over them.

    Rows are materialised as fresh `Route` objects on demand; everything else is integers in columns.
    """

    # ------------------------------------------------------------------ storage plumbing
    def _reset(self, prefix_capacity: int, route_capacity: int) -> None:
        self._pc = Columns(PREFIX_COLUMNS, prefix_capacity)
        self._rc = Columns(ROUTE_COLUMNS, route_capacity)
        self._p_used = 0  # high-water marks; rows below them are live or on a free list
        self._r_used = 0
        self._p_free: list[int] = []
        self._r_free: list[int] = []
        self._count = 0
        self._nprefixes = 0
        # interned values: next hops and preferred sources share one pool; kinds another
        self._ips: list[IP] = []
        self._ip_ids: dict[IP, int] = {}
        self._kinds: list[str] = []
        self._kind_ids: dict[str, int] = {}
        self._ohead = NIL
        self._otail = NIL
        # True while iteration order is ascending row order (no freed row was reused): the live rows
        # are then listed by a mask, without walking the order list.
        self._row_ordered = True
        self._by_if: dict[int, list[int]] = {}  # ifindex -> [head, tail, count]
        self._by_nh: dict[int, dict[int, list[int]]] = {}  # ifindex -> nexthop id -> [head, tail, count]
        self._by_src: dict[int, list[int]] = {}  # prefsrc id -> [head, tail, count]
        self._slots = np.full(16, NIL, np.int32)
        # per family and length: live prefixes not covered by the LPM snapshot (all of them, without one)
        self._loose = {4: [0] * (BITS[4] + 1), 6: [0] * (BITS[6] + 1)}
        self._loose_lengths: dict[int, list[int]] = {4: [], 6: []}
        self._family_count = {4: 0, 6: 0}
        self._snap: dict[int, Snapshot | None] = {4: None, 6: None}
        self._in_snap = np.zeros(16, np.uint8)  # pid -> 1 when the family snapshot indexes it
        self._dead_snap: list[int] = []  # removed pids a snapshot still refers to (freed on rebuild)
        self._stamp = 0  # bumped by every change, for the cached forwarding view
        self._changed: set[int] | None = None  # pids whose winners may have moved (while a view exists)
        # Shared with the lookups a forwarding view compiled since its last sync: a change clears it,
        # sending them down the slow path until they are compiled again (see Forwarding.compile_v4).
        self._fresh = [False]
        self._bind()

    def _bind(self) -> None:
        """(Re)fetch the memoryviews after columns grew or were replaced."""
        pv = self._pc.view
        self._p_ver, self._p_hi, self._p_lo = pv("ver"), pv("hi"), pv("lo")
        self._p_len, self._p_head = pv("len"), pv("head")
        rv = self._rc.view
        self._r_pid, self._r_ifx, self._r_nh = rv("pid"), rv("ifx"), rv("nh")
        self._r_metric, self._r_src, self._r_flags = rv("metric"), rv("src"), rv("flags")
        self._r_kind, self._r_chain = rv("kind"), rv("chain")
        self._r_onext, self._r_oprev = rv("onext"), rv("oprev")
        self._r_inext, self._r_iprev = rv("inext"), rv("iprev")
        self._r_gnext, self._r_gprev = rv("gnext"), rv("gprev")
        self._r_snext, self._r_sprev = rv("snext"), rv("sprev")
        self._sv = memoryview(self._slots)
        self._hmask = len(self._slots) - 1
        self._hshift = 64 - (len(self._slots).bit_length() - 1)

    def _intern_ip(self, ip: IP) -> int:
        i = self._ip_ids.get(ip)
        if i is None:
            if type(ip) is not IP:
                raise TypeError(f"not an IP: {ip!r}")
            i = self._ip_ids[ip] = len(self._ips)
            self._ips.append(ip)
        return i

    def _intern_kind(self, kind: str) -> int:
        i = self._kind_ids.get(kind)
        if i is None:
            if len(self._kinds) >= 65535:
                raise ValueError("too many distinct route kinds")
            i = self._kind_ids[kind] = len(self._kinds)
            self._kinds.append(kind)
        return i

    # ------------------------------------------------------------------ the prefix hash
    def _home(self, pid: int) -> int:
        h = prefix_hash(self._p_ver[pid], self._p_hi[pid], self._p_lo[pid], self._p_len[pid])
        return h >> self._hshift

    def _find_prefix(self, version: int, network: int, length: int) -> int:
        hi, lo = network >> 64, network & M64
        slots, mask = self._sv, self._hmask
        p_lo, p_len, p_hi, p_ver = self._p_lo, self._p_len, self._p_hi, self._p_ver
        s = prefix_hash(version, hi, lo, length) >> self._hshift
        while True:
            pid = slots[s]
            if pid < 0:
                return NIL
            if p_lo[pid] == lo and p_len[pid] == length and p_hi[pid] == hi and p_ver[pid] == version:
                return pid
            s = (s + 1) & mask

    def _hash_insert(self, pid: int) -> None:
        if (self._nprefixes + 1) * 2 > len(self._slots):
            self._rehash(len(self._slots) * 2)
        slots, mask = self._sv, self._hmask
        s = self._home(pid)
        while slots[s] >= 0:
            s = (s + 1) & mask
        slots[s] = pid

    def _hash_delete(self, pid: int) -> None:
        """Backward-shift deletion: linear probing stays tombstone-free."""
        slots, mask = self._sv, self._hmask
        i = self._home(pid)
        while slots[i] != pid:
            i = (i + 1) & mask
        slots[i] = NIL
        j = i
        while True:
            j = (j + 1) & mask
            moving = slots[j]
            if moving < 0:
                return
            k = self._home(moving)
            if (i <= j and (k <= i or k > j)) or (i > j and k <= i and k > j):
                slots[i] = moving
                slots[j] = NIL
                i = j

    def _rehash(self, size: int) -> None:
        live = np.flatnonzero(self._pc.arrays["ver"][: self._p_used])
        self._sv.release()
        a = self._pc.arrays
        self._slots = build_hash(a["ver"], a["hi"], a["lo"], a["len"], live, size)
        self._bind()

    # ------------------------------------------------------------------ prefixes
    def _new_prefix(self, version: int, network: int, length: int) -> int:
        if self._p_free:
            pid = self._p_free.pop()
        else:
            pid = self._p_used
            if pid >= self._pc.capacity:
                self._pc.grow(pid + 1)
                self._bind()
            if pid >= len(self._in_snap):
                grown = np.zeros(self._pc.capacity, np.uint8)
                grown[: len(self._in_snap)] = self._in_snap
                self._in_snap = grown
            self._p_used += 1
        self._p_ver[pid] = version
        self._p_hi[pid] = network >> 64
        self._p_lo[pid] = network & M64
        self._p_len[pid] = length
        self._p_head[pid] = NIL
        self._in_snap[pid] = 0
        self._hash_insert(pid)
        self._nprefixes += 1
        self._family_count[version] += 1
        self._loose_add(version, length, 1)
        return pid

    def _drop_prefix(self, pid: int) -> None:
        version, length = self._p_ver[pid], self._p_len[pid]
        self._hash_delete(pid)
        self._nprefixes -= 1
        self._family_count[version] -= 1
        self._p_ver[pid] = 0
        if self._in_snap[pid]:
            self._dead_snap.append(pid)  # the snapshot may still answer with it: keep the id reserved
            snap = self._snap[version]
            if snap is not None:
                snap.dead += 1
        else:
            self._loose_add(version, length, -1)
            self._p_free.append(pid)

    def _loose_add(self, version: int, length: int, delta: int) -> None:
        counts = self._loose[version]
        before = counts[length]
        counts[length] = before + delta
        if before == 0 or counts[length] == 0:
            self._loose_lengths[version] = sorted((n for n, c in enumerate(counts) if c), reverse=True)

    def _prefix_of(self, pid: int) -> Prefix:
        p = Prefix.__new__(Prefix)
        sv, sn, sl = SET_PREFIX
        sv(p, self._p_ver[pid])
        sn(p, (self._p_hi[pid] << 64) | self._p_lo[pid])
        sl(p, self._p_len[pid])
        return p

    # ------------------------------------------------------------------ rows
    def _route_at(self, row: int, prefix: Prefix | None = None) -> Route:
        """Materialise row `row` as an (equal, fresh) Route."""
        f = self._r_flags[row]
        src = self._r_src[row]
        r = Route.__new__(Route)
        s0, s1, s2, s3, s4, s5, s6, s7, s8, s9 = SET_ROUTE
        s0(r, prefix if prefix is not None else self._prefix_of(self._r_pid[row]))
        s1(r, self._r_ifx[row])
        s2(r, self._ips[self._r_nh[row]])
        s3(r, self._r_metric[row])
        s4(r, ORIGINS[f & F_ORIGIN])
        s5(r, bool(f & F_BOUND))
        s6(r, bool(f & F_PERSISTENT))
        s7(r, None if src < 0 else self._ips[src])
        s8(r, bool(f & F_ONLINK))
        s9(r, self._kinds[self._r_kind[row]])
        return r

    def _routes_at(self, rows: list[int]) -> list[Route]:
        """Materialise many rows: columns gathered with NumPy, objects built in one tight loop."""
        if len(rows) < 32:
            return [self._route_at(row) for row in rows]
        idx = np.array(rows, np.int64)
        ra, pa = self._rc.arrays, self._pc.arrays
        pid = ra["pid"][idx]
        hi = pa["hi"][pid]
        lo = pa["lo"][pid].tolist()
        nets = lo if not hi.any() else [(h << 64) | x for h, x in zip(hi.tolist(), lo, strict=True)]
        ips, kinds = self._ips, self._kinds
        sv, sn, sl = SET_PREFIX
        s0, s1, s2, s3, s4, s5, s6, s7, s8, s9 = SET_ROUTE
        p_new, r_new = Prefix.__new__, Route.__new__
        out = []
        for ver, net, length, ifx, nh, metric, src, f, kind in zip(
            pa["ver"][pid].tolist(),
            nets,
            pa["len"][pid].tolist(),
            ra["ifx"][idx].tolist(),
            ra["nh"][idx].tolist(),
            ra["metric"][idx].tolist(),
            ra["src"][idx].tolist(),
            ra["flags"][idx].tolist(),
            ra["kind"][idx].tolist(),
            strict=True,
        ):
            p = p_new(Prefix)
            sv(p, ver)
            sn(p, net)
            sl(p, length)
            r = r_new(Route)
            s0(r, p)
            s1(r, ifx)
            s2(r, ips[nh])
            s3(r, metric)
            s4(r, ORIGINS[f & F_ORIGIN])
            s5(r, bool(f & F_BOUND))
            s6(r, bool(f & F_PERSISTENT))
            s7(r, None if src < 0 else ips[src])
            s8(r, bool(f & F_ONLINK))
            s9(r, kinds[kind])
            out.append(r)
        return out

    def _find_row(self, key: object) -> int:
        if type(key) is not tuple or len(key) != 3:
            return NIL
        prefix, ifindex, nexthop = key
        if type(prefix) is not Prefix:
            return NIL
        nh = self._ip_ids.get(nexthop)
        if nh is None:
            return NIL
        pid = self._find_prefix(prefix.version, prefix.network, prefix.length)
        if pid < 0:
            return NIL
        r_ifx, r_nh, r_chain = self._r_ifx, self._r_nh, self._r_chain
        row = self._p_head[pid]
        while row >= 0:
            if r_nh[row] == nh and r_ifx[row] == ifindex:
                return row
            row = r_chain[row]
        return NIL

    def _encode(self, route: Route, row: int) -> None:
        """Write the non-key fields of `route` into `row`."""
        metric = route.metric
        if not -INT64 <= metric < INT64:
            raise ValueError(f"route metric {metric} does not fit the table (64-bit)")
        self._r_metric[row] = metric
        self._r_flags[row] = (
            F_ALIVE
            | ORIGIN_CODE[route.origin]
            | (F_BOUND if route.bound else 0)
            | (F_PERSISTENT if route.persistent else 0)
            | (F_ONLINK if route.onlink_flag else 0)
        )
        self._r_src[row] = NIL if route.prefsrc is None else self._intern_ip(route.prefsrc)
        self._r_kind[row] = self._intern_kind(route.kind)

    # ------------------------------------------------------------------ intrusive lists
    @staticmethod
    def _link(nxt: memoryview, prv: memoryview, ends: list[int], row: int) -> None:
        """Append `row` to the list whose [head, tail, count] is `ends`."""
        tail = ends[1]
        nxt[row] = NIL
        prv[row] = tail
        if tail < 0:
            ends[0] = row
        else:
            nxt[tail] = row
        ends[1] = row
        ends[2] += 1

    @staticmethod
    def _unlink(nxt: memoryview, prv: memoryview, ends: list[int], row: int) -> None:
        n, p = nxt[row], prv[row]
        if p < 0:
            ends[0] = n
        else:
            nxt[p] = n
        if n < 0:
            ends[1] = p
        else:
            prv[n] = p
        ends[2] -= 1

    def _walk(self, nxt: memoryview, head: int) -> list[int]:
        rows = []
        row = head
        while row >= 0:
            rows.append(row)
            row = nxt[row]
        return rows

    def _chain_append(self, pid: int, row: int) -> None:
        r_chain = self._r_chain
        r_chain[row] = NIL
        cur = self._p_head[pid]
        if cur < 0:
            self._p_head[pid] = row
            return
        while r_chain[cur] >= 0:
            cur = r_chain[cur]
        r_chain[cur] = row

    def _chain_remove(self, pid: int, row: int) -> None:
        r_chain = self._r_chain
        cur = self._p_head[pid]
        if cur == row:
            self._p_head[pid] = r_chain[row]
            return
        while r_chain[cur] != row:
            cur = r_chain[cur]
        r_chain[cur] = r_chain[row]

    def _index(self, row: int, pid: int, ifindex: int, nh: int, src: int) -> None:
        """Hook a row into every ordered index except iteration order (replace keeps that)."""
        self._chain_append(pid, row)
        ends = self._by_if.get(ifindex)
        if ends is None:
            ends = self._by_if[ifindex] = [NIL, NIL, 0]
        self._link(self._r_inext, self._r_iprev, ends, row)
        groups = self._by_nh.get(ifindex)
        if groups is None:
            groups = self._by_nh[ifindex] = {}
        ends = groups.get(nh)
        if ends is None:
            ends = groups[nh] = [NIL, NIL, 0]
        self._link(self._r_gnext, self._r_gprev, ends, row)
        if src >= 0:
            ends = self._by_src.get(src)
            if ends is None:
                ends = self._by_src[src] = [NIL, NIL, 0]
            self._link(self._r_snext, self._r_sprev, ends, row)

    def _unindex(self, row: int) -> None:
        pid, ifindex, nh, src = self._r_pid[row], self._r_ifx[row], self._r_nh[row], self._r_src[row]
        self._chain_remove(pid, row)
        ends = self._by_if[ifindex]
        self._unlink(self._r_inext, self._r_iprev, ends, row)
        if not ends[2]:
            del self._by_if[ifindex]
        groups = self._by_nh[ifindex]
        ends = groups[nh]
        self._unlink(self._r_gnext, self._r_gprev, ends, row)
        if not ends[2]:
            del groups[nh]
            if not groups:
                del self._by_nh[ifindex]
        if src >= 0:
            ends = self._by_src[src]
            self._unlink(self._r_snext, self._r_sprev, ends, row)
            if not ends[2]:
                del self._by_src[src]

    def _touch(self, pid: int) -> None:
        self._stamp += 1
        if self._changed is not None:
            self._changed.add(pid)
            self._fresh[0] = False

    def __len__(self) -> int:
        return self._count

    def _live_rows(self) -> np.ndarray:
        """Rows holding a route, in iteration order."""
        if self._row_ordered:
            return np.flatnonzero(self._rc.arrays["flags"][: self._r_used] & F_ALIVE)
        return np.array(self._walk(self._r_onext, self._ohead), np.int64)

    # ------------------------------------------------------------------ longest-prefix candidates
    def _snapshot(self, version: int) -> Snapshot | None:
        """The family's LPM snapshot, (re)built when the family is big and the snapshot is missing or
        stale (many prefixes added or removed since it was built). Built on lookups, never on events."""
        snap = self._snap[version]
        count = self._family_count[version]
        if snap is None:
            if count < SNAPSHOT_MIN[version]:
                return None
        elif not snap.stale(sum(self._loose[version])):
            return snap
        self._build_snapshot(version)
        return self._snap[version]

    def _build_snapshot(self, version: int) -> None:
        # retire the removed pids the old snapshot still referred to
        old = self._snap[version]
        keep = []
        for pid in self._dead_snap:
            if old is not None and old.has(pid):
                self._in_snap[pid] = 0
                self._p_free.append(pid)
            else:
                keep.append(pid)
        self._dead_snap = keep
        a = self._pc.arrays
        used = self._p_used
        live = np.flatnonzero(a["ver"][:used] == version)
        snap = build_snapshot(version, a["hi"], a["lo"], a["len"], live, self._pc.capacity)
        in_snap = self._in_snap
        old = self._snap[version]
        if old is not None:
            in_snap[old.members] = 0
        in_snap[snap.members] = 1
        loose = np.bincount(a["len"][live[in_snap[live] == 0]], minlength=BITS[version] + 1)
        self._loose[version] = [int(c) for c in loose]
        self._loose_lengths[version] = sorted(
            (n for n, c in enumerate(self._loose[version]) if c), reverse=True
        )
        self._snap[version] = snap
        self._stamp += 1
        self._fresh[0] = False

    def _candidates(self, version: int, value: int) -> Iterator[int]:
        """Live prefixes containing the address, longest first."""
        snap = self._snapshot(version)
        bits = BITS[version]
        full = (1 << bits) - 1
        loose = self._loose_lengths[version]
        p_len, p_ver, in_snap = self._p_len, self._p_ver, self._in_snap
        i = 0
        base = snap.find(value) if snap is not None else 0  # pid + 1, 0 for none
        parent = snap.parent_view if snap is not None else None
        while True:
            base_len = p_len[base - 1] if base else -1
            while i < len(loose) and loose[i] > base_len:
                length = loose[i]
                i += 1
                mask = full ^ ((1 << (bits - length)) - 1)
                pid = self._find_prefix(version, value & mask, length)
                if pid >= 0 and not in_snap[pid]:
                    yield pid
            if not base:
                return
            pid = base - 1
            if p_ver[pid] == version and self._p_head[pid] >= 0:
                yield pid
            assert parent is not None
            base = parent[base]

    # ------------------------------------------------------------------ bulk loading
    def _bulk_arrays(
        self,
        ver: np.ndarray,
        hi: np.ndarray,
        lo: np.ndarray,
        plen: np.ndarray,
        ifx: np.ndarray,
        nh: np.ndarray,
        src: np.ndarray,
        metric: np.ndarray,
        flags: np.ndarray,
        kind: np.ndarray,
    ) -> bool:
        """Fill an empty table from checked arrays (next hops, sources, kinds as table ids); False,
        changing nothing, when keys repeat."""
        n = ver.size
        built = bulk_layout(ver, hi, lo, plen, ifx, nh, src)
        if built is None:
            return False
        pid_of, (p_ver, p_hi, p_lo, p_len, p_head), lists = built
        npids = len(p_ver)
        self._pc = Columns(PREFIX_COLUMNS, npids + 16)
        self._rc = Columns(ROUTE_COLUMNS, n + 16)
        pa, ra = self._pc.arrays, self._rc.arrays
        pa["ver"][:npids], pa["hi"][:npids], pa["lo"][:npids] = p_ver, p_hi, p_lo
        pa["len"][:npids], pa["head"][:npids] = p_len, p_head
        ra["pid"][:n], ra["ifx"][:n], ra["nh"][:n], ra["metric"][:n] = pid_of, ifx, nh, metric
        ra["src"][:n], ra["flags"][:n], ra["kind"][:n] = src, flags, kind
        for name, column in lists["columns"].items():
            ra[name][:n] = column
        self._p_used, self._r_used = npids, n
        self._count, self._nprefixes = n, npids
        self._ohead, self._otail = 0, n - 1
        self._by_if = lists["by_if"]
        self._by_nh = lists["by_nh"]
        self._by_src = lists["by_src"]
        self._in_snap = np.zeros(self._pc.capacity, np.uint8)
        for version in (4, 6):
            counts = np.bincount(p_len[p_ver == version], minlength=BITS[version] + 1)
            self._loose[version] = [int(c) for c in counts]
            self._loose_lengths[version] = sorted((i for i, c in enumerate(counts) if c), reverse=True)
            self._family_count[version] = int((p_ver == version).sum())
        size = 16
        while size < npids * 2:
            size *= 2
        self._slots = build_hash(p_ver, p_hi, p_lo, p_len, np.arange(npids), size)
        self._bind()
        return True
