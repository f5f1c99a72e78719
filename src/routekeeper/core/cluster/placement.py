"""Where groups may go: which nodes can host a group, in what failover order, and which target an
operation names. Decisions only: these read the cluster's members and change nothing. `live_owner`,
`target_node` and `require_can_host` raise ClusterRefused where the answer is a refusal.
"""

from __future__ import annotations

from collections.abc import Iterator

from routekeeper.core.cluster.errors import ClusterError, ClusterRefused
from routekeeper.core.cluster.members import Group, IPResource, NodeState, ResourceState
from routekeeper.core.cluster.state import ClusterState


def can_host(cluster: ClusterState, node: str, group: Group, online_only: bool = True) -> str | None:
    """Why `node` cannot own `group` (None if it can). With `online_only`, a missing adapter
    matters only for resources that are to be online."""
    if group.possible is not None and node not in group.possible:
        return f"{node} is not a possible owner of group {group.name}"
    for r in cluster.resources_of(group.name):
        if r.possible is not None and node not in r.possible:
            return f"{node} is not a possible owner of resource {r.name}"
        if online_only and r.state is ResourceState.OFFLINE:
            continue
        net = cluster.networks[r.properties.network]
        if node not in net.adapters:
            return f"{node} has no adapter on network {net.name} (resource {r.name})"
        if net.adapters[node] not in cluster.nodes[node].host.interfaces:
            return f"{node} has no interface {net.adapters[node]} for network {net.name}"
    return None


def failover_order(cluster: ClusterState, group: Group) -> list[str]:
    """Preferred owners in order, then the other nodes in the order they joined."""
    order = [n for n in group.preferred if n in cluster.nodes]
    return order + [n for n in cluster.nodes if n not in order]


def candidates(
    cluster: ClusterState, group: Group, exclude: str | None, take_paused: bool = False
) -> Iterator[str]:
    """Nodes that may take `group`, best first: preferred owners in order, then the others in
    the order they joined; only nodes that are up (and not paused) and can host it."""
    for name in failover_order(cluster, group):
        state = cluster.nodes[name].state
        if name == exclude or state is NodeState.DOWN:
            continue
        if state is NodeState.PAUSED and not take_paused:
            continue
        if can_host(cluster, name, group) is None:
            yield name


def passed_over(
    cluster: ClusterState, group: Group, exclude: str, target: str | None
) -> list[tuple[str, str]]:
    """Nodes that are up (not paused) which failover passed over before reaching `target` (every
    one of them when there is none), each with why it cannot host `group`."""
    out = []
    for name in failover_order(cluster, group):
        if name == target:
            break
        if name == exclude or cluster.nodes[name].state is not NodeState.UP:
            continue
        why = can_host(cluster, name, group)
        if why is not None:
            out.append((name, why))
    return out


def live_owner(cluster: ClusterState, g: Group) -> str:
    """The owner of `g`, refused if it is down."""
    if g.owner is None or cluster.nodes[g.owner].state is NodeState.DOWN:
        raise ClusterRefused(ClusterError.NODE_DOWN, f"the owner of group {g.name} ({g.owner}) is down")
    return g.owner


def target_node(cluster: ClusterState, g: Group, node: str, moving: bool) -> str:
    """The node an operation names for `g`: refused if down, or paused when `g` would move there."""
    n = cluster.node(node)
    if n.state is NodeState.DOWN:
        raise ClusterRefused(ClusterError.NODE_DOWN, f"node {n.name} is down")
    if moving and n.state is NodeState.PAUSED and n.name != g.owner:
        raise ClusterRefused(ClusterError.NODE_PAUSED, f"node {n.name} is paused: it takes no groups")
    return n.name


def require_can_host(cluster: ClusterState, node: str, g: Group, resources: list[IPResource]) -> None:
    """Refuse unless `node` is a possible owner of `g` and of all its resources, and has the adapter
    for each of `resources` (the ones to be online there)."""
    if g.possible is not None and node not in g.possible:
        raise ClusterRefused(
            ClusterError.NOT_POSSIBLE_OWNER, f"{node} is not a possible owner of group {g.name}"
        )
    for r in cluster.resources_of(g.name):
        if r.possible is not None and node not in r.possible:
            raise ClusterRefused(
                ClusterError.NOT_POSSIBLE_OWNER, f"{node} is not a possible owner of resource {r.name}"
            )
    for r in resources:
        net = cluster.networks[r.properties.network]
        ifindex = net.adapters.get(node)
        if ifindex is None:
            raise ClusterRefused(
                ClusterError.CANT_HOST, f"{node} has no adapter on network {net.name} (resource {r.name})"
            )
        if ifindex not in cluster.nodes[node].host.interfaces:
            raise ClusterRefused(
                ClusterError.CANT_HOST, f"{node} has no interface {ifindex} for network {net.name}"
            )
