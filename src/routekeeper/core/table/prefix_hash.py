"""The prefix hash: open addressing (linear probing) over (version, network, length), held in one
int32 slot array of prefix ids.

Why: a table finds a prefix's record in O(1) by hashing its key, one at a time (`prefix_hash`) while
routes come and go, or for whole arrays at once (`prefix_hash_many`, `build_hash`, `probe_many`) when
a table is bulk-loaded or a batch of addresses is looked up. Both forms are the same function.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from routekeeper.core.table.columns import M64

HASH_MUL = 0x9E3779B97F4A7C15
HI_MUL = 0xC2B2AE3D27D4EB4F


def prefix_hash(version: int, hi: int, lo: int, length: int) -> int:
    """64-bit hash of a prefix key; `prefix_hash_many` is the same function over arrays."""
    k = lo ^ ((hi * HI_MUL) & M64) ^ (length << 55) ^ (version << 48)
    return (k * HASH_MUL) & M64


def prefix_hash_many(ver: np.ndarray, hi: np.ndarray, lo: np.ndarray, length: np.ndarray) -> np.ndarray:
    """`prefix_hash` over arrays (uint64 arithmetic wraps exactly like the masked Python ints)."""
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


def probe_many(
    slots: np.ndarray,
    prefixes: Mapping[str, np.ndarray],
    version: int,
    hi: np.ndarray | None,
    lo: np.ndarray,
    length: int,
) -> np.ndarray:
    """Vectorised exact match of (address masked to `length`) in the prefix hash `slots` over the
    prefix columns `prefixes` (ver, hi, lo, len); pid or -1."""
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
    size = slots.size
    shift = np.uint64(64 - (size.bit_length() - 1))
    pos = (
        prefix_hash_many(np.full(n, version, np.uint8), q_hi, q_lo, np.full(n, length, np.uint8)) >> shift
    ).astype(np.int64)
    pa = prefixes
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
