"""Run one benchmark on two revisions of routekeeper, interleaved, and compare their figures.

A change that should not move performance (a restructure, a rename) is checked against the revision
before it in the same run: base, new, base, new, ... so that the machine's drift falls on both alike.
Each side runs its own benchmark script against its own `src/` in a checkout of its own; the figures
come from the JSON files that script writes to its `bench/results/`. The machine's load average is
recorded before every round.

    python bench/revisions.py --base REV [--new REV] [--rounds 3] address_delete
    python bench/revisions.py --base REV scale          # `python -m bench --quick`

Writes bench/results/revisions-<benchmark>.md and .json. The new side is the working tree when
--new is not given.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

# benchmark -> (command run in the checkout, result files, figures compared: paths in those files, the
# file's name first and " / " between keys, since keys hold dots and spaces)
BENCHMARKS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "address_delete": (
        [sys.executable, "bench/address_delete.py", "--sizes", "1000,100000", "--rounds", "7"],
        ["address_delete.json"],
        [
            f"address_delete / profiles / {profile} / {size} / median_s"
            for profile in ("hotfix", "prehotfix", "linux")
            for size in ("1000", "100000")
        ],
    ),
    "scale": (
        [sys.executable, "-m", "bench", "--quick"],
        ["memory.json", "lookup.json", "load.json", "whatif.json"],
        [
            "memory / memory / routekeeper / traced_bytes_per_route_with_lpm",
            "lookup / lookup / lookups_per_second_median / routekeeper single (compiled forwarding)",
            "lookup / lookup / lookups_per_second_median / routekeeper batch (NumPy)",
            "lookup / lookup / ratios / single vs pytricia get(int) / median",
            "load / load / load_seconds_median",
            "whatif / whatif / delete 192.0.2.11 (mgmt, secondary) / total_seconds_median",
        ],
    ),
}


def checkout(rev: str, into: Path) -> Path:
    """A detached worktree of `rev` (removed by the caller's temporary directory cleanup)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(into), rev], check=True)
    return into


def figure(data: dict, path: str) -> float | None:
    """The number at a path of keys joined by " / "."""
    node: object = data
    for key in path.split(" / "):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return float(node) if isinstance(node, int | float) else None


def run_once(tree: Path, command: list[str], files: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    subprocess.run(command, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    out = {}
    for name in files:
        out[name.removesuffix(".json")] = json.loads((tree / "bench" / "results" / name).read_text())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("benchmark", choices=sorted(BENCHMARKS))
    parser.add_argument("--base", required=True, help="the revision to compare against")
    parser.add_argument("--new", help="the revision measured (default: the working tree)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side, interleaved")
    args = parser.parse_args(argv)
    command, files, paths = BENCHMARKS[args.benchmark]
    with tempfile.TemporaryDirectory(prefix="rk-revisions-") as tmp:
        sides = {"base": checkout(args.base, Path(tmp) / "base")}
        sides["new"] = checkout(args.new, Path(tmp) / "new") if args.new else ROOT
        saved = {path: path.read_bytes() for path in RESULTS.iterdir() if path.is_file()}
        figures: dict[str, dict[str, list[float]]] = {side: {p: [] for p in paths} for side in sides}
        loads: list[str] = []
        try:
            for n in range(args.rounds):
                for side, tree in sides.items():
                    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
                    loads.append(f"round {n + 1} {side}: load {load}")
                    print(f"bench/revisions: round {n + 1}, {side} (load {load})", flush=True)
                    data = run_once(tree, command, files)
                    for p in paths:
                        value = figure(data, p)
                        if value is not None:
                            figures[side][p].append(value)
        finally:
            for path, raw in saved.items():  # the working tree's own committed figures stay as they were
                path.write_bytes(raw)
            for tree in sides.values():
                if tree != ROOT:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)])
    report(args, figures, loads)
    return 0


def best(path: str, values: list[float]) -> float:
    """The least disturbed round: the highest rate or speed-up ratio, else the lowest time or size."""
    higher_is_better = "per_second" in path or " ratios " in path
    return max(values) if higher_is_better else min(values)


def report(args: argparse.Namespace, figures: dict[str, dict[str, list[float]]], loads: list[str]) -> None:
    new_label = args.new or "working tree"
    lines = [
        f"# {args.benchmark}: {new_label} against {args.base}",
        "",
        f"{args.rounds} rounds per side, interleaved (base, new, ...), {time.strftime('%Y-%m-%dT%H:%M:%S')}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs. Regenerate with "
        f"`python bench/revisions.py --base {args.base} {args.benchmark}`.",
        "",
        "| figure | base median | new median | new / base | best: new / base | base rounds | new rounds |",
        "|---|---|---|---|---|---|---|",
    ]
    for path in figures["base"]:
        base, new = figures["base"][path], figures["new"][path]
        if not base or not new:
            lines.append(f"| {path} | missing | missing | | | | |")
            continue
        mb, mn = statistics.median(base), statistics.median(new)
        lines.append(
            f"| {path} | {mb:.6g} | {mn:.6g} | {mn / mb:.2f} | {best(path, new) / best(path, base):.2f} | "
            f"{', '.join(f'{x:.4g}' for x in base)} | {', '.join(f'{x:.4g}' for x in new)} |"
        )
    lines += ["", "Load average (1/5/15 min) before each run:", ""] + [f"- {x}" for x in loads] + [""]
    name = f"revisions-{args.benchmark}"
    (RESULTS / f"{name}.md").write_text("\n".join(lines))
    (RESULTS / f"{name}.json").write_text(
        json.dumps({"base": args.base, "new": new_label, "figures": figures, "loads": loads}, indent=2) + "\n"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
