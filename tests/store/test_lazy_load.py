"""A host loaded lazily (what every CLI command opens) acts exactly as one loaded whole.

Over random operation sequences (all three profiles): the next operation sets off the same events in
the same order on both, lookups choose the same routes before anything forces a whole load, and the
state files they save are the same row for row.
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import tempfile
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routekeeper.core import operations as op
from routekeeper.core.operations import Refused
from routekeeper.core.table.lazy import LazyRouteTable
from routekeeper.core.values import IP, Prefix
from routekeeper.frontends.registry import run_tool
from routekeeper.store.errors import StoreError
from routekeeper.store.hosts import HostStore


def _core_properties() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "core" / "test_properties.py"
    spec = importlib.util.spec_from_file_location("core_property_strategies_lazy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


properties = _core_properties()
STEPS = properties.operations(persistent_only=False, with_admin=True)
PROBES = [IP.parse(t) for t in ("10.0.0.99", "10.0.1.99", "192.0.2.9", "8.8.8.8", "2001:db8::99", "fe80::9")]
ROWS = {
    "routes": "SELECT * FROM routes ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10",
    "persistent": "SELECT * FROM persistent ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
    "addresses": "SELECT * FROM addresses ORDER BY 1, 2, 3, 4, 5",
    "interfaces": "SELECT * FROM interfaces ORDER BY 1, 2",
    "log": "SELECT command, kind, subject, reason, manual, prefix FROM log ORDER BY id",
}


def rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {name: conn.execute(query).fetchall() for name, query in ROWS.items()}
    finally:
        conn.close()


def run_last(path: Path, lazy: bool, last: list[op.Operation]) -> tuple[list, object, bool, list, str]:
    """Load the host (lazily or whole), look up the probes, apply `last` (in one transaction, as
    what-if and batches do), save; what was seen, and then the whole table in its order."""
    store = HostStore(path)
    try:
        with store.transaction() as tx:
            host = tx.load("live", lazy=lazy)
            assert host is not None
            lookups = [host.lookup(ip) for ip in PROBES]
            whole_after_lookups = not isinstance(host.table, LazyRouteTable) or host.table.is_whole
            printed = run_tool(host, ["route", "print", "-4"]).stdout  # columns straight from the store
            events: list = []
            for operation in last:
                try:
                    events += host.apply(operation)
                except Refused as refused:
                    events.append(("refused", str(refused)))
            table = list(host.table)
            if host.journal:
                tx.save(host, host.journal, "last")
    finally:
        store.close()
    return events, lookups, whole_after_lookups, table, printed


@pytest.mark.parametrize("profile", ["hotfix", "prehotfix", "linux"])
@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(STEPS, min_size=3, max_size=25))
def test_a_lazily_loaded_host_acts_as_one_loaded_whole(profile, ops):
    sequence, last = ops[:-2], ops[-2:]
    with tempfile.TemporaryDirectory() as tmp:
        whole_path, lazy_path = Path(tmp) / "whole.db", Path(tmp) / "lazy.db"
        store = HostStore(whole_path)
        try:
            live = properties.fresh(profile)
            live.name = "live"
            with store.transaction() as tx:
                tx.create_host(live)
            live.journal.clear()
            for operation in sequence:
                properties.apply(live, operation)
                with store.transaction() as tx:
                    tx.save(live, live.journal, "step")
                live.journal.clear()
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            store.close()
        shutil.copy(whole_path, lazy_path)
        expected = run_last(whole_path, False, last)
        seen = run_last(lazy_path, True, last)
        assert seen[0] == expected[0], f"{last} after {sequence}"
        assert seen[1] == expected[1]
        assert not seen[2], "lookups loaded the whole table"
        assert seen[3] == expected[3]
        assert seen[4] == expected[4]
        assert rows(lazy_path) == rows(whole_path)


def test_a_lazy_host_cannot_read_after_its_transaction(tmp_path):
    store = HostStore(tmp_path / "s.db")
    try:
        with store.transaction() as tx:
            tx.create_host(properties.fresh("hotfix"))
        with store.transaction() as tx:
            host = tx.load("host", lazy=True)
            assert host is not None
        with pytest.raises(StoreError, match="after its transaction ended"):
            host.table.with_prefix(Prefix.parse("10.0.0.0/24"))
    finally:
        store.close()


def test_a_lazy_host_cannot_read_after_a_save(tmp_path):
    """Its changes are in the store then: a whole load would take them for stored ones."""
    store = HostStore(tmp_path / "s.db")
    try:
        fresh = properties.fresh("hotfix")
        fresh.apply(op.AddAddress(11, IP.parse("10.9.0.5"), 16))
        with store.transaction() as tx:
            tx.create_host(fresh)
        with store.transaction() as tx:
            host = tx.load("host", lazy=True)
            assert host is not None
            host.apply(op.AddRoute(Prefix.parse("10.99.0.0/16"), IP.parse("10.9.0.1")))
            tx.save(host, host.journal, "add")
            with pytest.raises(StoreError, match="after a host was saved"):
                list(host.table)
    finally:
        store.close()


def test_a_lazy_host_written_whole_keeps_its_routes(tmp_path):
    """Writing a host whole (what a reboot's save does) reads its table before replacing the rows."""
    store = HostStore(tmp_path / "s.db")
    try:
        fresh = properties.fresh("hotfix")
        fresh.apply(op.AddAddress(11, IP.parse("10.9.0.5"), 16))
        fresh.apply(op.AddRoute(Prefix.parse("10.99.0.0/16"), IP.parse("10.9.0.1")))
        with store.transaction() as tx:
            tx.create_host(fresh)
        with store.transaction() as tx:
            host = tx.load("host", lazy=True)
            host_id = tx.host_id("host")
            assert host is not None and host_id is not None
            tx._write_all(host_id, host)
        with store.transaction() as tx:
            again = tx.load("host")
        assert again is not None and sorted(r.key for r in again.table) == sorted(r.key for r in fresh.table)
    finally:
        store.close()


def test_routes_with_prefixes_reads_many_prefixes_in_key_order(tmp_path):
    """More prefixes than one statement probes, asked in any order: the store's key order comes back."""
    store = HostStore(tmp_path / "s.db")
    host = properties.fresh("hotfix")
    host.apply(op.AddAddress(11, IP.parse("10.0.0.5"), 16))
    for i in range(450):
        host.apply(op.AddRoute(Prefix(4, (100 << 24) + (i << 8), 24), IP.parse("10.0.0.1"), 11))
    try:
        with store.transaction() as tx:
            tx.create_host(host)
        with store.transaction() as tx:
            host_id = tx.host_id(host.name)
            assert host_id is not None
            wanted = [Prefix(4, (100 << 24) + (i << 8), 24) for i in range(449, -1, -3)]
            found = tx.routes_with_prefixes(host_id, wanted)
            assert [r.prefix for r in found] == sorted(wanted, key=lambda p: p.network)
            assert all(r.ifindex == 11 and r.nexthop == IP.parse("10.0.0.1") for r in found)
    finally:
        store.close()
