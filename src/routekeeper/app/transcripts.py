"""Run command transcripts (the format of shared/scenarios/README.md) and compare their output.

Each file runs on a fresh host in a temporary state file, through the same code path as the command
line, so a transcript checks parsing, the core, the store's transactions and the rendering together.
"""

from __future__ import annotations

import difflib
import io
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from routekeeper.frontends.base import tokenize

EXIT_LINE = re.compile(r"^\[exit (\d+)\]\s*$")


class ScenarioError(ValueError):
    """A transcript that does not follow the format."""


@dataclass
class Step:
    line: int
    kind: str  # "command", "reboot" or "setup"
    text: str
    expected: list[str] = field(default_factory=list)
    exit: int = 0


@dataclass
class Transcript:
    path: str
    profile: str
    interfaces: list[str]
    steps: list[Step]


def parse(path: str | Path, text: str | None = None) -> Transcript:
    text = Path(path).read_text(encoding="utf-8") if text is None else text
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# host:"):
        raise ScenarioError(f"{path}:1: the first line must be '# host: profile=NAME'")
    match = re.search(r"profile=(\S+)", lines[0])
    if match is None:
        raise ScenarioError(f"{path}:1: no profile= on the host line")
    interfaces: list[str] = []
    steps: list[Step] = []
    current: Step | None = None
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith("$"):
            current = Step(number, "command", line[1:].strip())
            steps.append(current)
        elif line.startswith("#"):
            current = None
            body = line[1:].strip()
            if body.startswith("interface:"):
                if steps:
                    steps.append(Step(number, "setup", body[len("interface:") :].strip()))
                else:
                    interfaces.append(body[len("interface:") :].strip())
            elif body == "reboot":
                steps.append(Step(number, "reboot", "reboot"))
        elif current is not None:
            current.expected.append(line.rstrip())
        elif line.strip():
            raise ScenarioError(f"{path}:{number}: output line outside a command: {line!r}")
    take_exit_lines(steps)
    return Transcript(str(path), match.group(1), interfaces, steps)


def take_exit_lines(steps: list) -> None:
    """Move a trailing `[exit N]` line of each step's expected output into its `exit`."""
    for step in steps:
        if step.expected and (m := EXIT_LINE.match(step.expected[-1])):
            step.exit = int(m.group(1))
            step.expected.pop()


def mismatch(where: str, shown: str, expected: list[str], exit: int, status: int, out: str) -> str:
    """'' when a command printed what was expected with the expected status, else a unified diff."""
    actual = [line.rstrip() for line in out.splitlines()]
    if actual == expected and status == exit:
        return ""
    diff = difflib.unified_diff(
        [*expected, f"[exit {exit}]"],
        [*actual, f"[exit {status}]"],
        f"{where} expected",
        "actual",
        lineterm="",
    )
    return f"$ {shown}\n" + "\n".join(diff) + "\n"


def _rk(state: str, words: list[str]) -> tuple[int, str]:
    from routekeeper.cli import run

    buffer = io.StringIO()
    status = run(["--state", state, "--host", "scenario", *words], buffer, buffer, env={})
    return status, buffer.getvalue()


def run_transcript(t: Transcript) -> tuple[bool, str]:
    """Run one transcript; returns (all matched, a report with a unified diff per mismatch)."""
    report: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rk-scenario-") as tmp:
        state = str(Path(tmp) / "state.db")
        status, out = _rk(state, ["host", "init", "--profile", t.profile])
        if status != 0:
            return False, f"{t.path}: cannot create the host: {out.strip()}\n"
        for spec in t.interfaces:
            status, out = _rk(state, ["host", "add-interface", *tokenize(spec)])
            if status != 0:
                return False, f"{t.path}: bad interface line {spec!r}: {out.strip()}\n"
        for step in t.steps:
            if step.kind == "reboot":
                _rk(state, ["host", "reboot"])
                continue
            if step.kind == "setup":
                _rk(state, ["host", "add-interface", *tokenize(step.text)])
                continue
            status, out = _rk(state, tokenize(step.text))
            report.append(mismatch(f"{t.path}:{step.line}", step.text, step.expected, step.exit, status, out))
    text = "".join(report)
    return not text, text


def run_file(path: str | Path) -> tuple[bool, str]:
    from routekeeper.app import cluster_transcripts as cluster_scenario

    if cluster_scenario.is_cluster_transcript(path):
        return cluster_scenario.run_file(path)
    return run_transcript(parse(path))


def run_files(paths: list[str], out: TextIO) -> int:
    failed = 0
    for path in paths:
        try:
            ok, report = run_file(path)
        except (OSError, ScenarioError, UnicodeDecodeError) as exc:
            ok, report = False, f"{exc}\n"
        out.write(f"{'PASS' if ok else 'FAIL'} {path}\n")
        if not ok:
            failed += 1
            out.write(report)
    out.write(f"{len(paths) - failed} passed, {failed} failed\n")
    return 0 if failed == 0 else 1
