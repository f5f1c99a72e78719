"""`routekeeper scenario run FILE...`: run transcripts of either kind and compare their output.

The first line says the kind: `# cluster:` for a cluster transcript, else a host transcript.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from routekeeper.app import transcript_runner
from routekeeper.app.cluster_transcripts import ClusterDialect
from routekeeper.app.host_transcripts import HostDialect
from routekeeper.app.session import CommandTable, Session
from routekeeper.app.transcript_runner import Dialect, Transcript, TranscriptError
from routekeeper.frontends.base import UsageError


def dialect_of(path: str | Path, text: str | None = None) -> Dialect:
    """The dialect a transcript's first line announces."""
    if text is None:
        text = transcript_runner.read_transcript(path)
    return ClusterDialect() if text.startswith(ClusterDialect.marker) else HostDialect()


def parse(path: str | Path, text: str | None = None) -> Transcript:
    return transcript_runner.parse(dialect_of(path, text), path, text)


def run_file(path: str | Path, commands: CommandTable) -> tuple[bool, str]:
    """Run one transcript file: (all matched, a report with a unified diff per mismatch)."""
    text = transcript_runner.read_transcript(path)
    dialect = dialect_of(path, text)
    return transcript_runner.run(dialect, transcript_runner.parse(dialect, path, text), commands)


def run_files(paths: list[str], out: TextIO, commands: CommandTable) -> int:
    failed = 0
    for path in paths:
        try:
            ok, report = run_file(path, commands)
        except (OSError, TranscriptError, UnicodeDecodeError) as exc:
            ok, report = False, f"{exc}\n"
        out.write(f"{'PASS' if ok else 'FAIL'} {path}\n")
        if not ok:
            failed += 1
            out.write(report)
    out.write(f"{len(paths) - failed} passed, {failed} failed\n")
    return 0 if failed == 0 else 1


def cmd_scenario(session: Session, args: list[str]) -> int:
    if not args or args[0] != "run" or len(args) < 2:
        raise UsageError("scenario: expected 'scenario run FILE...'")
    return run_files(args[1:], session.out, session.commands)
