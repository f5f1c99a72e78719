"""Shared fixtures: fresh hosts shaped like the scenarios' (loopback + adapters with MACs)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from routekeeper.core import operations as op
from routekeeper.core.cluster.members import IPProperties
from routekeeper.core.cluster.model import Cluster
from routekeeper.core.host import Host
from routekeeper.core.values import IP, Interface, Prefix

NIC = Interface(11, "Local Area Connection 1", "Intel(R) PRO/1000 MT Network Connection", "00-15-5D-01-02-03")
NIC2 = Interface(12, "Local Area Connection 2", "Slow NIC", "00-15-5D-0A-0B-0C", speed=100_000_000)


def ip(text: str) -> IP:
    return IP.parse(text)


def pfx(text: str) -> Prefix:
    return Prefix.parse(text)


@pytest.fixture
def make_host() -> Callable[..., Host]:
    def make(profile: str = "hotfix", *interfaces: Interface) -> Host:
        host = Host(profile)
        for iface in interfaces or (NIC, NIC2):
            host.apply(op.AddInterface(iface))
        return host

    return make


# ---------------------------------------------------------------------- clusters
# A two-node cluster shaped like the transcripts', and a snapshot of a cluster's whole state (cluster
# objects and every node's host) to prove refusals change nothing.

NET1 = Prefix.parse("10.50.0.0/24")
ROUTE = Prefix.parse("10.51.0.0/16")
GATEWAY = IP.parse("10.50.0.1")
VIP = IP.parse("10.50.0.100")
MASK = IP.parse("255.255.255.0")


def make_node(cluster: Cluster, name: str, profile: str, number: int, bound: bool = False) -> Host:
    """A node with interface 11 on 10.50.0.0/24, its own address 10.50.0.1N, and the persistent route
    10.51.0.0/16 via 10.50.0.1 (bound to IF 11 when `bound`)."""
    host = Host(profile, name=f"{cluster.name}/{name}")
    host.apply(op.AddInterface(Interface(11, "Public", mac=f"00-15-5D-01-00-{number:02X}")))
    host.apply(op.AddAddress(11, IP.parse(f"10.50.0.{10 + number}"), 24))
    host.apply(op.AddRoute(ROUTE, GATEWAY, 11 if bound else None, persistent=True))
    cluster.add_node(name, host)
    return host


@pytest.fixture
def two_nodes() -> Callable[..., Cluster]:
    def build(profile: str = "prehotfix", bound: bool = False, nodes: int = 2) -> Cluster:
        c = Cluster("SQLCLUSTER")
        names = [f"NODE{i}" for i in range(1, nodes + 1)]
        for i, name in enumerate(names, start=1):
            make_node(c, name, profile, i, bound)
        c.add_network("Cluster Network 1", NET1, dict.fromkeys(names, 11))
        c.add_group("SQL", names)
        c.add_ip_resource("SQL IP", "SQL", IPProperties(VIP, MASK, "Cluster Network 1"))
        return c

    return build


def host_state(host: Host) -> tuple:
    return (
        host.profile.name,
        tuple(sorted((i.index, i) for i in host.interfaces.values())),
        tuple(sorted((a.ifindex, a.ip, a.length, a.store.value) for a in host.all_addresses())),
        tuple(sorted(host.table, key=lambda r: (r.prefix, r.ifindex, r.nexthop))),
        tuple(sorted(host.persistent.values(), key=lambda p: p.key_sort)),
        tuple(sorted(host.parked, key=str)),
        tuple(sorted(host.held, key=str)),
    )


def cluster_state(c: Cluster) -> tuple:
    """Everything observable about a cluster, its nodes' hosts included (not the history)."""
    return (
        tuple((n.name, n.node_id, n.state, host_state(n.host)) for n in c.nodes.values()),
        tuple((k, v.prefix, tuple(v.adapters.items())) for k, v in c.networks.items()),
        tuple(
            (g.name, tuple(g.preferred), g.owner, g.possible and tuple(g.possible), g.online)
            for g in c.groups.values()
        ),  # fmt: skip
        tuple(
            (r.name, r.group, r.properties, r.state, r.possible and tuple(r.possible), r.plumbed)
            for r in c.resources.values()
        ),  # fmt: skip
        c.step,
        c.next_seq,
        len(c.history),
    )


@pytest.fixture
def snapshot() -> Callable[[Cluster], tuple]:
    return cluster_state
