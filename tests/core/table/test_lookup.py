"""Every lookup path answers exactly as the plain reference, on big randomised tables.

Big enough (thousands of prefixes per family) that the DIR-24-8 and IPv6 range snapshots serve the
lookups, then mutated so loose (added) and dead (removed) prefixes mix in, with interfaces going down
and metrics changing, and ties broken by metric, interface and insertion order.
"""

from __future__ import annotations

import numpy as np

from routekeeper.core.table import lpm
from routekeeper.core.table.routes import RouteTable
from routekeeper.core.values import IP

N_ADDRESSES = 100_000


def _check_all(table, ref, costs, cost_for, v4, v6):
    cost = cost_for(costs)
    fw = table.forwarding(costs)
    f = fw.compile_v4()
    batch4 = fw.lookup_batch(np.array(v4, np.uint32))
    hi = np.array([x >> 64 for x in v6], np.uint64)
    lo = np.array([x & ((1 << 64) - 1) for x in v6], np.uint64)
    batch6 = fw.lookup_batch(hi, version=6, low=lo)
    for i, x in enumerate(v4):
        want = ref.lookup(IP(4, x), cost)
        row = f(x)
        assert (table.route_at(row) if row >= 0 else None) == want, hex(x)
        b = int(batch4[i])
        assert (table.route_at(b) if b >= 0 else None) == want, hex(x)
        if i % 10 == 0:  # the generic path materialises routes per candidate: sample it
            assert table.lookup(IP(4, x), cost) == want
    for i, x in enumerate(v6):
        want = ref.lookup(IP(6, x), cost)
        assert fw.lookup(IP(6, x)) == want, hex(x)
        b = int(batch6[i])
        assert (table.route_at(b) if b >= 0 else None) == want, hex(x)
        if i % 10 == 0:
            assert table.lookup(IP(6, x), cost) == want


def test_lookups_equal_reference_on_random_tables(reference_table, random_tables, cost_for):
    gen = random_tables(1)
    routes = gen.routes(6000, 3000)
    table = RouteTable(routes)
    ref = reference_table(routes)
    v4 = gen.addresses(routes, N_ADDRESSES, 4)
    v6 = gen.addresses(routes, N_ADDRESSES // 4, 6)
    costs = {1: 50, 2: 10, 3: 10, 4: 20, 5: None}  # interface 5 disconnected
    _check_all(table, ref, costs, cost_for, v4, v6)
    assert table.lpm_kind(4) == "dxr" and table.lpm_kind(6) == "ranges-64"  # below DIR248_MIN

    # interface state and metrics change: only the winners change, answers stay the reference's
    costs = {1: 10, 2: None, 3: 10, 4: 1, 5: 10}
    _check_all(table, ref, costs, cost_for, v4[:20_000], v6[:5_000])

    # mutate: remove a third of the routes (some prefixes die), add new ones (loose prefixes)
    rng = gen.rng
    for r in rng.sample(routes, len(routes) // 3):
        assert table.remove(r.key) == ref.remove(r.key)
    extra = gen.routes(800, 400)
    for r in extra:
        assert table.add(r) == ref.add(r)
    assert len(table) == len(ref)
    _check_all(table, ref, costs, cost_for, v4[:30_000], v6[:8_000])


def test_snapshot_rebuild_after_many_changes_keeps_answers(reference_table, random_tables, cost_for):
    gen = random_tables(2)
    routes = gen.routes(4000, 0)
    table = RouteTable(routes)
    ref = reference_table(routes)
    costs = {1: 1, 2: 2, 3: 3, 4: None, 5: 5}
    addrs = gen.addresses(routes, 20_000, 4)
    _check_all(table, ref, costs, cost_for, addrs, [])
    first = table._snap[4]
    for r in gen.routes(lpm.STALE_MIN * 2, 0):
        table.add(r)
        ref.add(r)
    for r in routes[: len(routes) // 2]:
        table.remove(r.key)
        ref.remove(r.key)
    _check_all(table, ref, costs, cost_for, addrs, [])
    assert table._snap[4] is not first  # rebuilt on the lookup, not on the changes


def test_small_tables_probe_and_agree(reference_table, random_tables, cost_for):
    gen = random_tables(3)
    routes = gen.routes(15, 5)
    table = RouteTable(routes)
    ref = reference_table(routes)
    costs = {1: 1, 2: None, 3: 3, 4: 4, 5: 5}
    _check_all(table, ref, costs, cost_for, gen.addresses(routes, 5000, 4), gen.addresses(routes, 2000, 6))
    assert table.lpm_kind(4) == "probe" and table.lpm_kind(6) == "probe"
    assert table.nbytes() < 64 * 1024


def test_dir248_from_its_threshold_answers_as_the_reference(
    monkeypatch, reference_table, random_tables, cost_for
):
    """DIR-24-8 serves IPv4 from `DIR248_MIN` prefixes (a full table); the same answers as ranges."""
    monkeypatch.setattr(lpm, "DIR248_MIN", 3000)
    gen = random_tables(5)
    routes = gen.routes(5000, 0)
    table = RouteTable(routes)
    ref = reference_table(routes)
    v4 = gen.addresses(routes, N_ADDRESSES // 2, 4)
    _check_all(table, ref, {1: 50, 2: 10, 3: 10, 4: 20, 5: None}, cost_for, v4, [])
    assert table.lpm_kind(4) == "dir-24-8"
