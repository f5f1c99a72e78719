"""Every index of a table built at once, vectorised, for rows given in insertion order.

Why: loading a full table route by route costs seconds; sorting the rows once gives the prefix
records, the prefix chains and each ordered list (by interface, by next hop, by preferred source)
exactly as adding the rows one by one would have left them.
"""

from __future__ import annotations

import numpy as np


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
