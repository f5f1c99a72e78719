"""LazyRouteTable: a table that loads from its store only what is asked answers every question exactly
as the whole table would, in the same order, and loads no more than the question needs."""

from __future__ import annotations

import pytest

from routekeeper.core.table.lazy import LazyRouteTable, covering_prefixes
from routekeeper.core.table.routes import RouteTable
from routekeeper.core.values import IP, Prefix, Route

LINKS = {1: 1, 2: 1, 3: None, 4: 5, 5: 1}


def store_order(route: Route) -> tuple:
    """A store's key order: prefix, interface, next hop."""
    p = route.prefix
    return (p.version, p.network, p.length, route.ifindex, route.nexthop.version, route.nexthop.value)


class Loader:
    """A store in memory: the stored routes in key order; counts what it is asked for."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = sorted({r.key: r for r in routes}.values(), key=store_order)
        self.prefix_calls: list[list[Prefix]] = []
        self.whole_calls = 0
        self.column_calls = 0

    def routes_with_prefixes(self, prefixes):
        self.prefix_calls.append(list(prefixes))
        wanted = set(prefixes)
        return [r for r in self.routes if r.prefix in wanted]

    def whole_table(self):
        self.whole_calls += 1
        return RouteTable(self.routes)

    def whole_columns(self, version=None):
        self.column_calls += 1
        return RouteTable(self.routes).to_columns(version)


def pair(random_tables, seed: int, n4: int = 300, n6: int = 120) -> tuple:
    tables = random_tables(seed)
    loader = Loader(tables.routes(n4, n6))
    return tables, loader, RouteTable(loader.routes)


def test_covering_prefixes_are_every_length_containing_the_address() -> None:
    ip = IP.parse("10.1.2.3")
    found = covering_prefixes(ip)
    assert [p.length for p in found] == list(range(33))
    assert all(p.contains(ip) for p in found)
    assert found[24] == Prefix.parse("10.1.2.0/24") and found[0] == Prefix.parse("0.0.0.0/0")
    assert len(covering_prefixes(IP.parse("2001:db8::1"))) == 129


@pytest.mark.parametrize("seed", range(6))
def test_single_route_questions_load_only_their_prefixes(seed: int, random_tables, cost_for) -> None:
    tables, loader, whole = pair(random_tables, seed)
    lazy = LazyRouteTable(loader)
    probes = [IP(4, a) for a in tables.addresses(loader.routes, 40, 4)]
    probes += [IP(6, a) for a in tables.addresses(loader.routes, 20, 6)]
    for ip in probes:
        assert lazy.lookup(ip, cost_for(LINKS)) == whole.lookup(ip, cost_for(LINKS))
        assert lazy.forwarding(LINKS).lookup(ip) == whole.forwarding(LINKS).lookup(ip)
    for route in loader.routes[::7]:
        assert lazy.get(route.key) == route and route.key in lazy
        assert lazy.with_prefix(route.prefix) == whole.with_prefix(route.prefix)
    assert not lazy.is_whole and loader.whole_calls == 0
    asked = {p for call in loader.prefix_calls for p in call}
    assert asked <= {p for ip in probes for p in covering_prefixes(ip)} | {r.prefix for r in loader.routes}
    assert all(len(set(call)) == len(call) for call in loader.prefix_calls)  # nothing asked twice


@pytest.mark.parametrize("seed", range(8))
def test_changes_then_the_whole_table_match_a_whole_load(seed: int, random_tables) -> None:
    """Random adds, replaces and removes on a partial table; then a question only the whole table can
    answer: the lazy table becomes exactly the whole table with the same changes, in the same order."""
    tables, loader, whole = pair(random_tables, seed)
    lazy = LazyRouteTable(loader, preload=[r.prefix for r in loader.routes[:5]])
    rng = tables.rng
    for _ in range(200):
        roll = rng.random()
        if roll < 0.4:
            route = tables.route(rng.choice(loader.routes).prefix)  # may replace an existing key
        elif roll < 0.6:
            route = tables.route(tables.prefix(rng.choice((4, 6)), []))
        else:
            key = rng.choice(loader.routes).key
            assert lazy.remove(key) == whole.remove(key)
            continue
        assert lazy.add(route) == whole.add(route)
        assert lazy.with_prefix(route.prefix) == whole.with_prefix(route.prefix)
        ip = IP(route.prefix.version, route.prefix.network)
        assert lazy.forwarding(LINKS).lookup(ip) == whole.forwarding(LINKS).lookup(ip)
    assert not lazy.is_whole
    assert list(lazy) == list(whole)
    assert lazy.is_whole and loader.whole_calls == 1
    assert len(lazy) == len(whole)
    for ifindex in random_tables.IFACES:
        assert lazy.on_interface(ifindex) == whole.on_interface(ifindex)
        assert lazy.nexthops_on(ifindex) == whole.nexthops_on(ifindex)
    assert lazy.where(manual=True, bound=False) == whole.where(manual=True, bound=False)
    assert list(lazy.copy()) == list(whole)
    lazy.add(tables.route(Prefix.parse("192.0.2.0/24")))  # an ordinary table from now on
    assert loader.whole_calls == 1


@pytest.mark.parametrize("question", ["iter", "len", "via", "on_interface", "where", "copy"])
def test_questions_about_the_whole_table_load_it_once(question: str, random_tables) -> None:
    _, loader, whole = pair(random_tables, 3, 60, 20)
    lazy = LazyRouteTable(loader)
    nh = loader.routes[0].nexthop
    ask = {
        "iter": lambda t: list(t),
        "len": len,
        "via": lambda t: t.via(nh, 1),
        "on_interface": lambda t: t.on_interface(2),
        "where": lambda t: t.where(manual=False),
        "copy": lambda t: list(t.copy()),
    }[question]
    assert ask(lazy) == ask(whole)
    assert ask(lazy) == ask(whole)
    assert lazy.is_whole and loader.whole_calls == 1


def test_persistent_routes_right_after_the_preload_need_no_whole_load(random_tables) -> None:
    """What `Host.restore` asks: the preload holds the prefixes the persistent store names."""
    _, loader, whole = pair(random_tables, 5)
    persistent_prefixes = {r.prefix for r in loader.routes if r.persistent}
    lazy = LazyRouteTable(loader, preload=sorted(persistent_prefixes, key=lambda p: (p.version, p.network)))
    expected = whole.where(persistent=True, manual=True)
    assert lazy.where(persistent=True, manual=True) == expected
    assert not lazy.is_whole


def test_columns_of_an_unchanged_table_come_from_the_store_without_a_whole_load(random_tables) -> None:
    tables, loader, whole = pair(random_tables, 4, 80, 30)
    lazy = LazyRouteTable(loader)
    lazy.with_prefix(loader.routes[0].prefix)
    assert list(lazy.to_columns().routes()) == list(whole)
    assert list(lazy.to_columns(6).routes()) == [r for r in whole if r.prefix.version == 6]
    assert loader.column_calls == 2 and not lazy.is_whole
    route = tables.route(loader.routes[1].prefix)
    lazy.add(route)
    whole.add(route)
    assert list(lazy.to_columns().routes()) == list(whole)  # changed: the whole table, replayed
    assert list(lazy.to_columns(4).routes()) == [r for r in whole if r.prefix.version == 4]
    assert loader.column_calls == 2 and lazy.is_whole
