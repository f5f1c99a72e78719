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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from routekeeper.core import operations as op
from routekeeper.core.cluster.errors import ClusterError, ClusterRefused
from routekeeper.core.cluster.events import ClusterEvent, ClusterKind, manual_or_address
from routekeeper.core.cluster.members import (
    Group,
    IPProperties,
    IPResource,
    Network,
    Node,
    NodeState,
    Plumbed,
    ResourceState,
)
from routekeeper.core.cluster.operations import (
    ClusterOperation,
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
    describe_operation,
)
from routekeeper.core.events import Event, Kind
from routekeeper.core.host import Host
from routekeeper.core.operations import Refused
from routekeeper.core.values import IP, Address, AddressStore, Prefix, Route, mask_length

NAME_FORBIDDEN = set('/,=\\"')


# ---------------------------------------------------------------------- the cluster
@dataclass
class _Step:
    """One planned address change on one node."""

    action: str  # "add" or "remove"
    resource: str
    node: str
    ifindex: int
    ip: IP
    length: int
    cause: str


class Cluster:
    """A failover cluster. Nodes are full hosts; the cluster moves resource addresses between them."""

    def __init__(self, name: str) -> None:
        _check_name(name, "cluster")
        self.name = name
        self.nodes: dict[str, Node] = {}
        self.networks: dict[str, Network] = {}
        self.groups: dict[str, Group] = {}
        self.resources: dict[str, IPResource] = {}
        self.history: list[ClusterEvent] = []
        self.step = 0
        self.next_seq = 1
        self._events: list[ClusterEvent] = []
        self._cause = ""

    # ------------------------------------------------------------------ lookups (case-insensitive)
    def node(self, name: str) -> Node:
        return self.nodes[self._key(self.nodes, name, ClusterError.NODE_NOT_FOUND, "node")]

    def group(self, name: str) -> Group:
        return self.groups[self._key(self.groups, name, ClusterError.GROUP_NOT_FOUND, "group")]

    def resource(self, name: str) -> IPResource:
        key = self._key(self.resources, name, ClusterError.RESOURCE_NOT_FOUND, "resource")
        return self.resources[key]

    def network(self, name: str) -> Network:
        key = self._key(self.networks, name, ClusterError.NETWORK_NOT_FOUND, "network")
        return self.networks[key]

    @staticmethod
    def _key(table: dict, name: str, code: ClusterError, what: str) -> str:
        if name in table:
            return name
        for key in table:
            if key.lower() == name.lower():
                return key
        raise ClusterRefused(code, f"no cluster {what} named {name!r}")

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

    # ------------------------------------------------------------------ setup
    def add_node(self, name: str, host: Host) -> list[ClusterEvent]:
        """Add a node whose stack is `host` (a full host with its own profile and interfaces)."""
        _check_name(name, "node")
        if any(n.lower() == name.lower() for n in self.nodes):
            raise ClusterRefused(ClusterError.EXISTS, f"the cluster already has a node named {name!r}")
        node_id = max((n.node_id for n in self.nodes.values()), default=0) + 1
        return self._run(self._add_node, name, host, node_id, cause=f"node {name} added")

    def _add_node(self, name: str, host: Host, node_id: int) -> None:
        self.nodes[name] = Node(name, host, node_id)
        self._emit(ClusterKind.NODE_ADDED, f"node {name}", f"profile {host.profile.name}", node=name)

    def add_network(self, name: str, prefix: Prefix, adapters: dict[str, int | str]) -> list[ClusterEvent]:
        """Add a cluster network; `adapters` maps nodes to the interface (index or name) on it."""
        if not name.strip():
            raise ClusterRefused(ClusterError.INVALID_PARAMETER, "a network needs a name")
        if any(n.lower() == name.lower() for n in self.networks):
            raise ClusterRefused(ClusterError.EXISTS, f"the cluster already has a network named {name!r}")
        if prefix.version != 4:
            raise ClusterRefused(
                ClusterError.INVALID_PARAMETER, "IP Address resources are IPv4: give an IPv4 subnet"
            )
        if prefix.length in (0, 32):
            raise ClusterRefused(ClusterError.INVALID_PARAMETER, f"{prefix} is not a usable subnet")
        for other in self.networks.values():
            if other.prefix.covers(prefix) or prefix.covers(other.prefix):
                raise ClusterRefused(
                    ClusterError.INVALID_PARAMETER,
                    f"subnet {prefix} overlaps network {other.name!r} ({other.prefix})",
                )
        resolved: dict[str, int] = {}
        for node_name, adapter in adapters.items():
            node = self.node(node_name)
            resolved[node.name] = _resolve_adapter(node, adapter)
        return self._run(self._add_network, Network(name, prefix, resolved), cause=f"network {name} added")

    def _add_network(self, network: Network) -> None:
        self.networks[network.name] = network
        where = ", ".join(f"{n} interface {i}" for n, i in network.adapters.items()) or "no adapters"
        self._emit(ClusterKind.NETWORK_ADDED, f"network {network.name}", f"{network.prefix} on {where}")

    def add_adapter(
        self, network: str, node: str, adapter: int | str, remap: bool = False
    ) -> list[ClusterEvent]:
        """Map an existing cluster network to an adapter (interface index or name) of `node`."""
        return self.add_adapters(network, {node: adapter}, remap=remap)

    def add_adapters(
        self, network: str, adapters: dict[str, int | str], remap: bool = False
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
        net = self.network(network)
        if not adapters:
            raise ClusterRefused(ClusterError.INVALID_PARAMETER, "give at least one NODE=INTERFACE")
        changes: dict[str, tuple[int | None, int]] = {}
        for node_name, adapter in adapters.items():
            node = self.node(node_name)
            if node.name in changes:
                raise ClusterRefused(ClusterError.INVALID_PARAMETER, f"node {node.name} listed twice")
            index = _resolve_adapter(node, adapter)
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
                for r in self.resources.values():
                    pl = r.plumbed
                    if pl is None or pl.node != node.name:
                        continue
                    if r.properties.network == net.name or pl.ifindex == old:
                        raise ClusterRefused(
                            ClusterError.RESOURCE_ONLINE,
                            f"resource {r.name} is online on {node.name} with address {pl.ip} on "
                            f"interface {pl.ifindex} (network {net.name}); move group {r.group} or take it "
                            "offline before remapping the adapter",
                        )
            changes[node.name] = (old, index)
        if not changes:
            return []
        return self._run(
            self._add_adapters,
            net,
            changes,
            cause=f"network {net.name} mapped to adapters of {', '.join(changes)}",
        )

    def _add_adapters(self, net: Network, changes: dict[str, tuple[int | None, int]]) -> None:
        for node, (old, index) in changes.items():
            net.adapters[node] = index
            iface = self.nodes[node].host.interfaces[index]
            shown = f'{node} interface {index} ("{iface.name}")'
            if old is None:
                self._emit(ClusterKind.ADAPTER_ADDED, f"network {net.name}", f"on {shown}", node=node)
            else:
                self._emit(
                    ClusterKind.ADAPTER_CHANGED, f"network {net.name}", f"on {shown}, was interface {old}",
                    node=node,
                )  # fmt: skip
        # Adapters in the order the nodes joined, as the store reads them back.
        net.adapters = {n: net.adapters[n] for n in self.nodes if n in net.adapters}

    def add_group(
        self, name: str, preferred: Iterable[str], possible: Iterable[str] | None = None
    ) -> list[ClusterEvent]:
        """Add a group, owned by its first preferred node that is up (or the first node that is)."""
        if not name.strip():
            raise ClusterRefused(ClusterError.INVALID_PARAMETER, "a group needs a name")
        if any(g.lower() == name.lower() for g in self.groups):
            raise ClusterRefused(ClusterError.EXISTS, f"the cluster already has a group named {name!r}")
        if not self.nodes:
            raise ClusterRefused(ClusterError.NODE_NOT_FOUND, "the cluster has no nodes yet; add nodes first")
        pref = self._node_list(preferred)
        poss = self._node_list(possible) if possible is not None else None
        if poss is not None and not poss:
            raise ClusterRefused(ClusterError.INVALID_PARAMETER, "a group needs at least one possible owner")
        group = Group(name, pref, None, poss)
        owner = next(iter(self._candidates(group, exclude=None, take_paused=True)), None)
        if owner is None:
            owner = pref[0] if pref else next(iter(self.nodes))
        group.owner = owner
        return self._run(self._add_group, group, cause=f"group {name} added")

    def _add_group(self, group: Group) -> None:
        self.groups[group.name] = group
        self._emit(
            ClusterKind.GROUP_ADDED,
            f"group {group.name}",
            f"owner {group.owner}, preferred {','.join(group.preferred) or '(none)'}",
            group=group.name,
        )

    def add_ip_resource(
        self, name: str, group: str, properties: IPProperties, possible: Iterable[str] | None = None
    ) -> list[ClusterEvent]:
        """Add an IP Address resource (offline) to a group, validating its private properties."""
        if not name.strip():
            raise ClusterRefused(ClusterError.INVALID_PARAMETER, "a resource needs a name")
        if any(r.lower() == name.lower() for r in self.resources):
            raise ClusterRefused(ClusterError.EXISTS, f"the cluster already has a resource named {name!r}")
        g = self.group(group)
        properties = replace(properties, network=self.network(properties.network).name)
        self.validate_properties(properties, resource=None)
        poss = self._node_list(possible) if possible is not None else None
        if poss is not None and not poss:
            raise ClusterRefused(
                ClusterError.INVALID_PARAMETER, "a resource needs at least one possible owner"
            )
        res = IPResource(name, g.name, properties, possible=poss)
        return self._run(self._add_resource, res, cause=f"resource {name} added")

    def _add_resource(self, res: IPResource) -> None:
        self.resources[res.name] = res
        p = res.properties
        self._emit(
            ClusterKind.RESOURCE_ADDED,
            f"resource {res.name}",
            f"IP Address {p.address}/{p.length} on network {p.network} in group {res.group}",
            group=res.group,
            resource=res.name,
        )

    def _node_list(self, names: Iterable[str]) -> list[str]:
        out: list[str] = []
        for n in names:
            name = self.node(n).name
            if name in out:
                raise ClusterRefused(ClusterError.INVALID_PARAMETER, f"node {name} listed twice")
            out.append(name)
        return out

    # ------------------------------------------------------------------ validation
    def validate_properties(self, p: IPProperties, resource: str | None) -> None:
        """Clear errors for private properties that cannot work (raises ClusterRefused)."""
        bad = ClusterError.INVALID_PARAMETER
        net = self.network(p.network)
        if p.enable_dhcp not in (0, 1):
            raise ClusterRefused(bad, f"EnableDhcp must be 0 or 1, not {p.enable_dhcp}")
        if p.enable_dhcp == 1:
            raise ClusterRefused(
                bad,
                "EnableDhcp=1 (an address leased from DHCP) is not simulated: give Address and SubnetMask",
            )
        if p.enable_netbios not in (0, 1, 2):
            raise ClusterRefused(bad, f"EnableNetBIOS must be 0, 1 or 2, not {p.enable_netbios}")
        if p.override_address_match not in (0, 1):
            raise ClusterRefused(bad, f"OverrideAddressMatch must be 0 or 1, not {p.override_address_match}")
        if p.address.version != 4 or p.subnet_mask.version != 4:
            raise ClusterRefused(bad, "Address and SubnetMask must be IPv4")
        try:
            length = mask_length(p.subnet_mask)
        except ValueError:
            raise ClusterRefused(bad, f"SubnetMask {p.subnet_mask} is not a contiguous mask") from None
        if length == 0:
            raise ClusterRefused(bad, "SubnetMask 0.0.0.0 is not a usable mask")
        first = p.address.value >> 24
        if p.address.is_unspecified or first == 127 or first >= 224:
            raise ClusterRefused(bad, f"Address {p.address} is not a unicast address")
        prefix = Prefix.of(p.address, length)
        if length < 31 and p.address in (prefix.address, prefix.broadcast):
            what = "network" if p.address == prefix.address else "broadcast"
            raise ClusterRefused(bad, f"Address {p.address} is the {what} address of {prefix}")
        if p.override_address_match == 0:
            if not net.prefix.contains(p.address):
                raise ClusterRefused(
                    bad,
                    f"Address {p.address} is not in the subnet of network {net.name!r} ({net.prefix}); "
                    "set OverrideAddressMatch=1 to use it anyway",
                )
            if length != net.prefix.length:
                raise ClusterRefused(
                    bad,
                    f"SubnetMask {p.subnet_mask} does not match network {net.name!r} ({net.prefix}); "
                    "set OverrideAddressMatch=1 to use it anyway",
                )
        for other in self.resources.values():
            if other.name != resource and other.properties.address == p.address:
                raise ClusterRefused(
                    ClusterError.ADDRESS_IN_USE,
                    f"Address {p.address} is already used by resource {other.name!r}",
                )

    def can_host(self, node: str, group: Group, online_only: bool = True) -> str | None:
        """Why `node` cannot own `group` (None if it can). With `online_only`, a missing adapter
        matters only for resources that are to be online."""
        if group.possible is not None and node not in group.possible:
            return f"{node} is not a possible owner of group {group.name}"
        for r in self.resources_of(group.name):
            if r.possible is not None and node not in r.possible:
                return f"{node} is not a possible owner of resource {r.name}"
            if online_only and r.state is ResourceState.OFFLINE:
                continue
            net = self.networks[r.properties.network]
            if node not in net.adapters:
                return f"{node} has no adapter on network {net.name} (resource {r.name})"
            if net.adapters[node] not in self.nodes[node].host.interfaces:
                return f"{node} has no interface {net.adapters[node]} for network {net.name}"
        return None

    def _candidates(self, group: Group, exclude: str | None, take_paused: bool = False) -> Iterator[str]:
        """Nodes that may take `group`, best first: preferred owners in order, then the others in
        the order they joined; only nodes that are up (and not paused) and can host it."""
        for name in self._failover_order(group):
            state = self.nodes[name].state
            if name == exclude or state is NodeState.DOWN:
                continue
            if state is NodeState.PAUSED and not take_paused:
                continue
            if self.can_host(name, group) is None:
                yield name

    def _failover_order(self, group: Group) -> list[str]:
        """Preferred owners in order, then the other nodes in the order they joined."""
        order = [n for n in group.preferred if n in self.nodes]
        return order + [n for n in self.nodes if n not in order]

    def _passed_over(self, group: Group, exclude: str, target: str | None) -> list[tuple[str, str]]:
        """Nodes that are up (not paused) which failover passed over before reaching `target` (every
        one of them when there is none), each with why it cannot host `group`."""
        out = []
        for name in self._failover_order(group):
            if name == target:
                break
            if name == exclude or self.nodes[name].state is not NodeState.UP:
                continue
            why = self.can_host(name, group)
            if why is not None:
                out.append((name, why))
        return out

    # ------------------------------------------------------------------ applying operations
    def apply(self, operation: ClusterOperation) -> list[ClusterEvent]:
        """Carry out one operation on the cluster and its nodes; returns the events (also appended to
        `history`). Raises ClusterRefused, changing nothing."""
        handler = getattr(self, "_op_" + type(operation).__name__)
        return self._run(handler, operation, cause=describe_operation(operation))

    def _run(self, handler: Callable[..., None], *args: object, cause: str) -> list[ClusterEvent]:
        self._events, self._cause = [], cause
        seq, step = self.next_seq, self.step
        self.step += 1
        try:
            handler(*args)
        except ClusterRefused:
            self.step, self.next_seq, self._events = step, seq, []
            raise
        events, self._events = self._events, []
        self.history.extend(events)
        return events

    def _emit(self, kind: ClusterKind, subject: str, reason: str, **where: str | None) -> None:
        self._events.append(
            ClusterEvent(self.next_seq, self.step, kind, subject, reason, cause=self._cause, **where)  # type: ignore[arg-type]
        )
        self.next_seq += 1

    def _op_OnlineResource(self, o: OnlineResource) -> None:
        r = self.resource(o.resource)
        if r.state is ResourceState.ONLINE:
            return
        g = self.groups[r.group]
        owner = self._live_owner(g)
        self._check_hosts(owner, g, [r])
        plan = [self._add_step(r, owner, f"resource {r.name} online on {owner}")]
        self._check_plan(plan)
        self._execute(plan)

    def _op_OfflineResource(self, o: OfflineResource) -> None:
        r = self.resource(o.resource)
        if r.state is ResourceState.OFFLINE:
            return
        plan = self._remove_steps([r], f"resource {r.name} offline")
        self._check_plan(plan)
        self._execute(plan)
        self._set_state(r, ResourceState.OFFLINE, "taken offline")

    def _op_OnlineGroup(self, o: OnlineGroup) -> None:
        g = self.group(o.group)
        target = self._target(g, o.node, moving=o.node is not None) if o.node else None
        if target is None:
            owner_state = self.nodes[g.owner].state if g.owner else NodeState.DOWN
            if owner_state is NodeState.DOWN:
                target = next(self._candidates(g, exclude=None), None)
                if target is None:
                    raise ClusterRefused(
                        ClusterError.NO_NODE_AVAILABLE,
                        f"no node that is up and not paused can take group {g.name}",
                    )
            else:
                target = g.owner
        assert target is not None
        moving = target != g.owner
        todo = [r for r in self.resources_of(g.name) if r.state is not ResourceState.ONLINE]
        online = [r for r in self.resources_of(g.name) if r.state is ResourceState.ONLINE]
        plan: list[_Step] = []
        if moving:
            plan += self._remove_steps(online, f"group {g.name} moving to {target}")
            todo = online + todo
        self._check_hosts(target, g, todo)
        plan += [self._add_step(r, target, f"group {g.name} online on {target}") for r in todo]
        self._check_plan(plan)
        if moving:
            self._execute([s for s in plan if s.action == "remove"])
            self._set_owner(g, target, "brought online there")
            plan = [s for s in plan if s.action == "add"]
        self._execute(plan)
        if not g.online:
            g.online = True
            self._emit(ClusterKind.GROUP_STATE, f"group {g.name}", "online", group=g.name, node=g.owner)

    def _op_OfflineGroup(self, o: OfflineGroup) -> None:
        g = self.group(o.group)
        resources = self.resources_of(g.name)
        plan = self._remove_steps(resources, f"group {g.name} offline")
        self._check_plan(plan)
        self._execute(plan)
        for r in resources:
            if r.state is ResourceState.FAILED:
                self._set_state(r, ResourceState.OFFLINE, "taken offline")
            elif r.state is ResourceState.ONLINE:
                self._set_state(r, ResourceState.OFFLINE, "taken offline")
        if g.online:
            g.online = False
            self._emit(ClusterKind.GROUP_STATE, f"group {g.name}", "offline", group=g.name, node=g.owner)

    def _op_MoveGroup(self, o: MoveGroup) -> None:
        g = self.group(o.group)
        if o.node is not None:
            target = self._target(g, o.node, moving=True)
        else:
            found = next(self._candidates(g, exclude=g.owner), None)
            if found is None:
                raise ClusterRefused(
                    ClusterError.NO_NODE_AVAILABLE,
                    f"no other node that is up and not paused can take group {g.name}",
                )
            target = found
        if target == g.owner:
            return
        online = [r for r in self.resources_of(g.name) if r.state is ResourceState.ONLINE]
        self._check_hosts(target, g, online)
        why = f"group {g.name} moving from {g.owner} to {target}"
        plan = self._remove_steps(online, why)
        plan += [self._add_step(r, target, why) for r in online]
        self._check_plan(plan)
        self._execute([s for s in plan if s.action == "remove"])
        self._set_owner(g, target, f"moved from {g.owner}")
        self._execute([s for s in plan if s.action == "add"])

    def _op_PauseNode(self, o: PauseNode) -> None:
        n = self.node(o.node)
        if n.state is NodeState.DOWN:
            raise ClusterRefused(ClusterError.NODE_DOWN, f"node {n.name} is down")
        if n.state is NodeState.PAUSED:
            return
        self._set_node_state(n, NodeState.PAUSED, "paused by administrator: it takes no groups")

    def _op_ResumeNode(self, o: ResumeNode) -> None:
        n = self.node(o.node)
        if n.state is not NodeState.PAUSED:
            raise ClusterRefused(ClusterError.NODE_NOT_PAUSED, f"node {n.name} is not paused")
        self._set_node_state(n, NodeState.UP, "resumed by administrator")

    def _op_FailNode(self, o: FailNode) -> None:
        n = self.node(o.node)
        if n.state is NodeState.DOWN:
            raise ClusterRefused(ClusterError.NODE_ALREADY_DOWN, f"node {n.name} is already down")
        owned = [g for g in self.groups.values() if g.owner == n.name]
        lost = [r for r in self.resources.values() if r.plumbed is not None and r.plumbed.node == n.name]
        removals = self._remove_steps(lost, f"node {n.name} failed: its resource addresses went with it")
        self._check_plan(removals)
        previous = n.state
        n.state = NodeState.DOWN  # so that failover never picks it
        targets: dict[str, str | None] = {}
        skipped: dict[str, list[tuple[str, str]]] = {}
        adds: list[_Step] = []
        for g in owned:
            target = next(self._candidates(g, exclude=n.name), None)
            targets[g.name] = target
            skipped[g.name] = self._passed_over(g, n.name, target)
            if target is None:
                continue
            for r in self.resources_of(g.name):
                if r.state is ResourceState.ONLINE and self._addable(r, target, adds, removals):
                    adds.append(self._add_step(r, target, f"group {g.name} failed over from {n.name}"))
        n.state = previous
        self._check_plan(removals + adds)
        self._set_node_state(n, NodeState.DOWN, "node failed")
        self._execute(removals)
        for g in owned:
            for node, why in skipped[g.name]:
                self._emit(ClusterKind.FAILOVER_SKIPPED, f"group {g.name}", why, node=node, group=g.name)
            target = targets[g.name]
            if target is not None:
                self._set_owner(g, target, f"failover: node {n.name} failed")
            planned = {s.resource for s in adds}
            for r in self.resources_of(g.name):
                if r.state is ResourceState.ONLINE and r.name not in planned:
                    why = f"node {n.name} failed and no node that is up and not paused could take it"
                    if target is not None:
                        why = f"node {n.name} failed and {target} could not bring it online"
                    self._set_state(r, ResourceState.FAILED, why)
        self._execute(adds)

    def _op_RestoreNode(self, o: RestoreNode) -> None:
        n = self.node(o.node)
        if n.state is not NodeState.DOWN:
            raise ClusterRefused(ClusterError.NODE_ALREADY_UP, f"node {n.name} is already up")
        self._set_node_state(n, NodeState.UP, "node returned")
        self._on_node(n.name, op.Reboot(), cause=f"node {n.name} returned: its host boots")
        # Groups that failed for want of a node come online now if they can.
        adds: list[_Step] = []
        moves: list[tuple[Group, str]] = []
        for g in self.groups.values():
            failed = [r for r in self.resources_of(g.name) if r.state is ResourceState.FAILED]
            owner_state = self.nodes[g.owner].state if g.owner else NodeState.DOWN
            if not failed or (g.owner != n.name and owner_state is not NodeState.DOWN):
                continue
            if g.owner == n.name and self.can_host(n.name, g) is None:
                target: str | None = n.name
            else:
                target = next(self._candidates(g, exclude=None), None)
            if target is None:
                continue
            if target != g.owner:
                moves.append((g, target))
            for r in failed:
                if self._addable(r, target, adds, []):
                    adds.append(self._add_step(r, target, f"group {g.name} restarted on {target}"))
        self._check_plan(adds)
        for g, target in moves:
            self._set_owner(g, target, f"node {n.name} returned: failed group restarted")
        self._execute(adds)

    def _op_SetResourceProperties(self, o: SetResourceProperties) -> None:
        r = self.resource(o.resource)
        p = replace(o.properties, network=self.network(o.properties.network).name)
        self.validate_properties(p, resource=r.name)
        if p == r.properties:
            return
        r.properties = p
        pending = " (stored; takes effect the next time the resource comes online)" if r.plumbed else ""
        shown = ", ".join(f"{k}={v}" for k, v in p.as_pairs())
        self._emit(
            ClusterKind.PROPERTIES, f"resource {r.name}", shown + pending, resource=r.name, group=r.group
        )

    def _op_SetPreferredOwners(self, o: SetPreferredOwners) -> None:
        g = self.group(o.group)
        nodes = self._node_list(o.nodes)
        g.preferred = nodes
        self._emit(ClusterKind.OWNERS, f"group {g.name}", f"preferred owners {','.join(nodes) or '(none)'}",
                   group=g.name)  # fmt: skip

    def _op_SetPossibleOwners(self, o: SetPossibleOwners) -> None:
        r = self.resource(o.resource)
        nodes = self._node_list(o.nodes) if o.nodes is not None else None
        if nodes is not None and not nodes:
            raise ClusterRefused(
                ClusterError.INVALID_PARAMETER, "a resource needs at least one possible owner"
            )
        if nodes is not None and r.plumbed is not None and r.plumbed.node not in nodes:
            raise ClusterRefused(
                ClusterError.INVALID_PARAMETER,
                f"resource {r.name} is online on {r.plumbed.node}, which must stay a possible owner",
            )
        r.possible = nodes
        shown = ",".join(nodes) if nodes is not None else "(every node)"
        self._emit(ClusterKind.OWNERS, f"resource {r.name}", f"possible owners {shown}", resource=r.name)

    # ------------------------------------------------------------------ planning helpers
    def _live_owner(self, g: Group) -> str:
        if g.owner is None or self.nodes[g.owner].state is NodeState.DOWN:
            raise ClusterRefused(ClusterError.NODE_DOWN, f"the owner of group {g.name} ({g.owner}) is down")
        return g.owner

    def _target(self, g: Group, node: str, moving: bool) -> str:
        n = self.node(node)
        if n.state is NodeState.DOWN:
            raise ClusterRefused(ClusterError.NODE_DOWN, f"node {n.name} is down")
        if moving and n.state is NodeState.PAUSED and n.name != g.owner:
            raise ClusterRefused(ClusterError.NODE_PAUSED, f"node {n.name} is paused: it takes no groups")
        return n.name

    def _check_hosts(self, node: str, g: Group, resources: list[IPResource]) -> None:
        if g.possible is not None and node not in g.possible:
            raise ClusterRefused(
                ClusterError.NOT_POSSIBLE_OWNER, f"{node} is not a possible owner of group {g.name}"
            )
        for r in self.resources_of(g.name):
            if r.possible is not None and node not in r.possible:
                raise ClusterRefused(
                    ClusterError.NOT_POSSIBLE_OWNER, f"{node} is not a possible owner of resource {r.name}"
                )
        for r in resources:
            net = self.networks[r.properties.network]
            ifindex = net.adapters.get(node)
            if ifindex is None:
                raise ClusterRefused(
                    ClusterError.CANT_HOST, f"{node} has no adapter on network {net.name} (resource {r.name})"
                )
            if ifindex not in self.nodes[node].host.interfaces:
                raise ClusterRefused(
                    ClusterError.CANT_HOST, f"{node} has no interface {ifindex} for network {net.name}"
                )

    def _add_step(self, r: IPResource, node: str, cause: str) -> _Step:
        p = r.properties
        ifindex = self.networks[p.network].adapters[node]
        return _Step("add", r.name, node, ifindex, p.address, p.length, cause)

    def _remove_steps(self, resources: list[IPResource], cause: str) -> list[_Step]:
        steps = []
        for r in resources:
            if r.plumbed is not None:
                pl = r.plumbed
                steps.append(_Step("remove", r.name, pl.node, pl.ifindex, pl.ip, pl.length, cause))
        return steps

    def _addable(self, r: IPResource, node: str, adds: list[_Step], removals: list[_Step]) -> bool:
        """Can `r` come online on `node` after the planned steps (used where failure is an outcome,
        failover, rather than a refusal)?"""
        try:
            self._check_hosts(node, self.groups[r.group], [r])
            self._check_plan([*removals, *adds, self._add_step(r, node, "")])
        except ClusterRefused:
            return False
        return True

    def _check_plan(self, plan: list[_Step]) -> None:
        """Refuse now anything a node would refuse later: the plan runs against a simulation of the
        addresses it touches, so a cluster operation is all or nothing."""
        present: dict[tuple[str, IP], set[int]] = {}

        def where(node: str, ip: IP) -> set[int]:
            key = (node, ip)
            if key not in present:
                host = self.nodes[node].host
                present[key] = {a.ifindex for a in host.all_addresses() if a.ip == ip}
            return present[key]

        for s in plan:
            if s.action == "remove":
                where(s.node, s.ip).discard(s.ifindex)
                continue
            host = self.nodes[s.node].host
            if s.ifindex not in host.interfaces:
                raise ClusterRefused(ClusterError.CANT_HOST, f"{s.node} has no interface {s.ifindex}")
            for node in self.nodes:
                if where(node, s.ip):
                    holder = "" if node == s.node else f" on {node}"
                    raise ClusterRefused(
                        ClusterError.ADDRESS_IN_USE,
                        f"address {s.ip} of resource {s.resource} is already in use{holder}",
                    )
            where(s.node, s.ip).add(s.ifindex)

    def _execute(self, plan: list[_Step]) -> None:
        for s in plan:
            r = self.resources[s.resource]
            if s.action == "remove":
                host = self.nodes[s.node].host
                if any(a.ip == s.ip for a in host.addresses_of(s.ifindex)):
                    self._on_node(s.node, op.DeleteAddress(s.ifindex, s.ip), s.cause, r)
                else:
                    self._emit(
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
                self._on_node(s.node, o, s.cause, r)
                r.plumbed = Plumbed(s.node, s.ifindex, s.ip, s.length)
                self._set_state(r, ResourceState.ONLINE, f"online on {s.node}")

    def _on_node(self, node: str, operation: op.Operation, cause: str, r: IPResource | None = None) -> None:
        try:
            events = self.nodes[node].host.apply(operation)
        except Refused as exc:  # pragma: no cover - _check_plan refuses first
            raise ClusterRefused(ClusterError.NODE_REFUSED, f"node {node} refused: {exc.detail}") from None
        for e in events:
            reason = e.reason
            if r is not None and e.address is not None and e.address.ip == r.address_on(node):
                reason = cause  # the node calls it "added by administrator"; say why it happened
            self._events.append(
                ClusterEvent(
                    self.next_seq, self.step, ClusterKind.NODE_EVENT, e.subject, reason, node=node,
                    group=r.group if r else None, resource=r.name if r else None, cause=cause,
                    host_kind=e.kind, manual=manual_or_address(e), event=e,
                )
            )  # fmt: skip
            self.next_seq += 1

    def _set_state(self, r: IPResource, state: ResourceState, why: str) -> None:
        if r.state is state:
            return
        r.state = state
        where = r.plumbed.node if r.plumbed else self.groups[r.group].owner
        self._emit(ClusterKind.RESOURCE_STATE, f"resource {r.name}", f"{state.value}: {why}",
                   node=where, resource=r.name, group=r.group)  # fmt: skip

    def _set_owner(self, g: Group, owner: str, why: str) -> None:
        old, g.owner = g.owner, owner
        self._emit(ClusterKind.GROUP_OWNER, f"group {g.name}", f"owner {old} -> {owner}: {why}",
                   node=owner, group=g.name)  # fmt: skip

    def _set_node_state(self, n: Node, state: NodeState, why: str) -> None:
        n.state = state
        self._emit(ClusterKind.NODE_STATE, f"node {n.name}", f"{state.value}: {why}", node=n.name)

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
        c.history = list(self.history)
        c.step, c.next_seq = self.step, self.next_seq
        return c

    def whatif(self, operation: ClusterOperation) -> WhatIf:
        """What `operation` would do, applied to a copy; this cluster is untouched.

        Raises ClusterRefused if the operation would be refused.
        """
        copy = self.clone()
        events = copy.apply(operation)
        return WhatIf(operation, events, copy)


def _check_name(name: str, what: str) -> None:
    if not name or name != name.strip() or any(c in NAME_FORBIDDEN or c.isspace() for c in name):
        raise ClusterRefused(
            ClusterError.INVALID_PARAMETER,
            f'invalid {what} name {name!r}: no spaces, and none of / , = \\ "',
        )


def _resolve_adapter(node: Node, adapter: int | str) -> int:
    host = node.host
    if isinstance(adapter, int) or adapter.isdigit():
        index = int(adapter)
        if index not in host.interfaces:
            raise ClusterRefused(ClusterError.INVALID_PARAMETER, f"node {node.name} has no interface {index}")
        return index
    for iface in host.interfaces.values():
        if iface.name.lower() == adapter.lower():
            return iface.index
    raise ClusterRefused(
        ClusterError.INVALID_PARAMETER, f"node {node.name} has no interface named {adapter!r}"
    )


# ---------------------------------------------------------------------- what-if reports
_GONE = (Kind.ROUTE_WITHDRAWN, Kind.ROUTE_REMOVED)
_BACK = (Kind.ROUTE_RESTORED, Kind.ROUTE_ADDED)


@dataclass
class WhatIf:
    """The outcome of an operation tried on a copy: its events and the copy's final state."""

    operation: ClusterOperation
    events: list[ClusterEvent]
    after: Cluster

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
