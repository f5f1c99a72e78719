"""Placement decisions read the cluster and change nothing: failover order, candidates, passed-over nodes."""

from __future__ import annotations

from routekeeper.core.cluster.members import NodeState
from routekeeper.core.cluster.placement import candidates, failover_order, passed_over


def test_failover_order_is_preferred_owners_then_the_others_as_they_joined(two_nodes):
    c = two_nodes(nodes=3)
    g = c.group("SQL")
    g.preferred = ["NODE3"]
    assert failover_order(c, g) == ["NODE3", "NODE1", "NODE2"]


def test_candidates_skip_down_and_paused_nodes_and_nodes_that_cannot_host(two_nodes, snapshot):
    c = two_nodes(nodes=3)
    g = c.group("SQL")
    c.nodes["NODE2"].state = NodeState.PAUSED
    before = snapshot(c)
    assert list(candidates(c, g, exclude="NODE1")) == ["NODE3"]
    assert list(candidates(c, g, exclude="NODE1", take_paused=True)) == ["NODE2", "NODE3"]
    c.resource("SQL IP").possible = ["NODE1", "NODE2"]
    assert list(candidates(c, g, exclude="NODE1")) == []
    assert passed_over(c, g, exclude="NODE1", target=None) == [
        ("NODE3", "NODE3 is not a possible owner of resource SQL IP")
    ]
    c.resource("SQL IP").possible = None
    assert snapshot(c) == before
