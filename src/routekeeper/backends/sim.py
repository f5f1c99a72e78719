"""The embedded default backend: simulated hosts kept in one SQLite file.

Every command is one `BEGIN IMMEDIATE` transaction: load the host, run the command on it, then write
back what the host's journal says changed (never the whole host), and commit. A command that fails
rolls back, so the file is exactly as it was. Concurrent processes serialise on SQLite's write lock
(WAL mode, generous busy timeout), so two writers at once both succeed.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..core.events import Event, Kind
from ..core.host import Host
from ..core.values import (
    IP,
    Address,
    AddressStore,
    Interface,
    Origin,
    PersistentRoute,
    Prefix,
    Route,
)

SCHEMA_VERSION = 1
APPLICATION_ID = 0x524B5052  # "RKPR": tells our files from other SQLite files

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE hosts (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, profile TEXT NOT NULL,
    product TEXT, sp INTEGER, arch TEXT, pending_profile TEXT
);
CREATE TABLE interfaces (
    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL, mac TEXT NOT NULL,
    speed INTEGER NOT NULL, connected INTEGER NOT NULL, enabled INTEGER NOT NULL,
    metric INTEGER, mtu INTEGER NOT NULL, loopback INTEGER NOT NULL, promote INTEGER NOT NULL,
    dhcp INTEGER NOT NULL,
    PRIMARY KEY (host_id, idx)
);
CREATE TABLE addresses (
    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    ifindex INTEGER NOT NULL, ip BLOB NOT NULL, length INTEGER NOT NULL, ord INTEGER NOT NULL,
    skipassource INTEGER NOT NULL, store TEXT NOT NULL,
    PRIMARY KEY (host_id, ifindex, ip)
);
CREATE TABLE routes (
    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    network BLOB NOT NULL, length INTEGER NOT NULL, ifindex INTEGER NOT NULL, nexthop BLOB NOT NULL,
    metric INTEGER NOT NULL, origin TEXT NOT NULL, bound INTEGER NOT NULL, persistent INTEGER NOT NULL,
    prefsrc BLOB, onlink INTEGER NOT NULL, kind TEXT NOT NULL,
    held INTEGER NOT NULL,
    PRIMARY KEY (host_id, held, network, length, ifindex, nexthop)
);
CREATE TABLE persistent (
    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    network BLOB NOT NULL, length INTEGER NOT NULL, nexthop BLOB NOT NULL, ifindex INTEGER NOT NULL,
    metric INTEGER NOT NULL, origin TEXT NOT NULL, parked INTEGER NOT NULL, last_placed INTEGER,
    PRIMARY KEY (host_id, network, length, nexthop, ifindex)
);
CREATE TABLE log (
    id INTEGER PRIMARY KEY, host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    at TEXT NOT NULL, command TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
    reason TEXT NOT NULL, manual INTEGER NOT NULL, prefix TEXT
);
CREATE INDEX log_prefix ON log (host_id, prefix);
"""

UNBOUND = -1  # the persistent table's stand-in for "no interface binding" (part of the key)


@dataclass(frozen=True)
class HostFacts:
    """What the store knows of the real host a simulated one stands for (product, service pack,
    architecture), and a profile waiting for the next reboot (an installed hotfix)."""

    product: str | None = None
    sp: int | None = None
    arch: str | None = None
    pending_profile: str | None = None


class StoreError(Exception):
    """The state file cannot be used; the message is one line for the user."""


def default_state_path() -> Path:
    env = os.environ.get("ROUTEKEEPER_STATE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "routekeeper" / "state.db"


def _ip_blob(ip: IP) -> bytes:
    return ip.value.to_bytes(4 if ip.version == 4 else 16, "big")


def _blob_ip(blob: bytes) -> IP:
    return IP(4 if len(blob) == 4 else 6, int.from_bytes(blob, "big"))


def _prefix_cols(prefix: Prefix) -> tuple[bytes, int]:
    return _ip_blob(prefix.address), prefix.length


def _col_prefix(network: bytes, length: int) -> Prefix:
    ip = _blob_ip(network)
    return Prefix(ip.version, ip.value, length)


class Store:
    """One SQLite state file holding any number of named simulated hosts."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open state file {self.path}: {exc}") from None
        try:
            self.conn.execute("PRAGMA busy_timeout = 60000")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{self.path} is not a routekeeper state file ({exc})") from None

    def close(self) -> None:
        self.conn.close()

    def _check_schema(self) -> None:
        app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
        tables = self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id == 0 and tables == 0:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have created it between our look and our lock.
                if self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            self.conn.execute(statement)
                    self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    self.conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            return
        if app_id != APPLICATION_ID:
            raise StoreError(f"{self.path} is not a routekeeper state file")
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer routekeeper (schema {version}, this one "
                f"reads up to {SCHEMA_VERSION}); upgrade routekeeper"
            )
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} uses schema {version}, which this routekeeper cannot migrate; "
                "export its routes with an older version and start a new state file"
            )

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        self.conn.execute("BEGIN IMMEDIATE")
        tx = Transaction(self.conn)
        try:
            yield tx
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        if tx.rolled_back:
            self.conn.execute("ROLLBACK")
        else:
            self.conn.execute("COMMIT")

    def host_names(self) -> list[tuple[str, str]]:
        return list(self.conn.execute("SELECT name, profile FROM hosts ORDER BY name"))

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # ------------------------------------------------------------------ reading the log
    def log(self, host_name: str, prefix: str | None = None, everything: bool = False) -> list[tuple]:
        row = self.conn.execute("SELECT id FROM hosts WHERE name = ?", (host_name,)).fetchone()
        host_id = row[0] if row else None
        query = "SELECT at, command, kind, subject, reason FROM log WHERE host_id = ?"
        args: list[object] = [host_id]
        if prefix is not None:
            query += " AND prefix = ?"
            args.append(prefix)
        if not everything:
            query += " AND manual = 1"
        return list(self.conn.execute(query + " ORDER BY id", args))


class Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.rolled_back = False

    def rollback(self) -> None:
        self.rolled_back = True

    def host_id(self, name: str) -> int | None:
        row = self.conn.execute("SELECT id FROM hosts WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def create_host(self, host: Host) -> None:
        cur = self.conn.execute(
            "INSERT INTO hosts (name, profile) VALUES (?, ?)", (host.name, host.profile.name)
        )
        self._write_all(cur.lastrowid, host)

    def facts(self, name: str) -> HostFacts:
        row = self.conn.execute(
            "SELECT product, sp, arch, pending_profile FROM hosts WHERE name = ?", (name,)
        ).fetchone()
        return HostFacts(*row) if row else HostFacts()

    def set_facts(self, name: str, facts: HostFacts) -> None:
        self.conn.execute(
            "UPDATE hosts SET product = ?, sp = ?, arch = ?, pending_profile = ? WHERE name = ?",
            (facts.product, facts.sp, facts.arch, facts.pending_profile, name),
        )

    def set_profile(self, name: str, profile: str) -> None:
        self.conn.execute("UPDATE hosts SET profile = ? WHERE name = ?", (profile, name))

    def delete_host(self, name: str) -> bool:
        return self.conn.execute("DELETE FROM hosts WHERE name = ?", (name,)).rowcount > 0

    def load(self, name: str) -> Host | None:
        row = self.conn.execute("SELECT id, profile FROM hosts WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        host_id, profile = row
        c = self.conn
        interfaces = [
            Interface(
                idx, iname, desc, mac, speed, bool(conn), bool(en), metric, mtu, bool(lo), bool(pr),
                bool(dhcp),
            )
            for (idx, iname, desc, mac, speed, conn, en, metric, mtu, lo, pr, dhcp) in c.execute(
                "SELECT idx, name, description, mac, speed, connected, enabled, metric, mtu, "
                "loopback, promote, dhcp FROM interfaces WHERE host_id = ?",
                (host_id,),
            )
        ]  # fmt: skip
        addresses = [
            Address(_blob_ip(ip), length, ifindex, order, bool(skip), AddressStore(store))
            for (ifindex, ip, length, order, skip, store) in c.execute(
                "SELECT ifindex, ip, length, ord, skipassource, store FROM addresses "
                "WHERE host_id = ? ORDER BY ord, rowid",
                (host_id,),
            )
        ]
        routes: dict[int, list[Route]] = {0: [], 1: []}
        origins = {o.value: o for o in Origin}
        for row in c.execute(
            "SELECT network, length, ifindex, nexthop, metric, origin, bound, persistent, prefsrc, "
            "onlink, kind, held FROM routes WHERE host_id = ?",
            (host_id,),
        ):
            net, length, ifindex, nh, metric, origin, bound, pers, src, onlink, kind, held = row
            routes[held].append(
                Route(
                    _col_prefix(net, length), ifindex, _blob_ip(nh), metric, origins[origin],
                    bool(bound), bool(pers), _blob_ip(src) if src is not None else None,
                    bool(onlink), kind,
                )
            )  # fmt: skip
        persistent = [
            (
                PersistentRoute(
                    _col_prefix(net, length), _blob_ip(nh), metric,
                    None if ifindex == UNBOUND else ifindex, origins[origin],
                ),
                bool(parked),
                placed,
            )
            for (net, length, nh, ifindex, metric, origin, parked, placed) in c.execute(
                "SELECT network, length, nexthop, ifindex, metric, origin, parked, last_placed "
                "FROM persistent WHERE host_id = ?",
                (host_id,),
            )
        ]  # fmt: skip
        return Host.restore(profile, name, interfaces, addresses, routes[0], persistent, routes[1])

    # ------------------------------------------------------------------ writing
    def _write_all(self, host_id: int, host: Host) -> None:
        for table in ("interfaces", "addresses", "routes", "persistent"):
            self.conn.execute(f"DELETE FROM {table} WHERE host_id = ?", (host_id,))
        for iface in host.interfaces.values():
            self._put_interface(host_id, iface)
        for a in host.all_addresses():
            self._put_address(host_id, a)
        self.conn.executemany(
            "INSERT INTO routes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (self._route_row(host_id, r, 0) for r in host.table),
        )
        self.conn.executemany(
            "INSERT INTO routes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (self._route_row(host_id, r, 1) for r in host.held.values()),
        )
        self.conn.executemany(
            "INSERT INTO persistent VALUES (?,?,?,?,?,?,?,?,?)",
            (
                (
                    *self._pkey_row(host_id, p), p.metric, p.origin.value, int(p.key in host.parked),
                    host.last_placed.get(p.key),
                )
                for p in host.persistent.values()
            ),
        )  # fmt: skip

    def save(self, host: Host, events: Iterable[Event], command: str, at: datetime | None = None) -> None:
        """Write back what `events` changed, and log them against `command`."""
        host_id = self.host_id(host.name)
        if host_id is None:
            raise StoreError(f"no host {host.name!r}")
        stamp = (at or datetime.now(UTC)).isoformat(timespec="milliseconds")
        events = list(events)
        if any(e.kind is Kind.REBOOTED for e in events):
            self._write_all(host_id, host)
        else:
            for e in events:
                self._apply_event(host_id, e)
        self.conn.executemany(
            "INSERT INTO log (host_id, at, command, kind, subject, reason, manual, prefix) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (
                (
                    host_id, stamp, command, e.kind.value, e.subject, e.reason,
                    int(e.about_manual_route or e.address is not None or e.kind is Kind.REBOOTED),
                    _event_prefix(e),
                )
                for e in events
            ),
        )  # fmt: skip

    def _apply_event(self, host_id: int, e: Event) -> None:
        k = e.kind
        c = self.conn
        if k in (Kind.INTERFACE_ADDED, Kind.INTERFACE_CHANGED):
            assert e.interface is not None
            self._put_interface(host_id, e.interface)
        elif k is Kind.ADDRESS_ADDED:
            assert e.address is not None
            self._put_address(host_id, e.address)
        elif k is Kind.ADDRESS_REMOVED:
            a = e.address
            assert a is not None
            c.execute(
                "DELETE FROM addresses WHERE host_id = ? AND ifindex = ? AND ip = ?",
                (host_id, a.ifindex, _ip_blob(a.ip)),
            )
        elif k in (Kind.ROUTE_ADDED, Kind.ROUTE_RESTORED, Kind.ROUTE_CHANGED):
            assert e.route is not None
            if e.previous is not None:
                self._delete_route(host_id, e.previous, 0)
            if k is Kind.ROUTE_RESTORED:
                self._delete_route(host_id, e.route, 1)
            c.execute(
                "INSERT OR REPLACE INTO routes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                self._route_row(host_id, e.route, 0),
            )
        elif k in (Kind.ROUTE_REMOVED, Kind.ROUTE_WITHDRAWN):
            r = e.route
            assert r is not None
            self._delete_route(host_id, r, 0)
            if r.persistent and r.manual and not r.bound:
                c.execute(
                    "UPDATE persistent SET last_placed = ? WHERE host_id = ? AND network = ? "
                    "AND length = ? AND nexthop = ? AND ifindex = ?",
                    (r.ifindex, host_id, *_prefix_cols(r.prefix), _ip_blob(r.nexthop), UNBOUND),
                )
        elif k is Kind.ROUTE_HELD:
            assert e.route is not None
            c.execute(
                "INSERT OR REPLACE INTO routes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                self._route_row(host_id, e.route, 1),
            )
        elif k is Kind.ROUTE_RELEASED:
            assert e.route is not None
            self._delete_route(host_id, e.route, 1)
        elif k is Kind.PERSISTED:
            p = e.persistent
            assert p is not None
            c.execute(
                "INSERT OR REPLACE INTO persistent VALUES (?,?,?,?,?,?,?,?,?)",
                (*self._pkey_row(host_id, p), p.metric, p.origin.value, 0, None),
            )
        elif k is Kind.UNPERSISTED:
            assert e.persistent is not None
            c.execute(
                "DELETE FROM persistent WHERE host_id = ? AND network = ? AND length = ? "
                "AND nexthop = ? AND ifindex = ?",
                self._pkey_row(host_id, e.persistent),
            )
        elif k is Kind.PERSISTENT_PARKED:
            assert e.persistent is not None
            c.execute(
                "UPDATE persistent SET parked = 1 WHERE host_id = ? AND network = ? AND length = ? "
                "AND nexthop = ? AND ifindex = ?",
                self._pkey_row(host_id, e.persistent),
            )
        else:  # pragma: no cover - every kind is handled above or by a full rewrite
            raise AssertionError(f"unhandled event {k}")

    def _delete_route(self, host_id: int, r: Route, held: int) -> None:
        self.conn.execute(
            "DELETE FROM routes WHERE host_id = ? AND held = ? AND network = ? AND length = ? "
            "AND ifindex = ? AND nexthop = ?",
            (host_id, held, *_prefix_cols(r.prefix), r.ifindex, _ip_blob(r.nexthop)),
        )

    @staticmethod
    def _route_row(host_id: int, r: Route, held: int) -> tuple:
        return (
            host_id, *_prefix_cols(r.prefix), r.ifindex, _ip_blob(r.nexthop), r.metric,
            r.origin.value, int(r.bound), int(r.persistent),
            _ip_blob(r.prefsrc) if r.prefsrc is not None else None, int(r.onlink_flag), r.kind,
            held,
        )  # fmt: skip

    @staticmethod
    def _pkey_row(host_id: int, p: PersistentRoute) -> tuple:
        ifindex = UNBOUND if p.ifindex is None else p.ifindex
        return (host_id, *_prefix_cols(p.prefix), _ip_blob(p.nexthop), ifindex)

    def _put_interface(self, host_id: int, i: Interface) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO interfaces VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                host_id, i.index, i.name, i.description, i.mac, i.speed, int(i.connected),
                int(i.enabled), i.metric, i.mtu, int(i.loopback), int(i.promote_secondaries),
                int(i.dhcp),
            ),
        )  # fmt: skip

    def _put_address(self, host_id: int, a: Address) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO addresses VALUES (?,?,?,?,?,?,?)",
            (
                host_id, a.ifindex, _ip_blob(a.ip), a.length, a.order, int(a.skipassource),
                a.store.value,
            ),
        )  # fmt: skip


def _event_prefix(e: Event) -> str | None:
    if e.route is not None:
        return str(e.route.prefix)
    if e.persistent is not None:
        return str(e.persistent.prefix)
    return None
