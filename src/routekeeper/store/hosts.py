"""The embedded default backend: simulated hosts kept in one SQLite file.

Every command is one `BEGIN IMMEDIATE` transaction: load the host, run the command on it, then write
back what the host's journal says changed (never the whole host), and commit. A command that fails
rolls back, so the file is exactly as it was. Concurrent processes serialise on SQLite's write lock
(WAL mode, generous busy timeout), so two writers at once both succeed.

The file's format (schema, version checks, migrations) is `schema`; this module reads and writes
the hosts' rows.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from routekeeper.core.events import Event, Kind
from routekeeper.core.host import Host
from routekeeper.core.table.columns import ORIGINS, RouteColumns
from routekeeper.core.table.lazy import LazyRouteTable
from routekeeper.core.table.routes import RouteTable
from routekeeper.core.values import (
    IP,
    Address,
    AddressStore,
    Interface,
    Origin,
    PersistentRoute,
    Prefix,
    Route,
)
from routekeeper.store.errors import StoreError
from routekeeper.store.schema import SIGN, check_schema, cols_ip, ip_cols

UNBOUND = -1  # the persistent table's stand-in for "no interface binding" (part of the key)
ORIGIN_OF = {o.value: o for o in Origin}
ROUTE_KEY = " AND ".join(
    f"{c} = ?"
    for c in ("held", "net_hi", "version", "net_lo", "length", "ifindex", "nh_hi", "nh_version", "nh_lo")
)
PERSISTENT_KEY = " AND ".join(
    f"{c} = ?" for c in ("net_hi", "version", "net_lo", "length", "nh_hi", "nh_version", "nh_lo", "ifindex")
)
# Small fields of an active route packed into one integer by the bulk read (see Transaction.read_active):
# length 0-7, IPv6 8, IPv6 next hop 9, bound 10, persistent 11, onlink 12, origin 13-14,
# has a preferred source 15, IPv6 source 16, kind id from 17.
PACKED = (
    "length | ((version = 6) << 8) | ((nh_version = 6) << 9) | (bound << 10) | (persistent << 11)"
    " | (onlink << 12) | ("
    + "CASE origin "
    + " ".join(f"WHEN '{o.value}' THEN {i}" for i, o in enumerate(ORIGINS))
    + " ELSE NULL END << 13) | ((src_version IS NOT NULL) << 15) | ((src_version IS 6) << 16) | (kind << 17)"
)
ROUTE_COLUMNS = (
    "net_hi, version, net_lo, length, ifindex, nh_hi, nh_version, nh_lo, metric, origin, bound, "
    "persistent, src_hi, src_version, src_lo, onlink, kind"
)
ROUTE_ORDER = "net_hi, version, net_lo, length, ifindex, nh_hi, nh_version, nh_lo"  # the key's order
PROBES_PER_QUERY = 200  # prefixes per statement (4 parameters each, under SQLite's oldest limit of 999)
BULK_COLUMNS = (
    PACKED,
    "ifindex",
    "net_hi",
    "net_lo",
    "nh_hi",
    "nh_lo",
    "metric",
    "ifnull(src_hi, 0)",
    "ifnull(src_lo, 0)",
)


@dataclass(frozen=True)
class HostRecord:
    """What the store knows of the real host a simulated one stands for (product, service pack,
    architecture), and a profile waiting for the next reboot (an installed hotfix)."""

    product: str | None = None
    sp: int | None = None
    arch: str | None = None
    pending_profile: str | None = None


def _prefix_cols(prefix: Prefix) -> tuple[int, int, int, int]:
    hi, version, lo = ip_cols(prefix.address)
    return hi, version, lo, prefix.length


def _cols_prefix(hi: int, version: int, lo: int, length: int) -> Prefix:
    return Prefix(version, cols_ip(hi, version, lo).value, length)


def _parse_ints(text: str | None, count: int) -> np.ndarray:
    """A `group_concat` of integers as an int64 array (SQLite's text is exact; NumPy parses it in C)."""
    values = np.fromstring(text or "", dtype=np.int64, sep=",")  # text mode: not the deprecated one
    if values.size != count:
        raise StoreError(f"state file damaged: {count} routes but {values.size} values in a column")
    return values


def _decode_addresses(hi: np.ndarray, v6: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stored (hi, version, lo) columns to the table's unsigned halves (IPv4 in lo, hi 0)."""
    top = hi.view(np.uint64) ^ np.uint64(SIGN)
    low = lo.view(np.uint64) ^ np.uint64(SIGN)
    return np.where(v6, top, np.uint64(0)), np.where(v6, low, top >> np.uint64(32))


def _encode_addresses(version: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The table's unsigned halves to stored (hi, lo) int64 columns."""
    v6 = version == 6
    sign = np.uint64(SIGN)
    top = np.where(v6, hi, lo << np.uint64(32)) ^ sign
    low = np.where(v6, lo ^ sign, np.uint64(0))
    return top.view(np.int64), low.view(np.int64)


def _intern_ips(v6: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> tuple[list[IP], np.ndarray]:
    """Distinct addresses of stored columns as IP objects, and each row's index into them."""
    if not v6.size:
        return [], np.zeros(0, np.int64)
    key = np.stack([hi, lo, v6.astype(np.int64)], axis=1)
    # One 64-bit mix per row sorts far quicker than the three columns; a collision is checked for.
    mixed = (
        hi.view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        ^ lo.view(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
        ^ v6.astype(np.uint64)
    )
    _, first, index = np.unique(mixed, return_index=True, return_inverse=True)
    if (key[first][index] != key).any():
        _, first, index = np.unique(key, axis=0, return_index=True, return_inverse=True)
    ips = [
        cols_ip(h, 6 if v else 4, low)
        for h, low, v in zip(hi[first].tolist(), lo[first].tolist(), v6[first].tolist(), strict=True)
    ]
    return ips, index.reshape(-1)


class HostStore:
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
            check_schema(self.conn, self.path)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{self.path} is not a routekeeper state file ({exc})") from None

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        self.conn.execute("BEGIN IMMEDIATE")
        tx = Transaction(self.conn)
        try:
            yield tx
        except BaseException:
            tx.open = False
            self.conn.execute("ROLLBACK")
            raise
        tx.open = False
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
        self._kind_ids: dict[str, int] = {}  # route kind -> route_kinds.id, as seen in this transaction
        self._kind_names: dict[int, str] = {}  # route_kinds.id -> kind, read when routes are first read
        self.open = True  # until the transaction ends (a lazy table may load only while it is open)
        self.saved = False  # a host was written: a lazy table loading now would see its own changes

    def rollback(self) -> None:
        self.rolled_back = True

    def host_id(self, name: str) -> int | None:
        row = self.conn.execute("SELECT id FROM hosts WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def create_host(self, host: Host) -> None:
        cur = self.conn.execute(
            "INSERT INTO hosts (name, profile) VALUES (?, ?)", (host.name, host.profile.name)
        )
        assert cur.lastrowid is not None
        self._write_all(cur.lastrowid, host)

    def facts(self, name: str) -> HostRecord:
        row = self.conn.execute(
            "SELECT product, sp, arch, pending_profile FROM hosts WHERE name = ?", (name,)
        ).fetchone()
        return HostRecord(*row) if row else HostRecord()

    def set_facts(self, name: str, facts: HostRecord) -> None:
        self.conn.execute(
            "UPDATE hosts SET product = ?, sp = ?, arch = ?, pending_profile = ? WHERE name = ?",
            (facts.product, facts.sp, facts.arch, facts.pending_profile, name),
        )

    def set_profile(self, name: str, profile: str) -> None:
        self.conn.execute("UPDATE hosts SET profile = ? WHERE name = ?", (profile, name))

    def delete_host(self, name: str) -> bool:
        return self.conn.execute("DELETE FROM hosts WHERE name = ?", (name,)).rowcount > 0

    def load(self, name: str, lazy: bool = False) -> Host | None:
        """The host `name` (None if there is none). `lazy`: its active table loads from this
        transaction only what is asked of it (`LazyRouteTable`), so a command about one route costs
        what that route costs; the host must then not be used after the transaction ends."""
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
            Address(cols_ip(hi, version, lo), length, ifindex, order, bool(skip), AddressStore(store))
            for (ifindex, hi, version, lo, length, order, skip, store) in c.execute(
                "SELECT ifindex, ip_hi, version, ip_lo, length, ord, skipassource, store FROM addresses "
                "WHERE host_id = ? ORDER BY ord, rowid",
                (host_id,),
            )
        ]
        active = self.lazy_active(host_id) if lazy else self.read_active(host_id)
        held = self._routes(
            f"SELECT {ROUTE_COLUMNS} FROM routes WHERE host_id = ? AND held = 1 ORDER BY {ROUTE_ORDER}",
            (host_id,),
        )
        persistent = [
            (
                PersistentRoute(
                    _cols_prefix(net_hi, version, net_lo, length), cols_ip(nh_hi, nh_version, nh_lo),
                    metric, None if ifindex == UNBOUND else ifindex, ORIGIN_OF[origin],
                ),
                bool(parked),
                placed,
            )
            for (
                net_hi, version, net_lo, length, nh_hi, nh_version, nh_lo, ifindex, metric, origin, parked,
                placed,
            ) in c.execute(
                "SELECT net_hi, version, net_lo, length, nh_hi, nh_version, nh_lo, ifindex, metric, "
                "origin, parked, last_placed FROM persistent WHERE host_id = ? "
                "ORDER BY net_hi, version, net_lo, length, nh_hi, nh_version, nh_lo, ifindex",
                (host_id,),
            )
        ]  # fmt: skip
        return Host.restore(profile, name, interfaces, addresses, active, persistent, held)

    def lazy_active(self, host_id: int) -> LazyRouteTable:
        """A host's active table that loads as it is asked; to begin with, the routes of the prefixes
        its persistent store and its held routes name (what restoring the host looks at)."""
        named = self.conn.execute(
            "SELECT net_hi, version, net_lo, length FROM persistent WHERE host_id = ? UNION "
            "SELECT net_hi, version, net_lo, length FROM routes WHERE host_id = ? AND held = 1",
            (host_id, host_id),
        )
        return LazyRouteTable(_StoredRoutes(self, host_id), [_cols_prefix(*k) for k in named])

    def routes_with_prefixes(self, host_id: int, prefixes: Sequence[Prefix]) -> list[Route]:
        """The active routes of `prefixes`, in key order (the order a whole load adds them in): one
        primary-key probe per prefix."""
        keys = sorted(_prefix_cols(p) for p in prefixes)
        found: list[Route] = []
        for start in range(0, len(keys), PROBES_PER_QUERY):
            chunk = keys[start : start + PROBES_PER_QUERY]
            wanted = ", ".join(["(?, ?, ?, ?)"] * len(chunk))
            found += self._routes(
                f"WITH wanted (h, v, l, n) AS (VALUES {wanted}) SELECT {ROUTE_COLUMNS} FROM wanted "
                "CROSS JOIN routes ON host_id = ? AND held = 0 AND net_hi = h AND version = v "
                f"AND net_lo = l AND length = n ORDER BY {ROUTE_ORDER}",
                (*itertools.chain.from_iterable(chunk), host_id),
            )
        return found

    def _routes(self, query: str, args: Sequence[object]) -> list[Route]:
        """Route objects of a query selecting ROUTE_COLUMNS."""
        if not self._kind_names:
            self._kind_names = dict(self.conn.execute("SELECT id, name FROM route_kinds"))
        kinds = self._kind_names
        return [
            Route(
                _cols_prefix(net_hi, version, net_lo, length), ifindex, cols_ip(nh_hi, nh_version, nh_lo),
                metric, ORIGIN_OF[origin], bool(bound), bool(pers),
                cols_ip(src_hi, src_version, src_lo) if src_version is not None else None,
                bool(onlink), kinds[kind],
            )
            for (
                net_hi, version, net_lo, length, ifindex, nh_hi, nh_version, nh_lo, metric, origin, bound,
                pers, src_hi, src_version, src_lo, onlink, kind,
            ) in self.conn.execute(query, args)
        ]  # fmt: skip

    def read_active(self, host_id: int) -> RouteTable:
        """A host's active table, read as columns in one scan and built without per-route objects."""
        return RouteTable.from_columns(self.active_columns(host_id))

    def active_columns(self, host_id: int, version: int | None = None) -> RouteColumns:
        """A host's active routes (of `version`, if given) as columns, in load order.

        Each column comes back as one `group_concat` text that NumPy parses in C: for a million routes
        that is several times quicker than a million Python row tuples. Rows come in key order (the
        order schema 1 loaded them in); should SQLite ever hand them over otherwise, they are sorted.
        """
        count, texts = self.active_texts(host_id, version)
        return _active_columns(count, texts, dict(self.conn.execute("SELECT id, name FROM route_kinds")))

    def active_texts(self, host_id: int, version: int | None = None) -> tuple[int, list[str | None]]:
        """The SQL half of `active_columns`: the row count and one text per BULK_COLUMNS entry."""
        query = (
            "SELECT count(*), "
            + ", ".join(f"group_concat({column})" for column in BULK_COLUMNS)
            + " FROM routes WHERE host_id = ? AND held = 0"
            + (" AND version = ?" if version is not None else "")
        )
        args = (host_id,) if version is None else (host_id, version)
        count, *texts = self.conn.execute(query, args).fetchone()
        return count, texts

    # ------------------------------------------------------------------ writing
    def _write_all(self, host_id: int, host: Host) -> None:
        active = host.table.to_columns()  # before the rows go: a lazily loaded table may read them
        self.saved = True
        for table in ("interfaces", "addresses", "routes", "persistent"):
            self.conn.execute(f"DELETE FROM {table} WHERE host_id = ?", (host_id,))
        for iface in host.interfaces.values():
            self._put_interface(host_id, iface)
        for a in host.all_addresses():
            self._put_address(host_id, a)
        self._insert_active(host_id, active)
        self.conn.executemany(
            f"INSERT INTO routes VALUES ({', '.join('?' * 19)})",
            (self._route_row(host_id, r, 1) for r in host.held.values()),
        )
        self.conn.executemany(
            "INSERT INTO persistent VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    *self._pkey_row(host_id, p), p.metric, p.origin.value, int(p.key in host.parked),
                    host.last_placed.get(p.key),
                )
                for p in host.persistent.values()
            ),
        )  # fmt: skip

    def _insert_active(self, host_id: int, cols: RouteColumns) -> None:
        """Write a whole active table from its columns: encoded with NumPy, inserted in key order
        (appending to the clustered table's B-tree rather than splitting pages all over it)."""
        n = len(cols)
        if not n:
            return
        ver = cols.version.astype(np.int64)
        net_hi, net_lo = _encode_addresses(cols.version, cols.hi, cols.lo)
        pool = np.array([ip_cols(ip) for ip in cols.ips] or [(0, 4, 0)], np.int64)
        nh = pool[cols.nexthop]
        has_src = cols.prefsrc >= 0
        src = pool[np.maximum(cols.prefsrc, 0)]
        used = np.unique(cols.kind)
        kind_lut = np.zeros(len(cols.kinds), np.int64)
        kind_lut[used] = [self._kind_id(cols.kinds[k]) for k in used.tolist()]
        order = np.lexsort((nh[:, 2], nh[:, 1], nh[:, 0], cols.ifindex, cols.length, net_lo, ver, net_hi))
        origin_names = np.array([o.value for o in ORIGINS], object)

        def column(a: np.ndarray) -> list:
            return a[order].tolist()

        if has_src.any():
            srcs: list[Iterable[object]] = [
                np.where(has_src, src[:, i].astype(object), None)[order].tolist() for i in range(3)
            ]
        else:
            srcs = [itertools.repeat(None)] * 3
        rows = zip(
            itertools.repeat(host_id), itertools.repeat(0), column(net_hi), column(ver), column(net_lo),
            column(cols.length), column(cols.ifindex), column(nh[:, 0]), column(nh[:, 1]), column(nh[:, 2]),
            column(cols.metric), column(origin_names[cols.origin]), column(cols.bound.astype(np.int64)),
            column(cols.persistent.astype(np.int64)), *srcs, column(cols.onlink.astype(np.int64)),
            column(kind_lut[cols.kind]),
        )  # fmt: skip
        self.conn.executemany(f"INSERT INTO routes VALUES ({', '.join('?' * 19)})", rows)

    def save(self, host: Host, events: Iterable[Event], command: str, at: datetime | None = None) -> None:
        """Write back what `events` changed, and log them against `command`."""
        host_id = self.host_id(host.name)
        if host_id is None:
            raise StoreError(f"no host {host.name!r}")
        stamp = (at or datetime.now(UTC)).isoformat(timespec="milliseconds")
        self.saved = True
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
                "DELETE FROM addresses WHERE host_id = ? AND ifindex = ? AND ip_hi = ? AND version = ? "
                "AND ip_lo = ?",
                (host_id, a.ifindex, *ip_cols(a.ip)),
            )
        elif k in (Kind.ROUTE_ADDED, Kind.ROUTE_RESTORED, Kind.ROUTE_CHANGED):
            assert e.route is not None
            if e.previous is not None:
                self._delete_route(host_id, e.previous, 0)
            if k is Kind.ROUTE_RESTORED:
                self._delete_route(host_id, e.route, 1)
            c.execute(
                f"INSERT OR REPLACE INTO routes VALUES ({', '.join('?' * 19)})",
                self._route_row(host_id, e.route, 0),
            )
        elif k in (Kind.ROUTE_REMOVED, Kind.ROUTE_WITHDRAWN):
            r = e.route
            assert r is not None
            self._delete_route(host_id, r, 0)
            if r.persistent and r.manual and not r.bound:
                c.execute(
                    f"UPDATE persistent SET last_placed = ? WHERE host_id = ? AND {PERSISTENT_KEY}",
                    (r.ifindex, host_id, *_prefix_cols(r.prefix), *ip_cols(r.nexthop), UNBOUND),
                )
        elif k is Kind.ROUTE_HELD:
            assert e.route is not None
            c.execute(
                f"INSERT OR REPLACE INTO routes VALUES ({', '.join('?' * 19)})",
                self._route_row(host_id, e.route, 1),
            )
        elif k is Kind.ROUTE_RELEASED:
            assert e.route is not None
            self._delete_route(host_id, e.route, 1)
        elif k is Kind.PERSISTED:
            p = e.persistent
            assert p is not None
            c.execute(
                "INSERT OR REPLACE INTO persistent VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (*self._pkey_row(host_id, p), p.metric, p.origin.value, 0, None),
            )
        elif k is Kind.UNPERSISTED:
            assert e.persistent is not None
            c.execute(
                f"DELETE FROM persistent WHERE host_id = ? AND {PERSISTENT_KEY}",
                self._pkey_row(host_id, e.persistent),
            )
        elif k is Kind.PERSISTENT_PARKED:
            assert e.persistent is not None
            c.execute(
                f"UPDATE persistent SET parked = 1 WHERE host_id = ? AND {PERSISTENT_KEY}",
                self._pkey_row(host_id, e.persistent),
            )
        else:  # pragma: no cover - every kind is handled above or by a full rewrite
            raise AssertionError(f"unhandled event {k}")

    def _delete_route(self, host_id: int, r: Route, held: int) -> None:
        self.conn.execute(
            f"DELETE FROM routes WHERE host_id = ? AND {ROUTE_KEY}",
            (host_id, held, *_prefix_cols(r.prefix), r.ifindex, *ip_cols(r.nexthop)),
        )

    def _route_row(self, host_id: int, r: Route, held: int) -> tuple:
        src = ip_cols(r.prefsrc) if r.prefsrc is not None else (None, None, None)
        return (
            host_id, held, *_prefix_cols(r.prefix), r.ifindex, *ip_cols(r.nexthop), r.metric,
            r.origin.value, int(r.bound), int(r.persistent), *src, int(r.onlink_flag),
            self._kind_id(r.kind),
        )  # fmt: skip

    def _kind_id(self, kind: str) -> int:
        """The route_kinds row of a kind, added the first time a route of that kind is written."""
        found = self._kind_ids.get(kind)
        if found is None:
            row = self.conn.execute("SELECT id FROM route_kinds WHERE name = ?", (kind,)).fetchone()
            if row is not None:
                found = int(row[0])
            else:
                cur = self.conn.execute("INSERT INTO route_kinds (name) VALUES (?)", (kind,))
                assert cur.lastrowid is not None
                found = cur.lastrowid
                if self._kind_names:
                    self._kind_names[found] = kind
            self._kind_ids[kind] = found
        return found

    @staticmethod
    def _pkey_row(host_id: int, p: PersistentRoute) -> tuple:
        ifindex = UNBOUND if p.ifindex is None else p.ifindex
        return (host_id, *_prefix_cols(p.prefix), *ip_cols(p.nexthop), ifindex)

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
            "INSERT OR REPLACE INTO addresses VALUES (?,?,?,?,?,?,?,?,?)",
            (
                host_id, a.ifindex, *ip_cols(a.ip), a.length, a.order, int(a.skipassource),
                a.store.value,
            ),
        )  # fmt: skip


@dataclass(frozen=True)
class _StoredRoutes:
    """A lazy table's `RouteLoader`: one host's active routes, read in the transaction that loaded it."""

    tx: Transaction
    host_id: int

    def _check_open(self) -> None:
        if not self.tx.open:
            raise StoreError("a host loaded lazily was read after its transaction ended")
        if self.tx.saved:  # it would read its own changes back as if stored before them
            raise StoreError("a host loaded lazily was read after a host was saved")

    def routes_with_prefixes(self, prefixes: Sequence[Prefix]) -> list[Route]:
        self._check_open()
        return self.tx.routes_with_prefixes(self.host_id, prefixes)

    def whole_table(self) -> RouteTable:
        self._check_open()
        return self.tx.read_active(self.host_id)

    def whole_columns(self, version: int | None = None) -> RouteColumns:
        self._check_open()
        return self.tx.active_columns(self.host_id, version)


def _active_columns(count: int, texts: list[str | None], kind_names: dict[int, str]) -> RouteColumns:
    """Parse and decode `Transaction.active_texts` into RouteColumns (NumPy throughout)."""
    packed, ifindex, net_hi, net_lo, nh_hi, nh_lo, metric, src_hi, src_lo = (
        _parse_ints(text, count) for text in texts
    )
    length = packed & 0xFF
    v6, nh_v6 = (packed >> 8) & 1, (packed >> 9) & 1
    keys = (net_hi, v6, net_lo, length, ifindex, nh_hi, nh_v6, nh_lo)
    if not _ascending(keys):
        order = np.lexsort(keys[::-1])
        arrays = (packed, ifindex, net_hi, net_lo, nh_hi, nh_lo, metric, src_hi, src_lo)
        packed, ifindex, net_hi, net_lo, nh_hi, nh_lo, metric, src_hi, src_lo = (a[order] for a in arrays)
        length, v6, nh_v6 = length[order], v6[order], nh_v6[order]
    hi, lo = _decode_addresses(net_hi, v6.astype(bool), net_lo)
    ips, nexthop = _intern_ips(nh_v6, nh_hi, nh_lo)
    has_src = ((packed >> 15) & 1).astype(bool)
    prefsrc = np.full(count, -1, np.int64)
    if has_src.any():
        src_ips, src_index = _intern_ips((packed[has_src] >> 16) & 1, src_hi[has_src], src_lo[has_src])
        prefsrc[has_src] = src_index + len(ips)
        ips += src_ips
    kind_id = packed >> 17
    lut = np.full(max(kind_names, default=0) + 1, -1, np.int64)
    lut[list(kind_names)] = np.arange(len(kind_names))
    if count and (int(kind_id.max()) >= lut.size or (lut[kind_id] < 0).any()):
        raise StoreError("state file damaged: a route names an unknown kind")
    return RouteColumns(
        version=np.where(v6 == 1, 6, 4).astype(np.uint8),
        hi=hi,
        lo=lo,
        length=length,
        ifindex=ifindex,
        nexthop=nexthop,
        metric=metric,
        origin=(packed >> 13) & 3,
        bound=((packed >> 10) & 1).astype(bool),
        persistent=((packed >> 11) & 1).astype(bool),
        onlink=((packed >> 12) & 1).astype(bool),
        prefsrc=prefsrc,
        kind=lut[kind_id] if count else np.zeros(0, np.int64),
        ips=ips,
        kinds=list(kind_names.values()),
    )


def _ascending(keys: tuple[np.ndarray, ...]) -> bool:
    """Are the rows in strictly ascending order of `keys` (compared left to right)?"""
    n = keys[0].size
    if n < 2:
        return True
    tied = np.arange(n - 1)
    for key in keys:
        a, b = key[tied], key[tied + 1]
        if (b < a).any():
            return False
        tied = tied[b == a]
        if not tied.size:
            return True
    return False


def _event_prefix(e: Event) -> str | None:
    if e.route is not None:
        return str(e.route.prefix)
    if e.persistent is not None:
        return str(e.persistent.prefix)
    return None
