"""Persistent routes grouped by what decides them, and the next-hop index that finds the groups.

Persistent routes sharing a next hop, interface binding and metric share every decision, so the
daemon decides once per `RouteGroup` and each member only costs a set lookup and a packed message.
That is what lets a million routes come back in seconds rather than minutes.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from routekeeper.core.values import IP, PersistentRoute, Prefix


@dataclass
class RouteGroup:
    """Persistent routes that share next hop, interface binding and metric, hence every decision.

    The members are kept three ways, each for one hot path: `(network, length)` pairs for logging and
    single messages, prefix keys (`prefix_key`) for the presence sets, and NumPy columns (`arrays`)
    for the vectorised encoder, built once at load so that a re-install does no per-route Python work
    before its first message goes out."""

    version: int
    nexthop: int
    ifindex: int | None
    metric: int
    origin: object
    members: list[tuple[int, int]] = field(default_factory=list)  # (network, length)
    prefsrc: int | None = None  # `ip route ... src` (same family as the group)
    onlink: bool = False  # `ip route ... onlink`: the gateway is taken as on-link on the bound interface
    keys: list[int] = field(default_factory=list)  # prefix_key of each member, same order
    _keyset: set[int] | None = None
    _arrays: tuple[object, np.ndarray, list[int]] | None = None

    def representative(self, network: int, length: int) -> PersistentRoute:
        """One member as the core value, for the core policy to decide the whole group on."""
        return PersistentRoute(
            Prefix(self.version, network, length),
            IP(self.version, self.nexthop),
            self.metric,
            self.ifindex,
            self.origin,  # type: ignore[arg-type]
        )

    def keyset(self) -> set[int]:
        """Membership by prefix key (built on first use: only repairs need it)."""
        if self._keyset is None:
            self._keyset = set(self.keys)
        return self._keyset

    def arrays(self) -> tuple[object, np.ndarray, list[int]]:
        """(destinations, lengths, indexes of zero-length members) for `codec.BatchTemplate`.

        IPv4 destinations are one uint32 column, IPv6 ones a (high, low) pair of uint64 columns.
        A default route has no RTA_DST attribute, so its member is listed apart and sent singly."""
        if self._arrays is None:
            n = len(self.members)
            lens = np.fromiter((ln for _net, ln in self.members), dtype=np.uint8, count=n)
            dst: object
            if self.version == 4:
                dst = np.fromiter((net for net, _ln in self.members), dtype=np.uint32, count=n)
            else:
                low = (1 << 64) - 1
                dst = (
                    np.fromiter((net >> 64 for net, _ln in self.members), dtype=np.uint64, count=n),
                    np.fromiter((net & low for net, _ln in self.members), dtype=np.uint64, count=n),
                )
            zero = np.flatnonzero(lens == 0).tolist()
            self._arrays = (dst, lens, zero)
        return self._arrays


def prefix_key(version: int, network: int, length: int) -> int:
    """One int per prefix: cheaper to hash and store than a tuple when there are a million."""
    return ((network << 8 | length) << 1) | (version == 6)


def key_prefix(key: int) -> tuple[int, int]:
    """(network, length) of a prefix key: a repair is told a key, and needs the route back."""
    return key >> 9, (key >> 1) & 0xFF


def group_routes(
    routes: Iterable[PersistentRoute], attributes: dict[tuple, tuple[int | None, bool]] | None = None
) -> dict[tuple, RouteGroup]:
    """The groups of `routes`, by (version, next hop, interface binding, metric, and the attributes
    (preferred source, onlink) of routes that have them: `attributes`, by `PersistentRoute.key`)."""
    groups: dict[tuple, RouteGroup] = {}
    attributes = attributes or {}
    for p in routes:
        extra = attributes.get(p.key)
        key = (p.prefix.version, p.nexthop.value, p.ifindex, p.metric, extra)
        g = groups.get(key)
        if g is None:
            g = groups[key] = RouteGroup(p.prefix.version, p.nexthop.value, p.ifindex, p.metric, p.origin)
            if extra is not None:
                g.prefsrc, g.onlink = extra
        g.members.append((p.prefix.network, p.prefix.length))
        g.keys.append(prefix_key(p.prefix.version, p.prefix.network, p.prefix.length))
    return groups


class NexthopIndex:
    """Gateway groups by next hop, sorted per family: which groups does a new on-link prefix cover?

    Why: when an address comes back, only next hops inside its subnet can have become reachable.
    Two bisections find them, so the work done for an address event grows with what the address
    covers, not with the size of the store."""

    def __init__(self, groups: Iterable[RouteGroup]) -> None:
        self.by_nexthop: dict[tuple[int, int], list[RouteGroup]] = {}
        for g in groups:
            self.by_nexthop.setdefault((g.version, g.nexthop), []).append(g)
        self.sorted: dict[int, list[int]] = {4: [], 6: []}
        for version, nexthop in self.by_nexthop:
            if nexthop:
                self.sorted[version].append(nexthop)
        for values in self.sorted.values():
            values.sort()

    def groups(self, version: int, nexthop: int) -> list[RouteGroup]:
        return self.by_nexthop.get((version, nexthop), [])

    def covered(self, version: int, network: int, length: int) -> list[RouteGroup]:
        """Gateway groups whose next hop lies in network/length (on-link groups never do)."""
        values = self.sorted[version]
        last = network | ((1 << ((32 if version == 4 else 128) - length)) - 1)
        lo, hi = bisect.bisect_left(values, network), bisect.bisect_right(values, last)
        return [g for nexthop in values[lo:hi] for g in self.by_nexthop[(version, nexthop)]]
