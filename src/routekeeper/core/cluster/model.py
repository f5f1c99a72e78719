"""Failover clusters: nodes (each a full `Host`), cluster networks, groups and IP Address resources.

The defect report's second trigger is a cluster one: when a group holding an IP Address resource leaves
a node, the resource going offline deletes its address there, and the pre-hotfix stack takes the node's
unbound manual routes with it. So a `Cluster` never changes routes itself: every cluster operation is
carried out as the address changes it implies (`AddAddress` / `DeleteAddress`, skipassource=False,
store=ACTIVE) on the nodes involved, and each node's own profile decides what its routes do. The
cluster only decides *where* addresses go (owners, failover order, node states) and records it.

Like `Host.apply`, `Cluster.apply` validates first and mutates after: every check a node could refuse
is made on a plan before any node is touched, so a refused operation leaves the cluster as it was.
Pure: no I/O, no clock (the history is ordered by sequence numbers; the store adds timestamps).

`Cluster` is the public face; the work is done by configure (building it), placement (where groups
may go), plumbing (addresses on the nodes' hosts), handlers (one per operation) and journal (history).
"""

from __future__ import annotations

from collections.abc import Iterable

from routekeeper.core.cluster import configure
from routekeeper.core.cluster.events import ClusterEvent
from routekeeper.core.cluster.handlers import HANDLERS
from routekeeper.core.cluster.journal import Journal
from routekeeper.core.cluster.members import Group, IPProperties, IPResource, Network, Node
from routekeeper.core.cluster.operations import ClusterOperation, describe_operation
from routekeeper.core.cluster.placement import can_host
from routekeeper.core.cluster.state import ClusterState
from routekeeper.core.cluster.validation import validate_properties
from routekeeper.core.cluster.whatif import WhatIf
from routekeeper.core.host import Host
from routekeeper.core.values import Prefix

__all__ = ["Cluster", "WhatIf"]


class Cluster(ClusterState):
    """A failover cluster. Nodes are full hosts; the cluster moves resource addresses between them."""

    # ------------------------------------------------------------------ setup
    def add_node(self, name: str, host: Host) -> list[ClusterEvent]:
        """Add a node whose stack is `host` (a full host with its own profile and interfaces)."""
        return configure.add_node(self, name, host)

    def add_network(self, name: str, prefix: Prefix, adapters: dict[str, int | str]) -> list[ClusterEvent]:
        """Add a cluster network; `adapters` maps nodes to the interface (index or name) on it."""
        return configure.add_network(self, name, prefix, adapters)

    def add_adapter(
        self, network: str, node: str, adapter: int | str, remap: bool = False
    ) -> list[ClusterEvent]:
        """Map an existing cluster network to an adapter (interface index or name) of `node`."""
        return self.add_adapters(network, {node: adapter}, remap=remap)

    def add_adapters(
        self, network: str, adapters: dict[str, int | str], remap: bool = False
    ) -> list[ClusterEvent]:
        """Map an existing network to adapters of nodes, all or nothing (see `configure.add_adapters`)."""
        return configure.add_adapters(self, network, adapters, remap=remap)

    def add_group(
        self, name: str, preferred: Iterable[str], possible: Iterable[str] | None = None
    ) -> list[ClusterEvent]:
        """Add a group, owned by its first preferred node that is up (or the first node that is)."""
        return configure.add_group(self, name, preferred, possible)

    def add_ip_resource(
        self, name: str, group: str, properties: IPProperties, possible: Iterable[str] | None = None
    ) -> list[ClusterEvent]:
        """Add an IP Address resource (offline) to a group, validating its private properties."""
        return configure.add_ip_resource(self, name, group, properties, possible)

    # ------------------------------------------------------------------ validation
    def validate_properties(self, p: IPProperties, resource: str | None) -> None:
        """Clear errors for private properties that cannot work (raises ClusterRefused)."""
        validate_properties(p, self.network(p.network), self.resources.values(), resource)

    def can_host(self, node: str, group: Group, online_only: bool = True) -> str | None:
        """Why `node` cannot own `group` (None if it can). With `online_only`, a missing adapter
        matters only for resources that are to be online."""
        return can_host(self, node, group, online_only)

    # ------------------------------------------------------------------ applying operations
    def apply(self, operation: ClusterOperation) -> list[ClusterEvent]:
        """Carry out one operation on the cluster and its nodes; returns the events (also appended to
        `history`). Raises ClusterRefused, changing nothing."""
        handler = HANDLERS[type(operation)]
        return self.journal.run(handler, self, operation, cause=describe_operation(operation))

    # ------------------------------------------------------------------ what if
    def clone(self) -> Cluster:
        """A deep copy: every node's host rebuilt from its state, so nothing is shared."""
        c = Cluster(self.name)
        for n in self.nodes.values():
            c.nodes[n.name] = Node(n.name, n.host.copy(), n.node_id, n.state)
        for net in self.networks.values():
            c.networks[net.name] = Network(net.name, net.prefix, dict(net.adapters))
        for g in self.groups.values():
            possible = list(g.possible) if g.possible is not None else None
            c.groups[g.name] = Group(g.name, list(g.preferred), g.owner, possible, g.online)
        for r in self.resources.values():
            possible = list(r.possible) if r.possible is not None else None
            c.resources[r.name] = IPResource(r.name, r.group, r.properties, r.state, possible, r.plumbed)
        c.journal = Journal(list(self.history), self.step, self.next_seq)
        return c

    def whatif(self, operation: ClusterOperation) -> WhatIf:
        """What `operation` would do, applied to a copy; this cluster is untouched.

        Raises ClusterRefused if the operation would be refused.
        """
        copy = self.clone()
        events = copy.apply(operation)
        return WhatIf(operation, events, copy)
