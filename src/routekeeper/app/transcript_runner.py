"""The transcript runner: what host and cluster transcripts share, with their directives plugged in.

A transcript is a header line, then `$ COMMAND` lines each followed by the output it must print (and
`[exit N]` when its status is not 0), and `# ...` lines: a directive the dialect knows (`# interface:`,
`# reboot`, `# node:`, ...) or a comment. A `# word:` line with nothing after it or only `key=value`
settings is a directive's form: when the dialect does not know `word`, the file is refused (a
misspelt directive must not pass as a comment and skip its setup). Each file runs in a fresh state
file; every line goes through the same code path as the command line (`commands.execute`), so a
transcript checks parsing, the core, the store's transactions and the rendering together. A mismatch
is reported as a unified diff.
"""

from __future__ import annotations

import difflib
import io
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from routekeeper.app.commands import execute
from routekeeper.app.errors import CommandFailed
from routekeeper.app.files import MIB, read_bounded
from routekeeper.app.session import CommandTable, Session, command_text

EXIT_LINE = re.compile(r"^\[exit (\d+)\]\s*$")
DIRECTIVE_FORM = re.compile(r"([a-z][a-z0-9_-]*):(.*)")
TRANSCRIPT_LIMIT = 16 * MIB  # the largest transcript a run reads (the project's own are a few KiB)


class TranscriptError(ValueError):
    """A transcript that does not follow its format."""


@dataclass
class Step:
    """One `$` command with the output it must print, or one directive."""

    line: int
    text: str  # the command after `$` (without a `[NODE]` prefix), or what follows the directive's name
    directive: str = ""  # "" for a `$` command, else the directive's name ("interface", "reboot", ...)
    node: str | None = None  # the cluster node a `$ [NODE] ...` command runs on
    required: bool = True  # a directive whose failure stops the run (else it is ignored)
    expected: list[str] = field(default_factory=list)
    exit: int = 0

    @property
    def is_command(self) -> bool:
        return not self.directive


@dataclass
class Transcript:
    path: str
    header: dict[str, str]  # the settings of the first line (`profile=`, `name=`)
    steps: list[Step]


@dataclass
class Shell:
    """Runs command lines on one transcript's state file, as `routekeeper --state FILE ...` would."""

    state: str
    commands: CommandTable

    def run(
        self, words: list[str], host: str = "default", node: str | None = None, cluster: str | None = None
    ) -> tuple[int, str]:
        """(exit status, stdout and stderr together) of one command line."""
        buffer = io.StringIO()
        session = Session(buffer, buffer, self.state, host, self.commands, command_text=command_text(words))
        status = execute(session, words, node, cluster)
        return status, buffer.getvalue()


class Dialect(Protocol):
    """What a kind of transcript adds to the shared format: its header, its `$` lines, its directives."""

    marker: str  # how its first line starts
    first_line: str  # the first line, as an error message shows it
    directive_names: tuple[str, ...]  # the directives it knows, as an error message lists them

    def header(self, path: str, line: str) -> dict[str, str]: ...

    def command(self, where: str, number: int, body: str) -> Step: ...

    def directive(self, number: int, body: str, first: bool) -> Step | None:
        """The step a `# BODY` line stands for (`first`: no step before it), or None for a comment."""
        ...

    def start(self, t: Transcript, shell: Shell) -> str:
        """Create what the transcript runs on; '' or the report of why that failed."""
        ...

    def run_directive(self, t: Transcript, shell: Shell, step: Step) -> tuple[int, str]: ...

    def directive_failed(self, t: Transcript, step: Step, out: str) -> str: ...

    def run_command(self, t: Transcript, shell: Shell, step: Step) -> tuple[int, str]: ...

    def shown(self, step: Step) -> str:
        """A command as a mismatch report shows it."""
        ...


def read_transcript(path: str | Path) -> str:
    """A transcript's text: UTF-8, at most TRANSCRIPT_LIMIT bytes; TranscriptError naming the file
    otherwise (missing, a directory, /dev/zero, not UTF-8)."""
    try:
        raw = read_bounded(str(path), TRANSCRIPT_LIMIT, "a transcript")
    except CommandFailed as exc:
        raise TranscriptError(str(exc)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TranscriptError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def unknown_directive(dialect: Dialect, body: str) -> str | None:
    """The name of the directive a `# BODY` line has the form of when the dialect does not know it."""
    m = DIRECTIVE_FORM.fullmatch(body)
    if m is None or m.group(1) in dialect.directive_names:
        return None
    rest = m.group(2).split()
    return m.group(1) if all("=" in word for word in rest) else None


def parse(dialect: Dialect, path: str | Path, text: str | None = None) -> Transcript:
    text = read_transcript(path) if text is None else text
    lines = text.splitlines()
    if not lines or not lines[0].startswith(dialect.marker):
        raise TranscriptError(f"{path}:1: the first line must be '{dialect.first_line}'")
    header = dialect.header(str(path), lines[0])
    steps: list[Step] = []
    current: Step | None = None
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith("$"):
            current = dialect.command(f"{path}:{number}", number, line[1:].strip())
            steps.append(current)
        elif line.startswith("#"):
            current = None
            step = dialect.directive(number, line[1:].strip(), first=not steps)
            if step is not None:
                steps.append(step)
            elif (name := unknown_directive(dialect, line[1:].strip())) is not None:
                known = ", ".join(f"'# {d}:'" for d in dialect.directive_names)
                raise TranscriptError(f"{path}:{number}: unknown directive '# {name}:' (known: {known})")
        elif current is not None:
            current.expected.append(line.rstrip())
        elif line.strip():
            raise TranscriptError(f"{path}:{number}: output line outside a command: {line!r}")
    take_exit_lines(steps)
    return Transcript(str(path), header, steps)


def take_exit_lines(steps: list[Step]) -> None:
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


def run(dialect: Dialect, t: Transcript, commands: CommandTable) -> tuple[bool, str]:
    """Run one transcript; returns (all matched, a report with a unified diff per mismatch)."""
    report: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rk-transcript-") as tmp:
        shell = Shell(str(Path(tmp) / "state.db"), commands)
        failed = dialect.start(t, shell)
        if failed:
            return False, failed
        for step in t.steps:
            if step.is_command:
                status, out = dialect.run_command(t, shell, step)
                where = f"{t.path}:{step.line}"
                report.append(mismatch(where, dialect.shown(step), step.expected, step.exit, status, out))
                continue
            status, out = dialect.run_directive(t, shell, step)
            if status != 0 and step.required:
                report.append(dialect.directive_failed(t, step, out))
                return False, "".join(report)
    text = "".join(report)
    return not text, text
