"""A route table that loads from its store only what is asked of it.

Why: a command about one route (lookup, route add, route delete, why) on a host holding 1.2M routes
spent seconds and half a GiB building the whole table to answer. This table starts with the routes of
a few prefixes (those the persistent store and the held routes name, which `Host.restore` asks for),
then loads, the first time each is asked about, the routes of one prefix (`get`, `in`, `add`,
`remove`, `with_prefix`) or of every prefix covering one address (`lookup`, the forwarding view's
`lookup`). Anything else (iterating, counting, by interface, by next hop, copying, columns) loads the
whole table once, replays on it the changes made so far, and from then on the table is an ordinary
`RouteTable` with the same contents, in the same order, as one loaded whole at the start.

Why the answers are the same as the whole table's: each query it answers partially depends only on
the routes of prefixes it has loaded completely (every stored route of the prefix, in the store's key
order, which is the order a whole load adds them in); a prefix is changed only after it is loaded.

Pure: the loading is done by a `RouteLoader` the store hands in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Protocol

from routekeeper.core.table.columns import RouteColumns
from routekeeper.core.table.forwarding import Forwarding
from routekeeper.core.table.routes import Cost, RouteTable
from routekeeper.core.values import IP, Prefix, Route, RouteKey


class RouteLoader(Protocol):
    """Where a lazy table's routes come from (a store transaction)."""

    def routes_with_prefixes(self, prefixes: Sequence[Prefix]) -> list[Route]:
        """Every stored route of these prefixes, in the store's key order."""
        ...

    def whole_table(self) -> RouteTable:
        """Every stored route, as the table a whole load builds."""
        ...

    def whole_columns(self, version: int | None = None) -> RouteColumns:
        """Every stored route (of `version`, if given) as columns, in the order a whole load adds them."""
        ...


def covering_prefixes(ip: IP) -> list[Prefix]:
    """Every prefix that contains `ip`, /0 to /32 (or /128)."""
    bits = ip.bits
    return [Prefix(ip.version, ip.value & ~((1 << (bits - n)) - 1), n) for n in range(bits + 1)]


class LazyRouteTable(RouteTable):
    """A `RouteTable` filled from a `RouteLoader` as it is asked (see the module's docstring)."""

    def __init__(self, loader: RouteLoader, preload: Iterable[Prefix] = ()) -> None:
        super().__init__()
        self._loader: RouteLoader | None = loader
        self._loaded: set[Prefix] = set()
        self._covered: set[IP] = set()
        self._changes: list[tuple[bool, Route | RouteKey]] = []  # (added?, route or key), to replay
        self._load(list(dict.fromkeys(preload)))
        self._only_preloaded = True  # nothing loaded or changed since the preload (see `where`)

    @property
    def is_whole(self) -> bool:
        """Has the whole table been loaded (the table is then an ordinary RouteTable)?"""
        return self._loader is None

    # ------------------------------------------------------------------ loading
    def _load(self, prefixes: Sequence[Prefix]) -> None:
        """Load the routes of the prefixes not loaded yet, in the store's order."""
        assert self._loader is not None
        missing = [p for p in prefixes if p not in self._loaded]
        if not missing:
            return
        self._only_preloaded = False
        for route in self._loader.routes_with_prefixes(missing):
            RouteTable.add(self, route)
        self._loaded.update(missing)

    def _load_prefix(self, prefix: object) -> None:
        if self._loader is not None and type(prefix) is Prefix and prefix not in self._loaded:
            self._load([prefix])

    def _load_covering(self, ip: IP) -> None:
        if self._loader is not None and ip not in self._covered:
            self._load(covering_prefixes(ip))
            self._covered.add(ip)

    def _load_whole(self) -> None:
        """Become the whole table: load it, replay this table's changes on it, take its state."""
        loader = self._loader
        if loader is None:
            return
        whole = loader.whole_table()
        for added, item in self._changes:
            if added:
                RouteTable.add(whole, item)  # type: ignore[arg-type]
            else:
                RouteTable.remove(whole, item)  # type: ignore[arg-type]
        self.__dict__.clear()
        self.__dict__.update(whole.__dict__)
        self._forwarding = None  # the whole table's view is made anew, over this object
        self._loader = None
        self._loaded, self._covered, self._changes = set(), set(), []
        self._only_preloaded = False

    # ------------------------------------------------------------------ answered from loaded prefixes
    def __contains__(self, key: object) -> bool:
        if isinstance(key, tuple) and key:
            self._load_prefix(key[0])
        return super().__contains__(key)

    def get(self, key: RouteKey) -> Route | None:
        self._load_prefix(key[0])
        return super().get(key)

    def add(self, route: Route) -> Route | None:
        if self._loader is None:
            return super().add(route)
        self._load_prefix(route.prefix)
        old = super().add(route)
        self._changes.append((True, route))
        self._only_preloaded = False
        return old

    def remove(self, key: RouteKey) -> Route | None:
        if self._loader is None:
            return super().remove(key)
        self._load_prefix(key[0])
        route = super().remove(key)
        if route is not None:
            self._changes.append((False, key))
            self._only_preloaded = False
        return route

    def with_prefix(self, prefix: Prefix) -> list[Route]:
        self._load_prefix(prefix)
        return super().with_prefix(prefix)

    def lookup(self, ip: IP, cost: Cost) -> Route | None:
        self._load_covering(ip)
        return super().lookup(ip, cost)

    def forwarding(self, link_costs: Mapping[int, int | None]) -> Forwarding:
        if self._loader is None:
            return super().forwarding(link_costs)
        return _CoveringForwarding(self, link_costs)  # type: ignore[return-value]

    def where(
        self,
        *,
        ifindex: int | None = None,
        manual: bool | None = None,
        bound: bool | None = None,
        persistent: bool | None = None,
    ) -> list[Route]:
        # Right after the preload every persistent route is loaded (their prefixes are what it loads),
        # in the order a whole table holds them: `Host.restore` asks exactly this.
        if not (self._only_preloaded and persistent is True and ifindex is None):
            self._load_whole()
        return super().where(ifindex=ifindex, manual=manual, bound=bound, persistent=persistent)

    # ------------------------------------------------------------------ everything else: the whole table
    def __iter__(self) -> Iterator[Route]:
        self._load_whole()
        return super().__iter__()

    def __len__(self) -> int:
        self._load_whole()
        return super().__len__()

    def on_interface(self, ifindex: int) -> list[Route]:
        self._load_whole()
        return super().on_interface(ifindex)

    def via(self, nexthop: IP, ifindex: int) -> list[Route]:
        self._load_whole()
        return super().via(nexthop, ifindex)

    def nexthops_on(self, ifindex: int) -> list[IP]:
        self._load_whole()
        return super().nexthops_on(ifindex)

    def with_prefsrc(self, ip: IP) -> list[Route]:
        self._load_whole()
        return super().with_prefsrc(ip)

    def route_at(self, row: int) -> Route:
        self._load_whole()
        return super().route_at(row)

    def copy(self) -> RouteTable:
        self._load_whole()
        return super().copy()

    def to_columns(self, version: int | None = None) -> RouteColumns:
        if self._loader is not None and not self._changes:
            # Unchanged: the stored columns are the whole table's, in its order (`route print` reads
            # a full table this way without building its indexes).
            return self._loader.whole_columns(version)
        self._load_whole()
        return super().to_columns(version)

    def nbytes(self) -> int:
        self._load_whole()
        return super().nbytes()

    def lpm_kind(self, version: int) -> str:
        self._load_whole()
        return super().lpm_kind(version)


class _CoveringForwarding:
    """A partial table's forwarding view: each lookup loads the prefixes covering the address, then
    answers as `RouteTable.lookup` with the view's cost rule (what a `Forwarding` view is equal to;
    building one, with its per-prefix winners, would cost more than the few routes loaded)."""

    def __init__(self, table: LazyRouteTable, link_costs: Mapping[int, int | None]) -> None:
        self._table = table
        self._costs = dict(link_costs)

    def _cost(self, route: Route) -> int | None:
        link = self._costs.get(route.ifindex)
        return None if link is None else route.metric + link

    def lookup(self, ip: IP) -> Route | None:
        if self._table.is_whole:  # a caller made it whole after taking this view
            return self._table.forwarding(self._costs).lookup(ip)  # type: ignore[return-value]
        return self._table.lookup(ip, self._cost)

    def __getattr__(self, name: str) -> object:
        self._table._load_whole()  # batch lookups, compiled lookups: over the whole table
        return getattr(self._table.forwarding(self._costs), name)
