"""What-if reports: what a cluster operation would do, tried on a copy of the cluster.

`Cluster.whatif` applies the operation to a clone and hands back a `WhatIf`: the operation, the
events it caused, and the clone (`after`, a `Cluster`) in its final state; the report reads node
events from them, per node, and says which manual routes leave or return to an active table.
"""

from __future__ import annotations

from dataclasses import dataclass

from routekeeper.core.cluster.events import ClusterEvent, ClusterKind
from routekeeper.core.cluster.operations import ClusterOperation, MoveGroup, OnlineGroup, describe_operation
from routekeeper.core.cluster.state import ClusterState
from routekeeper.core.events import Event, Kind
from routekeeper.core.values import Address, Route

_GONE = (Kind.ROUTE_WITHDRAWN, Kind.ROUTE_REMOVED)
_BACK = (Kind.ROUTE_RESTORED, Kind.ROUTE_ADDED)


@dataclass
class WhatIf:
    """The outcome of an operation tried on a copy: its events and the copy's final state."""

    operation: ClusterOperation
    events: list[ClusterEvent]
    after: ClusterState  # the clone the operation was applied to (a Cluster)

    def node_events(self) -> dict[str, list[Event]]:
        """The node events, per node, in the order the nodes joined."""
        out: dict[str, list[Event]] = {n: [] for n in self.after.nodes}
        for e in self.events:
            if e.node is not None and e.event is not None:
                out[e.node].append(e.event)
        return out

    def withdrawn(self, node: str) -> list[tuple[Route, str]]:
        """Manual routes that leave `node`'s active table, with the node's reason."""
        return [
            (e.route, e.reason)
            for e in self.node_events().get(node, [])
            if e.kind in _GONE and e.route is not None and e.route.manual
        ]

    def restored(self, node: str) -> list[tuple[Route, str]]:
        return [
            (e.route, e.reason)
            for e in self.node_events().get(node, [])
            if e.kind in _BACK and e.route is not None and e.route.manual
        ]

    def addresses(self, node: str) -> list[tuple[str, Address]]:
        return [
            ("+" if e.kind is Kind.ADDRESS_ADDED else "-", e.address)
            for e in self.node_events().get(node, [])
            if e.kind in (Kind.ADDRESS_ADDED, Kind.ADDRESS_REMOVED) and e.address is not None
        ]

    def title(self) -> str:
        """'moving group SQL to NODE2', naming the node the cluster chose when none was given."""
        o = self.operation
        text = describe_operation(o)
        if isinstance(o, MoveGroup | OnlineGroup) and o.node is None:
            owner = self.after.group(o.group).owner
            text += f" to {owner}" if isinstance(o, MoveGroup) else f" on {owner}"
        return text

    def lines(self) -> list[str]:
        """The report: per node, addresses and manual routes that change, each with its reason."""
        out: list[str] = []
        title = self.title()
        total = 0
        for node in self.after.nodes:
            gone, back, addrs = self.withdrawn(node), self.restored(node), self.addresses(node)
            notes = [e for e in self.events if e.node == node and e.kind is ClusterKind.NODE_STATE]
            if not (gone or back or addrs or notes):
                continue
            out.append(f"{node}:")
            for e in notes:
                out.append(f"  node {e.reason}")
            for sign, a in addrs:
                out.append(f"  {sign} address {a} on interface {a.ifindex}")
            if gone:
                out.append(f"  {title} withdraws these routes on {node}:")
                out += [f"    - {r.describe()}: {why}" for r, why in gone]
            if back:
                out.append(f"  {title} puts these routes back on {node}:")
                out += [f"    + {r.describe()}: {why}" for r, why in back]
            if not (gone or back):
                out.append("  manual routes: unchanged")
            total += len(gone)
        shown = (ClusterKind.FAILOVER_SKIPPED, ClusterKind.GROUP_OWNER, ClusterKind.RESOURCE_STATE)
        head = [f"What if: {title} (nothing was changed)"]
        for e in self.events:
            if e.kind is ClusterKind.FAILOVER_SKIPPED:
                head.append(f"  {e.subject}: failover skips {e.node}: {e.reason}")
            elif e.kind in shown:
                head.append(f"  {e.subject}: {e.reason}")
        if not out:
            out.append("No node's addresses or routes would change.")
        if total:
            out.append(f"{total} manual route(s) would leave an active table.")
        return head + out
