"""Files a user names on the command line (a .reg file, a transcript): read within a size bound and
written with one clear line when the file system says no.

Why bounded: `reg import /dev/zero` read until memory ran out. Every such file is read through
`read_bounded`, which stops one byte past its limit and refuses the file (the README lists the limits).
"""

from __future__ import annotations

import os

from routekeeper.app.errors import CannotWrite, CommandFailed, file_error

MIB = 1 << 20


def read_bounded(path: str, limit: int, what: str) -> bytes:
    """The bytes of `path` when there are at most `limit` of them; CommandFailed naming the file
    otherwise, or when it cannot be read (missing, a directory, no permission)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise CommandFailed(file_error("read", path, exc)) from None
    if len(data) > limit:
        raise CommandFailed(f"{path} is larger than {limit // MIB} MiB, the limit for {what}; refused")
    return data


def write_text(path: str, text: str, encoding: str) -> None:
    """Write `text` to `path`; CannotWrite naming the file when the file system refuses (a missing
    directory, a directory, a parent that is a file, a read-only mount, a full disk). A file that
    could not be written whole is removed again when this call created it."""
    existed = os.path.lexists(path)
    try:
        with open(path, "w", encoding=encoding) as fh:
            fh.write(text)
    except OSError as exc:
        if not existed and os.path.isfile(path):
            os.unlink(path)
        raise CannotWrite(file_error("write", path, exc)) from None
