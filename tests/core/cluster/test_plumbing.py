"""Plans of address changes are checked whole against the nodes' addresses before any node is touched."""

from __future__ import annotations

import pytest

from routekeeper.core.cluster.errors import ClusterError, ClusterRefused
from routekeeper.core.cluster.operations import OnlineGroup
from routekeeper.core.cluster.plumbing import add_step, check_plan, remove_steps


def test_a_move_is_a_removal_then_an_add_and_checks_as_a_whole(two_nodes, snapshot):
    c = two_nodes()
    c.apply(OnlineGroup("SQL"))
    r = c.resource("SQL IP")
    removals = remove_steps([r], "moving")
    adds = [add_step(c, r, "NODE2", "moving")]
    assert [(s.action, s.node, s.ifindex) for s in removals + adds] == [
        ("remove", "NODE1", 11),
        ("add", "NODE2", 11),
    ]
    before = snapshot(c)
    check_plan(c, removals + adds)
    with pytest.raises(ClusterRefused) as info:
        check_plan(c, adds)  # the address is still on NODE1
    assert info.value.code is ClusterError.ADDRESS_IN_USE and "on NODE1" in info.value.detail
    assert snapshot(c) == before
