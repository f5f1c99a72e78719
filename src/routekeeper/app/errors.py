"""How a command that cannot be carried out ends: one line `routekeeper: ...` and an exit status.

Exit 2 for a malformed command line, 1 for a refused or impossible operation, 130 when interrupted,
70 for a bug; a traceback never reaches the user.
"""

from __future__ import annotations

from typing import TextIO

from routekeeper.core.operations import Refused
from routekeeper.core.values import ValueParseError
from routekeeper.frontends.base import UsageError
from routekeeper.frontends.native import SpecError
from routekeeper.store.errors import StoreError


class CommandFailed(Exception):
    """A well-formed command that cannot be carried out (no such host, an unreadable file, a hotfix
    whose prerequisites are missing): a message worded for the user, exit 1."""


def report(exc: BaseException, err: TextIO) -> int:
    """Write the one line that `exc` stands for on `err` and return the command's exit status."""
    if isinstance(exc, UsageError):
        err.write(f"routekeeper: {exc}\n")
        return 2
    if isinstance(exc, (CommandFailed, StoreError)):
        err.write(f"routekeeper: {exc}\n")
        return 1
    if isinstance(exc, Refused):
        err.write(f"routekeeper: {exc.detail}\n")
        return 1
    if isinstance(exc, (SpecError, ValueParseError)):
        err.write(f"routekeeper: {exc}\n")
        return 2
    if isinstance(exc, BrokenPipeError):
        return 1
    if isinstance(exc, KeyboardInterrupt):
        err.write("routekeeper: interrupted\n")
        return 130
    err.write(f"routekeeper: internal error: {type(exc).__name__}: {exc}\n")
    return 70
