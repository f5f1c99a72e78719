"""The simulated hosts' state file format: schema, application id and version checks, migrations.

Why apart from the rows: what a file must look like (and how an older one is brought up to date) is
checked once when a store opens; `hosts` and `clusters` then only read and write rows of it. Messages
name the file, as the user gave it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from routekeeper.core.values import IP
from routekeeper.store.errors import StoreDamaged, StoreError

SCHEMA_VERSION = 2
APPLICATION_ID = 0x524B5052  # "RKPR": tells our files from other SQLite files

# Addresses are INTEGER columns (SQLite hands integers to Python, and to `group_concat`, far faster than
# BLOBs): an address is (hi, version, lo) with
#   IPv4: hi = (value << 32) - 2**63, lo = 0
#   IPv6: hi = (value >> 64) - 2**63, lo = (value & (2**64 - 1)) - 2**63
# so that ordering by (hi, version, lo) is the order schema 1 gave its 4- and 16-byte big-endian BLOBs
# (memcmp, shorter first). The route and persistent keys are WITHOUT ROWID tables clustered on those
# columns: a host's routes are read in exactly the order schema 1 read them (its primary-key index),
# which is the order a loaded table iterates in, with one sequential scan.
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
CREATE TABLE log (
    id INTEGER PRIMARY KEY, host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    at TEXT NOT NULL, command TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
    reason TEXT NOT NULL, manual INTEGER NOT NULL, prefix TEXT
);
CREATE INDEX log_prefix ON log (host_id, prefix);
CREATE TABLE addresses (
    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    ifindex INTEGER NOT NULL,
    ip_hi INTEGER NOT NULL, version INTEGER NOT NULL CHECK (version IN (4, 6)), ip_lo INTEGER NOT NULL,
    length INTEGER NOT NULL, ord INTEGER NOT NULL, skipassource INTEGER NOT NULL, store TEXT NOT NULL,
    PRIMARY KEY (host_id, ifindex, ip_hi, version, ip_lo)
);
CREATE TABLE route_kinds (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE routes (
    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    held INTEGER NOT NULL,
    net_hi INTEGER NOT NULL, version INTEGER NOT NULL CHECK (version IN (4, 6)), net_lo INTEGER NOT NULL,
    length INTEGER NOT NULL, ifindex INTEGER NOT NULL,
    nh_hi INTEGER NOT NULL, nh_version INTEGER NOT NULL CHECK (nh_version IN (4, 6)),
    nh_lo INTEGER NOT NULL,
    metric INTEGER NOT NULL, origin TEXT NOT NULL, bound INTEGER NOT NULL, persistent INTEGER NOT NULL,
    src_hi INTEGER, src_version INTEGER CHECK (src_version IN (4, 6)), src_lo INTEGER,
    onlink INTEGER NOT NULL, kind INTEGER NOT NULL REFERENCES route_kinds(id),
    PRIMARY KEY (host_id, held, net_hi, version, net_lo, length, ifindex, nh_hi, nh_version, nh_lo)
) WITHOUT ROWID;
CREATE TABLE persistent (
    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    net_hi INTEGER NOT NULL, version INTEGER NOT NULL CHECK (version IN (4, 6)), net_lo INTEGER NOT NULL,
    length INTEGER NOT NULL,
    nh_hi INTEGER NOT NULL, nh_version INTEGER NOT NULL CHECK (nh_version IN (4, 6)),
    nh_lo INTEGER NOT NULL,
    ifindex INTEGER NOT NULL,
    metric INTEGER NOT NULL, origin TEXT NOT NULL, parked INTEGER NOT NULL, last_placed INTEGER,
    PRIMARY KEY (host_id, net_hi, version, net_lo, length, nh_hi, nh_version, nh_lo, ifindex)
) WITHOUT ROWID;
"""
# Every table a current file has (a file without one of them is damaged, not merely old).
TABLES = ("meta", "hosts", "interfaces", "log", "addresses", "route_kinds", "routes", "persistent")
# The tables schema 2 changed (what a migration from schema 1 rebuilds); the others are as they were.
ADDRESS_TABLES = ("addresses", "routes", "persistent")

SIGN = 1 << 63
M64 = (1 << 64) - 1


def ip_cols(ip: IP) -> tuple[int, int, int]:
    """(hi, version, lo) of an address (the encoding described above SCHEMA)."""
    if ip.version == 4:
        return (ip.value << 32) - SIGN, 4, 0
    return (ip.value >> 64) - SIGN, 6, (ip.value & M64) - SIGN


def cols_ip(hi: int, version: int, lo: int) -> IP:
    if version == 4:
        return IP(4, (hi + SIGN) >> 32)
    return IP(6, ((hi + SIGN) << 64) | (lo + SIGN))


def check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Make `conn` a current state file: create the schema in an empty file, accept a current one,
    migrate a schema-1 one in place; raise StoreError for anything else (not ours, newer, older)."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id == 0 and tables == 0:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have created it between our look and our lock.
            if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return
    if app_id != APPLICATION_ID:
        raise StoreError(f"{path} is not a routekeeper state file")
    try:
        version = schema_version(conn)
    except StoreDamaged as exc:
        raise StoreDamaged(f"state file {path} is damaged: {exc}; restore it from a backup") from None
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer routekeeper (schema {version}, this one "
            f"reads up to {SCHEMA_VERSION}); upgrade routekeeper"
        )
    if version == 1:
        migrate_from_1(conn)
        return
    if version < SCHEMA_VERSION:
        raise StoreError(
            f"{path} uses schema {version}, which this routekeeper cannot migrate; "
            "export its routes with an older version and start a new state file"
        )
    missing = sorted(set(TABLES) - {row[0] for row in conn.execute("SELECT name FROM sqlite_master")})
    if missing:
        raise StoreDamaged(f"state file {path} is damaged: table {missing[0]} is missing; restore a backup")


def schema_version(conn: sqlite3.Connection) -> int:
    """The version the file's meta table records (0 when it records none)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        return 0
    if not isinstance(row[0], str) or not row[0].isascii() or not row[0].isdigit() or len(row[0]) > 6:
        raise StoreDamaged(f"table meta, row schema_version={row[0]!r} is not a schema number")
    return int(row[0])


def migrate_from_1(c: sqlite3.Connection) -> None:
    """Rewrite a schema-1 file (addresses as BLOBs) to schema 2 in place, in one transaction.

    Under the write lock the version is read again: of two processes opening the same old file,
    the second finds it migrated. A crash part-way leaves the file at schema 1 (the transaction
    never committed). Rows are copied in schema 1's key order, which schema 2's keys keep."""
    c.execute("BEGIN IMMEDIATE")
    try:
        if schema_version(c) == 1:
            for table in ADDRESS_TABLES:
                c.execute(f"ALTER TABLE {table} RENAME TO {table}_v1")
            for statement in SCHEMA.split(";"):
                if any(f"CREATE TABLE {t} " in statement for t in (*ADDRESS_TABLES, "route_kinds")):
                    c.execute(statement)
            _copy_v1(c)
            for table in ADDRESS_TABLES:
                c.execute(f"DROP TABLE {table}_v1")
            c.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
        c.execute("COMMIT")
    except BaseException:
        c.execute("ROLLBACK")
        raise


def _copy_v1(c: sqlite3.Connection) -> None:
    """Schema 1's rows (BLOB addresses) into schema 2's tables, each in its key order."""

    def ip(blob: bytes) -> tuple[int, int, int]:
        return ip_cols(IP(4 if len(blob) == 4 else 6, int.from_bytes(blob, "big")))

    c.executemany(
        "INSERT INTO addresses VALUES (?,?,?,?,?,?,?,?,?)",
        (
            (host, ifindex, *ip(blob), length, order, skip, store)
            for host, ifindex, blob, length, order, skip, store in c.execute(
                "SELECT host_id, ifindex, ip, length, ord, skipassource, store FROM addresses_v1 "
                "ORDER BY rowid"
            ).fetchall()
        ),
    )
    c.execute("INSERT INTO route_kinds (name) SELECT DISTINCT kind FROM routes_v1 ORDER BY kind")
    kinds = {name: i for i, name in c.execute("SELECT id, name FROM route_kinds")}
    c.executemany(
        f"INSERT INTO routes VALUES ({', '.join('?' * 19)})",
        (
            (
                host, held, *ip(net), length, ifindex, *ip(nh), metric, origin, bound, pers,
                *(ip(src) if src is not None else (None, None, None)), onlink, kinds[kind],
            )
            for (
                host, held, net, length, ifindex, nh, metric, origin, bound, pers, src, onlink, kind
            ) in c.execute(
                "SELECT host_id, held, network, length, ifindex, nexthop, metric, origin, bound, "
                "persistent, prefsrc, onlink, kind FROM routes_v1 "
                "ORDER BY host_id, held, network, length, ifindex, nexthop"
            )
        ),
    )  # fmt: skip
    c.executemany(
        "INSERT INTO persistent VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            (host, *ip(net), length, *ip(nh), ifindex, metric, origin, parked, placed)
            for host, net, length, nh, ifindex, metric, origin, parked, placed in c.execute(
                "SELECT host_id, network, length, nexthop, ifindex, metric, origin, parked, last_placed "
                "FROM persistent_v1 ORDER BY host_id, network, length, nexthop, ifindex"
            )
        ),
    )
