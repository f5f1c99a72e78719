"""The persistent routes of a real host, in a root-only SQLite file.

The kernel forgets everything at reboot and has no notion of a persistent route, so this file is
the persistent store of the `linux` backend: what `route -p add` wrote, what `routekeeper keep`
holds in the kernel. One file serves every network namespace (column `netns`, '' for the host's own).

Interfaces are stored by name as well as by index: a veth or a USB NIC comes back with a new index
after a reboot, and the name is what the administrator meant. On load, a name that exists now wins
over the stored index.

The directory is created 0700 and the file 0600: the routes of a host are root's business, and a
file others could write would let them steer the daemon.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from routekeeper.core.values import IP, Origin, PersistentRoute, Prefix

DEFAULT_STATE = "/var/lib/routekeeper/state.db"

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
    PRIMARY KEY (netns, prefix, nexthop, ifname)
);
"""


@dataclass(frozen=True, slots=True)
class StoredRoute:
    route: PersistentRoute
    ifname: str | None
    parked: bool


class LinuxRouteStore:
    """Open (creating if needed) the state file. Use as a context manager; writes are transactions."""

    def __init__(self, path: str | None = None, netns: str | None = None) -> None:
        self.path = path or os.environ.get("ROUTEKEEPER_LINUX_STATE") or DEFAULT_STATE
        self.netns = netns or ""
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            os.makedirs(directory, mode=0o700, exist_ok=True)
        fresh = not os.path.exists(self.path)
        old_umask = os.umask(0o077)
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        finally:
            os.umask(old_umask)
        if fresh:
            os.chmod(self.path, 0o600)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

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

    def load(self, names: dict[str, int] | None = None) -> list[StoredRoute]:
        """Every stored route of this namespace; `names` (name -> current index) re-binds by name."""
        rows = self.db.execute(
            "SELECT prefix, nexthop, metric, ifindex, ifname, origin, parked FROM persistent_route"
            " WHERE netns = ? ORDER BY rowid",
            (self.netns,),
        ).fetchall()
        found = []
        for prefix, nexthop, metric, ifindex, ifname, origin, parked in rows:
            if ifname and names is not None and ifname in names:
                ifindex = names[ifname]
            p = PersistentRoute(Prefix.parse(prefix), IP.parse(nexthop), metric, ifindex, Origin(origin))
            found.append(StoredRoute(p, ifname or None, bool(parked)))
        return found

    def rows(self) -> list[tuple[str, str, int, int | None, str | None, int]]:
        """(prefix, nexthop, metric, ifindex, ifname, parked) of every stored route of this namespace,
        as stored: the daemon's start-up parses them itself, before the core is imported."""
        return self.db.execute(
            "SELECT prefix, nexthop, metric, ifindex, ifname, parked FROM persistent_route"
            " WHERE netns = ? ORDER BY rowid",
            (self.netns,),
        ).fetchall()

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
        )

    def replace_all(self, routes: Iterable[StoredRoute]) -> None:
        """Make the namespace's stored routes exactly `routes` (inside the caller's transaction)."""
        self.db.execute("DELETE FROM persistent_route WHERE netns = ?", (self.netns,))
        self.db.executemany(
            "INSERT OR REPLACE INTO persistent_route VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [self._row(s) for s in routes],
        )

    def add(self, routes: Iterable[StoredRoute]) -> None:
        """Bulk insert (benchmarks and imports), one transaction."""
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany(
            "INSERT OR REPLACE INTO persistent_route VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [self._row(s) for s in routes],
        )
        self.db.execute("COMMIT")
