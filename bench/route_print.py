"""`route print` of a host with N manual routes: rows per second, and memory that stays flat because the
lines are streamed (the peer in the same run: the same output joined into one string, as `run` does).

Run on demand: `python bench/route_print.py [--sizes 100000,1000000]`.
Writes bench/results/route_print.json and .md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from routekeeper.core import operations as op  # noqa: E402
from routekeeper.core.host import Host  # noqa: E402
from routekeeper.core.values import IP, Interface, Prefix  # noqa: E402
from routekeeper.frontends import route  # noqa: E402


def build(n: int) -> Host:
    host = Host("hotfix")
    host.apply(op.AddInterface(Interface(11, "LAN", "bench NIC", "00-15-5D-01-02-03")))
    host.apply(op.AddAddress(11, IP.parse("10.0.0.5"), 16))
    hops = [IP(4, (10 << 24) | i) for i in range(1, 51)]
    for i in range(n):
        host.apply(op.AddRoute(Prefix(4, (100 << 24) + (i << 8), 24), hops[i % 50], None, 1))
    host.journal.clear()
    return host


def streamed(host: Host) -> int:
    rows = 0
    with open("/dev/null", "w") as sink:
        for line in route.print_lines(host, ["print", "-4"]):
            sink.write(line + "\n")
            rows += 1
    return rows


def joined(host: Host) -> int:
    return route.run(host, ["print", "-4"]).stdout.count("\n")


def measure(fn, host: Host) -> tuple[int, float, int]:
    """Rows and seconds from an untraced run, then the peak allocation from a traced one."""
    start = time.perf_counter()
    rows = fn(host)
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    fn(host)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return rows, elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    args = parser.parse_args()
    results = []
    lines = ["# route print -4 of N routes", "", "| N | mode | rows/s | time | peak traced memory |"]
    lines.append("|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        host = build(n)
        for mode, fn in (("streamed", streamed), ("joined (peer)", joined)):
            rows, elapsed, peak = measure(fn, host)
            results.append({"n": n, "mode": mode, "rows": rows, "seconds": elapsed, "peak_bytes": peak})
            rate, mib = rows / elapsed, peak / 2**20
            lines.append(f"| {n:,} | {mode} | {rate:,.0f} | {elapsed:.2f} s | {mib:.1f} MiB |")
            print(lines[-1], flush=True)
        del host
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "route_print.json").write_text(json.dumps(results, indent=2) + "\n")
    lines += ["", "Peak traced memory counts what printing allocates beyond the host (tracemalloc)."]
    (out / "route_print.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
