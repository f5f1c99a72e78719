"""The errors every store module raises when the state file cannot be used, and the one place that
turns what SQLite or the file system said into them.

Why one place: a storage failure can surface anywhere a row is read or written (opening, the first
SELECT, a COMMIT on a full disk). Each is one of a few classes a user can act on (wait, free space,
make the file writable, restore a backup), so each class is its own exception with a one-line message
naming the file; `app.errors` gives each class its exit status.
"""

from __future__ import annotations

import errno
import sqlite3
from os import PathLike


class StoreError(Exception):
    """The state file cannot be used; the message is one line for the user (not ours, too new)."""


class StoreBusy(StoreError):
    """Another process held the state file's write lock longer than we wait."""


class StoreReadOnly(StoreError):
    """The state file or its directory cannot be written (a read-only mount, file or directory)."""


class StoreFull(StoreError):
    """The disk (or the quota) is full, or the file system failed a read or write."""


class StoreCorrupt(StoreError):
    """SQLite itself finds the file damaged (malformed pages, not a database at all)."""


class StoreDamaged(StoreError):
    """The file is a sound SQLite file, but a row or table is not what routekeeper writes."""


_BY_CODE: dict[int, type[StoreError]] = {
    sqlite3.SQLITE_BUSY: StoreBusy,
    sqlite3.SQLITE_LOCKED: StoreBusy,
    sqlite3.SQLITE_READONLY: StoreReadOnly,
    sqlite3.SQLITE_PERM: StoreReadOnly,
    sqlite3.SQLITE_FULL: StoreFull,
    sqlite3.SQLITE_IOERR: StoreFull,
    sqlite3.SQLITE_CORRUPT: StoreCorrupt,
    sqlite3.SQLITE_NOTADB: StoreCorrupt,
    sqlite3.SQLITE_CANTOPEN: StoreReadOnly,
}
_BY_ERRNO: dict[int, type[StoreError]] = {
    errno.EROFS: StoreReadOnly,
    errno.EACCES: StoreReadOnly,
    errno.EPERM: StoreReadOnly,
    errno.ENOSPC: StoreFull,
    errno.EDQUOT: StoreFull,
    errno.EIO: StoreFull,
}


def translate(exc: BaseException, path: str | PathLike[str]) -> StoreError:
    """The StoreError that `exc` (an sqlite3 or OS error met while using `path`) stands for."""
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        if primary is None and isinstance(exc, sqlite3.OperationalError) and "no such" in str(exc):
            primary = sqlite3.SQLITE_ERROR
        cls = _BY_CODE.get(primary or -1)
        if cls is None and primary == sqlite3.SQLITE_ERROR:
            cls = StoreDamaged  # a missing table or column: not the schema routekeeper wrote
        return _made(cls or StoreCorrupt, path, str(exc))
    if isinstance(exc, OSError):
        return _made(_BY_ERRNO.get(exc.errno or 0, StoreFull), path, exc.strerror or str(exc))
    return StoreError(f"{path}: {exc}")


def _made(cls: type[StoreError], path: str | PathLike[str], detail: str) -> StoreError:
    what = {
        StoreBusy: f"state file {path} is locked by another process (gave up waiting); try again",
        StoreReadOnly: f"state file {path} cannot be written (read-only file, directory or mount): {detail}",
        StoreFull: f"cannot write state file {path}: {detail}; nothing was changed",
        StoreCorrupt: f"state file {path} is damaged ({detail}); restore it from a backup",
        StoreDamaged: f"state file {path} is damaged ({detail}); restore it from a backup",
    }[cls]
    return cls(what)
