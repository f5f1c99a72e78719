"""How each cluster operation is carried out: one handler per operation type, in `HANDLERS`.

A handler validates first and mutates after: every check a node could refuse is made on a plan
(`plumbing.check_plan`) before any node is touched, so a refused operation (ClusterRefused) leaves
the cluster as it was. Handlers run inside the cluster's journal (`Cluster.apply`), which records
their events as one step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from routekeeper.core import operations as op
from routekeeper.core.cluster.errors import ClusterError, ClusterRefused
from routekeeper.core.cluster.events import ClusterKind
from routekeeper.core.cluster.members import Group, NodeState, ResourceState
from routekeeper.core.cluster.operations import (
    FailNode,
    MoveGroup,
    OfflineGroup,
    OfflineResource,
    OnlineGroup,
    OnlineResource,
    PauseNode,
    RestoreNode,
    ResumeNode,
    SetPossibleOwners,
    SetPreferredOwners,
    SetResourceProperties,
)
from routekeeper.core.cluster.placement import (
    can_host,
    candidates,
    live_owner,
    passed_over,
    require_can_host,
    target_node,
)
from routekeeper.core.cluster.plumbing import (
    PlumbingStep,
    add_step,
    addable,
    check_plan,
    execute,
    on_node,
    remove_steps,
)
from routekeeper.core.cluster.state import ClusterState
from routekeeper.core.cluster.validation import validate_properties


# ---------------------------------------------------------------------- resources and groups
def online_resource(cluster: ClusterState, o: OnlineResource) -> None:
    r = cluster.resource(o.resource)
    if r.state is ResourceState.ONLINE:
        return
    g = cluster.groups[r.group]
    owner = live_owner(cluster, g)
    require_can_host(cluster, owner, g, [r])
    plan = [add_step(cluster, r, owner, f"resource {r.name} online on {owner}")]
    check_plan(cluster, plan)
    execute(cluster, plan)


def offline_resource(cluster: ClusterState, o: OfflineResource) -> None:
    r = cluster.resource(o.resource)
    if r.state is ResourceState.OFFLINE:
        return
    plan = remove_steps([r], f"resource {r.name} offline")
    check_plan(cluster, plan)
    execute(cluster, plan)
    cluster.set_resource_state(r, ResourceState.OFFLINE, "taken offline")


def online_group(cluster: ClusterState, o: OnlineGroup) -> None:
    g = cluster.group(o.group)
    target = target_node(cluster, g, o.node, moving=o.node is not None) if o.node else None
    if target is None:
        owner_state = cluster.nodes[g.owner].state if g.owner else NodeState.DOWN
        if owner_state is NodeState.DOWN:
            target = next(candidates(cluster, g, exclude=None), None)
            if target is None:
                raise ClusterRefused(
                    ClusterError.NO_NODE_AVAILABLE,
                    f"no node that is up and not paused can take group {g.name}",
                )
        else:
            target = g.owner
    assert target is not None
    moving = target != g.owner
    todo = [r for r in cluster.resources_of(g.name) if r.state is not ResourceState.ONLINE]
    online = [r for r in cluster.resources_of(g.name) if r.state is ResourceState.ONLINE]
    plan: list[PlumbingStep] = []
    if moving:
        plan += remove_steps(online, f"group {g.name} moving to {target}")
        todo = online + todo
    require_can_host(cluster, target, g, todo)
    plan += [add_step(cluster, r, target, f"group {g.name} online on {target}") for r in todo]
    check_plan(cluster, plan)
    if moving:
        execute(cluster, [s for s in plan if s.action == "remove"])
        cluster.set_owner(g, target, "brought online there")
        plan = [s for s in plan if s.action == "add"]
    execute(cluster, plan)
    if not g.online:
        g.online = True
        cluster.journal.emit(ClusterKind.GROUP_STATE, f"group {g.name}", "online", group=g.name, node=g.owner)


def offline_group(cluster: ClusterState, o: OfflineGroup) -> None:
    g = cluster.group(o.group)
    resources = cluster.resources_of(g.name)
    plan = remove_steps(resources, f"group {g.name} offline")
    check_plan(cluster, plan)
    execute(cluster, plan)
    for r in resources:
        if r.state in (ResourceState.FAILED, ResourceState.ONLINE):
            cluster.set_resource_state(r, ResourceState.OFFLINE, "taken offline")
    if g.online:
        g.online = False
        cluster.journal.emit(
            ClusterKind.GROUP_STATE, f"group {g.name}", "offline", group=g.name, node=g.owner
        )


def move_group(cluster: ClusterState, o: MoveGroup) -> None:
    g = cluster.group(o.group)
    if o.node is not None:
        target = target_node(cluster, g, o.node, moving=True)
    else:
        found = next(candidates(cluster, g, exclude=g.owner), None)
        if found is None:
            raise ClusterRefused(
                ClusterError.NO_NODE_AVAILABLE,
                f"no other node that is up and not paused can take group {g.name}",
            )
        target = found
    if target == g.owner:
        return
    online = [r for r in cluster.resources_of(g.name) if r.state is ResourceState.ONLINE]
    require_can_host(cluster, target, g, online)
    why = f"group {g.name} moving from {g.owner} to {target}"
    plan = remove_steps(online, why)
    plan += [add_step(cluster, r, target, why) for r in online]
    check_plan(cluster, plan)
    execute(cluster, [s for s in plan if s.action == "remove"])
    cluster.set_owner(g, target, f"moved from {g.owner}")
    execute(cluster, [s for s in plan if s.action == "add"])


# ---------------------------------------------------------------------- nodes
def pause_node(cluster: ClusterState, o: PauseNode) -> None:
    n = cluster.node(o.node)
    if n.state is NodeState.DOWN:
        raise ClusterRefused(ClusterError.NODE_DOWN, f"node {n.name} is down")
    if n.state is NodeState.PAUSED:
        return
    cluster.set_node_state(n, NodeState.PAUSED, "paused by administrator: it takes no groups")


def resume_node(cluster: ClusterState, o: ResumeNode) -> None:
    n = cluster.node(o.node)
    if n.state is not NodeState.PAUSED:
        raise ClusterRefused(ClusterError.NODE_NOT_PAUSED, f"node {n.name} is not paused")
    cluster.set_node_state(n, NodeState.UP, "resumed by administrator")


def fail_node(cluster: ClusterState, o: FailNode) -> None:
    """The node's addresses go with it; each group it owned fails over to the best node that can
    host it, and the resources none can bring online are Failed."""
    n = cluster.node(o.node)
    if n.state is NodeState.DOWN:
        raise ClusterRefused(ClusterError.NODE_ALREADY_DOWN, f"node {n.name} is already down")
    owned = [g for g in cluster.groups.values() if g.owner == n.name]
    lost = [r for r in cluster.resources.values() if r.plumbed is not None and r.plumbed.node == n.name]
    removals = remove_steps(lost, f"node {n.name} failed: its resource addresses went with it")
    check_plan(cluster, removals)
    previous = n.state
    n.state = NodeState.DOWN  # so that failover never picks it
    targets: dict[str, str | None] = {}
    skipped: dict[str, list[tuple[str, str]]] = {}
    adds: list[PlumbingStep] = []
    for g in owned:
        target = next(candidates(cluster, g, exclude=n.name), None)
        targets[g.name] = target
        skipped[g.name] = passed_over(cluster, g, n.name, target)
        if target is None:
            continue
        for r in cluster.resources_of(g.name):
            if r.state is ResourceState.ONLINE and addable(cluster, r, target, adds, removals):
                adds.append(add_step(cluster, r, target, f"group {g.name} failed over from {n.name}"))
    n.state = previous
    check_plan(cluster, removals + adds)
    cluster.set_node_state(n, NodeState.DOWN, "node failed")
    execute(cluster, removals)
    for g in owned:
        for node, why in skipped[g.name]:
            cluster.journal.emit(
                ClusterKind.FAILOVER_SKIPPED, f"group {g.name}", why, node=node, group=g.name
            )
        target = targets[g.name]
        if target is not None:
            cluster.set_owner(g, target, f"failover: node {n.name} failed")
        planned = {s.resource for s in adds}
        for r in cluster.resources_of(g.name):
            if r.state is ResourceState.ONLINE and r.name not in planned:
                why = f"node {n.name} failed and no node that is up and not paused could take it"
                if target is not None:
                    why = f"node {n.name} failed and {target} could not bring it online"
                cluster.set_resource_state(r, ResourceState.FAILED, why)
    execute(cluster, adds)


def restore_node(cluster: ClusterState, o: RestoreNode) -> None:
    """The node's host boots; groups that failed for want of a node come online now if they can."""
    n = cluster.node(o.node)
    if n.state is not NodeState.DOWN:
        raise ClusterRefused(ClusterError.NODE_ALREADY_UP, f"node {n.name} is already up")
    cluster.set_node_state(n, NodeState.UP, "node returned")
    on_node(cluster, n.name, op.Reboot(), cause=f"node {n.name} returned: its host boots")
    adds: list[PlumbingStep] = []
    moves: list[tuple[Group, str]] = []
    for g in cluster.groups.values():
        failed = [r for r in cluster.resources_of(g.name) if r.state is ResourceState.FAILED]
        owner_state = cluster.nodes[g.owner].state if g.owner else NodeState.DOWN
        if not failed or (g.owner != n.name and owner_state is not NodeState.DOWN):
            continue
        if g.owner == n.name and can_host(cluster, n.name, g) is None:
            target: str | None = n.name
        else:
            target = next(candidates(cluster, g, exclude=None), None)
        if target is None:
            continue
        if target != g.owner:
            moves.append((g, target))
        for r in failed:
            if addable(cluster, r, target, adds, []):
                adds.append(add_step(cluster, r, target, f"group {g.name} restarted on {target}"))
    check_plan(cluster, adds)
    for g, target in moves:
        cluster.set_owner(g, target, f"node {n.name} returned: failed group restarted")
    execute(cluster, adds)


# ---------------------------------------------------------------------- properties and owners
def set_resource_properties(cluster: ClusterState, o: SetResourceProperties) -> None:
    r = cluster.resource(o.resource)
    net = cluster.network(o.properties.network)
    p = replace(o.properties, network=net.name)
    validate_properties(p, net, cluster.resources.values(), resource=r.name)
    if p == r.properties:
        return
    r.properties = p
    pending = " (stored; takes effect the next time the resource comes online)" if r.plumbed else ""
    shown = ", ".join(f"{k}={v}" for k, v in p.as_pairs())
    cluster.journal.emit(
        ClusterKind.PROPERTIES, f"resource {r.name}", shown + pending, resource=r.name, group=r.group
    )


def set_preferred_owners(cluster: ClusterState, o: SetPreferredOwners) -> None:
    g = cluster.group(o.group)
    nodes = cluster.node_list(o.nodes)
    g.preferred = nodes
    shown = ",".join(nodes) or "(none)"
    cluster.journal.emit(ClusterKind.OWNERS, f"group {g.name}", f"preferred owners {shown}", group=g.name)


def set_possible_owners(cluster: ClusterState, o: SetPossibleOwners) -> None:
    r = cluster.resource(o.resource)
    nodes = cluster.node_list(o.nodes) if o.nodes is not None else None
    if nodes is not None and not nodes:
        raise ClusterRefused(ClusterError.INVALID_PARAMETER, "a resource needs at least one possible owner")
    if nodes is not None and r.plumbed is not None and r.plumbed.node not in nodes:
        raise ClusterRefused(
            ClusterError.INVALID_PARAMETER,
            f"resource {r.name} is online on {r.plumbed.node}, which must stay a possible owner",
        )
    r.possible = nodes
    shown = ",".join(nodes) if nodes is not None else "(every node)"
    cluster.journal.emit(
        ClusterKind.OWNERS, f"resource {r.name}", f"possible owners {shown}", resource=r.name
    )


HANDLERS: dict[type, Callable[[ClusterState, Any], None]] = {
    OnlineResource: online_resource,
    OfflineResource: offline_resource,
    OnlineGroup: online_group,
    OfflineGroup: offline_group,
    MoveGroup: move_group,
    PauseNode: pause_node,
    ResumeNode: resume_node,
    FailNode: fail_node,
    RestoreNode: restore_node,
    SetResourceProperties: set_resource_properties,
    SetPreferredOwners: set_preferred_owners,
    SetPossibleOwners: set_possible_owners,
}
