"""Deleting one address on a host carrying N manual routes via other next hops: the cost must not grow
with N (an address change touches only the routes it affects, never the whole table).

Run on demand: `python bench/address_delete.py [--sizes 1000,100000,1000000] [--rounds 7]`.
Writes bench/results/address_delete.json and .md. The peer measured in the same run is a naive stack
that rescans its whole table on every address change (what the indexes exist to avoid), at the smallest
size only, to show what the indexes save.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from routekeeper.core import operations as op  # noqa: E402
from routekeeper.core.host import Host  # noqa: E402
from routekeeper.core.values import IP, Interface, Prefix  # noqa: E402

NIC = Interface(11, "Local Area Connection 1", "bench", "00-15-5D-01-02-03")


def build(profile: str, n: int) -> Host:
    """A host whose N routes go via 50 next hops in 10.0.0.0/16, plus two addresses in 192.168.0.0/24."""
    host = Host(profile)
    host.apply(op.AddInterface(NIC))
    host.apply(op.AddAddress(11, IP.parse("10.0.0.5"), 16))
    host.apply(op.AddAddress(11, IP.parse("192.168.0.20"), 24))
    bound = 11 if profile == "prehotfix" else None  # unbound routes are what prehotfix withdraws
    hops = [IP(4, (10 << 24) | i) for i in range(1, 51)]
    for i in range(n):
        prefix = Prefix(4, (100 << 24) + (i << 8), 24)
        host.apply(op.AddRoute(prefix, hops[i % 50], bound, 1, persistent=False))
    host.journal.clear()
    return host


def time_delete(host: Host, rounds: int, rescan: bool = False) -> list[float]:
    """Add then delete a third address, timing only the delete. With `rescan`, the peer: the same
    deletion followed by a re-validation of every route (a full table scan)."""
    extra = IP.parse("192.168.0.21")
    samples = []
    for _ in range(rounds):
        host.apply(op.AddAddress(11, extra, 24))
        start = time.perf_counter()
        host.apply(op.DeleteAddress(11, extra))
        if rescan:
            for r in list(host.table):
                if r.manual:
                    host.reachable(r.nexthop, r.ifindex)
        samples.append(time.perf_counter() - start)
        host.journal.clear()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--profiles", default="hotfix,prehotfix,linux")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[str, object] = {
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "rounds": args.rounds,
        "unit": "seconds per address deletion (median)",
        "profiles": {},
    }
    lines = ["# Deleting one address on a host with N manual routes", ""]
    lines.append(f"| profile | N | median | p90 | vs N={sizes[0]} | naive full rescan |")
    lines.append("|---|---|---|---|---|---|")
    for profile in args.profiles.split(","):
        per_size = {}
        base = None
        for n in sizes:
            built = time.perf_counter()
            host = build(profile, n)
            build_s = time.perf_counter() - built
            samples = time_delete(host, args.rounds)
            median = statistics.median(samples)
            naive = statistics.median(time_delete(host, 3, rescan=True)) if n == sizes[0] else None
            base = base or median
            per_size[n] = {
                "median_s": median,
                "p90_s": sorted(samples)[int(0.9 * (len(samples) - 1))],
                "ratio_to_smallest": median / base,
                "build_s": build_s,
                "naive_rescan_median_s": naive,
            }
            naive_text = f"{naive * 1e3:.3f} ms" if naive is not None else "-"
            lines.append(
                f"| {profile} | {n:,} | {median * 1e6:.1f} µs | {per_size[n]['p90_s'] * 1e6:.1f} µs "
                f"| {median / base:.2f}x | {naive_text} |"
            )
            print(lines[-1], flush=True)
            del host
        results["profiles"][profile] = per_size  # type: ignore[index]
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "address_delete.json").write_text(json.dumps(results, indent=2) + "\n")
    lines += ["", f"{args.rounds} rounds per size; Python {results['python']}; {results['machine']}."]
    (out / "address_delete.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
