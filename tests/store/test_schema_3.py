"""Schema 3: interfaces keep the order they were added in (and their tunnel kind and given link-local
address), persistent routes the order they were stored in, through the state file; a schema-2 file is
migrated in place (index order and key order, what schema 2 showed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from routekeeper.core import operations as op
from routekeeper.core.host import Host
from routekeeper.core.values import IP, Interface, Prefix
from routekeeper.store.hosts import HostStore
from routekeeper.store.schema import SCHEMA_VERSION

ip, pfx = IP.parse, Prefix.parse


def made_out_of_order() -> Host:
    """Interfaces added 12, 11, then an ISATAP tunnel 13; persistent routes stored 10.0.4.0, 10.0.1.0,
    10.0.0.0/8 (neither index nor key order)."""
    host = Host("hotfix", name="h")
    host.apply(op.AddInterface(Interface(12, "LAN 2", mac="00-15-5D-01-02-04")))
    host.apply(
        op.AddInterface(Interface(11, "LAN 1", mac="00-15-5D-01-02-03", given_link_local=ip("fe80::c447:1")))
    )
    host.apply(
        op.AddInterface(
            Interface(13, "isatap.{X}", mac="00-00-00-00-00-00-00-E0", connected=False, kind="isatap")
        )
    )
    host.apply(op.AddAddress(11, ip("192.168.0.20"), 24))
    for prefix in ("10.0.4.0/24", "10.0.1.0/24", "10.0.0.0/8"):
        host.apply(op.AddRoute(pfx(prefix), ip("192.168.0.1"), persistent=True))
    return host


def saved_and_loaded(tmp_path: Path, host: Host, changes: list[op.Operation]) -> Host:
    store = HostStore(tmp_path / "state.db")
    try:
        with store.transaction() as tx:
            tx.create_host(host)
        host.journal.clear()
        for change in changes:
            host.apply(change)
            with store.transaction() as tx:
                tx.save(host, host.journal, "step")
            host.journal.clear()
        with store.transaction() as tx:
            loaded = tx.load("h")
    finally:
        store.close()
    assert loaded is not None
    return loaded


def test_orders_kinds_and_link_locals_survive_the_state_file(tmp_path):
    host = made_out_of_order()
    changes: list[op.Operation] = [
        op.SetInterface(12, metric=5),  # a changed interface keeps its place
        op.DeleteRoute(pfx("10.0.1.0/24"), ip("192.168.0.1"), None),
        op.AddRoute(pfx("10.0.1.0/24"), ip("192.168.0.1"), persistent=True),  # stored again: last
        op.ChangeRoute(pfx("10.0.4.0/24"), None, new_metric=7),
    ]
    loaded = saved_and_loaded(tmp_path, host, changes)
    assert list(loaded.interfaces) == list(host.interfaces) == [1, 12, 11, 13]
    assert [str(p.prefix) for p in loaded.persistent.values()] == [
        str(p.prefix) for p in host.persistent.values()
    ]
    # Stored again after its deletion, 10.0.1.0 went last; the core's `route change` stores 10.0.4.0's
    # entry again (on Windows the registry value is rewritten: its name carries the metric), so it
    # went last after that.
    assert [str(p.prefix) for p in host.persistent.values()] == ["10.0.0.0/8", "10.0.1.0/24", "10.0.4.0/24"]
    assert loaded.interfaces[13].kind == "isatap" and loaded.interfaces[13].tunnel
    assert loaded.interfaces[11].given_link_local == ip("fe80::c447:1")
    assert [str(a) for a in loaded.addresses_of(11, 6)] == ["fe80::c447:1/64"]
    assert loaded.addresses_of(13) == []
    assert loaded.interfaces == host.interfaces


def test_a_schema_2_file_is_migrated_in_index_and_key_order(tmp_path):
    path = tmp_path / "state.db"
    store = HostStore(path)
    with store.transaction() as tx:
        tx.create_host(made_out_of_order())
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP INDEX persistent_seq")
    for table, column in (("interfaces", "position"), ("interfaces", "kind"), ("interfaces", "link_local")):
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.execute("ALTER TABLE persistent DROP COLUMN seq")
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()

    store = HostStore(path)
    try:
        version = store.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        assert int(version) == SCHEMA_VERSION == 3
        with store.transaction() as tx:
            loaded = tx.load("h")
            assert loaded is not None
            assert list(loaded.interfaces) == [1, 11, 12, 13]
            assert [str(p.prefix) for p in loaded.persistent.values()] == [
                "10.0.0.0/8",
                "10.0.1.0/24",
                "10.0.4.0/24",
            ]
            # A schema-2 file knew no tunnels nor given link-locals: they read as Ethernet, EUI-64.
            assert loaded.interfaces[13].kind == "ethernet"
            loaded.apply(op.AddRoute(pfx("10.9.0.0/16"), ip("192.168.0.1"), persistent=True))
            tx.save(loaded, loaded.journal, "after migration")
        with store.transaction() as tx:
            again = tx.load("h")
        assert again is not None
        assert [str(p.prefix) for p in again.persistent.values()][-1] == "10.9.0.0/16"
    finally:
        store.close()
