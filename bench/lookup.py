"""Longest-prefix-match lookups: routekeeper against pytricia, py-radix and the stdlib dict approach.

Round-robin in one process over the same table and the same random addresses (hits and misses), so
machine noise hits every contender alike; each round gives a ratio, the summary takes medians. Before
timing, every routekeeper answer is checked against a plain reference (per-length dict probing with
the same cost rule), so a fast wrong answer cannot pass.
"""

from __future__ import annotations

import ipaddress
import statistics
import time

import numpy as np

from routekeeper.core.table.routes import RouteTable
from routekeeper.core.values import IP, Route


class Reference:
    """The plain answer: probe every present length, longest first; lowest (cost, ifindex), first
    added among equals. Also the 'stdlib dict' peer when given integer addresses."""

    def __init__(self, routes: list[Route], link_costs: dict[int, int | None]) -> None:
        self.by_len: dict[int, dict[int, dict[int, list[Route]]]] = {4: {}, 6: {}}
        for r in routes:
            p = r.prefix
            self.by_len[p.version].setdefault(p.length, {}).setdefault(p.network, []).append(r)
        self.lengths = {v: sorted(d, reverse=True) for v, d in self.by_len.items()}
        self.costs = link_costs

    def lookup(self, version: int, value: int) -> Route | None:
        bits = 32 if version == 4 else 128
        full = (1 << bits) - 1
        by_len = self.by_len[version]
        for length in self.lengths[version]:
            entries = by_len[length].get(value & (full ^ ((1 << (bits - length)) - 1)))
            if not entries:
                continue
            best, best_key = None, None
            for r in entries:
                link = self.costs.get(r.ifindex)
                if link is None:
                    continue
                key = (r.metric + link, r.ifindex)
                if best is None or key < best_key:
                    best, best_key = r, key
            if best is not None:
                return best
        return None


def queries_v4(n: int, prefixes: np.ndarray, seed: int = 11) -> np.ndarray:
    """Half inside table prefixes (hits, often on nested ones), half uniformly random (many misses)."""
    rng = np.random.default_rng(seed)
    uniform = rng.integers(0, 1 << 32, n - n // 2, dtype=np.int64)
    inside = prefixes[rng.integers(0, prefixes.size, n // 2)].astype(np.int64) | rng.integers(0, 256, n // 2)
    q = np.concatenate([uniform, inside]).astype(np.uint32)
    rng.shuffle(q)
    return q


def check(table: RouteTable, routes: list[Route], costs: dict, q4: np.ndarray, q6: list[int]) -> dict:
    """routekeeper (forwarding view, batch and generic lookup) against the reference, every query."""
    ref = Reference(routes, costs)
    fw = table.forwarding(costs)
    f = fw.compile_v4()
    batch = fw.lookup_batch(q4)
    bad = 0
    for x, b in zip(q4.tolist(), batch.tolist(), strict=True):
        want = ref.lookup(4, x)
        got = f(x)
        got_route = table.route_at(got) if got >= 0 else None
        batch_route = table.route_at(b) if b >= 0 else None
        bad += got_route != want or batch_route != want
    for x in q6:
        bad += fw.lookup(IP(6, x)) != ref.lookup(6, x)
    return {"queries": int(q4.size) + len(q6), "mismatches": int(bad)}


def run(routes: list[Route], rounds: int, nq: int) -> dict:
    import pytricia
    import radix

    table = RouteTable(routes)
    costs: dict[int, int | None] = {1: 50, 2: 10, 3: 10}
    v4 = [r for r in routes if r.prefix.version == 4]
    v6 = [r for r in routes if r.prefix.version == 6]
    nets = np.array([r.prefix.network for r in v4], np.uint32)
    q4 = queries_v4(nq, nets)
    rng = np.random.default_rng(5)
    q6: list[int] = []
    if v6:
        picks = rng.integers(0, len(v6), nq // 4).tolist()
        inside = rng.integers(0, 2, nq // 4).tolist()
        for i, j in zip(picks, inside, strict=True):
            noise = int(rng.integers(0, 1 << 63))
            q6.append(v6[i].prefix.network | noise if j else noise << 65)
    correctness = check(table, routes, costs, q4[: min(nq, 100_000)], q6[:25_000])

    t0 = time.perf_counter()
    pyt4, pyt6 = pytricia.PyTricia(32), pytricia.PyTricia(128)
    for i, r in enumerate(v4):
        pyt4.insert(r.prefix.network, r.prefix.length, i)
    for i, r in enumerate(v6):
        pyt6[str(r.prefix)] = i
    build_pytricia = time.perf_counter() - t0
    t0 = time.perf_counter()
    rad = radix.Radix()
    for i, r in enumerate(routes):
        rad.add(str(r.prefix)).data["i"] = i
    build_radix = time.perf_counter() - t0
    ref = Reference(routes, costs)

    ql = q4.tolist()
    qs = [str(ipaddress.IPv4Address(x)) for x in ql]
    q6s = [str(ipaddress.IPv6Address(x)) for x in q6]
    fw = table.forwarding(costs)

    def rk_single() -> None:
        f = fw.compile_v4()
        for x in ql:
            f(x)

    def rk_generic() -> None:
        # Host's path: any cost function, called per candidate route
        cost = _cost_function(costs)
        lookup = table.lookup
        for x in ql[: len(ql) // 10]:
            lookup(IP(4, x), cost)

    def rk_batch() -> None:
        fw.lookup_batch(q4)

    def pyt_int() -> None:
        g = pyt4.get
        for x in ql:
            g(x)

    def pyt_str() -> None:
        g = pyt4.get
        for x in qs:
            g(x)

    def radix_str() -> None:
        s = rad.search_best
        for x in qs:
            s(x)

    def dict_ref() -> None:
        lookup = ref.lookup
        for x in ql[: len(ql) // 10]:
            lookup(4, x)

    def rk_v6() -> None:
        f = fw.lookup_row
        for x in q6:
            f(6, x)

    def pyt_v6() -> None:
        g = pyt6.get
        for x in q6s:
            g(x)

    def radix_v6() -> None:
        s = rad.search_best
        for x in q6s:
            s(x)

    contenders = {
        "routekeeper single (compiled forwarding)": (rk_single, len(ql)),
        "routekeeper batch (NumPy)": (rk_batch, len(ql)),
        "routekeeper generic lookup(ip, cost)": (rk_generic, len(ql) // 10),
        "pytricia get(int)": (pyt_int, len(ql)),
        "pytricia get(str)": (pyt_str, len(ql)),
        "py-radix search_best(str)": (radix_str, len(ql)),
        "stdlib dict per length": (dict_ref, len(ql) // 10),
    }
    if q6:
        contenders |= {
            "routekeeper v6 single": (rk_v6, len(q6)),
            "pytricia v6 get(str)": (pyt_v6, len(q6)),
            "py-radix v6 search_best(str)": (radix_v6, len(q6)),
        }
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (fn, count) in contenders.items():
            t0 = time.perf_counter()
            fn()
            rates[name].append(count / (time.perf_counter() - t0))
    single = "routekeeper single (compiled forwarding)"
    ratios = {
        "single vs pytricia get(int)": _ratios(rates, single, "pytricia get(int)"),
        "single vs pytricia get(str)": _ratios(rates, single, "pytricia get(str)"),
        "single vs py-radix": _ratios(rates, single, "py-radix search_best(str)"),
        "single vs stdlib dict": _ratios(rates, single, "stdlib dict per length"),
        "batch vs pytricia get(int)": _ratios(rates, "routekeeper batch (NumPy)", "pytricia get(int)"),
    }
    if q6:
        ratios["v6 single vs pytricia"] = _ratios(rates, "routekeeper v6 single", "pytricia v6 get(str)")
    return {
        "routes": len(routes),
        "queries_v4": len(ql),
        "queries_v6": len(q6),
        "hit_rate_v4": float((fw.lookup_batch(q4) >= 0).mean()),
        "correctness": correctness,
        "build_seconds": {"pytricia": build_pytricia, "py-radix": build_radix},
        "lookups_per_second_median": {k: statistics.median(v) for k, v in rates.items()},
        "lookups_per_second_rounds": rates,
        "ratios": ratios,
        "lpm": {"4": table.lpm_kind(4), "6": table.lpm_kind(6)},
    }


def _ratios(rates: dict[str, list[float]], ours: str, peer: str) -> dict:
    per_round = [a / b for a, b in zip(rates[ours], rates[peer], strict=True)]
    return {"median": statistics.median(per_round), "rounds": per_round}


def _cost_function(costs: dict[int, int | None]):  # noqa: ANN202 - a Cost
    def cost(route: Route) -> int | None:
        link = costs.get(route.ifindex)
        return None if link is None else route.metric + link

    return cost
