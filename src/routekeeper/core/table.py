"""The active route table: longest-prefix match plus the indexes that keep address changes cheap.

Routes are bucketed by (family, prefix length, network). A lookup walks only the prefix lengths that
are present, longest first, so it costs at most 33 (IPv4) or 129 (IPv6) dictionary probes whatever
the table size. The per-interface and per-next-hop indexes let an address event find the routes it
affects without scanning the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from .values import IP, Prefix, Route, RouteKey, mask_int

# A cost function: the total metric of a route, or None when the route may not be used
# (its interface is disconnected, disabled or gone).
Cost = Callable[[Route], int | None]


class RouteTable:
    """Routes keyed by (prefix, interface, next hop)."""

    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self._routes: dict[RouteKey, Route] = {}
        # version -> length -> network -> {key: route}
        self._buckets: dict[int, dict[int, dict[int, dict[RouteKey, Route]]]] = {4: {}, 6: {}}
        self._lengths: dict[int, list[int]] = {4: [], 6: []}
        self._by_interface: dict[int, dict[RouteKey, Route]] = {}
        # interface -> next hop -> {key: route}; on-link routes under the unspecified next hop
        self._by_nexthop: dict[int, dict[IP, dict[RouteKey, Route]]] = {}
        self._by_prefsrc: dict[IP, dict[RouteKey, Route]] = {}
        for route in routes:
            self.add(route)

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[Route]:
        return iter(self._routes.values())

    def __contains__(self, key: object) -> bool:
        return key in self._routes

    def get(self, key: RouteKey) -> Route | None:
        return self._routes.get(key)

    def add(self, route: Route) -> Route | None:
        """Insert or replace; returns the route it replaced, if any."""
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

    def remove(self, key: RouteKey) -> Route | None:
        route = self._routes.pop(key, None)
        if route is not None:
            self._unindex(route)
        return route

    def _unindex(self, route: Route) -> None:
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

    def on_interface(self, ifindex: int) -> list[Route]:
        return list(self._by_interface.get(ifindex, {}).values())

    def via(self, nexthop: IP, ifindex: int) -> list[Route]:
        return list(self._by_nexthop.get(ifindex, {}).get(nexthop, {}).values())

    def nexthops_on(self, ifindex: int) -> list[IP]:
        """Distinct next hops used on an interface (the unspecified one for on-link routes)."""
        return list(self._by_nexthop.get(ifindex, {}))

    def with_prefsrc(self, ip: IP) -> list[Route]:
        return list(self._by_prefsrc.get(ip, {}).values())

    def with_prefix(self, prefix: Prefix) -> list[Route]:
        bucket = self._buckets[prefix.version].get(prefix.length, {})
        return list(bucket.get(prefix.network, {}).values())

    def lookup(self, ip: IP, cost: Cost) -> Route | None:
        """Longest prefix wins; among equals the lowest cost; unusable routes are skipped."""
        by_len = self._buckets[ip.version]
        for length in self._lengths[ip.version]:
            entries = by_len[length].get(ip.value & mask_int(ip.version, length))
            if not entries:
                continue
            best: Route | None = None
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

    def copy(self) -> RouteTable:
        return RouteTable(self._routes.values())


def _discard(index: dict, bucket_key: object, key: RouteKey) -> None:
    bucket = index.get(bucket_key)
    if bucket is None:
        return
    bucket.pop(key, None)
    if not bucket:
        del index[bucket_key]
