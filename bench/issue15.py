"""Every figure of issue 15 in one run: the keeper's restores and start-up against BIRD, the whole
command lines on the full-table host against a previous revision, and the LPM against pytricia.

The three benchmarks run one after the other, each interleaving routekeeper with its own peer (BIRD,
the previous revision, pytricia) and recording the machine's load beside every sample. This script
only sequences them and writes `bench/results/issue15.md`: when each part ran, the load before and
after it, and each part's own table, so that every figure stands beside its peer from the same run.

    sudo python3 -m bench.issue15 --base-src /path/to/previous/src
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PARTS = (
    ("Restores and start-up against BIRD (root)", "linux_keeper", []),
    ("Whole command lines on the 1M v4 + 200k v6 host against the previous revision", "interactive", None),
    ("LPM memory and single lookups against pytricia", "lpm_scale", []),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m bench.issue15", description=__doc__.splitlines()[0])
    parser.add_argument("--base-src", required=True, help="the previous revision's src/ (for interactive)")
    ns = parser.parse_args(argv)
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    sections = []
    for title, module, extra in PARTS:
        args = ["--base-src", ns.base_src] if extra is None else extra
        before, t0 = os.getloadavg(), time.monotonic()
        done = subprocess.run([sys.executable, "-m", f"bench.{module}", *args], cwd=HERE.parent)
        after, took = os.getloadavg(), time.monotonic() - t0
        if done.returncode != 0:
            print(f"bench.{module} failed (exit {done.returncode}); stopping", file=sys.stderr)
            return 1
        table = (RESULTS / f"{module}.md").read_text(encoding="utf-8")
        loads = f"load average before {_load(before)}, after {_load(after)}"
        sections.append(
            f"## {title}\n\n`python3 -m bench.{module}` ran {took:.0f} s; {loads}. "
            f"Its own file, `bench/results/{module}.md`, follows.\n\n" + _demote(table)
        )
    text = (
        "# Issue 15: every figure in one run\n\n"
        f"Run started {started} on {os.cpu_count()} CPUs, the parts one after the other "
        "(`python3 -m bench.issue15`).\n\n" + "\n\n".join(sections) + "\n"
    )
    (RESULTS / "issue15.md").write_text(text, encoding="utf-8")
    print(f"wrote {RESULTS / 'issue15.md'}")
    return 0


def _load(load: tuple[float, float, float]) -> str:
    return "/".join(f"{x:.2f}" for x in load)


def _demote(markdown: str) -> str:
    """A part's own file nested under its section: headings one level down."""
    return "\n".join("#" + line if line.startswith("#") else line for line in markdown.splitlines())


if __name__ == "__main__":
    sys.exit(main())
