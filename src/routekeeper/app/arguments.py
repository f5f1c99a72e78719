"""The one argument layer of routekeeper's own commands.

Every native command reads its words through a `Parser` (argparse, configured so that it never
exits the process and never guesses): an unknown option or an extra word is a `UsageError` (exit 2,
nothing done), an abbreviation is not accepted, and `-h`/`--help` raises `HelpRequested` with the
command's help, which the dispatcher prints (exit 0) before anything is opened or changed. A command
with subcommands (`host`, `reg`, `scenario`, ...) picks one with `subcommand`, which follows the same
rules. Numbers go through `core.numbers` (ASCII digits, a stated range).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from routekeeper.core.numbers import NumberError, parse_int, shown
from routekeeper.core.values import IP
from routekeeper.frontends.base import HelpRequested, UsageError, printable

HELP_WORDS = ("-h", "--help")


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(printable(f"{self.prog.removeprefix('routekeeper ')}: {message}"))

    def print_help(self, file: object = None) -> None:
        raise HelpRequested(self.format_help())

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        raise UsageError(message or f"{self.prog}: cannot continue")


def parser(prog: str, description: str | None = None) -> Parser:
    """The parser of `routekeeper PROG`: `-h`/`--help`, no abbreviations, errors as UsageError."""
    return Parser(
        prog=f"routekeeper {prog}",
        description=description,
        add_help=True,
        allow_abbrev=False,
        exit_on_error=False,
    )


def parse(p: Parser, args: Sequence[str]) -> argparse.Namespace:
    """The namespace of `args`, refusing anything `p` does not know."""
    try:
        return p.parse_args(list(args))
    except argparse.ArgumentError as exc:
        raise UsageError(printable(f"{p.prog.removeprefix('routekeeper ')}: {exc}")) from None


def no_arguments(prog: str, args: Sequence[str], description: str) -> None:
    """For a command that takes nothing: its help, or a usage error for any word."""
    parse(parser(prog, description), args)


def subcommand(prog: str, args: Sequence[str], summaries: dict[str, str]) -> tuple[str, list[str]]:
    """The subcommand `args` names and the words after it. `-h`/`--help` (or `help`) first lists the
    subcommands; no word, or one not in `summaries`, is a usage error."""
    if args and (args[0] in HELP_WORDS or args[0] == "help"):
        width = max(len(name) for name in summaries)
        lines = [f"usage: routekeeper {prog} {{{','.join(summaries)}}} ...", ""]
        lines += [f"  {name:<{width}}  {text}" for name, text in summaries.items()]
        lines += ["", f"'routekeeper {prog} SUBCOMMAND --help' describes one."]
        raise HelpRequested("\n".join(lines) + "\n")
    if not args:
        raise UsageError(f"{prog}: expected one of {', '.join(summaries)} (see 'routekeeper {prog} --help')")
    if args[0] not in summaries:
        raise UsageError(f"{prog}: unknown subcommand {args[0]!r} (expected one of {', '.join(summaries)})")
    return args[0], list(args[1:])


def number(text: str, what: str, low: int, high: int) -> int:
    """`text` as a number from `low` to `high`; a usage error naming `what` otherwise."""
    try:
        return parse_int(text, what, low, high)
    except NumberError as exc:
        raise UsageError(str(exc)) from None


def number_type(what: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse `type=` for a number in a range (argparse shows the message as it is)."""

    def convert(text: str) -> int:
        try:
            return parse_int(text, what, low, high)
        except NumberError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def ip(text: str) -> IP:
    return IP.parse(text)


def require_text(words: Sequence[str]) -> None:
    """Refuse words that are not text: bytes that are not UTF-8 (Python hands them over as lone
    surrogates, which SQLite and every encoder refuse later) and NUL characters."""
    for word in words:
        if "\0" in word:
            raise UsageError(f"argument {shown(word)} contains a NUL character")
        try:
            word.encode("utf-8")
        except UnicodeEncodeError:
            raw = word.encode("utf-8", "surrogateescape") if _escaped_bytes(word) else word
            raise UsageError(f"argument {shown(raw)} is not valid UTF-8 text") from None


def _escaped_bytes(word: str) -> bool:
    """Whether `word`'s only non-encodable characters are the surrogates that stand for raw bytes."""
    try:
        word.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return True
