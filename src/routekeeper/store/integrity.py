"""Which row of a state file routekeeper could not have written, once loading a host has failed.

Why after the fact: loading checks nothing row by row (a million routes load as columns), so a damaged
row surfaces as a KeyError or ValueError deep in decoding. Only then are the host's rows searched, in
SQL, for values no routekeeper writes, so the message can name the table and the row.
"""

from __future__ import annotations

import sqlite3
from os import PathLike

from routekeeper.core.profiles import PROFILES
from routekeeper.core.values import AddressStore, Origin
from routekeeper.store.errors import StoreDamaged, translate

_ORIGINS = ", ".join(f"'{o.value}'" for o in Origin)
_STORES = ", ".join(f"'{s.value}'" for s in AddressStore)
_PROFILES = ", ".join(f"'{name}'" for name in PROFILES)
_LENGTH = "(length < 0 OR length > CASE version WHEN 4 THEN 32 ELSE 128 END)"

# (table, the columns that name a row, the condition a damaged row meets); each checked for one host.
CHECKS: tuple[tuple[str, str, str], ...] = (
    ("hosts", "name, profile", f"profile NOT IN ({_PROFILES})"),
    ("hosts", "name, pending_profile", f"ifnull(pending_profile, 'hotfix') NOT IN ({_PROFILES})"),
    ("interfaces", "idx, name", "typeof(idx) != 'integer' OR typeof(name) != 'text' OR idx < 0"),
    ("addresses", "ifindex, version, length, store", f"store NOT IN ({_STORES}) OR {_LENGTH}"),
    ("routes", "held, version, length, ifindex, origin", f"origin NOT IN ({_ORIGINS}) OR {_LENGTH}"),
    ("routes", "held, version, length, ifindex, kind", "kind NOT IN (SELECT id FROM route_kinds)"),
    ("persistent", "version, length, ifindex, origin", f"origin NOT IN ({_ORIGINS}) OR {_LENGTH}"),
)


def damaged(
    conn: sqlite3.Connection, path: str | PathLike[str] | None, host: str, exc: BaseException
) -> StoreDamaged:
    """StoreDamaged for host `host`, naming the first row found that routekeeper could not have
    written (or, when none is found, what decoding the host met)."""
    try:
        row = _first_damaged_row(conn, host)
    except sqlite3.Error as error:
        found = translate(error, path or "?")
        return found if isinstance(found, StoreDamaged) else StoreDamaged(str(found))
    where = row or f"host {host!r} cannot be loaded: {type(exc).__name__}: {exc}"
    return StoreDamaged(f"state file {path} is damaged: {where}; restore it from a backup")


def _first_damaged_row(conn: sqlite3.Connection, host: str) -> str | None:
    found = conn.execute("SELECT id FROM hosts WHERE name = ?", (host,)).fetchone()
    if found is None:
        return None
    return _search(conn, host, found[0])


def damaged_row_anywhere(conn: sqlite3.Connection) -> str | None:
    """The first row of any host that routekeeper could not have written, or None. A command that
    loads a host lazily (issue 15) never decodes most of its rows, so before a write into a small file
    its rows are searched in SQL, as `PRAGMA quick_check` searches its pages."""
    return _search(conn, None, None)


def _search(conn: sqlite3.Connection, host: str | None, host_id: int | None) -> str | None:
    for table, columns, condition in CHECKS:
        scope = "1" if host_id is None else "id = ?" if table == "hosts" else "host_id = ?"
        args = () if host_id is None else (host_id,)
        row = conn.execute(
            f"SELECT {columns} FROM {table} WHERE {scope} AND ({condition}) LIMIT 1", args
        ).fetchone()
        if row is not None:
            names = [name.strip() for name in columns.split(",")]
            fields = ", ".join(f"{name}={value!r}" for name, value in zip(names, row, strict=True))
            whose = f"a row of host {host!r}" if host is not None else "a row"
            return f"table {table}, {whose} ({fields})"
    return None
