"""The persistent routes of a real host, in a root-only SQLite file.

The kernel forgets everything at reboot and has no notion of a persistent route, so this file is
the persistent store of the `linux` backend: what `route -p add` wrote, what `routekeeper keep`
holds in the kernel. One file serves every network namespace (column `netns`, '' for the host's own).

Interfaces are stored by name as well as by index: a veth or a USB NIC comes back with a new index
after a reboot, and the name is what the administrator meant. On load, a name that exists now wins
over the stored index.

The directory is created 0700 and the file 0600: the routes of a host are root's business, and a
file others could write would let them steer the daemon.

A file that is not ours is refused before anything is written into it (`BadState`, whose message
names the file, and the row when one row is bad): a simulator state file, a corrupt or unreadable
file. Ours carry SQLite's `application_id` LINUX_APPLICATION_ID; a file written before the id existed
(only our table in it) is stamped on first open.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from routekeeper.core.values import IP, Origin, PersistentRoute, Prefix, ValueParseError
from routekeeper.store.errors import StoreDamaged, StoreError, translate

DEFAULT_STATE = "/var/lib/routekeeper/state.db"
LINUX_APPLICATION_ID = 0x524B4C58  # "RKLX": a linux-backend store (the simulator's files say "RKPR")
BAD_STATE_EXIT = 78  # EX_CONFIG: `RestartPreventExitStatus=78` stops a restart loop on a bad file


class BadState(StoreError):
    """The state file is not a linux-backend store (a simulator's, another program's); the message
    is one line naming it."""


class BadRow(BadState, StoreDamaged):
    """A row of ours that cannot be read back; the message names the file and the row."""


SCHEMA = """
CREATE TABLE IF NOT EXISTS persistent_route (
    netns   TEXT NOT NULL,
    prefix  TEXT NOT NULL,
    nexthop TEXT NOT NULL,
    metric  INTEGER NOT NULL,
    ifindex INTEGER,
    ifname  TEXT,
    origin  TEXT NOT NULL,
    parked  INTEGER NOT NULL DEFAULT 0,
    prefsrc TEXT NOT NULL DEFAULT '',
    onlink  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (netns, prefix, nexthop, ifname)
);
CREATE TABLE IF NOT EXISTS keeper_event (
    netns   TEXT NOT NULL,
    at      REAL NOT NULL,
    prefix  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS keeper_event_prefix ON keeper_event (netns, prefix, at);
"""
ADDED_COLUMNS = (
    ("prefsrc", "prefsrc TEXT NOT NULL DEFAULT ''"),
    ("onlink", "onlink INTEGER NOT NULL DEFAULT 0"),
)
JOURNAL_KEEP = 100_000  # rows per namespace: the oldest go first, so the file cannot grow without end


@dataclass(frozen=True, slots=True)
class StoredRoute:
    """A kept route, with the kernel attributes the core's `PersistentRoute` has no field for:
    `prefsrc` (ip route ... src) and `onlink` (a gateway the kernel must take as on-link)."""

    route: PersistentRoute
    ifname: str | None
    parked: bool
    prefsrc: IP | None = None
    onlink: bool = False


def state_file(path: str | None) -> str:
    """The linux backend's state file: the one given, else $ROUTEKEEPER_LINUX_STATE, else the default."""
    return path or os.environ.get("ROUTEKEEPER_LINUX_STATE") or DEFAULT_STATE


class LinuxRouteStore:
    """Open (creating if needed) the state file. Use as a context manager; writes are transactions."""

    def __init__(self, path: str | None = None, netns: str | None = None) -> None:
        self.path = state_file(path)
        self.netns = netns or ""
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            os.makedirs(directory, mode=0o700, exist_ok=True)
        fresh = not os.path.exists(self.path)
        old_umask = os.umask(0o077)
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None
        finally:
            os.umask(old_umask)
        try:
            self._claim(fresh)
        except sqlite3.Error as exc:
            self.db.close()
            raise translate(exc, self.path) from None
        except BadState:
            self.db.close()
            raise

    def _claim(self, fresh: bool) -> None:
        """Check the file is ours (or empty) before writing anything, then create the schema."""
        app_id = self.db.execute("PRAGMA application_id").fetchone()[0]
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app_id != LINUX_APPLICATION_ID and not (
            app_id == 0 and tables <= {"persistent_route", "keeper_event"}
        ):
            what = "a simulator state file" if tables & {"host", "hosts", "meta"} else "not ours"
            raise BadState(
                f"{self.path}: not a routekeeper linux state file ({what}); give the linux backend its own"
                " --state"
            )
        if fresh:
            os.chmod(self.path, 0o600)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(persistent_route)")}
        for name, ddl in ADDED_COLUMNS:
            if name not in columns:  # a file written before the attribute was kept
                self.db.execute(f"ALTER TABLE persistent_route ADD COLUMN {ddl}")
        if app_id == 0:
            self.db.execute(f"PRAGMA application_id = {LINUX_APPLICATION_ID}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> LinuxRouteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def data_version(self) -> int:
        """Changes when another connection commits: the daemon's cheap "did the store change?"."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def begin(self) -> None:
        """Take the write lock now, so concurrent commands serialise instead of losing updates."""
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    @contextmanager
    def writing(self) -> Iterator[LinuxRouteStore]:
        """One write transaction: committed when the block ends, rolled back when it raises."""
        self.begin()
        try:
            yield self
            self.commit()
        except BaseException:
            self.rollback()
            raise

    def load(self, names: dict[str, int] | None = None) -> list[StoredRoute]:
        """Every stored route of this namespace; `names` (name -> current index) re-binds by name."""
        try:
            rows = self.db.execute(
                "SELECT rowid, prefix, nexthop, metric, ifindex, ifname, origin, parked, prefsrc, onlink"
                " FROM persistent_route"
                " WHERE netns = ? ORDER BY rowid",
                (self.netns,),
            ).fetchall()
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None
        found = []
        for rowid, prefix, nexthop, metric, ifindex, ifname, origin, parked, prefsrc, onlink in rows:
            if ifname and names is not None and ifname in names:
                ifindex = names[ifname]
            try:
                if not isinstance(metric, int) or not 0 <= metric < 1 << 32:
                    raise ValueError(f"bad metric {metric!r}")
                p = PersistentRoute(
                    Prefix.parse(str(prefix)), IP.parse(str(nexthop)), metric, ifindex, Origin(origin)
                )
                src = IP.parse(str(prefsrc)) if prefsrc else None
            except (ValueError, ValueParseError) as exc:
                raise BadRow(
                    f"{self.path}: row {rowid} ({prefix} via {nexthop}) of persistent_route is bad: {exc}"
                ) from None
            found.append(StoredRoute(p, ifname or None, bool(parked), src, bool(onlink)))
        return found

    def rows(self) -> list[tuple[str, str, int, int | None, str | None, int]]:
        """(prefix, nexthop, metric, ifindex, ifname, parked) of the stored routes of this namespace
        the daemon's start-up may install before the core is imported (it parses them itself).

        Left to the full sync: routes with a preferred source or onlink (the start-up's messages carry
        neither), unbound link-local next hops (they wait for an interface), and rows whose metric or
        prefix length is out of range (the full sync's `load` names them). A route bound by name
        has index -1 unless the name exists now (the start-up re-binds names; a stored index may
        belong to another interface by now)."""
        try:
            return self.db.execute(
                "SELECT prefix, nexthop, metric, CASE WHEN ifname != '' THEN -1 ELSE ifindex END,"
                " ifname, parked FROM persistent_route"
                " WHERE netns = ? AND prefsrc = '' AND onlink = 0"
                " AND NOT (ifname = '' AND ifindex IS NULL AND lower(nexthop) LIKE 'fe80:%')"
                " AND typeof(metric) = 'integer' AND metric BETWEEN 0 AND 4294967295"
                " AND CAST(substr(prefix, instr(prefix, '/') + 1) AS INTEGER)"
                " BETWEEN 0 AND (CASE WHEN instr(prefix, ':') THEN 128 ELSE 32 END)"
                " ORDER BY rowid",
                (self.netns,),
            ).fetchall()
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None

    def _row(self, s: StoredRoute) -> tuple:
        r = s.route
        ifname = s.ifname or ""
        return (
            self.netns,
            str(r.prefix),
            str(r.nexthop),
            r.metric,
            r.ifindex,
            ifname,
            r.origin.value,
            int(s.parked),
            str(s.prefsrc) if s.prefsrc is not None else "",
            int(s.onlink),
        )

    def replace_all(self, routes: Iterable[StoredRoute]) -> None:
        """Make the namespace's stored routes exactly `routes` (inside the caller's transaction)."""
        self.db.execute("DELETE FROM persistent_route WHERE netns = ?", (self.netns,))
        self.db.executemany(
            "INSERT OR REPLACE INTO persistent_route"
            " (netns, prefix, nexthop, metric, ifindex, ifname, origin, parked, prefsrc, onlink)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self._row(s) for s in routes],
        )

    def add(self, routes: Iterable[StoredRoute]) -> None:
        """Bulk insert (benchmarks and imports), one transaction."""
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany(
            "INSERT OR REPLACE INTO persistent_route"
            " (netns, prefix, nexthop, metric, ifindex, ifname, origin, parked, prefsrc, onlink)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self._row(s) for s in routes],
        )
        self.db.execute("COMMIT")

    def journal_without_fsync(self) -> None:
        """The daemon's connection: commit without fsync (WAL + synchronous=NORMAL stays consistent,
        and may lose the newest journal rows on power loss). A journal write then costs a write(2),
        not a disk flush, in the event loop that must restore the next route."""
        self.db.execute("PRAGMA synchronous=NORMAL")

    # ------------------------------------------------------------------ the keeper's journal
    def record(self, events: Iterable[tuple[float, str, str, str]]) -> None:
        """Append (unix time, prefix, kind, detail) rows in one transaction: what happened to a kept
        route (flushed, restored, refused, conflicting, changed by a command), for `why` and `log`."""
        rows = [(self.netns, at, prefix, kind, detail) for at, prefix, kind, detail in events]
        if not rows:
            return
        own = not self.db.in_transaction
        if own:
            self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany("INSERT INTO keeper_event VALUES (?, ?, ?, ?, ?)", rows)
        self.db.execute(
            "DELETE FROM keeper_event WHERE netns = ? AND rowid <= (SELECT max(rowid) FROM keeper_event) - ?",
            (self.netns, JOURNAL_KEEP),
        )
        if own:
            self.db.execute("COMMIT")

    def history(self, prefix: str | None = None) -> list[tuple[float, str, str, str]]:
        """The journal of this namespace, oldest first (of one prefix when given)."""
        sql = "SELECT at, prefix, kind, detail FROM keeper_event WHERE netns = ?"
        params: tuple = (self.netns,)
        if prefix is not None:
            sql += " AND prefix = ?"
            params += (prefix,)
        try:
            return self.db.execute(sql + " ORDER BY at, rowid", params).fetchall()
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None
