"""A schema-1 state file (addresses as BLOBs) is migrated in place to schema 2 when opened: the hosts,
their log and the order their routes load in are what schema 1 held."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from routekeeper.core import operations as op
from routekeeper.core.host import Host
from routekeeper.core.values import IP, Interface, Prefix, Route
from routekeeper.store.hosts import HostStore
from routekeeper.store.schema import APPLICATION_ID, SCHEMA_VERSION

from .test_bulk import big_host, snapshot

ip, pfx = IP.parse, Prefix.parse

# Schema 1 as routekeeper wrote it (backends/sim.py before schema 2).
V1_SCHEMA = """
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


def _blob(a: IP) -> bytes:
    return a.value.to_bytes(4 if a.version == 4 else 16, "big")


def _route_row(host_id: int, r: Route, held: int) -> tuple:
    return (
        host_id, _blob(r.prefix.address), r.prefix.length, r.ifindex, _blob(r.nexthop), r.metric,
        r.origin.value, int(r.bound), int(r.persistent), _blob(r.prefsrc) if r.prefsrc else None,
        int(r.onlink_flag), r.kind, held,
    )  # fmt: skip


def write_v1(path: Path, hosts: list[Host]) -> None:
    """A schema-1 file holding `hosts`, written the way schema 1's full rewrite wrote them."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(V1_SCHEMA)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for host in hosts:
        host_id = conn.execute(
            "INSERT INTO hosts (name, profile, product) VALUES (?, ?, 'Windows XP')",
            (host.name, host.profile.name),
        ).lastrowid
        for i in host.interfaces.values():
            conn.execute(
                "INSERT INTO interfaces VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    host_id, i.index, i.name, i.description, i.mac, i.speed, int(i.connected),
                    int(i.enabled), i.metric, i.mtu, int(i.loopback), int(i.promote_secondaries),
                    int(i.dhcp),
                ),
            )  # fmt: skip
        for a in host.all_addresses():
            conn.execute(
                "INSERT INTO addresses VALUES (?,?,?,?,?,?,?)",
                (host_id, a.ifindex, _blob(a.ip), a.length, a.order, int(a.skipassource), a.store.value),
            )
        conn.executemany(
            "INSERT INTO routes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [_route_row(host_id, r, 0) for r in host.table]
            + [_route_row(host_id, r, 1) for r in host.held.values()],
        )
        conn.executemany(
            "INSERT INTO persistent VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (
                    host_id, _blob(p.prefix.address), p.prefix.length, _blob(p.nexthop),
                    -1 if p.ifindex is None else p.ifindex, p.metric, p.origin.value,
                    int(p.key in host.parked), host.last_placed.get(p.key),
                )
                for p in host.persistent.values()
            ],
        )  # fmt: skip
        conn.execute(
            "INSERT INTO log (host_id, at, command, kind, subject, reason, manual, prefix) "
            "VALUES (?, '2026-01-01T00:00:00.000+00:00', 'route add', 'route added', 's', 'r', 1, ?)",
            (host_id, "203.0.113.0/24"),
        )
    conn.execute("COMMIT")
    conn.close()


def v1_load_order(path: Path, name: str) -> list[tuple]:
    """The keys of a host's active routes in the order schema 1 loaded them (its query, its index)."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT network, length, ifindex, nexthop FROM routes "
            "WHERE host_id = (SELECT id FROM hosts WHERE name = ?) AND held = 0",
            (name,),
        ).fetchall()
    finally:
        conn.close()
    return [(bytes(net), length, ifindex, bytes(nh)) for net, length, ifindex, nh in rows]


def small_host() -> Host:
    host = Host("prehotfix", "small")
    host.apply(op.AddInterface(Interface(11, "LAN", mac="00-15-5D-01-02-03")))
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    host.apply(op.AddAddress(11, ip("2001:db8::20"), 64))
    host.apply(op.AddRoute(pfx("0.0.0.0/0"), ip("192.168.0.1"), persistent=True))
    host.apply(op.AddRoute(pfx("10.0.0.0/8"), ip("192.168.0.1"), 11, persistent=True))
    host.apply(op.AddRoute(pfx("::/0"), ip("2001:db8::1"), persistent=True))
    return host


def test_v1_file_is_migrated_in_place_and_loads_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    hosts = [small_host(), big_host("hotfix", 5_000)]
    write_v1(path, hosts)
    orders = {h.name: v1_load_order(path, h.name) for h in hosts}
    store = HostStore(path)
    version = store.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert int(version) == SCHEMA_VERSION == 3
    assert store.integrity_ok()
    for host in hosts:
        with store.transaction() as tx:
            loaded = tx.load(host.name)
            facts = tx.facts(host.name)
        assert loaded is not None
        assert snapshot(loaded) == snapshot(host)
        keys = [(_blob(r.prefix.address), r.prefix.length, r.ifindex, _blob(r.nexthop)) for r in loaded.table]
        assert keys == orders[host.name]
        assert facts.product == "Windows XP"
        assert [row[1] for row in store.log(host.name)] == ["route add"]
        assert [row[1] for row in store.log(host.name, prefix="203.0.113.0/24")] == ["route add"]
    store.close()
    # a second opening finds schema 2 and leaves the file as it is
    before = path.read_bytes()
    HostStore(path).close()
    assert path.read_bytes() == before


def test_migrated_file_keeps_taking_commands(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    host = small_host()
    write_v1(path, [host])
    store = HostStore(path)
    with store.transaction() as tx:
        loaded = tx.load("small")
        assert loaded is not None
        events = loaded.apply(op.DeleteAddress(11, ip("192.168.0.20")))  # withdraws the unbound default
        tx.save(loaded, events, "delete address")
    events = host.apply(op.DeleteAddress(11, ip("192.168.0.20")))
    assert any(e.route is not None and e.route.prefix == pfx("0.0.0.0/0") for e in events)
    with store.transaction() as tx:
        again = tx.load("small")
    assert again is not None and snapshot(again) == snapshot(host)
