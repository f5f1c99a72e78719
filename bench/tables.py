"""Synthetic internet-scale tables with the real shape.

Why synthetic: a RIB dump is not shipped with the project, and the properties that matter for the
table's speed and size are the prefix-length distribution and how much prefixes nest. IPv4 follows
the distribution of today's DFZ (/24 about 60%, /22 12%, /23 10%, /21 6%, /20 5%, /19 3%, /18 2%,
/16 1%, the rest spread over /8../17 and /25../32); IPv6 is mostly /48 and /32 (then /44, /40, /36,
/29, /46, /47). About half the prefixes are carved out of a shorter prefix of the table (more
specifics of an aggregate), the rest are independent.
"""

from __future__ import annotations

import numpy as np

from routekeeper.core.values import IP, Origin, Prefix, Route

V4_LENGTHS = {
    24: 0.60, 22: 0.12, 23: 0.10, 21: 0.06, 20: 0.05, 19: 0.03, 18: 0.02, 16: 0.01,
    17: 0.003, 15: 0.002, 14: 0.0015, 13: 0.001, 12: 0.001, 11: 0.0005, 10: 0.0005, 9: 0.0003,
    8: 0.0002, 25: 0.0008, 26: 0.0006, 27: 0.0004, 28: 0.0003, 29: 0.0003, 30: 0.0002, 32: 0.0002,
}  # fmt: skip
V6_LENGTHS = {
    48: 0.46, 32: 0.14, 44: 0.08, 40: 0.07, 36: 0.04, 29: 0.04, 46: 0.03, 47: 0.03, 45: 0.02,
    42: 0.02, 33: 0.015, 34: 0.01, 38: 0.01, 28: 0.01, 56: 0.005, 64: 0.005, 24: 0.003, 20: 0.002,
    128: 0.001,
}  # fmt: skip
NESTED = 0.5


def _lengths(rng: np.random.Generator, dist: dict[int, float], n: int) -> np.ndarray:
    keys = np.array(list(dist), np.int64)
    p = np.array(list(dist.values()), float)
    return rng.choice(keys, size=n, p=p / p.sum())


def v4_prefixes(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """n distinct IPv4 prefixes (network uint32, length uint8), about half nested in shorter ones."""
    rng = np.random.default_rng(seed)
    nets: list[np.ndarray] = []
    lens: list[np.ndarray] = []
    have = 0
    while have < n:
        want = int((n - have) * 1.05) + 16
        length = np.sort(_lengths(rng, V4_LENGTHS, want))
        net = rng.integers(1 << 24, 224 << 24, size=want, dtype=np.int64)  # 1.0.0.0 .. 223.255.255.255
        done_net = np.concatenate(nets) if nets else np.zeros(0, np.int64)
        done_len = np.concatenate(lens) if lens else np.zeros(0, np.int64)
        for length_value in np.unique(length):
            sel = np.flatnonzero(length == length_value)
            shorter = np.flatnonzero(length < length_value)
            old = np.flatnonzero(done_len < length_value)
            pool_net = np.concatenate([net[shorter], done_net[old]])
            pool_len = np.concatenate([length[shorter], done_len[old]])
            nested = sel[rng.random(sel.size) < NESTED]
            if pool_net.size and nested.size:
                pick = rng.integers(0, pool_net.size, nested.size)
                host_bits = 32 - pool_len[pick]
                inner = rng.integers(0, 1 << 32, nested.size, dtype=np.int64) & ((1 << host_bits) - 1)
                net[nested] = pool_net[pick] | inner
            net[sel] &= (0xFFFFFFFF ^ ((1 << (32 - int(length_value))) - 1)) & 0xFFFFFFFF
        all_net = np.concatenate([done_net, net])
        all_len = np.concatenate([done_len, length])
        key = (all_net << 6) | all_len
        _, first = np.unique(key, return_index=True)
        first.sort()
        nets, lens = [all_net[first][:n]], [all_len[first][:n]]
        have = nets[0].size
    order = rng.permutation(n)
    return nets[0][order].astype(np.uint32), lens[0][order].astype(np.uint8)


def v6_prefixes(n: int, seed: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n distinct IPv6 prefixes inside 2000::/3 as (high 64 bits, low 64 bits, length)."""
    rng = np.random.default_rng(seed)
    length = np.sort(_lengths(rng, V6_LENGTHS, int(n * 1.05) + 16))
    hi = (rng.integers(0, 1 << 61, size=length.size, dtype=np.int64).astype(np.uint64)) | np.uint64(1 << 61)
    lo = rng.integers(0, 1 << 63, size=length.size, dtype=np.int64).astype(np.uint64)
    for length_value in np.unique(length):
        sel = np.flatnonzero(length == length_value)
        shorter = np.flatnonzero(length < min(length_value, 64))
        nested = sel[rng.random(sel.size) < NESTED]
        if shorter.size and nested.size and length_value <= 64:
            pick = shorter[rng.integers(0, shorter.size, nested.size)]
            keep_bits = length[pick].astype(np.uint64)
            parent_mask = ~((np.uint64(1) << (np.uint64(64) - keep_bits)) - np.uint64(1))
            hi[nested] = (hi[pick] & parent_mask) | (hi[nested] & ~parent_mask)
        lv = int(length_value)
        hi_keep = ((1 << 64) - 1) ^ ((1 << max(64 - lv, 0)) - 1)
        lo_keep = ((1 << 64) - 1) ^ ((1 << (128 - lv)) - 1) if lv > 64 else 0
        hi[sel] &= np.uint64(hi_keep)
        lo[sel] &= np.uint64(lo_keep)
    key = np.stack([hi, lo, length.astype(np.uint64)], axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)[:n]
    order = rng.permutation(first.size)
    return hi[first][order], lo[first][order], length[first][order].astype(np.uint8)


def prefix_objects(version: int, net: np.ndarray, length: np.ndarray, low: np.ndarray | None = None) -> list:
    if version == 4:
        return [Prefix(4, int(a), int(b)) for a, b in zip(net.tolist(), length.tolist(), strict=True)]
    assert low is not None
    return [
        Prefix(6, (a << 64) | b, c)
        for a, b, c in zip(net.tolist(), low.tolist(), length.tolist(), strict=True)
    ]


def full_table_routes(n4: int, n6: int, seed: int = 7) -> list[Route]:
    """One route per prefix, as a border router's FIB would hold them: via one of two upstreams per
    family on interface 2 (IPv4) or 3 (IPv6), BGP-ish metrics."""
    rng = np.random.default_rng(seed)
    routes: list[Route] = []
    nh4 = [IP.parse("198.51.100.1"), IP.parse("198.51.100.2")]
    nh6 = [IP.parse("2001:db8::1"), IP.parse("2001:db8::2")]
    if n4:
        net, length = v4_prefixes(n4, seed)
        which = rng.integers(0, 2, n4).tolist()
        metric = rng.integers(1, 50, n4).tolist()
        for p, w, m in zip(prefix_objects(4, net, length), which, metric, strict=True):
            routes.append(Route(p, 2, nh4[w], m, Origin.MANUAL))
    if n6:
        hi, lo, length = v6_prefixes(n6, seed + 1)
        which = rng.integers(0, 2, hi.size).tolist()
        metric = rng.integers(1, 50, hi.size).tolist()
        for p, w, m in zip(prefix_objects(6, hi, length, lo), which, metric, strict=True):
            routes.append(Route(p, 3, nh6[w], m, Origin.MANUAL))
    return routes
