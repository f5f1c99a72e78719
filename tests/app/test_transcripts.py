"""Every transcript runs through `routekeeper scenario run`'s code path and must match exactly:
the shared ones (../shared/scenarios relative to the project root) and the project's own."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from routekeeper.app.transcripts import run_file
from routekeeper.cli import COMMANDS, run

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "scenarios"
OWN = ROOT / "tests" / "scenarios"


def transcripts() -> list[Path]:
    return sorted(SHARED.glob("*.txt")) + sorted(OWN.rglob("*.txt"))


def test_shared_transcripts_are_present():
    if not SHARED.parent.is_dir():
        pytest.skip(f"{SHARED.parent} is absent (a plain clone): the project's own transcripts run")
    assert len(list(SHARED.glob("*.txt"))) >= 3, f"missing shared transcripts in {SHARED}"


@pytest.mark.parametrize("path", transcripts(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_transcript(path: Path):
    ok, report = run_file(path, COMMANDS)
    assert ok, report


def test_runner_reports_a_mismatch_as_a_unified_diff(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text(
        "# host: profile=hotfix\n"
        '# interface: index=11 name="LAN" mac=00-15-5D-01-02-03 speed=1g\n'
        "$ route DELETE 10.9.9.9\n"
        " OK!\n"
    )
    out = io.StringIO()
    status = run(["scenario", "run", str(bad)], out, out, env={})
    text = out.getvalue()
    assert status == 1
    assert f"FAIL {bad}" in text and "-[exit 0]" in text and "+[exit 1]" in text
    assert "- OK!" in text and "+The route deletion failed: Element not found." in text
    assert text.endswith("0 passed, 1 failed\n")
