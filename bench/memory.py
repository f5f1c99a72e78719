"""Bytes per route of routekeeper's table and of its peers, each built in a fresh process.

Why a fresh process and malloc statistics: pytricia and py-radix allocate with C malloc, which
tracemalloc cannot see, so the common yardstick is how many bytes the C allocator has in use after
the table is built minus before (the input prefixes are generated first and not counted).
For routekeeper tracemalloc is reported too: it counts exactly the table's own allocations.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path


def _rss() -> int:
    """Bytes the C allocator has handed out and not taken back (glibc mallinfo2: in-use chunks plus
    mmapped ones). Unlike RSS it does not hide an allocation inside memory freed earlier."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost",
        )]  # fmt: skip

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    info = libc.mallinfo2()
    return int(info.uordblks + info.hblkhd)


def measure(kind: str, n4: int, n6: int) -> dict:
    from bench.tables import full_table_routes, v4_prefixes, v6_prefixes

    result: dict = {"kind": kind, "routes": n4 + n6}
    if kind == "routekeeper":
        from routekeeper.core.table.routes import RouteTable

        routes = full_table_routes(n4, n6)
        gc.collect()
        before = _rss()
        tracemalloc.start()
        table = RouteTable(routes)
        traced_table = tracemalloc.get_traced_memory()[0]
        table.forwarding({2: 10, 3: 10}).lookup_batch(__import__("numpy").zeros(1, "uint32"))
        traced_all = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del routes
        gc.collect()
        result["rss_bytes_per_route"] = (_rss() - before) / (n4 + n6)
        result["traced_bytes_per_route_table"] = traced_table / (n4 + n6)
        result["traced_bytes_per_route_with_lpm"] = traced_all / (n4 + n6)
        result["nbytes_per_route"] = table.nbytes() / (n4 + n6)
        result["lpm"] = {"4": table.lpm_kind(4), "6": table.lpm_kind(6)}
        return result
    net, length = v4_prefixes(n4)
    hi, lo, length6 = v6_prefixes(n6)
    import ipaddress

    v4 = [f"{ipaddress.IPv4Address(a)}/{b}" for a, b in zip(net.tolist(), length.tolist(), strict=True)]
    v6 = [
        f"{ipaddress.IPv6Address((a << 64) | b)}/{c}"
        for a, b, c in zip(hi.tolist(), lo.tolist(), length6.tolist(), strict=True)
    ]
    gc.collect()
    before = _rss()
    tracemalloc.start()
    if kind == "pytricia":
        import pytricia

        t4, t6 = pytricia.PyTricia(32), pytricia.PyTricia(128)
        for i, p in enumerate(v4):
            t4[p] = i
        for i, p in enumerate(v6):
            t6[p] = i
    elif kind == "py-radix":
        import radix

        rt = radix.Radix()
        for i, p in enumerate(v4 + v6):
            rt.add(p).data["i"] = i
    elif kind == "dict":
        # the stdlib approach: one dict per (family, length) keyed by the network's integer
        d: dict = {}
        for i, p in enumerate(v4 + v6):
            n = ipaddress.ip_network(p)
            d.setdefault((n.version, n.prefixlen), {})[int(n.network_address)] = i
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    malloc = _rss() - before
    # pytricia mallocs directly (invisible to tracemalloc); py-radix and dicts use Python's small-object
    # arenas (mmapped, invisible to malloc statistics): the larger of the two is the table's size.
    result["malloc_bytes_per_route"] = malloc / (n4 + n6)
    result["traced_bytes_per_route"] = traced / (n4 + n6)
    result["rss_bytes_per_route"] = max(malloc, traced) / (n4 + n6)
    return result


def run(n4: int, n6: int) -> dict:
    """Each contender in its own interpreter, so one's freed memory cannot hide another's."""
    out = {}
    for kind in ("routekeeper", "pytricia", "py-radix", "dict"):
        proc = subprocess.run(
            [sys.executable, "-m", "bench.memory", kind, str(n4), str(n6)],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        out[kind] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
