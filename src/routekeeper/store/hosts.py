"""The embedded default backend: simulated hosts kept in one SQLite file.

Every command that writes is one `BEGIN IMMEDIATE` transaction (a read-only one reads a snapshot and
never takes the write lock): load the host, run the command on it, then write back what the host's
journal says changed (never the whole host), and commit. A command that fails rolls back, so the file
is exactly as it was. Concurrent processes serialise on SQLite's write lock
(WAL mode, generous busy timeout), so two writers at once both succeed.

The file's format (schema, version checks, migrations) is `schema`; this module reads and writes
the hosts' rows.
"""

from __future__ import annotations

import errno
import itertools
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

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
from routekeeper.store.errors import StoreCorrupt, StoreDamaged, StoreError, translate
from routekeeper.store.integrity import damaged, damaged_row_anywhere
from routekeeper.store.schema import SIGN, check_schema, cols_ip, ip_cols

T = TypeVar("T")
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
        raise StoreDamaged(f"state file damaged: {count} routes but {values.size} values in a column")
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


QUICK_CHECK_LIMIT = 16 << 20  # files up to this size are page-checked before every write (~0.1 s)


class HostStore:
    """One SQLite state file holding any number of named simulated hosts.

    A file that does not exist yet, or is empty, is created only by the first write: until then reads
    see an empty schema in memory, so a query never leaves a file (or an initialised empty one)
    behind. A file that exists but cannot be written (read-only file, directory or mount) is opened
    read-only: reads work, a write is refused with StoreReadOnly. Every SQLite or file-system error
    leaves as one of `store.errors`' classes, naming the file.
    """

    def __init__(self, path: str | os.PathLike[str], timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.refusal: StoreError | None = None  # why this file cannot be written, when it cannot
        self.fresh = not self.path.exists() or _is_empty(self.path)
        if self.fresh:
            self.conn = sqlite3.connect(":memory:", isolation_level=None)
            check_schema(self.conn, self.path)
        else:
            self.conn = self._open_existing()

    def _open_existing(self) -> sqlite3.Connection:
        """Open read-write where the file and its directory can be written; otherwise, or when that
        fails (a full disk cannot even start the WAL), read-only, remembering why writes are refused."""
        path = self.path
        if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            self.refusal = translate(OSError(errno.EROFS, "the file or its directory is read-only"), path)
            return self._connect(False)
        try:
            return self._connect(True)
        except StoreError as exc:
            if type(exc) is StoreError:
                raise
            self.refusal = exc
        try:
            return self._connect(False)
        except StoreError:
            raise self.refusal from None

    def _connect(self, writable: bool) -> sqlite3.Connection:
        """Open the file (read-write, or read-only with SQLite's own read-only modes) and check it."""
        modes = ["rwc"] if writable else ["ro", "ro&immutable=1"]
        failure: StoreError | None = None
        for mode in modes:
            conn: sqlite3.Connection | None = None
            try:
                uri = f"file:{quote(str(self.path.absolute()))}?mode={mode}"
                conn = sqlite3.connect(uri, uri=True, timeout=self.timeout, isolation_level=None)
                conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
                if writable:
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.execute("PRAGMA synchronous = FULL")
                conn.execute("PRAGMA foreign_keys = ON")
                check_schema(conn, self.path)
                return conn
            except (sqlite3.Error, OSError, StoreError) as exc:
                if conn is not None:
                    conn.close()
                failure = _opening_error(exc, self.path)
                if isinstance(failure, StoreError) and type(failure) is StoreError:
                    raise failure from None  # not ours / too new: another mode will not help
        assert failure is not None
        raise failure from None

    def _create(self) -> None:
        """Make the file on the first write: directories, file, schema. On failure (a full disk) a file
        this call created is removed again, so a failed `host init` leaves nothing behind."""
        existed = self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect(True)
        except (OSError, StoreError) as exc:
            if not existed:
                _remove_empty(self.path)
            raise translate(exc, self.path) from None
        self.conn.close()
        self.conn = conn
        self.fresh = False

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Transaction]:
        """One transaction: `write` takes SQLite's write lock at once (BEGIN IMMEDIATE), so writers
        serialise; a read (`write=False`) reads one snapshot and never waits for a writer (WAL).
        Storage errors from the body or the COMMIT roll back and leave as StoreError classes."""
        if write and self.fresh:
            self._create()
        if write and self.refusal is not None:
            raise self.refusal
        try:
            self.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            if write:
                self._check_pages()
        except (sqlite3.Error, OSError, StoreError) as exc:
            self._rollback()
            raise translate(exc, self.path) from None
        tx = Transaction(self.conn, self.path)
        try:
            yield tx
        except sqlite3.Error as exc:
            tx.open = False
            self._rollback()
            raise translate(exc, self.path) from None
        except BaseException:
            tx.open = False
            self._rollback()
            raise
        tx.open = False
        try:
            self.conn.execute("ROLLBACK" if tx.rolled_back or not write else "COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise translate(exc, self.path) from None

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # SQLite already rolled back (a full disk or I/O error ends the transaction)

    def _check_pages(self) -> None:
        """Refuse to write into a file SQLite finds damaged. `PRAGMA quick_check` reads every page,
        so it runs only where that is cheap (files up to QUICK_CHECK_LIMIT); a larger damaged file is
        still refused where SQLite meets a damaged page."""
        if self.path.stat().st_size > QUICK_CHECK_LIMIT:
            return
        result = self.conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        if result != "ok":
            raise StoreCorrupt(f"state file {self.path} is damaged ({result}); restore it from a backup")
        row = damaged_row_anywhere(self.conn)
        if row is not None:
            raise StoreDamaged(f"state file {self.path} is damaged: {row}; restore it from a backup")

    def host_names(self) -> list[tuple[str, str]]:
        return self._read(lambda: list(self.conn.execute("SELECT name, profile FROM hosts ORDER BY name")))

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def _read(self, query: Callable[[], T]) -> T:
        try:
            return query()
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None

    # ------------------------------------------------------------------ reading the log
    def log(self, host_name: str, prefix: str | None = None, everything: bool = False) -> list[tuple]:
        return self._read(lambda: self._log(host_name, prefix, everything))

    def _log(self, host_name: str, prefix: str | None, everything: bool) -> list[tuple]:
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


def _is_empty(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size == 0
    except OSError:
        return False


def _remove_empty(path: Path) -> None:
    """Remove a state file (and SQLite's side files) a failed first write created, if still empty."""
    for side in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"), path):
        try:
            if side == path and path.stat().st_size:
                continue
            side.unlink()
        except OSError:
            pass


def _opening_error(exc: BaseException, path: Path) -> StoreError:
    """What opening `path` failed with; a file SQLite does not recognise at all is not ours."""
    code = getattr(exc, "sqlite_errorcode", 0)
    if isinstance(exc, sqlite3.DatabaseError) and code == sqlite3.SQLITE_NOTADB:
        return StoreError(f"{path} is not a routekeeper state file ({exc})")
    return translate(exc, path)


class Transaction:
    def __init__(self, conn: sqlite3.Connection, path: Path | None = None) -> None:
        self.conn = conn
        self.path = path
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
        """The host `name` (None if there is none); a row routekeeper could not have written is
        StoreDamaged, naming the row. `lazy`: its active table loads from this
        transaction only what is asked of it (`LazyRouteTable`), so a command about one route costs
        what that route costs; the host must then not be used after the transaction ends."""
        try:
            return self._load(name, lazy)
        except (KeyError, ValueError, TypeError, OverflowError, IndexError, StoreDamaged) as exc:
            raise damaged(self.conn, self.path, name, exc) from None

    def _load(self, name: str, lazy: bool = False) -> Host | None:
        row = self.conn.execute("SELECT id, profile FROM hosts WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        host_id, profile = row
        c = self.conn
        interfaces = [
            Interface(
                idx, iname, desc, mac, speed, bool(conn), bool(en), metric, mtu, bool(lo), bool(pr),
                bool(dhcp), kind, IP.parse(ll) if ll else None,
            )
            for (idx, iname, desc, mac, speed, conn, en, metric, mtu, lo, pr, dhcp, kind, ll) in c.execute(
                "SELECT idx, name, description, mac, speed, connected, enabled, metric, mtu, "
                "loopback, promote, dhcp, kind, link_local FROM interfaces WHERE host_id = ? "
                "ORDER BY position, idx",
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
            host_id,
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
                "ORDER BY seq, net_hi, version, net_lo, length, nh_hi, nh_version, nh_lo, ifindex",
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
                host_id,
                f"WITH wanted (h, v, l, n) AS (VALUES {wanted}) SELECT {ROUTE_COLUMNS} FROM wanted "
                "CROSS JOIN routes ON host_id = ? AND held = 0 AND net_hi = h AND version = v "
                f"AND net_lo = l AND length = n ORDER BY {ROUTE_ORDER}",
                (*itertools.chain.from_iterable(chunk), host_id),
            )
        return found

    def _routes(self, host_id: int, query: str, args: Sequence[object]) -> list[Route]:
        """Route objects of host `host_id` from a query selecting ROUTE_COLUMNS."""
        try:
            return self._decode_routes(query, args)
        except (KeyError, ValueError, TypeError, OverflowError, IndexError) as exc:
            raise self._damaged(host_id, exc) from None

    def _decode_routes(self, query: str, args: Sequence[object]) -> list[Route]:
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
        try:
            return _active_columns(count, texts, dict(self.conn.execute("SELECT id, name FROM route_kinds")))
        except (KeyError, ValueError, TypeError, OverflowError, IndexError, StoreDamaged) as exc:
            raise self._damaged(host_id, exc) from None

    def _damaged(self, host_id: int, exc: BaseException) -> StoreDamaged:
        """A host's rows failed to decode after its load (a lazily loaded table reads them later)."""
        row = self.conn.execute("SELECT name FROM hosts WHERE id = ?", (host_id,)).fetchone()
        return damaged(self.conn, self.path, row[0] if row else "?", exc)

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
        for position, iface in enumerate(host.interfaces.values(), 1):
            self._put_interface(host_id, iface, position)
        for a in host.all_addresses():
            self._put_address(host_id, a)
        self._insert_active(host_id, active)
        self.conn.executemany(
            f"INSERT INTO routes VALUES ({', '.join('?' * 19)})",
            (self._route_row(host_id, r, 1) for r in host.held.values()),
        )
        self.conn.executemany(
            "INSERT INTO persistent VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    *self._pkey_row(host_id, p), p.metric, p.origin.value, int(p.key in host.parked),
                    host.last_placed.get(p.key), seq,
                )
                for seq, p in enumerate(host.persistent.values(), 1)
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
            # A new entry goes last (registry order); one stored again keeps its place.
            c.execute(
                "INSERT INTO persistent VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?, "
                "(SELECT coalesce(max(seq), 0) + 1 FROM persistent WHERE host_id = ?)) "
                "ON CONFLICT DO UPDATE SET metric = excluded.metric, origin = excluded.origin, "
                "parked = 0, last_placed = NULL",
                (*self._pkey_row(host_id, p), p.metric, p.origin.value, 0, None, host_id),
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

    def _put_interface(self, host_id: int, i: Interface, position: int | None = None) -> None:
        """Write one interface. A new one goes after the others (without `position`); a changed one
        keeps its place: Windows lists interfaces in the order they were added."""
        self.conn.execute(
            "INSERT INTO interfaces VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?, "
            "coalesce(?, (SELECT coalesce(max(position), 0) + 1 FROM interfaces WHERE host_id = ?)), ?, ?) "
            "ON CONFLICT DO UPDATE SET name = excluded.name, description = excluded.description, "
            "mac = excluded.mac, speed = excluded.speed, connected = excluded.connected, "
            "enabled = excluded.enabled, metric = excluded.metric, mtu = excluded.mtu, "
            "loopback = excluded.loopback, promote = excluded.promote, dhcp = excluded.dhcp, "
            "kind = excluded.kind, link_local = excluded.link_local",
            (
                host_id, i.index, i.name, i.description, i.mac, i.speed, int(i.connected),
                int(i.enabled), i.metric, i.mtu, int(i.loopback), int(i.promote_secondaries),
                int(i.dhcp), position, host_id, i.kind,
                None if i.given_link_local is None else str(i.given_link_local),
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
    if count and (length > np.where(v6 == 1, 128, 32)).any():
        raise StoreDamaged("a route's prefix length is out of range")
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
        raise StoreDamaged("state file damaged: a route names an unknown kind")
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
