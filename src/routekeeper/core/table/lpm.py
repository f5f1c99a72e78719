"""Longest-prefix-match snapshots for big tables: which prefix contains an address.

Which prefixes contain an address does not depend on interface state (which route wins does: see
`forwarding`). A *snapshot* maps an address to the longest prefix that contains it (as `pid + 1`, 0
for none) and each prefix to its parent (the next-longest prefix containing it). IPv4 uses DIR-24-8
(Gupta, Lin, McKeown 1998, as in DPDK's rte_lpm): one int32 per /24, plus a 256-entry group for each
/24 holding longer prefixes; 64 MiB whatever the table, so it is built only for at least `DIR248_MIN`
prefixes (where it costs under ~100 bytes a prefix); a smaller IPv4 table uses DXR ranges behind a
first level sized to the table (`Dxr`: about 4 bytes a chunk and 8 a boundary). No family gets a
snapshot below `SNAPSHOT_MIN[family]` prefixes. IPv6 uses the sorted boundaries of the disjoint ranges
the prefixes of up to /64 cut the top 64 bits into (binary search). Prefixes added after the snapshot
are *loose*: found by probing the prefix hash at the lengths loose prefixes have; removed ones stay in
the snapshot as dead ids and are skipped by following parents. A snapshot is rebuilt, on a lookup and
never on an event, once the changes since it was built exceed a fraction of it.

Pure structures over arrays: nothing here knows the table that builds them.
"""

from __future__ import annotations

import bisect
from array import array

import numpy as np

# Below this many prefixes a family is served by probing the prefix hash at each length it uses. IPv6's
# ranges cost ~16 B a prefix and spare a probe per length (IPv6 tables use many), so they start small;
# IPv4's smallest snapshot has a 256 KiB first level.
SNAPSHOT_MIN = {4: 2048, 6: 256}
DIR248_MIN = 700_000  # IPv4 prefixes from which DIR-24-8's fixed 64 MiB costs under ~100 bytes a prefix
STALE_MIN = 1024


class Snapshot:
    """The cost-independent LPM of one family at build time (immutable; shared by table copies)."""

    kind = "snapshot"

    def __init__(self, members: np.ndarray, parent: np.ndarray, loose_at_build: int) -> None:
        self.members = members  # sorted pids it indexes
        self.parent_view = as_int32_array(parent)  # indexed by pid + 1 -> parent pid + 1 (0: none)
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
        self.t24_view, self.t8_view = as_int32_array(t24), as_int32_array(t8)
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


class Dxr(Snapshot):
    """IPv4 below DIR248_MIN prefixes: DXR (Zec, Rizzo, Mikuc 2012), its first level sized to the table.

    The prefixes cut the address space into disjoint ranges, each labelled with its longest prefix
    (`bounds` are their first addresses, ascending, from 0). The first level splits the space into
    2**`bits` chunks (about one per prefix, 2**10 to 2**16); `first[c]` is the range holding chunk `c`'s
    first address: an address of a chunk no boundary splits is one read away, otherwise a binary search
    among that chunk's few boundaries. Memory: about 4 bytes a chunk and 8 a boundary, in proportion
    to the table where DIR-24-8 is 64 MiB for any size.
    """

    kind = "dxr"

    def __init__(
        self, members: np.ndarray, parent: np.ndarray, bounds: np.ndarray, labels: np.ndarray
    ) -> None:
        super().__init__(members, parent, 0)
        self.bounds, self.labels = bounds, labels
        bits = min(16, max(10, int(members.size).bit_length()))
        self.shift = 32 - bits
        chunks = np.arange((1 << bits) + 1, dtype=np.int64) << self.shift
        self.first = (np.searchsorted(bounds, chunks, "right") - 1).astype(np.int32)
        self.bounds_view = array("I", bounds.astype(np.uint32).tobytes())
        self.labels_view = as_int32_array(labels)
        self.first_view = as_int32_array(self.first)

    def find(self, value: int) -> int:
        c = value >> self.shift
        lo, hi = self.first_view[c], self.first_view[c + 1]
        i = lo if lo == hi else bisect.bisect_right(self.bounds_view, value, lo + 1, hi + 1) - 1
        return self.labels_view[i]

    def find_many(self, hi: np.ndarray | None, lo: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.bounds, lo.astype(np.uint32), "right") - 1
        return self.labels.take(i)

    def nbytes(self) -> int:
        return super().nbytes() + self.bounds.nbytes + self.labels.nbytes + self.first.nbytes


def build_snapshot(
    version: int, hi: np.ndarray, lo: np.ndarray, length: np.ndarray, live: np.ndarray, capacity: int
) -> Snapshot:
    """Paint prefixes shortest first: the entry under a prefix's network just before its own length
    is painted is its parent, and what remains is the longest match everywhere."""
    parent = np.zeros(capacity + 1, np.int32)
    if version == 4 and live.size >= DIR248_MIN:
        return _build_dir248(lo, length, live, parent)
    if version == 4:  # the ranges of 32-bit addresses moved to the top of 64 bits, and back
        r = _build_ranges64(lo.astype(np.uint64) << np.uint64(32), length, live, parent)
        return Dxr(r.members, parent, (r.bounds >> np.uint64(32)).astype(np.uint32), r.labels)
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


def as_int32_array(a: np.ndarray) -> array:
    """An int32 array.array copy of a NumPy array (scalar reads from Python are quickest on it)."""
    out = array("i")
    out.frombytes(np.ascontiguousarray(a, np.int32).tobytes())
    return out
