"""The transcript sets are complete: the shared ones are there, and the project's own cover every profile
and tool. (tests/app/test_transcripts.py runs every file.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from routekeeper.app.transcripts import parse

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "scenarios"
OWN = ROOT / "tests" / "scenarios"
# Host transcripts only: cluster transcripts (`# cluster:` first line) are a dialect of their own.
OWN_HOSTS = sorted(p for p in OWN.glob("*.txt") if p.read_text(encoding="utf-8").startswith("# host:"))


def test_own_set_is_there() -> None:
    assert len(OWN_HOSTS) >= 30


def test_shared_set_is_there_beside_the_project() -> None:
    if not SHARED.parent.is_dir():
        pytest.skip(f"{SHARED.parent} is absent (a plain clone): only the project's own set runs")
    assert len(list(SHARED.glob("*.txt"))) >= 3


def test_own_transcripts_cover_every_profile_and_tool() -> None:
    profiles, tools = set(), set()
    for path in OWN_HOSTS:
        transcript = parse(path)
        profiles.add(transcript.header["profile"])
        tools |= {step.text.split()[0].lower() for step in transcript.steps if step.is_command}
    assert profiles == {"hotfix", "prehotfix", "linux"}
    assert {"route", "netsh", "ipconfig"} <= tools


def test_the_defect_report_has_our_own_transcript_on_every_profile() -> None:
    """The defect report's scenario runs from a plain clone: our own transcripts, one per profile."""
    own = {parse(p).header["profile"] for p in OWN_HOSTS if p.name.startswith("kb-default-route.")}
    assert own == {"hotfix", "prehotfix", "linux"}
