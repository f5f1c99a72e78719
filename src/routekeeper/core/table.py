"""The active route table: longest-prefix match plus the indexes that keep address changes cheap.

Why columnar: a full internet table is about 1M IPv4 and 200k IPv6 routes. As `Route` objects in dicts
that costs about a kilobyte a route; here a route is one row of fixed-width NumPy columns (about 70
bytes, next hops, preferred sources and kinds interned) and a `Route` is materialised only when someone
asks for it. The public API and its semantics are those of the dict-of-routes table it replaces,
including every order a caller can observe:

- iteration follows insertion order; replacing a route keeps its place (a dict's `d[k] = v`);
- `with_prefix`, `on_interface` and `via` list routes in the order they were last added or replaced
  (the old per-bucket dicts deleted and re-inserted on replace), and `nexthops_on` lists next hops in
  the order their group was last created;
- among routes of the same prefix and equal (cost, interface), the one first in `with_prefix` order
  wins a lookup.

Every ordered index is an intrusive doubly linked list through the rows (the Linux FIB's fib_info
lists, in arrays), so adding, replacing or removing a route costs O(1) plus a walk of the routes of
its own prefix, and an address or interface event that asks `on_interface` / `via` / `with_prefsrc`
pays for what it gets back, never for the table's size.

Prefixes are records of their own (a route row points at one), found by an open-addressing hash over
(version, network, length) held in one int32 array. Longest-prefix match and the fast forwarding
views live in `lpm`; they are built lazily, only for a family with many prefixes, so a host with
twenty routes never pays for a 64 MiB DIR-24-8 table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from routekeeper.core import lpm
from routekeeper.core.values import BITS, IP, Origin, Prefix, Route, RouteKey

if TYPE_CHECKING:
    from routekeeper.core.lpm import Forwarding

# A cost function: the total metric of a route, or None when the route may not be used
# (its interface is disconnected, disabled or gone).
Cost = Callable[[Route], int | None]

NIL = -1
M64 = (1 << 64) - 1
HASH_MUL = 0x9E3779B97F4A7C15
HI_MUL = 0xC2B2AE3D27D4EB4F
ORIGINS = tuple(Origin)
ORIGIN_CODE = {o: i for i, o in enumerate(ORIGINS)}
F_ORIGIN = 3
F_BOUND = 4
F_PERSISTENT = 8
F_ONLINK = 16
F_ALIVE = 128  # the row holds a route (free rows have 0)
INT32 = 1 << 31
INT64 = 1 << 63
BULK_MIN = 256  # below this, building row by row is as quick as the vectorised path
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


def prefix_hash(version: int, hi: int, lo: int, length: int) -> int:
    """64-bit hash of a prefix key; `lpm.prefix_hash_many` is the same function over arrays."""
    k = lo ^ ((hi * HI_MUL) & M64) ^ (length << 55) ^ (version << 48)
    return (k * HASH_MUL) & M64


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


class RouteTable:
    """Routes keyed by (prefix, interface, next hop)."""

    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self._reset(16, 16)
        batch = routes if isinstance(routes, list | tuple) else list(routes)
        if len(batch) >= BULK_MIN and self._bulk_load(batch):
            return
        for route in batch:
            self.add(route)

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
        self._snap: dict[int, lpm.Snapshot | None] = {4: None, 6: None}
        self._in_snap = np.zeros(16, np.uint8)  # pid -> 1 when the family snapshot indexes it
        self._dead_snap: list[int] = []  # removed pids a snapshot still refers to (freed on rebuild)
        self._stamp = 0  # bumped by every change, for the cached forwarding view
        self._changed: set[int] | None = None  # pids whose winners may have moved (while a view exists)
        self._forwarding: Forwarding | None = None
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
        self._slots = lpm.build_hash(a["ver"], a["hi"], a["lo"], a["len"], live, size)
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
            if self._forwarding is not None:
                self._forwarding._fresh[0] = False

    # ------------------------------------------------------------------ the public API
    def __len__(self) -> int:
        return self._count

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
            view = self._forwarding = lpm.Forwarding(self, link_costs)
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
        arrays = _checked_columns(columns)
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

    def to_columns(self) -> RouteColumns:
        """The routes as columns, in iteration order (`from_columns` of it is an equal table).

        `ips` and `kinds` are the table's whole pools; some entries may no longer be used."""
        rows = self._live_rows()
        ra, pa = self._rc.arrays, self._pc.arrays
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

    def _live_rows(self) -> np.ndarray:
        """Rows holding a route, in iteration order."""
        if self._row_ordered:
            return np.flatnonzero(self._rc.arrays["flags"][: self._r_used] & F_ALIVE)
        return np.array(self._walk(self._r_onext, self._ohead), np.int64)

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

    # ------------------------------------------------------------------ longest-prefix candidates
    def _snapshot(self, version: int) -> lpm.Snapshot | None:
        """The family's LPM snapshot, (re)built when the family is big and the snapshot is missing or
        stale (many prefixes added or removed since it was built). Built on lookups, never on events."""
        snap = self._snap[version]
        count = self._family_count[version]
        if snap is None:
            if count < lpm.SNAPSHOT_MIN:
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
        snap = lpm.build_snapshot(version, a["hi"], a["lo"], a["len"], live, self._pc.capacity)
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
        if self._forwarding is not None:
            self._forwarding._fresh[0] = False

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
        built = lpm.bulk_layout(ver, hi, lo, plen, ifx, nh, src)
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
        self._slots = lpm.build_hash(p_ver, p_hi, p_lo, p_len, np.arange(npids), size)
        self._bind()
        return True


def _checked_columns(c: RouteColumns) -> tuple[np.ndarray, ...]:
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
