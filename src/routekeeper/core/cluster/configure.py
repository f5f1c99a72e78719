"""Building a cluster: adding nodes, networks, adapters, groups and IP Address resources.

Each addition is checked in full first (raising ClusterRefused, changing nothing), then recorded as
one step of the cluster's journal. Adding changes no address on any node: resources are added offline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from routekeeper.core.cluster.errors import ClusterError, ClusterRefused
from routekeeper.core.cluster.events import ClusterEvent, ClusterKind
from routekeeper.core.cluster.members import Group, IPProperties, IPResource, Network, Node
from routekeeper.core.cluster.placement import candidates
from routekeeper.core.cluster.state import ClusterState
from routekeeper.core.cluster.validation import check_name, resolve_adapter, validate_properties
from routekeeper.core.host import Host
from routekeeper.core.values import Prefix


# ---------------------------------------------------------------------- nodes
def add_node(cluster: ClusterState, name: str, host: Host) -> list[ClusterEvent]:
    """Add a node whose stack is `host` (a full host with its own profile and interfaces)."""
    check_name(name, "node")
    if any(n.lower() == name.lower() for n in cluster.nodes):
        raise ClusterRefused(ClusterError.EXISTS, f"the cluster already has a node named {name!r}")
    node_id = max((n.node_id for n in cluster.nodes.values()), default=0) + 1
    return cluster.journal.run(_record_node, cluster, Node(name, host, node_id), cause=f"node {name} added")


def _record_node(cluster: ClusterState, node: Node) -> None:
    cluster.nodes[node.name] = node
    profile = f"profile {node.host.profile.name}"
    cluster.journal.emit(ClusterKind.NODE_ADDED, f"node {node.name}", profile, node=node.name)


# ---------------------------------------------------------------------- networks and adapters
def add_network(
    cluster: ClusterState, name: str, prefix: Prefix, adapters: dict[str, int | str]
) -> list[ClusterEvent]:
    """Add a cluster network; `adapters` maps nodes to the interface (index or name) on it."""
    if not name.strip():
        raise ClusterRefused(ClusterError.INVALID_PARAMETER, "a network needs a name")
    if any(n.lower() == name.lower() for n in cluster.networks):
        raise ClusterRefused(ClusterError.EXISTS, f"the cluster already has a network named {name!r}")
    if prefix.version != 4:
        raise ClusterRefused(
            ClusterError.INVALID_PARAMETER, "IP Address resources are IPv4: give an IPv4 subnet"
        )
    if prefix.length in (0, 32):
        raise ClusterRefused(ClusterError.INVALID_PARAMETER, f"{prefix} is not a usable subnet")
    for other in cluster.networks.values():
        if other.prefix.covers(prefix) or prefix.covers(other.prefix):
            raise ClusterRefused(
                ClusterError.INVALID_PARAMETER,
                f"subnet {prefix} overlaps network {other.name!r} ({other.prefix})",
            )
    resolved: dict[str, int] = {}
    for node_name, adapter in adapters.items():
        node = cluster.node(node_name)
        resolved[node.name] = resolve_adapter(node, adapter)
    network = Network(name, prefix, resolved)
    return cluster.journal.run(_record_network, cluster, network, cause=f"network {name} added")


def _record_network(cluster: ClusterState, network: Network) -> None:
    cluster.networks[network.name] = network
    where = ", ".join(f"{n} interface {i}" for n, i in network.adapters.items()) or "no adapters"
    cluster.journal.emit(ClusterKind.NETWORK_ADDED, f"network {network.name}", f"{network.prefix} on {where}")


def add_adapters(
    cluster: ClusterState, network: str, adapters: dict[str, int | str], remap: bool = False
) -> list[ClusterEvent]:
    """Map an existing network to adapters of nodes (typically a node that joined after the network
    was added); all or nothing.

    Each node must exist and have the interface (index, or name resolved to its index now). A node
    that already reaches the network keeps its adapter: mapping it to the same interface again
    changes nothing, mapping it to another one is refused unless `remap`, and a remap is refused
    while a resource's address on that network is online on the node (take its group elsewhere or
    offline first). Adding an adapter changes no address: it only lets the node host the network's
    resources from now on (a failed group comes online with `group G /online`).
    """
    net = cluster.network(network)
    if not adapters:
        raise ClusterRefused(ClusterError.INVALID_PARAMETER, "give at least one NODE=INTERFACE")
    changes: dict[str, tuple[int | None, int]] = {}
    for node_name, adapter in adapters.items():
        node = cluster.node(node_name)
        if node.name in changes:
            raise ClusterRefused(ClusterError.INVALID_PARAMETER, f"node {node.name} listed twice")
        index = resolve_adapter(node, adapter)
        old = net.adapters.get(node.name)
        if old == index:
            continue
        if old is not None and not remap:
            raise ClusterRefused(
                ClusterError.EXISTS,
                f"node {node.name} already reaches network {net.name} through interface {old}; "
                f"remap it explicitly to use interface {index}",
            )
        if old is not None:
            _refuse_remap_under_online_resource(cluster, net, node.name, old)
        changes[node.name] = (old, index)
    if not changes:
        return []
    cause = f"network {net.name} mapped to adapters of {', '.join(changes)}"
    return cluster.journal.run(_record_adapters, cluster, net, changes, cause=cause)


def _refuse_remap_under_online_resource(cluster: ClusterState, net: Network, node: str, old: int) -> None:
    for r in cluster.resources.values():
        pl = r.plumbed
        if pl is None or pl.node != node:
            continue
        if r.properties.network == net.name or pl.ifindex == old:
            raise ClusterRefused(
                ClusterError.RESOURCE_ONLINE,
                f"resource {r.name} is online on {node} with address {pl.ip} on "
                f"interface {pl.ifindex} (network {net.name}); move group {r.group} or take it "
                "offline before remapping the adapter",
            )


def _record_adapters(cluster: ClusterState, net: Network, changes: dict[str, tuple[int | None, int]]) -> None:
    for node, (old, index) in changes.items():
        net.adapters[node] = index
        iface = cluster.nodes[node].host.interfaces[index]
        shown = f'{node} interface {index} ("{iface.name}")'
        if old is None:
            cluster.journal.emit(ClusterKind.ADAPTER_ADDED, f"network {net.name}", f"on {shown}", node=node)
        else:
            cluster.journal.emit(
                ClusterKind.ADAPTER_CHANGED, f"network {net.name}", f"on {shown}, was interface {old}",
                node=node,
            )  # fmt: skip
    # Adapters in the order the nodes joined, as the store reads them back.
    net.adapters = {n: net.adapters[n] for n in cluster.nodes if n in net.adapters}


# ---------------------------------------------------------------------- groups and resources
def add_group(
    cluster: ClusterState, name: str, preferred: Iterable[str], possible: Iterable[str] | None = None
) -> list[ClusterEvent]:
    """Add a group, owned by its first preferred node that is up (or the first node that is)."""
    if not name.strip():
        raise ClusterRefused(ClusterError.INVALID_PARAMETER, "a group needs a name")
    if any(g.lower() == name.lower() for g in cluster.groups):
        raise ClusterRefused(ClusterError.EXISTS, f"the cluster already has a group named {name!r}")
    if not cluster.nodes:
        raise ClusterRefused(ClusterError.NODE_NOT_FOUND, "the cluster has no nodes yet; add nodes first")
    pref = cluster.node_list(preferred)
    poss = cluster.node_list(possible) if possible is not None else None
    if poss is not None and not poss:
        raise ClusterRefused(ClusterError.INVALID_PARAMETER, "a group needs at least one possible owner")
    group = Group(name, pref, None, poss)
    owner = next(iter(candidates(cluster, group, exclude=None, take_paused=True)), None)
    if owner is None:
        owner = pref[0] if pref else next(iter(cluster.nodes))
    group.owner = owner
    return cluster.journal.run(_record_group, cluster, group, cause=f"group {name} added")


def _record_group(cluster: ClusterState, group: Group) -> None:
    cluster.groups[group.name] = group
    cluster.journal.emit(
        ClusterKind.GROUP_ADDED,
        f"group {group.name}",
        f"owner {group.owner}, preferred {','.join(group.preferred) or '(none)'}",
        group=group.name,
    )


def add_ip_resource(
    cluster: ClusterState,
    name: str,
    group: str,
    properties: IPProperties,
    possible: Iterable[str] | None = None,
) -> list[ClusterEvent]:
    """Add an IP Address resource (offline) to a group, validating its private properties."""
    if not name.strip():
        raise ClusterRefused(ClusterError.INVALID_PARAMETER, "a resource needs a name")
    if any(r.lower() == name.lower() for r in cluster.resources):
        raise ClusterRefused(ClusterError.EXISTS, f"the cluster already has a resource named {name!r}")
    g = cluster.group(group)
    net = cluster.network(properties.network)
    properties = replace(properties, network=net.name)
    validate_properties(properties, net, cluster.resources.values(), resource=None)
    poss = cluster.node_list(possible) if possible is not None else None
    if poss is not None and not poss:
        raise ClusterRefused(ClusterError.INVALID_PARAMETER, "a resource needs at least one possible owner")
    res = IPResource(name, g.name, properties, possible=poss)
    return cluster.journal.run(_record_resource, cluster, res, cause=f"resource {name} added")


def _record_resource(cluster: ClusterState, res: IPResource) -> None:
    cluster.resources[res.name] = res
    p = res.properties
    cluster.journal.emit(
        ClusterKind.RESOURCE_ADDED,
        f"resource {res.name}",
        f"IP Address {p.address}/{p.length} on network {p.network} in group {res.group}",
        group=res.group,
        resource=res.name,
    )
