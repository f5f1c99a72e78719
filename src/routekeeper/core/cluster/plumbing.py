"""IP Address resources on the nodes' hosts: planning the address changes, and carrying them out.

A cluster never changes routes itself: a resource coming online is an `AddAddress` (skipassource=False,
store=ACTIVE) on the node's host, going offline a `DeleteAddress`, and each node's own profile decides
what its routes do. An operation is first planned as `PlumbingStep`s and the whole plan checked against a
simulation of the addresses it touches (`check_plan`), so that no node refuses halfway through.
"""

from __future__ import annotations

from dataclasses import dataclass

from routekeeper.core import operations as op
from routekeeper.core.cluster.errors import ClusterError, ClusterRefused
from routekeeper.core.cluster.events import ClusterKind
from routekeeper.core.cluster.members import IPResource, Plumbed, ResourceState
from routekeeper.core.cluster.placement import require_can_host
from routekeeper.core.cluster.state import ClusterState
from routekeeper.core.operations import Refused
from routekeeper.core.values import IP, AddressStore


@dataclass(frozen=True, slots=True)
class PlumbingStep:
    """One planned address change on one node."""

    action: str  # "add" or "remove"
    resource: str
    node: str
    ifindex: int
    ip: IP
    length: int
    cause: str


def add_step(cluster: ClusterState, r: IPResource, node: str, cause: str) -> PlumbingStep:
    """Plumb `r`'s configured address on `node`, on its adapter to the resource's network."""
    p = r.properties
    ifindex = cluster.networks[p.network].adapters[node]
    return PlumbingStep("add", r.name, node, ifindex, p.address, p.length, cause)


def remove_steps(resources: list[IPResource], cause: str) -> list[PlumbingStep]:
    """Unplumb each of `resources` that is plumbed, from where it actually is."""
    steps = []
    for r in resources:
        if r.plumbed is not None:
            pl = r.plumbed
            steps.append(PlumbingStep("remove", r.name, pl.node, pl.ifindex, pl.ip, pl.length, cause))
    return steps


def check_plan(cluster: ClusterState, plan: list[PlumbingStep]) -> None:
    """Refuse now anything a node would refuse later: the plan runs against a simulation of the
    addresses it touches, so a cluster operation is all or nothing."""
    present: dict[tuple[str, IP], set[int]] = {}

    def where(node: str, ip: IP) -> set[int]:
        key = (node, ip)
        if key not in present:
            host = cluster.nodes[node].host
            present[key] = {a.ifindex for a in host.all_addresses() if a.ip == ip}
        return present[key]

    for s in plan:
        if s.action == "remove":
            where(s.node, s.ip).discard(s.ifindex)
            continue
        host = cluster.nodes[s.node].host
        if s.ifindex not in host.interfaces:
            raise ClusterRefused(ClusterError.CANT_HOST, f"{s.node} has no interface {s.ifindex}")
        for node in cluster.nodes:
            if where(node, s.ip):
                holder = "" if node == s.node else f" on {node}"
                raise ClusterRefused(
                    ClusterError.ADDRESS_IN_USE,
                    f"address {s.ip} of resource {s.resource} is already in use{holder}",
                )
        where(s.node, s.ip).add(s.ifindex)


def addable(
    cluster: ClusterState, r: IPResource, node: str, adds: list[PlumbingStep], removals: list[PlumbingStep]
) -> bool:
    """Can `r` come online on `node` after the planned steps (used where failure is an outcome,
    failover, rather than a refusal)?"""
    try:
        require_can_host(cluster, node, cluster.groups[r.group], [r])
        check_plan(cluster, [*removals, *adds, add_step(cluster, r, node, "")])
    except ClusterRefused:
        return False
    return True


def execute(cluster: ClusterState, plan: list[PlumbingStep]) -> None:
    """Carry out a checked plan on the nodes' hosts, recording where each address now is."""
    for s in plan:
        r = cluster.resources[s.resource]
        if s.action == "remove":
            host = cluster.nodes[s.node].host
            if any(a.ip == s.ip for a in host.addresses_of(s.ifindex)):
                on_node(cluster, s.node, op.DeleteAddress(s.ifindex, s.ip), s.cause, r)
            else:
                cluster.journal.emit(
                    ClusterKind.NOTE,
                    f"address {s.ip} on interface {s.ifindex}",
                    "already gone from the node (removed outside the cluster)",
                    node=s.node,
                    resource=r.name,
                    group=r.group,
                )
            r.plumbed = None
        else:
            o = op.AddAddress(s.ifindex, s.ip, s.length, skipassource=False, store=AddressStore.ACTIVE)
            on_node(cluster, s.node, o, s.cause, r)
            r.plumbed = Plumbed(s.node, s.ifindex, s.ip, s.length)
            cluster.set_resource_state(r, ResourceState.ONLINE, f"online on {s.node}")


def on_node(
    cluster: ClusterState, node: str, operation: op.Operation, cause: str, r: IPResource | None = None
) -> None:
    """Apply `operation` to `node`'s host and record the node's events, with the cluster's cause."""
    try:
        events = cluster.nodes[node].host.apply(operation)
    except Refused as exc:  # pragma: no cover - check_plan refuses first
        raise ClusterRefused(ClusterError.NODE_REFUSED, f"node {node} refused: {exc.detail}") from None
    for e in events:
        reason = e.reason
        if r is not None and e.address is not None and e.address.ip == r.address_on(node):
            reason = cause  # the node calls it "added by administrator"; say why it happened
        group, resource = (r.group, r.name) if r is not None else (None, None)
        cluster.journal.emit_node_event(node, e, reason, cause, group=group, resource=resource)
