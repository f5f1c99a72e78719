"""How a command that cannot be carried out ends: one line `routekeeper: ...` and an exit status.

This is the one place that maps failures to exit statuses (the README's "Errors and exit statuses"
lists them): 2 a malformed command line, 1 a refused or impossible operation, and for storage
failures one status per class, so a script can tell "try again" from "restore a backup":

  65 the state file holds a row or table routekeeper could not have written (damaged rows)
  73 a file the user named cannot be written (`reg export` into a missing directory, onto a directory)
  74 the disk is full or the file system failed (nothing was changed)
  75 another process held the state file's write lock longer than we wait (try again)
  76 SQLite finds the state file itself damaged (malformed pages)
  77 the state file or its directory is read-only (reads still work)
  70 a bug, 130 interrupted; a traceback never reaches the user.

Every line is passed through `printable`: what a user typed is echoed with control characters escaped
and shortened, so an argument can neither forge lines on a terminal nor flood it.
"""

from __future__ import annotations

from typing import TextIO

from routekeeper.core.operations import Refused
from routekeeper.core.values import ValueParseError
from routekeeper.frontends.base import SpecError, UsageError, escaped
from routekeeper.store.errors import (
    StoreBusy,
    StoreCorrupt,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreReadOnly,
)

MESSAGE_LIMIT = 400  # characters of one error line; a longer one keeps its head and tail


class CommandFailed(Exception):
    """A well-formed command that cannot be carried out (no such host, an unreadable file, a hotfix
    whose prerequisites are missing): a message worded for the user, exit 1."""


class CannotWrite(CommandFailed):
    """A file the user named cannot be written (its directory is missing, it is a directory, the
    disk is full): exit 73, and nothing else the command would have done is done."""


def file_error(action: str, path: str, exc: OSError) -> str:
    """One line for an OSError met on a user's path: what was being done, the path, and why."""
    return f"cannot {action} {path}: {exc.strerror or exc}"


# Storage classes first: each is a StoreError, whose own (generic) status is 1.
STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (StoreDamaged, 65),
    (CannotWrite, 73),
    (StoreFull, 74),
    (StoreBusy, 75),
    (StoreCorrupt, 76),
    (StoreReadOnly, 77),
    (UsageError, 2),
    (SpecError, 2),
    (ValueParseError, 2),
    (CommandFailed, 1),
    (StoreError, 1),
)


def report(exc: BaseException, err: TextIO) -> int:
    """Write the one line that `exc` stands for on `err` and return the command's exit status."""
    if isinstance(exc, BrokenPipeError):
        return 1
    if isinstance(exc, KeyboardInterrupt):
        err.write("routekeeper: interrupted\n")
        return 130
    if isinstance(exc, Refused):
        err.write(f"routekeeper: {printable(exc.detail)}\n")
        return 1
    for cls, status in STATUS:
        if isinstance(exc, cls):
            err.write(f"routekeeper: {printable(str(exc))}\n")
            return status
    if isinstance(exc, OSError) and exc.filename is not None:
        err.write(f"routekeeper: {printable(file_error('use', str(exc.filename), exc))}\n")
        return 74
    err.write(f"routekeeper: internal error: {type(exc).__name__}: {printable(str(exc))}\n")
    return 70


def printable(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` safe to show as (part of) one line: control, format and separator characters and lone
    surrogates (undecodable bytes of argv) escaped as Python writes them; when longer than `limit`,
    its head and tail with the number of characters left out between them."""
    shown = escaped(text)
    if len(shown) <= limit:
        return shown
    head, tail = limit * 2 // 3, limit // 4
    return f"{shown[:head]}...[{len(shown) - head - tail} characters left out]...{shown[-tail:]}"
