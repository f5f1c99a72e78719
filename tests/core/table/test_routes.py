"""The columnar table behaves exactly like the dict-of-routes table it replaced: same answers, same
orders (iteration, with_prefix, on_interface, via, nexthops_on, with_prefsrc), same return values,
whether it was filled route by route or bulk-loaded, and after copies."""

from __future__ import annotations

from routekeeper.core.table.routes import RouteTable


def _same(table, ref, keys, gen):
    assert len(table) == len(ref)
    assert list(table) == list(ref)
    for key in keys:
        assert (key in table) == (key in ref)
        assert table.get(key) == ref.get(key)
    prefixes = {k[0] for k in keys}
    for p in prefixes:
        assert table.with_prefix(p) == ref.with_prefix(p)
    for i in (*gen.IFACES, 99):
        assert table.on_interface(i) == ref.on_interface(i)
        assert table.nexthops_on(i) == ref.nexthops_on(i)
        for v in (4, 6):
            for nh in gen.nexthops[v]:
                assert table.via(nh, i) == ref.via(nh, i)
    for v in (4, 6):
        for src in (77, 78, 79):
            ip = type(gen.nexthops[v][0])(v, src)
            assert table.with_prefsrc(ip) == ref.with_prefsrc(ip)


def _churn(table, ref, gen, routes, steps):
    keys = [r.key for r in routes]
    rng = gen.rng
    for _ in range(steps):
        roll = rng.random()
        if roll < 0.35 and keys:
            key = rng.choice(keys)
            assert table.remove(key) == ref.remove(key)
        elif roll < 0.7 and keys:
            # replace: same key, other fields change (and the route moves in every per-bucket order)
            key = rng.choice(keys)
            r = gen.route(key[0], key[1], key[2])
            assert table.add(r) == ref.add(r)
        else:
            (r,) = gen.routes(1, 0)[:1] or gen.routes(0, 1)[:1]
            keys.append(r.key)
            assert table.add(r) == ref.add(r)
    return keys


def test_route_by_route_equals_reference(reference_table, random_tables):
    gen = random_tables(10)
    routes = gen.routes(60, 30)
    table, ref = RouteTable(), reference_table()
    for r in routes:
        assert table.add(r) == ref.add(r)
    keys = _churn(table, ref, gen, routes, 600)
    _same(table, ref, keys, gen)


def test_bulk_load_equals_reference_then_churn(reference_table, random_tables):
    gen = random_tables(11)
    routes = gen.routes(3000, 1000)
    table, ref = RouteTable(routes), reference_table(routes)
    keys = [r.key for r in routes]
    _same(table, ref, keys[:2000], gen)
    keys = _churn(table, ref, gen, routes, 3000)
    _same(table, ref, keys[:2000] + keys[-1500:], gen)


def test_bulk_load_with_repeated_keys_falls_back_to_adds(reference_table, random_tables):
    gen = random_tables(12)
    routes = gen.routes(400, 0)
    again = [gen.route(r.prefix, r.ifindex, r.nexthop) for r in routes[:50]]
    table, ref = RouteTable(routes + again), reference_table(routes + again)
    _same(table, ref, [r.key for r in routes], gen)


def test_copy_is_independent(reference_table, random_tables):
    gen = random_tables(13)
    routes = gen.routes(2500, 0)
    table = RouteTable(routes)
    table.forwarding({1: 1}).lookup_batch(__import__("numpy").zeros(4, "uint32"))  # build the snapshot
    twin = table.copy()
    ref, twin_ref = reference_table(routes), reference_table(routes)
    _churn(twin, twin_ref, gen, routes, 500)
    _same(table, ref, [r.key for r in routes[:500]], gen)
    _same(twin, twin_ref, [r.key for r in routes[:500]], gen)


def test_events_touch_only_their_routes():
    """on_interface / via / with_prefsrc walk their own lists: the cost does not grow with the table."""
    from routekeeper.core.values import IP, Prefix, Route

    table = RouteTable([Route(Prefix(4, i << 8, 24), 2, IP(4, 1)) for i in range(1, 5000)])
    table.add(Route(Prefix(4, 10 << 24, 8), 7, IP(4, 9)))
    calls = []
    walk = table._walk

    def counting(nxt, head):
        rows = walk(nxt, head)
        calls.append(len(rows))
        return rows

    table._walk = counting
    assert len(table.on_interface(7)) == 1
    assert len(table.via(IP(4, 9), 7)) == 1
    assert calls == [1, 1]
