"""Loading a full-table host from the SQLite state store (backends.sim), timed phase by phase.

Why phases: Transaction.load builds a `Route` per row (with a validated Prefix and two IPs), hands
the list to Host.restore, which bulk-loads the table and then iterates it once to find persistent
routes. The phases say which part of the budget each layer spends.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from routekeeper.backends.sim import Store, _blob_ip, _col_prefix
from routekeeper.core import operations as op
from routekeeper.core.host import Host
from routekeeper.core.table import RouteTable
from routekeeper.core.values import IP, Interface, Origin, Prefix, Route


def full_table_host(routes: list[Route], name: str = "border") -> Host:
    """A hotfix host with two uplinks whose subnets hold the table's next hops, carrying `routes`."""
    host = Host("hotfix", name)
    host.apply(op.AddInterface(Interface(2, "uplink4", mac="02-00-00-00-00-02")))
    host.apply(op.AddInterface(Interface(3, "uplink6", mac="02-00-00-00-00-03")))
    host.apply(op.AddInterface(Interface(4, "mgmt", mac="02-00-00-00-00-04")))
    host.apply(op.AddAddress(2, IP.parse("198.51.100.10"), 24))
    host.apply(op.AddAddress(3, IP.parse("2001:db8::10"), 64))
    host.apply(op.AddAddress(4, IP.parse("192.0.2.10"), 24))
    host.apply(op.AddAddress(4, IP.parse("192.0.2.11"), 24))
    host.apply(op.AddRoute(Prefix.parse("203.0.113.0/24"), IP.parse("192.0.2.1"), ifindex=4, persistent=True))
    host.apply(op.AddRoute(Prefix.parse("198.18.0.0/15"), IP.parse("192.0.2.2"), persistent=True))
    host.table = RouteTable([*host.table, *routes])
    return host


def run(routes: list[Route], rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.db"
        store = Store(path)
        host = full_table_host(routes)
        t0 = time.perf_counter()
        with store.transaction() as tx:
            tx.create_host(host)
        write = time.perf_counter() - t0
        expected = len(host.table)
        del host
        totals, phases = [], []
        for _ in range(rounds):
            with store.transaction() as tx:
                t0 = time.perf_counter()
                loaded = tx.load("border")
                totals.append(time.perf_counter() - t0)
                tx.rollback()
            assert loaded is not None and len(loaded.table) == expected
            del loaded
            phases.append(_phases(store))
        store.close()
    return {
        "routes": len(routes),
        "store_write_seconds": write,
        "load_seconds_median": statistics.median(totals),
        "load_seconds_rounds": totals,
        "phases_median": {k: statistics.median(p[k] for p in phases) for k in phases[0]},
    }


def _phases(store: Store) -> dict[str, float]:
    """The same work as Transaction.load, split: SQL rows, Route objects, table bulk load, one pass."""
    c = store.conn
    origins = {o.value: o for o in Origin}
    t0 = time.perf_counter()
    rows = c.execute(
        "SELECT network, length, ifindex, nexthop, metric, origin, bound, persistent, prefsrc, "
        "onlink, kind, held FROM routes WHERE host_id = 1"
    ).fetchall()
    t1 = time.perf_counter()
    routes = [
        Route(
            _col_prefix(net, length), ifindex, _blob_ip(nh), metric, origins[origin], bool(bound),
            bool(pers), _blob_ip(src) if src is not None else None, bool(onlink), kind,
        )
        for net, length, ifindex, nh, metric, origin, bound, pers, src, onlink, kind, _held in rows
    ]  # fmt: skip
    t2 = time.perf_counter()
    table = RouteTable(routes)
    t3 = time.perf_counter()
    persistent = sum(1 for r in table if r.persistent)
    t4 = time.perf_counter()
    del routes, table, persistent
    return {
        "sql_fetch": t1 - t0,
        "route_objects": t2 - t1,
        "table_bulk_load": t3 - t2,
        "restore_iteration": t4 - t3,
    }
