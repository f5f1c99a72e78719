"""What happened to the kept routes, for `routekeeper status` and the journal: pure bookkeeping.

Kept per `RouteGroup` (and per member for repairs, which install one route at a time), never per
route on the hot path: a million routes come back with one record, not a million. The loop stamps
the times (wall clock for people, monotonic for latencies) and hands them in; nothing here reads a
clock, so it is tested by feeding values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from routekeeper.linux.keeper.index import RouteGroup


@dataclass(slots=True)
class Restore:
    """The last time routes of a group (or one member) went into the kernel."""

    at: float  # unix time
    latency: float  # seconds from the event that called for it to the kernel's acknowledgement
    oif: int
    why: str


@dataclass(slots=True)
class Loss:
    """Routes went from an interface (a flush, a link down, a deletion by another process)."""

    at: float
    why: str


@dataclass
class Ledger:
    started: float = 0.0  # unix time the daemon started keeping: "since" for what never changed
    by_group: dict[tuple, Restore] = field(default_factory=dict)
    by_member: dict[tuple, Restore] = field(default_factory=dict)  # (group key, prefix key)
    lost_on: dict[int, Loss] = field(default_factory=dict)  # oif -> the last loss through it
    refused: dict[tuple, tuple[float, str]] = field(default_factory=dict)  # group key -> (at, error)

    @staticmethod
    def key(g: RouteGroup) -> tuple:
        return (g.version, g.nexthop, g.ifindex, g.metric, g.prefsrc, g.onlink)

    def restored(self, g: RouteGroup, keys: list[int] | None, r: Restore) -> None:
        """`keys`: the members sent singly (None: the whole group or most of it, vectorised)."""
        gk = self.key(g)
        if keys is None:
            self.by_group[gk] = r
        else:
            for k in keys:
                self.by_member[(gk, k)] = r
        self.refused.pop(gk, None)

    def refuse(self, g: RouteGroup, at: float, error: str) -> None:
        self.refused[self.key(g)] = (at, error)

    def lost(self, oif: int, loss: Loss) -> None:
        self.lost_on[oif] = loss

    def last_restore(self, g: RouteGroup, k: int) -> Restore | None:
        gk = self.key(g)
        one, whole = self.by_member.get((gk, k)), self.by_group.get(gk)
        if one is None or whole is None:
            return one or whole
        return one if one.at >= whole.at else whole

    def loss_after(self, restore: Restore | None) -> Loss | None:
        """The loss that took a route restored by `restore` (on its interface, after it)."""
        if restore is None:
            return None
        loss = self.lost_on.get(restore.oif)
        return loss if loss is not None and loss.at >= restore.at else None
