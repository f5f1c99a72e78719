"""What every command front end returns, how it says a command line is malformed, and how a Windows
command line splits into words."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


class UsageError(ValueError):
    """A malformed command line. route.exe answers it with its usage text; routekeeper's own commands
    print it as one line and exit with status 2."""


class HelpRequested(Exception):
    """`--help` was given: the text to print (exit 0). Raised before the command opens or changes
    anything, so help never acts."""

    def __init__(self, text: str) -> None:
        super().__init__("help requested")
        self.text = text


@dataclass
class Output:
    """A command's result: what it printed on each stream and its exit status.

    `commit` False asks the caller to keep none of the changes the command made to the host or cluster
    (a failed command leaves the stored state exactly as it was; a what-if changes nothing).
    """

    stdout: str = ""
    stderr: str = ""
    exit: int = 0
    commit: bool = field(default=True)

    def __post_init__(self) -> None:
        if self.exit != 0:
            self.commit = False


def escaped(text: str) -> str:
    """`text` with every character that is not plain text (control, format and separator characters,
    and lone surrogates: bytes of argv that could not be decoded) written as an escape, so that an
    echo of what a user typed can neither split a line nor drive a terminal."""
    return "".join(_escaped(ch) for ch in text)


def _escaped(ch: str) -> str:
    if ch.isprintable() or ch == " ":
        return ch
    if unicodedata.category(ch) == "Cs":
        return f"\\x{ord(ch) & 0xFF:02x}"  # a byte argv could not decode (surrogateescape)
    return ch.encode("unicode_escape").decode("ascii")


def printable(message: str, limit: int = 300) -> str:
    """A message that echoes what a user typed (an argparse complaint), `escaped` and cut at `limit`."""
    text = escaped(message)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def tokenize(line: str) -> list[str]:
    """Split a command line the way cmd.exe hands it to a program: white space separates words,
    double quotes group words and are removed; there is no backslash escaping."""
    words: list[str] = []
    current: list[str] = []
    in_quotes = False
    started = False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
            started = True
        elif ch.isspace() and not in_quotes:
            if started:
                words.append("".join(current))
                current, started = [], False
        else:
            current.append(ch)
            started = True
    if started:
        words.append("".join(current))
    return words


class SpecError(ValueError):
    """A malformed interface spec or argument; the message is one line for the user. (Here rather than
    in `native`, so that the error path needs no host model: `app.errors` stays light to import.)"""
