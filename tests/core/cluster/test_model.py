"""The pure cluster core: address changes per operation, each node's profile deciding about its routes,
validation with clear errors, all-or-nothing refusals, failover order, history and what-if."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routekeeper.core import operations as op
from routekeeper.core.cluster.errors import ClusterError, ClusterRefused
from routekeeper.core.cluster.events import ClusterKind
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
    SetPossibleOwners,
    SetPreferredOwners,
    SetResourceProperties,
)
from routekeeper.core.events import Kind
from routekeeper.core.values import IP, AddressStore, Interface, Prefix

ROUTE = Prefix.parse("10.51.0.0/16")
VIP = IP.parse("10.50.0.100")


def has_route(c: Cluster, node: str) -> bool:
    return any(r.prefix == ROUTE for r in c.nodes[node].host.manual_routes())


def refused(c: Cluster, operation, code: ClusterError, snapshot) -> ClusterRefused:  # noqa: ANN001
    before = snapshot(c)
    with pytest.raises(ClusterRefused) as info:
        c.apply(operation)
    assert info.value.code is code, info.value.detail
    assert snapshot(c) == before
    return info.value


# ---------------------------------------------------------------------- the defect's second trigger
def test_prehotfix_move_withdraws_the_route_on_the_node_left_and_the_return_restores_it(two_nodes):
    c = two_nodes("prehotfix")
    c.apply(OnlineGroup("SQL"))
    assert c.holders(VIP) == ["NODE1"] and has_route(c, "NODE1")
    events = c.apply(MoveGroup("SQL", "NODE2"))
    assert c.holders(VIP) == ["NODE2"]
    assert not has_route(c, "NODE1") and has_route(c, "NODE2")
    gone = [e for e in events if e.host_kind is Kind.ROUTE_WITHDRAWN]
    assert [e.node for e in gone] == ["NODE1"]
    assert "pre-hotfix" in gone[0].reason and gone[0].cause == "group SQL moving from NODE1 to NODE2"
    # still persistent on NODE1, and back when the group is
    assert any(p.prefix == ROUTE for p in c.nodes["NODE1"].host.persistent.values())
    events = c.apply(MoveGroup("SQL", "NODE1"))
    assert has_route(c, "NODE1") and not has_route(c, "NODE2")
    back = [e for e in events if e.host_kind is Kind.ROUTE_RESTORED]
    assert [e.node for e in back] == ["NODE1"]


def test_hotfix_move_never_takes_the_route(two_nodes):
    c = two_nodes("hotfix")
    c.apply(OnlineGroup("SQL"))
    for target in ("NODE2", "NODE1", "NODE2"):
        events = c.apply(MoveGroup("SQL", target))
        gone = (Kind.ROUTE_WITHDRAWN, Kind.ROUTE_REMOVED)
        assert not [e for e in events if e.host_kind in gone and e.event and e.event.route.manual]
        assert has_route(c, "NODE1") and has_route(c, "NODE2")


def test_bound_route_is_the_workaround_under_prehotfix(two_nodes):
    c = two_nodes("prehotfix", bound=True)
    c.apply(OnlineGroup("SQL"))
    c.apply(MoveGroup("SQL", "NODE2"))
    c.apply(MoveGroup("SQL", "NODE1"))
    assert has_route(c, "NODE1") and has_route(c, "NODE2")


def test_resource_addresses_are_active_only_and_may_be_source(two_nodes):
    c = two_nodes()
    c.apply(OnlineResource("sql ip"))  # names are case-insensitive, as Windows names are
    (addr,) = [a for a in c.nodes["NODE1"].host.all_addresses() if a.ip == VIP]
    assert addr.store is AddressStore.ACTIVE and addr.skipassource is False and addr.length == 24
    assert c.group_status("SQL") == "Online"
    assert c.resources["SQL IP"].plumbed is not None


# ---------------------------------------------------------------------- validation
def props(**changes: object) -> IPProperties:
    base = IPProperties(VIP, IP.parse("255.255.255.0"), "Cluster Network 1")
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"address": IP.parse("10.60.0.5")}, "not in the subnet"),
        ({"subnet_mask": IP.parse("255.255.0.0")}, "does not match network"),
        ({"subnet_mask": IP.parse("255.0.255.0")}, "not a contiguous mask"),
        ({"address": IP.parse("10.50.0.0")}, "network address"),
        ({"address": IP.parse("10.50.0.255")}, "broadcast address"),
        ({"address": IP.parse("224.0.0.5"), "override_address_match": 1}, "not a unicast"),
        ({"enable_dhcp": 1}, "not simulated"),
        ({"enable_netbios": 3}, "EnableNetBIOS"),
        ({"override_address_match": 2}, "OverrideAddressMatch"),
    ],
)
def test_private_properties_are_validated(two_nodes, snapshot, changes, words):
    c = two_nodes()
    exc = refused(
        c, SetResourceProperties("SQL IP", props(**changes)), ClusterError.INVALID_PARAMETER, snapshot
    )
    assert words in exc.detail


def test_override_address_match_lets_an_address_outside_the_subnet_through(two_nodes):
    c = two_nodes("hotfix")
    p = props(address=IP.parse("10.60.0.5"), subnet_mask=IP.parse("255.255.0.0"), override_address_match=1)
    c.apply(SetResourceProperties("SQL IP", p))
    c.apply(OnlineGroup("SQL"))
    assert c.holders(IP.parse("10.60.0.5")) == ["NODE1"]


def test_unknown_network_and_duplicate_address(two_nodes, snapshot):
    c = two_nodes()
    refused(
        c, SetResourceProperties("SQL IP", props(network="Nope")), ClusterError.NETWORK_NOT_FOUND, snapshot
    )
    with pytest.raises(ClusterRefused) as info:
        c.add_ip_resource("Other IP", "SQL", props())
    assert info.value.code is ClusterError.ADDRESS_IN_USE


def test_online_refuses_an_address_already_on_a_node(two_nodes, snapshot):
    c = two_nodes()
    c.nodes["NODE2"].host.apply(op.AddAddress(11, VIP, 24))
    exc = refused(c, OnlineGroup("SQL"), ClusterError.ADDRESS_IN_USE, snapshot)
    assert "NODE2" in exc.detail


def test_a_node_without_an_adapter_on_the_network_cannot_host(two_nodes, snapshot):
    c = two_nodes(nodes=2)
    host = c.nodes["NODE2"].host
    c.networks["Cluster Network 1"].adapters.pop("NODE2")
    c.apply(OnlineGroup("SQL"))
    refused(c, MoveGroup("SQL", "NODE2"), ClusterError.CANT_HOST, snapshot)
    refused(c, MoveGroup("SQL"), ClusterError.NO_NODE_AVAILABLE, snapshot)
    assert not host.is_local(VIP)


def test_setup_errors():
    c = Cluster("C")
    with pytest.raises(ClusterRefused, match="no nodes yet"):
        c.add_group("G", [])
    with pytest.raises(ClusterRefused, match="invalid node name"):
        c.add_node("NODE 1", make_host("C/x"))
    c.add_node("N1", make_host("C/N1"))
    with pytest.raises(ClusterRefused) as info:
        c.add_node("n1", make_host("C/n1"))
    assert info.value.code is ClusterError.EXISTS
    with pytest.raises(ClusterRefused, match="no interface 12"):
        c.add_network("Net", Prefix.parse("10.1.0.0/24"), {"N1": 12})
    with pytest.raises(ClusterRefused, match="no interface named"):
        c.add_network("Net", Prefix.parse("10.1.0.0/24"), {"N1": "Private"})
    c.add_network("Net", Prefix.parse("10.1.0.0/24"), {"N1": "public"})
    assert c.networks["Net"].adapters == {"N1": 11}
    with pytest.raises(ClusterRefused, match="overlaps"):
        c.add_network("Net2", Prefix.parse("10.1.0.0/16"), {})
    with pytest.raises(ClusterRefused, match="IPv4"):
        c.add_network("Net6", Prefix.parse("2001:db8::/64"), {})
    with pytest.raises(ClusterRefused) as info:
        c.add_group("G", ["N2"])
    assert info.value.code is ClusterError.NODE_NOT_FOUND


def make_host(name: str):  # noqa: ANN201
    from routekeeper.core.host import Host

    host = Host("hotfix", name=name)
    host.apply(op.AddInterface(Interface(11, "Public", mac="00-15-5D-00-00-01")))
    return host


# ---------------------------------------------------------------------- node states
def test_paused_node_takes_no_groups_but_keeps_its_own(two_nodes, snapshot):
    c = two_nodes(nodes=3)
    c.apply(OnlineGroup("SQL"))
    c.apply(PauseNode("NODE2"))
    refused(c, MoveGroup("SQL", "NODE2"), ClusterError.NODE_PAUSED, snapshot)
    c.apply(MoveGroup("SQL"))  # skips the paused node
    assert c.groups["SQL"].owner == "NODE3"
    c.apply(ResumeNode("NODE2"))
    refused(c, ResumeNode("NODE2"), ClusterError.NODE_NOT_PAUSED, snapshot)
    c.apply(MoveGroup("SQL", "NODE2"))
    c.apply(PauseNode("NODE2"))
    c.apply(OfflineGroup("SQL"))
    c.apply(OnlineGroup("SQL"))  # a paused node may bring its own group online
    assert c.holders(VIP) == ["NODE2"]


def test_failover_follows_the_preferred_order_and_skips_paused_nodes(two_nodes):
    c = two_nodes(nodes=4)
    c.apply(SetPreferredOwners("SQL", ("NODE1", "NODE3", "NODE2", "NODE4")))
    c.apply(OnlineGroup("SQL"))
    c.apply(PauseNode("NODE3"))
    events = c.apply(FailNode("NODE1"))
    assert c.groups["SQL"].owner == "NODE2" and c.holders(VIP) == ["NODE2"]
    assert c.nodes["NODE1"].state is NodeState.DOWN
    kinds = [(e.node, e.kind, e.host_kind) for e in events]
    assert ("NODE1", ClusterKind.NODE_EVENT, Kind.ADDRESS_REMOVED) in kinds
    assert ("NODE2", ClusterKind.NODE_EVENT, Kind.ADDRESS_ADDED) in kinds


def test_failed_node_keeps_its_state_and_its_return_reboots_it(two_nodes, snapshot):
    c = two_nodes("prehotfix")
    c.apply(OnlineGroup("SQL"))
    c.apply(FailNode("NODE1"))
    host = c.nodes["NODE1"].host
    assert not host.is_local(VIP) and host.is_local(IP.parse("10.50.0.11"))
    assert not has_route(c, "NODE1")  # prehotfix took it with the address
    assert any(p.prefix == ROUTE for p in host.persistent.values())
    refused(c, FailNode("NODE1"), ClusterError.NODE_ALREADY_DOWN, snapshot)
    refused(c, MoveGroup("SQL", "NODE1"), ClusterError.NODE_DOWN, snapshot)
    refused(c, PauseNode("NODE1"), ClusterError.NODE_DOWN, snapshot)
    events = c.apply(RestoreNode("NODE1"))
    assert [e.host_kind for e in events if e.host_kind is Kind.REBOOTED] == [Kind.REBOOTED]
    assert has_route(c, "NODE1") and c.groups["SQL"].owner == "NODE2"  # no failback
    refused(c, RestoreNode("NODE1"), ClusterError.NODE_ALREADY_UP, snapshot)


def test_group_fails_when_nobody_can_take_it_and_restarts_when_its_node_returns(two_nodes, snapshot):
    c = two_nodes()
    c.apply(OnlineGroup("SQL"))
    c.apply(PauseNode("NODE2"))
    c.apply(FailNode("NODE1"))
    assert c.resources["SQL IP"].state is ResourceState.FAILED and c.group_status("SQL") == "Failed"
    assert c.holders(VIP) == []
    refused(c, OnlineGroup("SQL"), ClusterError.NO_NODE_AVAILABLE, snapshot)
    c.apply(RestoreNode("NODE1"))
    assert c.resources["SQL IP"].state is ResourceState.ONLINE and c.holders(VIP) == ["NODE1"]


def test_offline_group_moves_on_failure_without_addresses(two_nodes):
    c = two_nodes()
    c.apply(FailNode("NODE1"))
    assert c.groups["SQL"].owner == "NODE2" and c.group_status("SQL") == "Offline"
    assert c.holders(VIP) == []


def test_possible_owners_limit_moves(two_nodes, snapshot):
    c = two_nodes(nodes=3)
    c.apply(SetPossibleOwners("SQL IP", ("NODE1", "NODE3")))
    c.apply(OnlineGroup("SQL"))
    refused(c, MoveGroup("SQL", "NODE2"), ClusterError.NOT_POSSIBLE_OWNER, snapshot)
    refused(c, SetPossibleOwners("SQL IP", ("NODE2",)), ClusterError.INVALID_PARAMETER, snapshot)
    c.apply(FailNode("NODE1"))
    assert c.groups["SQL"].owner == "NODE3"


def test_resource_offline_online_and_an_address_removed_behind_the_clusters_back(two_nodes):
    c = two_nodes()
    c.apply(OnlineResource("SQL IP"))
    assert c.apply(OnlineResource("SQL IP")) == []  # already online: nothing happens
    c.nodes["NODE1"].host.apply(op.DeleteAddress(11, VIP))
    events = c.apply(OfflineResource("SQL IP"))
    assert [e.kind for e in events if e.kind is ClusterKind.NOTE] == [ClusterKind.NOTE]
    assert c.resources["SQL IP"].state is ResourceState.OFFLINE
    assert c.group_status("SQL") == "Offline"


def test_properties_changed_while_online_take_effect_at_the_next_online(two_nodes):
    c = two_nodes("hotfix")
    c.apply(OnlineGroup("SQL"))
    new = IP.parse("10.50.0.101")
    c.apply(SetResourceProperties("SQL IP", props(address=new)))
    assert c.holders(VIP) == ["NODE1"] and c.holders(new) == []
    c.apply(MoveGroup("SQL", "NODE2"))  # the old address leaves, the new one arrives
    assert c.holders(VIP) == [] and c.holders(new) == ["NODE2"]


# ---------------------------------------------------------------------- history and what-if
def test_history_says_which_node_held_the_address_when(two_nodes):
    c = two_nodes()
    c.apply(OnlineGroup("SQL"))
    c.apply(MoveGroup("SQL", "NODE2"))
    c.apply(FailNode("NODE2"))
    held = [(e.node, e.host_kind) for e in c.address_history(VIP)]
    assert held == [
        ("NODE1", Kind.ADDRESS_ADDED),
        ("NODE1", Kind.ADDRESS_REMOVED),
        ("NODE2", Kind.ADDRESS_ADDED),
        ("NODE2", Kind.ADDRESS_REMOVED),
        ("NODE1", Kind.ADDRESS_ADDED),
    ]
    seqs = [e.seq for e in c.history]
    assert seqs == sorted(seqs) == list(range(1, len(seqs) + 1))
    steps = [e.step for e in c.history]
    assert steps == sorted(steps)


def test_whatif_reports_route_changes_per_node_and_changes_nothing(two_nodes, snapshot):
    c = two_nodes("prehotfix")
    c.apply(OnlineGroup("SQL"))
    before = snapshot(c)
    report = c.whatif(MoveGroup("SQL", "NODE2"))
    assert snapshot(c) == before
    assert [r.prefix for r, _ in report.withdrawn("NODE1")] == [ROUTE]
    assert report.withdrawn("NODE2") == [] and report.restored("NODE1") == []
    text = "\n".join(report.lines())
    assert "moving group SQL to NODE2 withdraws these routes on NODE1:" in text
    assert "10.51.0.0/16 via 10.50.0.1 on interface 11" in text
    assert report.after.groups["SQL"].owner == "NODE2"
    back = c.whatif(MoveGroup("SQL"))
    assert back.title() == "moving group SQL to NODE2"


def test_whatif_of_a_refused_operation_raises(two_nodes, snapshot):
    c = two_nodes()
    before = snapshot(c)
    with pytest.raises(ClusterRefused):
        c.whatif(MoveGroup("SQL", "NODE9"))
    assert snapshot(c) == before


def test_clone_shares_nothing(two_nodes, snapshot):
    c = two_nodes()
    copy = c.clone()
    assert snapshot(copy) == snapshot(c)
    copy.apply(OnlineGroup("SQL"))
    copy.nodes["NODE2"].host.apply(op.DeleteRoute(ROUTE))
    assert snapshot(copy) != snapshot(c)
    assert c.holders(VIP) == [] and has_route(c, "NODE2")


def test_persistent_missing_sees_the_prehotfix_loss_and_not_the_hotfix(two_nodes):
    for profile, lost in (("prehotfix", 1), ("hotfix", 0)):
        c = two_nodes(profile)
        c.apply(OnlineGroup("SQL"))
        c.apply(MoveGroup("SQL", "NODE2"))
        assert len(persistent_missing(c.nodes["NODE1"].host)) == lost


# ---------------------------------------------------------------------- adapters of late nodes
def late_node(c: Cluster, name: str = "NODE3", index: int = 12, iface_name: str = "Team") -> None:
    """A node that joins after the network exists: interface `index` on 10.50.0.0/24, no adapter yet."""
    from routekeeper.core.host import Host

    host = Host("hotfix", name=f"{c.name}/{name}")
    host.apply(op.AddInterface(Interface(index, iface_name, mac="00-15-5D-01-00-03")))
    host.apply(op.AddInterface(Interface(13, "Backup", mac="00-15-5D-01-00-33")))
    host.apply(op.AddAddress(index, IP.parse("10.50.0.13"), 24))
    c.add_node(name, host)


def test_a_late_node_gets_an_adapter_by_name_or_index_and_can_then_host(two_nodes, snapshot):
    c = two_nodes(nodes=2)
    c.apply(OnlineGroup("SQL"))
    late_node(c)
    refused(c, MoveGroup("SQL", "NODE3"), ClusterError.CANT_HOST, snapshot)
    events = c.add_adapter("cluster network 1", "node3", "team")
    assert c.networks["Cluster Network 1"].adapters == {"NODE1": 11, "NODE2": 11, "NODE3": 12}
    assert [(e.kind, e.node, e.subject, e.reason) for e in events] == [
        (ClusterKind.ADAPTER_ADDED, "NODE3", "network Cluster Network 1", 'on NODE3 interface 12 ("Team")')
    ]
    assert events[0] in c.history
    assert c.holders(VIP) == ["NODE1"]  # adding an adapter moves no address
    c.apply(MoveGroup("SQL", "NODE3"))
    assert c.holders(VIP) == ["NODE3"]
    assert c.resources["SQL IP"].plumbed.ifindex == 12


def test_add_adapter_validation_changes_nothing(two_nodes, snapshot):
    c = two_nodes(nodes=2)
    late_node(c)
    before = snapshot(c)
    cases = [
        (("Nope", "NODE3", 12), ClusterError.NETWORK_NOT_FOUND, "no cluster network named 'Nope'"),
        (("Cluster Network 1", "NODE9", 12), ClusterError.NODE_NOT_FOUND, "no cluster node named 'NODE9'"),
        (("Cluster Network 1", "NODE3", 99), ClusterError.INVALID_PARAMETER, "NODE3 has no interface 99"),
        (("Cluster Network 1", "NODE3", "Public"), ClusterError.INVALID_PARAMETER, "no interface named"),
        (("Cluster Network 1", "NODE3", "11"), ClusterError.INVALID_PARAMETER, "NODE3 has no interface 11"),
        (("Cluster Network 1", "NODE1", 13), ClusterError.INVALID_PARAMETER, "NODE1 has no interface 13"),
    ]
    for args, code, words in cases:
        with pytest.raises(ClusterRefused) as info:
            c.add_adapter(*args)
        assert info.value.code is code and words in info.value.detail
        assert snapshot(c) == before
    with pytest.raises(ClusterRefused) as info:
        c.add_adapters("Cluster Network 1", {})
    assert info.value.code is ClusterError.INVALID_PARAMETER
    # all or nothing: one bad mapping refuses the others
    with pytest.raises(ClusterRefused):
        c.add_adapters("Cluster Network 1", {"NODE3": 12, "NODE1": 99})
    with pytest.raises(ClusterRefused, match="listed twice"):
        c.add_adapters("Cluster Network 1", {"NODE3": 12, "node3": 12})
    assert snapshot(c) == before


def test_an_existing_adapter_is_kept_unless_remapped_and_never_under_an_online_address(two_nodes, snapshot):
    c = two_nodes(nodes=2)
    late_node(c)
    c.add_adapter("Cluster Network 1", "NODE3", 12)
    before = snapshot(c)
    assert c.add_adapter("Cluster Network 1", "NODE3", "Team") == []  # the same interface: nothing
    assert snapshot(c) == before
    with pytest.raises(ClusterRefused) as info:
        c.add_adapter("Cluster Network 1", "NODE3", 13)
    assert info.value.code is ClusterError.EXISTS and "through interface 12" in info.value.detail
    assert snapshot(c) == before
    c.apply(MoveGroup("SQL", "NODE3"))
    c.apply(OnlineGroup("SQL"))
    assert c.holders(VIP) == ["NODE3"]
    before = snapshot(c)
    with pytest.raises(ClusterRefused) as info:
        c.add_adapter("Cluster Network 1", "NODE3", 13, remap=True)
    assert (
        info.value.code is ClusterError.RESOURCE_ONLINE and "SQL IP is online on NODE3" in info.value.detail
    )
    assert snapshot(c) == before
    # an online resource elsewhere does not block the remap of NODE3's adapter
    c.apply(MoveGroup("SQL", "NODE1"))
    events = c.add_adapter("Cluster Network 1", "NODE3", "Backup", remap=True)
    assert [(e.kind, e.reason) for e in events] == [
        (ClusterKind.ADAPTER_CHANGED, 'on NODE3 interface 13 ("Backup"), was interface 12')
    ]
    c.apply(MoveGroup("SQL", "NODE3"))
    assert c.resources["SQL IP"].plumbed.ifindex == 13


def test_adapters_stay_in_joining_order(two_nodes):
    c = two_nodes(nodes=3)
    net = c.networks["Cluster Network 1"]
    del net.adapters["NODE1"]
    c.add_adapter("Cluster Network 1", "NODE1", 11)
    assert list(net.adapters) == ["NODE1", "NODE2", "NODE3"]


def test_failover_skips_a_node_without_an_adapter_and_says_why(two_nodes):
    c = two_nodes(nodes=2)
    c.apply(OnlineGroup("SQL"))
    late_node(c)
    c.apply(SetPreferredOwners("SQL", ("NODE1", "NODE3", "NODE2")))
    c.apply(PauseNode("NODE2"))
    events = c.apply(FailNode("NODE1"))
    skipped = [e for e in events if e.kind is ClusterKind.FAILOVER_SKIPPED]
    assert [(e.node, e.group, e.reason) for e in skipped] == [
        ("NODE3", "SQL", "NODE3 has no adapter on network Cluster Network 1 (resource SQL IP)")
    ]
    assert str(skipped[0]).startswith("NODE3: failover-skipped: group SQL: NODE3 has no adapter")
    assert c.resources["SQL IP"].state is ResourceState.FAILED
    c.apply(RestoreNode("NODE1"))
    assert c.holders(VIP) == ["NODE1"]
    c.add_adapter("Cluster Network 1", "NODE3", "Team")
    events = c.apply(FailNode("NODE1"))
    assert not [e for e in events if e.kind is ClusterKind.FAILOVER_SKIPPED]  # NODE2 is paused, not skipped
    assert c.holders(VIP) == ["NODE3"] and c.groups["SQL"].owner == "NODE3"


def test_failover_notes_only_the_nodes_it_passed_over(two_nodes):
    c = two_nodes(nodes=2)
    c.apply(OnlineGroup("SQL"))
    late_node(c)  # NODE3 has no adapter, but NODE2 (preferred before it) takes the group
    events = c.apply(FailNode("NODE1"))
    assert c.groups["SQL"].owner == "NODE2"
    assert not [e for e in events if e.kind is ClusterKind.FAILOVER_SKIPPED]


def test_whatif_reports_the_nodes_failover_skips(two_nodes):
    c = two_nodes(nodes=2)
    c.apply(OnlineGroup("SQL"))
    late_node(c)
    c.apply(PauseNode("NODE2"))
    lines = c.whatif(FailNode("NODE1")).lines()
    why = "NODE3 has no adapter on network Cluster Network 1 (resource SQL IP)"
    assert f"  group SQL: failover skips NODE3: {why}" in lines
