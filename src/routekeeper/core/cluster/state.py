"""What a cluster holds, how it is looked up, and the recorded changes of its members' states.

`ClusterState` is the cluster without its behaviour: the members (nodes, networks, groups, IP
Address resources), case-insensitive lookups the way cluster.exe resolves names, read-only queries,
and its `Journal`. The modules that decide and carry out changes (placement, plumbing, handlers,
configure) take a ClusterState; `Cluster` (model) is the ClusterState with the public operations.
"""

from __future__ import annotations

from collections.abc import Iterable

from routekeeper.core.cluster.errors import ClusterError, ClusterRefused
from routekeeper.core.cluster.events import ClusterEvent, ClusterKind
from routekeeper.core.cluster.journal import Journal
from routekeeper.core.cluster.members import Group, IPResource, Network, Node, NodeState, ResourceState
from routekeeper.core.cluster.validation import check_name
from routekeeper.core.values import IP


class ClusterState:
    """A cluster's members and history; changes to them are made through its journal."""

    def __init__(self, name: str) -> None:
        check_name(name, "cluster")
        self.name = name
        self.nodes: dict[str, Node] = {}
        self.networks: dict[str, Network] = {}
        self.groups: dict[str, Group] = {}
        self.resources: dict[str, IPResource] = {}
        self.journal = Journal()

    # ------------------------------------------------------------------ the history (kept by the journal)
    @property
    def history(self) -> list[ClusterEvent]:
        return self.journal.history

    @history.setter
    def history(self, events: list[ClusterEvent]) -> None:
        self.journal.history = events

    @property
    def step(self) -> int:
        """The number of the next change (setup steps included)."""
        return self.journal.step

    @step.setter
    def step(self, value: int) -> None:
        self.journal.step = value

    @property
    def next_seq(self) -> int:
        """The sequence number of the next event."""
        return self.journal.next_seq

    @next_seq.setter
    def next_seq(self, value: int) -> None:
        self.journal.next_seq = value

    # ------------------------------------------------------------------ lookups (case-insensitive)
    def node(self, name: str) -> Node:
        return self.nodes[_key(self.nodes, name, ClusterError.NODE_NOT_FOUND, "node")]

    def group(self, name: str) -> Group:
        return self.groups[_key(self.groups, name, ClusterError.GROUP_NOT_FOUND, "group")]

    def resource(self, name: str) -> IPResource:
        return self.resources[_key(self.resources, name, ClusterError.RESOURCE_NOT_FOUND, "resource")]

    def network(self, name: str) -> Network:
        return self.networks[_key(self.networks, name, ClusterError.NETWORK_NOT_FOUND, "network")]

    def node_list(self, names: Iterable[str]) -> list[str]:
        """The nodes `names` designate, as the cluster spells them; a node listed twice is refused."""
        out: list[str] = []
        for n in names:
            name = self.node(n).name
            if name in out:
                raise ClusterRefused(ClusterError.INVALID_PARAMETER, f"node {name} listed twice")
            out.append(name)
        return out

    # ------------------------------------------------------------------ queries
    def resources_of(self, group: str) -> list[IPResource]:
        return [r for r in self.resources.values() if r.group == group]

    def group_status(self, name: str) -> str:
        """Online, Offline, Failed or Partially Online, as cluster.exe derives it from the resources."""
        g = self.group(name)
        states = {r.state for r in self.resources_of(g.name)}
        if not states:
            return "Online" if g.online else "Offline"
        if ResourceState.FAILED in states:
            return "Failed"
        if states == {ResourceState.ONLINE}:
            return "Online"
        if states == {ResourceState.OFFLINE}:
            return "Offline"
        return "Partially Online"

    def holders(self, ip: IP) -> list[str]:
        """Nodes whose host has `ip` on any interface (one, for an online resource)."""
        return [n.name for n in self.nodes.values() if n.host.is_local(ip)]

    def address_history(self, ip: IP) -> list[ClusterEvent]:
        """Which node held `ip` when: the address events about it, in order."""
        return [
            e
            for e in self.history
            if e.event is not None and e.event.address is not None and e.event.address.ip == ip
        ]

    # ------------------------------------------------------------------ recorded changes of state
    def set_resource_state(self, r: IPResource, state: ResourceState, why: str) -> None:
        if r.state is state:
            return
        r.state = state
        where = r.plumbed.node if r.plumbed else self.groups[r.group].owner
        self.journal.emit(
            ClusterKind.RESOURCE_STATE,
            f"resource {r.name}",
            f"{state.value}: {why}",
            node=where,
            resource=r.name,
            group=r.group,
        )

    def set_owner(self, g: Group, owner: str, why: str) -> None:
        old, g.owner = g.owner, owner
        self.journal.emit(
            ClusterKind.GROUP_OWNER,
            f"group {g.name}",
            f"owner {old} -> {owner}: {why}",
            node=owner,
            group=g.name,
        )

    def set_node_state(self, n: Node, state: NodeState, why: str) -> None:
        n.state = state
        self.journal.emit(ClusterKind.NODE_STATE, f"node {n.name}", f"{state.value}: {why}", node=n.name)


def _key(table: dict, name: str, code: ClusterError, what: str) -> str:
    """The key `name` designates in `table`: itself if present, else the first match ignoring case."""
    if name in table:
        return name
    for key in table:
        if key.lower() == name.lower():
            return key
    raise ClusterRefused(code, f"no cluster {what} named {name!r}")
