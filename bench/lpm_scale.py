"""The LPM at three sizes (10k, 100k, 1M routes, five IPv4 to one IPv6 as in a full table): bytes per
route and single lookups, each beside pytricia in the same run.

Why three sizes: the IPv4 structure is chosen by size (ranges below `lpm.DIR248_MIN` prefixes,
DIR-24-8 from there), and the issue's targets hold at each: <= 200 B a route, IPv4 single lookups
>= 6x pytricia, IPv6 >= 2x. Memory comes from `bench.memory` (one fresh process per contender);
lookups from `bench.lookup.run` (round-robin over the same addresses, answers checked first).

    PYTHONPATH=src python -m bench.lpm_scale [--rounds 7] [--queries 100000]

Writes bench/results/lpm_scale.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SIZES = {"10k": (8_333, 1_667), "100k": (83_333, 16_667), "1M": (833_333, 166_667)}


def memory(kind: str, n4: int, n6: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", kind, str(n4), str(n6)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--sizes", default=",".join(SIZES))
    args = parser.parse_args(argv)
    from bench import lookup
    from bench.tables import full_table_routes

    figures: dict = {}
    for name in args.sizes.split(","):
        n4, n6 = SIZES[name]
        load = "/".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"bench/lpm_scale: {name} (load {load})", flush=True)
        rk, peer = memory("routekeeper", n4, n6), memory("pytricia", n4, n6)
        looked = lookup.run(full_table_routes(n4, n6), args.rounds, args.queries)
        figures[name] = {
            "routes": n4 + n6,
            "load_before": load,
            "lpm": rk["lpm"],
            "bytes_per_route": rk["traced_bytes_per_route_with_lpm"],
            "rss_bytes_per_route": rk["rss_bytes_per_route"],
            "pytricia_bytes_per_route": peer["rss_bytes_per_route"],
            "v4_single_vs_pytricia": looked["ratios"]["single vs pytricia get(int)"]["median"],
            "v6_single_vs_pytricia": looked["ratios"]["v6 single vs pytricia"]["median"],
            "lookups_per_second_median": looked["lookups_per_second_median"],
            "mismatches": looked["correctness"]["mismatches"],
        }
        print(json.dumps(figures[name], indent=1), flush=True)
    report(args, figures)
    return 0


def report(args: argparse.Namespace, figures: dict) -> None:
    lines = [
        "# LPM at 10k, 100k and 1M routes, beside pytricia",
        "",
        f"{args.rounds} round-robin rounds of {args.queries:,} queries per size; "
        f"{time.strftime('%Y-%m-%dT%H:%M:%S')}, Python {sys.version.split()[0]}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs. Regenerate: `PYTHONPATH=src python -m bench.lpm_scale`.",
        "",
        "| routes | IPv4 LPM | B/route (traced, table + LPM) | pytricia B/route | <= 200 B | "
        "IPv4 single / pytricia (>= 6) | IPv6 single / pytricia (>= 2) | load before |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, f in figures.items():
        lines.append(
            f"| {name} | {f['lpm']['4']} | {f['bytes_per_route']:.0f} | "
            f"{f['pytricia_bytes_per_route']:.0f} | {'met' if f['bytes_per_route'] <= 200 else 'MISSED'} | "
            f"{f['v4_single_vs_pytricia']:.2f} | "
            f"{f['v6_single_vs_pytricia']:.2f} | {f['load_before']} |"
        )
    lines.append("")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "lpm_scale.md").write_text("\n".join(lines))
    (RESULTS / "lpm_scale.json").write_text(json.dumps(figures, indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
