"""`python -m bench [--quick]`: the scale suite; figures to bench/results/*.json and scale.md.

Full size is the internet table the design asks for (1M IPv4 + 200k IPv6 routes); --quick uses a
tenth of it, for a smoke run. Peers (pytricia, py-radix) are benchmark-only: installed here with pip
when missing, never required by the package or its tests.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
PEERS = {"pytricia": "pytricia==1.3.0", "radix": "py-radix==1.1.0"}


def ensure_peers() -> None:
    missing = [spec for module, spec in PEERS.items() if importlib.util.find_spec(module) is None]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the full table, fewer rounds")
    args = parser.parse_args(argv)
    ensure_peers()
    from bench import lookup, memory
    from bench.scale import load, whatif
    from bench.tables import full_table_routes
    from routekeeper.core.host import Host
    from routekeeper.core.values import Prefix, Route, unspecified

    n4, n6 = (100_000, 20_000) if args.quick else (1_000_000, 200_000)
    rounds = 3 if args.quick else 5
    nq = 200_000 if args.quick else 1_000_000
    RESULTS.mkdir(exist_ok=True)
    meta = {
        "size": "quick" if args.quick else "full",
        "ipv4_routes": n4,
        "ipv6_routes": n6,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    print(f"bench: {n4} IPv4 + {n6} IPv6 routes ({meta['size']})", flush=True)
    t0 = time.perf_counter()
    routes = full_table_routes(n4, n6)
    meta["generate_seconds"] = time.perf_counter() - t0

    print("bench: memory (one process per contender)", flush=True)
    mem = memory.run(n4, n6)
    _write("memory", meta, mem)
    print("bench: lookups (round-robin)", flush=True)
    look = lookup.run(routes, rounds, nq)
    _write("lookup", meta, look)
    print("bench: load from the state store", flush=True)
    ld = load.run(routes, rounds=3)
    _write("load", meta, ld)
    print("bench: what-if on the full-table host", flush=True)
    host = load.full_table_host(routes)
    wi = whatif.run(host, rounds)
    small = Host("hotfix")
    for i in range(20):
        small.table.add(Route(Prefix(4, (10 << 24) | (i << 8), 24), 1, unspecified(4)))
    small.lookup(small.table.with_prefix(Prefix(4, 10 << 24, 24))[0].prefix.address)
    wi["small_host"] = {
        "routes": len(small.table),
        "lpm_v4": small.table.lpm_kind(4),
        "table_nbytes": small.table.nbytes(),
    }
    _write("whatif", meta, wi)
    (RESULTS / "scale.md").write_text(summary(meta, mem, look, ld, wi))
    print((RESULTS / "scale.md").read_text())
    return 0


def _write(name: str, meta: dict, data: dict) -> None:
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta, name: data}, indent=2) + "\n")


def _verdict(ok: bool, detail: str = "") -> str:
    return ("met" if ok else "MISSED") + (f" ({detail})" if detail else "")


def summary(meta: dict, mem: dict, look: dict, ld: dict, wi: dict) -> str:
    from bench.scale.load import section as load_section

    rk = mem["routekeeper"]
    per_route = rk["traced_bytes_per_route_with_lpm"]
    rates = look["lookups_per_second_median"]
    r_int = look["ratios"]["single vs pytricia get(int)"]["median"]
    r_str = look["ratios"]["single vs pytricia get(str)"]["median"]
    batch = rates["routekeeper batch (NumPy)"]
    load_s = ld["load_seconds_median"]
    wi_small = wi["delete 192.0.2.11 (mgmt, secondary)"]["total_seconds_median"]
    wi_big = wi["delete 198.51.100.10 (uplink, carries the IPv4 table)"]
    bad = look["correctness"]["mismatches"]
    single = rates["routekeeper single (compiled forwarding)"]
    wi_copy = wi["delete 192.0.2.11 (mgmt, secondary)"]["copy_seconds_median"]
    small_ok = wi["small_host"]["lpm_v4"] == "probe"
    lines = [
        "# routekeeper at internet scale",
        "",
        f"Table: {meta['ipv4_routes']:,} IPv4 + {meta['ipv6_routes']:,} IPv6 routes ({meta['size']} run, "
        f"{meta['when']}, Python {meta['python']}). Regenerate with `python -m bench`"
        + (" (this is `--quick`)." if meta["size"] == "quick" else "."),
        "",
        "## Targets",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        f"| memory <= 200 B/route | {per_route:.0f} B/route (tracemalloc, table + LPM), "
        f"{rk['rss_bytes_per_route']:.0f} B/route malloc | {_verdict(per_route <= 200)} |",
        f"| host loaded from the store <= 3 s | {load_s:.2f} s (sim Transaction.load) | "
        f"{_verdict(load_s <= 3, '' if load_s <= 3 else f'{load_s / 3:.1f}x over; see phases below')} |",
        f"| single lookups >= 5x pytricia | {single / 1e6:.2f} M/s: "
        f"{r_int:.2f}x pytricia get(int), {r_str:.2f}x get(str) | "
        f"{_verdict(r_int >= 5, '' if r_int >= 5 else f'{r_int / 5:.0%} of the target vs int keys')} |",
        f"| batch >= 50M lookups/s | {batch / 1e6:.1f} M/s | {_verdict(batch >= 50e6)} |",
        f"| same answers as the reference | {bad} mismatches in {look['correctness']['queries']:,} queries | "
        f"{_verdict(bad == 0)} |",
        f"| what-if of deleting an address < 1 s | {wi_small:.3f} s (copy {wi_copy:.3f} s) | "
        f"{_verdict(wi_small < 1)} |",
        f"| small hosts stay small | 20-route host: LPM `{wi['small_host']['lpm_v4']}`, "
        f"{wi['small_host']['table_nbytes']:,} bytes of arrays | {_verdict(small_ok)} |",
        "",
        "## Memory (bytes per route)",
        "",
        "| contender | malloc in use | tracemalloc |",
        "|---|---|---|",
        f"| routekeeper (columns, hash, DIR-24-8, IPv6 ranges) | {rk['rss_bytes_per_route']:.0f} | "
        f"{per_route:.0f} (table alone {rk['traced_bytes_per_route_table']:.0f}) |",
    ]
    for peer in ("pytricia", "py-radix", "dict"):
        m = mem[peer]
        lines.append(f"| {peer} | {m['malloc_bytes_per_route']:.0f} | {m['traced_bytes_per_route']:.0f} |")
    lines += [
        "",
        "Peers: the larger column is their size (pytricia mallocs directly, which tracemalloc cannot see;",
        "py-radix and dicts live in Python's mmapped small-object arenas, which malloc statistics cannot).",
    ]
    lines += ["", "## Lookups (median of rounds, same table and addresses, one process)", ""]
    lines += ["| contender | lookups/s |", "|---|---|"]
    for name, rate in rates.items():
        lines.append(f"| {name} | {rate / 1e6:.3f} M |")
    lines += ["", "| ratio | median | per round |", "|---|---|---|"]
    for name, r in look["ratios"].items():
        rounds = ", ".join(f"{x:.2f}" for x in r["rounds"])
        lines.append(f"| {name} | {r['median']:.2f}x | {rounds} |")
    lines += [
        "",
        f"IPv4 hit rate {look['hit_rate_v4']:.0%}; LPM structures: IPv4 `{look['lpm']['4']}`, IPv6 "
        f"`{look['lpm']['6']}`. Peer build times: pytricia {look['build_seconds']['pytricia']:.1f} s, "
        f"py-radix {look['build_seconds']['py-radix']:.1f} s.",
        "",
    ]
    lines += load_section(meta, ld).splitlines()
    lines += [
        "## What-if on the full-table host (core level: clone, apply, read events)",
        "",
        "| case | copy s | apply s | total s | routes leaving |",
        "|---|---|---|---|---|",
    ]
    for name, v in wi.items():
        if isinstance(v, dict) and "total_seconds_median" in v:
            lines.append(
                f"| {name} | {v['copy_seconds_median']:.3f} | {v['apply_seconds_median']:.3f} | "
                f"{v['total_seconds_median']:.3f} | {v['routes_leaving']:,} |"
            )
    lines += ["", NOTES.strip(), ""]
    lines += [
        "## Misses, and why",
        "",
        f"- Single lookups ({r_int:.2f}x pytricia with int keys): the Python call itself is the floor; the "
        "compiled lookup does two array reads (prefix, then its winner). One read would need a second "
        "64 MiB winner-level table (about 240 B/route, over the memory bound) or a C extension.",
        f"- Batch ({batch / 1e6:.0f} M/s): two gathers (DIR-24-8, then the prefix's winner); the machine's "
        "single-gather ceiling is about 81 M/s and the figure moves with load on this 2-core machine.",
        f"- What-if withdrawing the whole IPv4 table ({wi_big['total_seconds_median']:.1f} s, "
        f"{wi_big['routes_leaving']:,} routes): proportional to what it withdraws (one event per route in "
        "Host), not to the table; the ordinary case above is milliseconds.",
        f"- IPv6 single lookups ({look['ratios'].get('v6 single vs pytricia', {}).get('median', 0):.2f}x "
        "pytricia, no target set): a binary search over the range bounds plus a hash probe for the "
        "loose /128s (prefixes beyond /64 are not in the ranges snapshot).",
        "",
    ]
    return "\n".join(lines)


NOTES = """
## Notes

- Single lookups are `Forwarding.compile_v4()` (DIR-24-8 to the prefix, its precomputed winner under
  the per-interface costs, parents when it has no usable route), one Python call per address, against
  pytricia's C `get` with integer keys (its quickest) and with strings. Batch is
  `Forwarding.lookup_batch` over a uint32 array, in 64k chunks.
- Generic `lookup(ip, cost)` is the Host path (an arbitrary cost callable, a `Route` materialised per
  candidate); `stdlib dict per length` is the plain reference every answer was checked against.
"""


if __name__ == "__main__":
    sys.exit(main())
