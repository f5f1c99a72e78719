"""The defect on a real cluster, without routekeeper: an IPaddr2 address that moves takes routes with it.

Group `svc` holds two IPaddr2 addresses: `vip-lan` is a second address on lan0 (the node keeps its own),
`vip-svc` is svc0's only address. On the node where they run, an administrator adds routes that use them.
After `crm_resource --move` the kernel has deleted the routes whose `src` is vip-lan, and every route of
svc0 (via a gateway, onlink, dev-only); when the group comes back, none of them does. The route via
another next hop on lan0 stays throughout.
"""

from __future__ import annotations

import harness
import pytest
from harness import VIP_LAN, VIP_SVC, has, kernel_addresses, kernel_routes

# (destination, the `ip route add` arguments after it)
LOST = [
    ("10.10.0.0/16", ["via", "192.168.50.1", "dev", "lan0", "src", VIP_LAN]),
    ("10.20.0.0/16", ["via", "192.168.60.1", "dev", "svc0"]),
    ("10.21.0.0/16", ["dev", "svc0"]),
    ("10.22.0.0/16", ["via", "192.168.70.1", "dev", "svc0", "onlink"]),
]
KEPT = ("10.30.0.0/16", ["via", "192.168.50.254", "dev", "lan0"])


@pytest.fixture(scope="module")
def service(cluster: harness.Cluster) -> harness.Cluster:
    cluster.configure(harness.SERVICE)
    assert cluster.idle(60), cluster.status()
    return cluster


def test_moving_address_takes_routes_and_never_brings_them_back(service: harness.Cluster) -> None:
    home = service.node(service.where("svc") or "")
    away = next(n for n in service.nodes if n is not home)
    assert {VIP_LAN, VIP_SVC} <= kernel_addresses(home.netns)
    for dst, args in [*LOST, KEPT]:
        harness.sh("ip", "-n", home.netns, "route", "add", dst, *args)
    before = kernel_routes(home.netns)
    assert has(before, "10.10.0.0/16", prefsrc=VIP_LAN) and has(before, "10.21.0.0/16", dev="svc0")

    service.move("svc", away)
    assert service.where("svc") == away.name
    assert not {VIP_LAN, VIP_SVC} & kernel_addresses(home.netns)
    after_move = kernel_routes(home.netns)
    for dst, _ in LOST:
        assert not has(after_move, dst), f"{dst} survived the move: {after_move}"
    assert has(after_move, KEPT[0], gateway="192.168.50.254")

    service.move("svc", home)
    assert {VIP_LAN, VIP_SVC} <= kernel_addresses(home.netns)
    back = kernel_routes(home.netns)
    for dst, _ in LOST:
        assert not has(back, dst), f"{dst} came back without routekeeper?"
    assert has(back, KEPT[0], gateway="192.168.50.254")
