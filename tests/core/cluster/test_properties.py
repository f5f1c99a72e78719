"""Random sequences of moves, failures, returns, pauses and on/offlines on 3-5 node clusters (mixed
hotfix and prehotfix nodes, two networks not every node reaches, possible-owner limits). After each
step:
- every online IP resource's address is on exactly one node, its group's owner, which is not down;
  an address whose resource is not online is on no node;
- on `hotfix` nodes no persistent route is absent from the active table while its next hop is on-link
  on an interface that is up (spec §1's invariant), and every withdrawal they log names one of the
  reasons the spec allows;
- routes bound to an interface (the workaround) are never absent on any node that is up;
- a refused operation changes nothing at all.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routekeeper.core import operations as op
from routekeeper.core.cluster.errors import ClusterRefused
from routekeeper.core.cluster.invariants import persistent_missing
from routekeeper.core.cluster.members import IPProperties, NodeState, ResourceState
from routekeeper.core.cluster.model import Cluster
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
)
from routekeeper.core.events import Kind
from routekeeper.core.host import Host
from routekeeper.core.values import IP, Interface, Prefix

NETS = [Prefix.parse("10.50.0.0/24"), Prefix.parse("10.60.0.0/24")]
ALLOWED_WITHDRAWAL = ("no longer on-link", "has no IPv4 address left", "has no IPv6 address left")


@st.composite
def clusters(draw: st.DrawFn) -> Cluster:
    count = draw(st.integers(3, 5))
    names = [f"NODE{i}" for i in range(1, count + 1)]
    c = Cluster("C")
    second: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        host = Host(draw(st.sampled_from(["hotfix", "prehotfix"])), name=f"C/{name}")
        host.apply(op.AddInterface(Interface(11, "Public", mac=f"00-15-5D-00-01-{i:02X}")))
        host.apply(op.AddAddress(11, IP.parse(f"10.50.0.{10 + i}"), 24))
        host.apply(op.AddRoute(Prefix.parse("10.51.0.0/16"), IP.parse("10.50.0.1"), None, persistent=True))
        host.apply(op.AddRoute(Prefix.parse("10.52.0.0/16"), IP.parse("10.50.0.2"), 11, persistent=True))
        if draw(st.booleans()):
            host.apply(op.AddInterface(Interface(12, "Private", mac=f"00-15-5D-00-02-{i:02X}")))
            host.apply(op.AddAddress(12, IP.parse(f"10.60.0.{10 + i}"), 24))
            host.apply(
                op.AddRoute(Prefix.parse("10.61.0.0/16"), IP.parse("10.60.0.1"), None, persistent=True)
            )
            second[name] = 12
        c.add_node(name, host)
    c.add_network("Public", NETS[0], dict.fromkeys(names, 11))
    c.add_network("Private", NETS[1], dict(second))
    for g in range(draw(st.integers(1, 3))):
        preferred = draw(st.permutations(names))[: draw(st.integers(0, count))]
        c.add_group(f"G{g}", preferred)
        for r in range(draw(st.integers(1, 2))):
            network = draw(st.sampled_from(["Public", "Private"]))
            base = 100 if network == "Public" else 200
            address = IP.parse(
                f"{NETS[network == 'Private'].address}".rsplit(".", 1)[0] + f".{base + 10 * g + r}"
            )
            possible = None
            if draw(st.integers(0, 3)) == 0:
                possible = draw(st.lists(st.sampled_from(names), min_size=1, max_size=count, unique=True))
            props = IPProperties(address, IP.parse("255.255.255.0"), network)
            c.add_ip_resource(f"G{g}-IP{r}", f"G{g}", props, possible)
    return c


def operations(c: Cluster) -> st.SearchStrategy:
    nodes = st.sampled_from(list(c.nodes))
    groups = st.sampled_from(list(c.groups))
    resources = st.sampled_from(list(c.resources))
    return st.one_of(
        st.builds(MoveGroup, groups, st.one_of(st.none(), nodes)),
        st.builds(OnlineGroup, groups, st.one_of(st.none(), nodes)),
        st.builds(OfflineGroup, groups),
        st.builds(OnlineResource, resources),
        st.builds(OfflineResource, resources),
        st.builds(PauseNode, nodes),
        st.builds(ResumeNode, nodes),
        st.builds(FailNode, nodes),
        st.builds(RestoreNode, nodes),
    )


def check(c: Cluster) -> None:
    for r in c.resources.values():
        ip = r.plumbed.ip if r.plumbed else r.properties.address
        holders = c.holders(ip)
        if r.state is ResourceState.ONLINE:
            owner = c.groups[r.group].owner
            assert r.plumbed is not None and r.plumbed.node == owner
            assert holders == [owner], (r.name, holders, owner)
            assert c.nodes[owner].state is not NodeState.DOWN
        else:
            assert holders == [] and r.plumbed is None, (r.name, holders)
    for n in c.nodes.values():
        if n.state is NodeState.DOWN:
            continue
        missing = persistent_missing(n.host)
        assert not [p for p in missing if p.ifindex is not None], (n.name, missing)
        if n.host.profile.name == "hotfix":
            assert missing == [], (n.name, missing)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_cluster_operations_keep_the_invariants(data, snapshot):
    c = data.draw(clusters())
    check(c)
    for _ in range(data.draw(st.integers(1, 25))):
        operation = data.draw(operations(c))
        before = snapshot(c)
        try:
            events = c.apply(operation)
        except ClusterRefused:
            assert snapshot(c) == before
            continue
        for e in events:
            if e.node is None or e.event is None or c.nodes[e.node].host.profile.name != "hotfix":
                continue
            if e.host_kind is Kind.ROUTE_WITHDRAWN:
                assert any(why in e.reason for why in ALLOWED_WITHDRAWAL), e.reason
            if e.host_kind is Kind.ROUTE_REMOVED and e.event.route is not None and e.event.route.manual:
                assert e.event.reason == "reboot", e  # the return's reboot; plumbed again at boot
        check(c)
