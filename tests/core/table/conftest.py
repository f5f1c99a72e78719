"""Shared pieces for the scale tests: the dict-of-routes table the columnar one replaced (the plain
reference for every observable answer and order), and random tables with ties and nesting."""

from __future__ import annotations

import random

import pytest

from routekeeper.core.values import IP, Origin, Prefix, Route, mask_int


class ReferenceTable:
    """The previous RouteTable, verbatim in behaviour: dicts of Route objects."""

    def __init__(self, routes=()):
        self._routes = {}
        self._buckets = {4: {}, 6: {}}
        self._lengths = {4: [], 6: []}
        self._by_interface = {}
        self._by_nexthop = {}
        self._by_prefsrc = {}
        for route in routes:
            self.add(route)

    def __len__(self):
        return len(self._routes)

    def __iter__(self):
        return iter(self._routes.values())

    def __contains__(self, key):
        return key in self._routes

    def get(self, key):
        return self._routes.get(key)

    def add(self, route):
        key = route.key
        old = self._routes.get(key)
        if old is not None:
            self._unindex(old)
        self._routes[key] = route
        prefix = route.prefix
        by_len = self._buckets[prefix.version]
        if prefix.length not in by_len:
            by_len[prefix.length] = {}
            lengths = self._lengths[prefix.version]
            lengths.append(prefix.length)
            lengths.sort(reverse=True)
        by_len[prefix.length].setdefault(prefix.network, {})[key] = route
        self._by_interface.setdefault(route.ifindex, {})[key] = route
        per_if = self._by_nexthop.setdefault(route.ifindex, {})
        per_if.setdefault(route.nexthop, {})[key] = route
        if route.prefsrc is not None:
            self._by_prefsrc.setdefault(route.prefsrc, {})[key] = route
        return old

    def remove(self, key):
        route = self._routes.pop(key, None)
        if route is not None:
            self._unindex(route)
        return route

    def _unindex(self, route):
        key = route.key
        prefix = route.prefix
        by_len = self._buckets[prefix.version]
        bucket = by_len[prefix.length]
        entries = bucket[prefix.network]
        del entries[key]
        if not entries:
            del bucket[prefix.network]
            if not bucket:
                del by_len[prefix.length]
                self._lengths[prefix.version].remove(prefix.length)
        _discard(self._by_interface, route.ifindex, key)
        per_if = self._by_nexthop[route.ifindex]
        _discard(per_if, route.nexthop, key)
        if not per_if:
            del self._by_nexthop[route.ifindex]
        if route.prefsrc is not None:
            _discard(self._by_prefsrc, route.prefsrc, key)

    def on_interface(self, ifindex):
        return list(self._by_interface.get(ifindex, {}).values())

    def via(self, nexthop, ifindex):
        return list(self._by_nexthop.get(ifindex, {}).get(nexthop, {}).values())

    def nexthops_on(self, ifindex):
        return list(self._by_nexthop.get(ifindex, {}))

    def with_prefsrc(self, ip):
        return list(self._by_prefsrc.get(ip, {}).values())

    def with_prefix(self, prefix):
        bucket = self._buckets[prefix.version].get(prefix.length, {})
        return list(bucket.get(prefix.network, {}).values())

    def lookup(self, ip, cost):
        by_len = self._buckets[ip.version]
        for length in self._lengths[ip.version]:
            entries = by_len[length].get(ip.value & mask_int(ip.version, length))
            if not entries:
                continue
            best = None
            best_cost = 0
            for route in entries.values():
                c = cost(route)
                if c is None:
                    continue
                if best is None or (c, route.ifindex) < (best_cost, best.ifindex):
                    best, best_cost = route, c
            if best is not None:
                return best
        return None


def _discard(index, bucket_key, key):
    bucket = index.get(bucket_key)
    if bucket is None:
        return
    bucket.pop(key, None)
    if not bucket:
        del index[bucket_key]


def cost_of(link_costs):
    """The Host.cost rule for per-interface costs: metric + link cost; None when the link is unusable."""

    def cost(route):
        link = link_costs.get(route.ifindex)
        return None if link is None else route.metric + link

    return cost


class RandomTables:
    """Random tables shaped to hit the hard cases: nesting, several routes per prefix on several
    interfaces with equal metrics (ties), interfaces that are down, preferred sources, kinds."""

    IFACES = (1, 2, 3, 4, 5)

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.nexthops = {
            4: [IP(4, 0), *(IP(4, (10 << 24) | i) for i in range(1, 6))],
            6: [IP(6, 0), *(IP(6, (0xFE80 << 112) | i) for i in range(1, 6))],
        }

    def prefix(self, version, pool):
        rng = self.rng
        bits = 32 if version == 4 else 128
        if pool and rng.random() < 0.5:
            outer = rng.choice(pool)
            top = min(bits, outer.length + rng.randint(1, 12))
            length = rng.randint(outer.length + 1, top) if outer.length < bits else bits
            value = outer.network | rng.getrandbits(bits - outer.length)
        else:
            if version == 4:
                length = rng.choice([0, 8, 12, 16, 18, 20, 22, 23, 24, 24, 24, 25, 28, 30, 32])
            else:
                length = rng.choice([0, 16, 29, 32, 32, 40, 44, 48, 48, 48, 56, 64, 96, 127, 128])
            value = rng.getrandbits(bits)
        return Prefix(version, value & mask_int(version, length), length)

    def route(self, prefix, ifindex=None, nexthop=None):
        rng = self.rng
        v = prefix.version
        return Route(
            prefix,
            ifindex if ifindex is not None else rng.choice(self.IFACES),
            nexthop if nexthop is not None else rng.choice(self.nexthops[v]),
            rng.choice([1, 1, 5, 10, 256]),
            rng.choice(list(Origin)),
            bound=rng.random() < 0.3,
            persistent=rng.random() < 0.3,
            prefsrc=rng.choice([None, None, IP(v, 77), IP(v, 78)]),
            onlink_flag=rng.random() < 0.1,
            kind=rng.choice(["unicast", "unicast", "local", "broadcast"]),
        )

    def routes(self, n4, n6):
        out = []
        for version, n in ((4, n4), (6, n6)):
            pool = []
            while len(pool) < n:
                pool.append(self.prefix(version, pool))
            pool = list(dict.fromkeys(pool))
            for p in pool:
                ifaces = self.rng.sample(self.IFACES, self.rng.choice([1, 1, 1, 2, 3]))
                for i in ifaces:
                    for nh in self.rng.sample(self.nexthops[version], self.rng.choice([1, 1, 2])):
                        out.append(self.route(p, i, nh))
        self.rng.shuffle(out)
        return out

    def addresses(self, routes, n, version):
        rng = self.rng
        bits = 32 if version == 4 else 128
        prefixes = [r.prefix for r in routes if r.prefix.version == version]
        out = []
        for _ in range(n):
            if prefixes and rng.random() < 0.7:
                p = rng.choice(prefixes)
                out.append(p.network | rng.getrandbits(bits - p.length) if p.length < bits else p.network)
            else:
                out.append(rng.getrandbits(bits))
        return out


@pytest.fixture
def reference_table():
    return ReferenceTable


@pytest.fixture
def random_tables():
    return RandomTables


@pytest.fixture
def cost_for():
    return cost_of
