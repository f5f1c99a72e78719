"""A command line loads only what its command uses: `--help` neither NumPy nor SQLite (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PROBE = """
import io, sys
from routekeeper.cli import run
out = io.StringIO()
status = run(sys.argv[1:], out, io.StringIO(), {})
heavy = sorted(m for m in ("numpy", "sqlite3", "_sqlite3") if m in sys.modules)
print(status, out.getvalue().startswith("usage: routekeeper"), ",".join(heavy) or "-")
"""


def loaded(*argv: str) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_help_loads_neither_numpy_nor_sqlite() -> None:
    for word in ("--help", "-h", "help"):
        assert loaded(word) == ["0", "True", "-"]


def test_a_bad_global_option_is_reported_without_loading_a_host() -> None:
    status, usage, heavy = loaded("--backend", "nope", "host", "list")
    assert (status, usage) == ("2", "False")


def test_a_command_still_loads_what_it_needs(tmp_path: Path) -> None:
    assert loaded("--state", str(tmp_path / "s.db"), "host", "init")[0] == "0"
    status, _, heavy = loaded("--state", str(tmp_path / "s.db"), "host", "list")
    assert status == "0" and "sqlite3" in heavy.split(",")
