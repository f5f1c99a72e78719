"""Whole-process command lines on a full-table host: what an administrator waits for.

Why whole processes: an interactive command pays interpreter start-up, imports, opening the state file
and loading what it needs; the issue's targets (lookup / route add / route delete <= 150 ms on a host
with 1M IPv4 + 200k IPv6 routes, `route print -4` <= 3 s, `--help` <= 1.1x `python3 -c pass` + 60 ms)
are about all of it together. Each figure stands beside its peer from the same run:

- the same command line run by the previous revision (`--base-src`: the `src/` of a checkout of it),
  interleaved round by round with this one;
- `python3 -c pass` for `--help`.

Every command runs against one state file built once (cached under the system's temporary directory,
by size) with `bench.scale.load.full_table_host`; `route add` is followed by the `route delete` of the
same route, so every round starts from the same host. Peak RSS per process comes from `wait4`.

    PYTHONPATH=src python -m bench.interactive --base-src /path/to/base/src [--rounds 5] [--print-rounds 1]

Writes bench/results/interactive.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
N4, N6 = 1_000_000, 200_000

# name -> the words after `python3 -m routekeeper --state FILE --host border`
COMMANDS: dict[str, list[str]] = {
    "lookup 8.8.8.8": ["lookup", "8.8.8.8"],
    "route add": ["route", "add", "203.0.113.77", "mask", "255.255.255.255", "198.51.100.1"],
    "route delete": ["route", "delete", "203.0.113.77"],
    "why 203.0.113.0/24": ["why", "203.0.113.0/24"],
}
PRINT = ["route", "print", "-4"]
# What any command that opens a host pays before its first line of routekeeper: the interpreter, NumPy
# (the table's storage) and SQLite (the store). The floor under the 150 ms target.
FLOOR = "python3 -c 'import numpy, sqlite3'"


def state_file(n4: int, n6: int, side: str, src: str) -> Path:
    """The full-table host's state file for one side, built on first use by that side's own code and
    then reused (it takes a minute). Each revision has its own file: a newer one migrates the schema of
    a file it opens, which an older one then cannot read."""
    path = Path(tempfile.gettempdir()) / "rk-bench" / f"full-{n4}-{n6}-{side}.db"
    if not path.exists():
        env = dict(os.environ, PYTHONPATH=f"{src}{os.pathsep}{ROOT}")
        code = f"from bench.interactive import build; build({str(path)!r}, {n4}, {n6})"
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return path


def build(path: str, n4: int, n6: int) -> None:
    """Write the full-table host to `path` with whichever routekeeper is on the path."""
    from bench.scale.load import full_table_host
    from bench.tables import full_table_routes
    from routekeeper.store.hosts import HostStore

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".building")
    for leftover in target.parent.glob(partial.name + "*"):
        leftover.unlink()
    store = HostStore(partial)
    with store.transaction() as tx:
        tx.create_host(full_table_host(full_table_routes(n4, n6)))
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    partial.rename(target)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Seconds, exit status and peak RSS (bytes) of one process, its output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.returncode not in (0, 1) or err:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode(errors='replace')}")
    return elapsed, proc.returncode, usage.ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-src", required=True, help="the previous revision's src/ directory")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--print-rounds", type=int, default=1, help="rounds of the (slow) route print")
    parser.add_argument("--sizes", default=f"{N4},{N6}", help="IPv4,IPv6 routes")
    args = parser.parse_args(argv)
    n4, n6 = (int(x) for x in args.sizes.split(","))
    sides = {"base": str(Path(args.base_src).resolve()), "new": str(ROOT / "src")}
    envs = {side: dict(os.environ, PYTHONPATH=src) for side, src in sides.items()}
    states = {side: state_file(n4, n6, side, src) for side, src in sides.items()}
    rks = {
        side: [sys.executable, "-m", "routekeeper", "--state", str(states[side]), "--host", "border"]
        for side in sides
    }
    samples: dict[str, dict[str, list[float]]] = {}
    rss: dict[str, dict[str, list[int]]] = {}
    loads: list[str] = []

    def record(side: str, name: str, argv: list[str], env: dict[str, str]) -> None:
        seconds, _, peak = timed(argv, env)
        samples.setdefault(name, {}).setdefault(side, []).append(seconds)
        rss.setdefault(name, {}).setdefault(side, []).append(peak)

    for n in range(args.rounds):
        for side in ("base", "new"):
            load = "/".join(f"{x:.2f}" for x in os.getloadavg())
            loads.append(f"round {n + 1} {side}: load {load}")
            print(f"bench/interactive: round {n + 1}, {side} (load {load})", flush=True)
            for name, words in COMMANDS.items():
                record(side, name, rks[side] + words, envs[side])
            record(side, "--help", [sys.executable, "-m", "routekeeper", "--help"], envs[side])
            record(side, "python3 -c pass", [sys.executable, "-c", "pass"], envs[side])
            record(side, FLOOR, [sys.executable, "-c", "import numpy, sqlite3"], envs[side])
            if n < args.print_rounds:
                record(side, "route print -4", rks[side] + PRINT, envs[side])
    report(args, n4, n6, samples, rss, loads)
    return 0


def report(args, n4: int, n6: int, samples: dict, rss: dict, loads: list[str]) -> None:
    help_new = statistics.median(samples["--help"]["new"])
    bare = statistics.median(samples["python3 -c pass"]["new"])
    floor = statistics.median(samples[FLOOR]["new"])
    targets = {
        **{name: 0.150 for name in COMMANDS},
        "route print -4": 3.0,
        "--help": 1.1 * bare + 0.060,
    }
    lines = [
        f"# Interactive commands on a host with {n4:,} IPv4 + {n6:,} IPv6 routes (whole processes)",
        "",
        f"{args.rounds} rounds ({args.print_rounds} of route print), base and new interleaved per round; "
        f"{time.strftime('%Y-%m-%dT%H:%M:%S')}, Python {sys.version.split()[0]}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs. Regenerate: `PYTHONPATH=src python -m bench.interactive --base-src "
        "<checkout of the previous revision>/src`.",
        "",
        "| command | new median | base (previous revision) median | new / base | target | met | "
        "new peak RSS | base peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    summary = {}
    for name, sides in samples.items():
        new, base = statistics.median(sides["new"]), statistics.median(sides["base"])
        target = targets.get(name)
        met = "" if target is None else ("yes" if new <= target else f"no (+{(new - target) * 1e3:.0f} ms)")
        rn, rb = max(rss[name]["new"]), max(rss[name]["base"])
        lines.append(
            f"| {name} | {new * 1e3:.0f} ms | {base * 1e3:.0f} ms | {new / base:.2f} | "
            f"{'' if target is None else f'{target * 1e3:.0f} ms'} | {met} | {rn / 2**20:.0f} MiB | "
            f"{rb / 2**20:.0f} MiB |"
        )
        summary[name] = {
            "new_median_s": new,
            "base_median_s": base,
            "target_s": target,
            "new_rounds_s": sides["new"],
            "base_rounds_s": sides["base"],
            "new_peak_rss_bytes": rn,
            "base_peak_rss_bytes": rb,
        }
    lines += [
        "",
        f"`--help` target: 1.1 x `python3 -c pass` ({bare * 1e3:.0f} ms, this run) + 60 ms; "
        f"`--help` / `python3 -c pass` = {help_new / bare:.2f}. `{FLOOR}` is what any command that opens a "
        f"host pays before routekeeper's own imports and work: {floor * 1e3:.0f} ms this run.",
        "",
        "Load average (1/5/15 min) before each side's round:",
        "",
        *[f"- {x}" for x in loads],
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "interactive.md").write_text("\n".join(lines))
    (RESULTS / "interactive.json").write_text(
        json.dumps({"routes": {"ipv4": n4, "ipv6": n6}, "figures": summary, "loads": loads}, indent=2) + "\n"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
