"""The keeper's address fast path: the vectorised encoder, the next-hop index, and the decision.

When an address comes back the daemon sends the routes it makes reachable before updating anything,
and decides with integers on its raw mirror instead of running `keeper.reconcile` on the core view.
These tests hold that shortcut to the real thing: byte for byte against the per-message encoder, and
decision for decision against `reconcile` on the view with the address added (random hosts). The
last test runs the daemon on a kernel with two interfaces and checks that only the covered routes
are re-installed.
"""

from __future__ import annotations

import random
import subprocess
import time

import numpy as np
import pytest

from routekeeper.core.keeper import reconcile
from routekeeper.core.values import IP, PersistentRoute, Prefix
from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr, KLink, KRoute
from routekeeper.linux.keeper.fastpath import address_added_targets, new_onlink_prefix, onlink_interfaces
from routekeeper.linux.keeper.index import NexthopIndex, group_routes, key_prefix, prefix_key
from routekeeper.linux.keeper.view import additions, build_view
from routekeeper.linux.nlsock import RtnlSocket
from routekeeper.linux.observe import PROTO_ROUTEKEEPER
from routekeeper.store.linux import LinuxRouteStore, StoredRoute


# ------------------------------------------------------------------------------------------ encoder
@pytest.mark.no_kernel
@pytest.mark.parametrize("version", [4, 6])
def test_kernel_batch_template_matches_bulk_encoder(version: int) -> None:
    rng = random.Random(version)
    bits = 32 if version == 4 else 128
    gateway = IP.parse("10.0.0.1" if version == 4 else "2001:db8::1").value
    members = []
    for _ in range(1100):
        length = rng.randint(1, bits)
        network = rng.getrandbits(bits) & ~((1 << (bits - length)) - 1)
        members.append((network, length))
    template = codec.BatchTemplate(codec.RTM_NEWROUTE, version, PROTO_ROUTEKEEPER, gateway, 7, 1024)
    lens = np.array([ln for _n, ln in members], dtype=np.uint8)
    if version == 4:
        dst: object = np.array([n for n, _l in members], dtype=np.uint32)
    else:
        low = (1 << 64) - 1
        dst = (
            np.array([n >> 64 for n, _l in members], dtype=np.uint64),
            np.array([n & low for n, _l in members], dtype=np.uint64),
        )
    got = template.encode(5000, dst, lens, ack_every=512)
    enc = codec.BulkEncoder(codec.RTM_NEWROUTE, version, PROTO_ROUTEKEEPER)
    want = bytearray()
    for i, (network, length) in enumerate(members):
        ack = (i + 1) % 512 == 0 or i == len(members) - 1
        enc.encode(want, 5000 + i, network, length, gateway, 7, 1024, ack=ack)
    assert got == want


@pytest.mark.no_kernel
def test_kernel_prefix_key_round_trip() -> None:
    for version, text in ((4, "10.1.2.0/24"), (4, "0.0.0.0/0"), (6, "2001:db8:ffff::/48"), (6, "::/0")):
        p = Prefix.parse(text)
        assert key_prefix(prefix_key(version, p.network, p.length)) == (p.network, p.length)


# ------------------------------------------------------------------------------------------ index
@pytest.mark.no_kernel
def test_kernel_nexthop_index_covers_exactly_the_subnet() -> None:
    nexthops = ["10.0.0.1", "10.0.0.254", "10.0.1.1", "10.0.0.0", "192.168.1.1", "0.0.0.0"]
    routes = [
        PersistentRoute(Prefix.parse(f"172.16.{n}.0/24"), IP.parse(nh)) for n, nh in enumerate(nexthops)
    ] + [PersistentRoute(Prefix.parse("2001:db8:5::/64"), IP.parse("2001:db8::1"))]
    index = NexthopIndex(group_routes(routes).values())
    got = {str(IP(4, g.nexthop)) for g in index.covered(4, IP.parse("10.0.0.0").value, 24)}
    assert got == {"10.0.0.1", "10.0.0.254", "10.0.0.0"}, "only next hops inside 10.0.0.0/24; never 0.0.0.0"
    assert {g.nexthop for g in index.covered(6, IP.parse("2001:db8::").value, 64)} == {
        IP.parse("2001:db8::1").value
    }
    assert index.covered(4, IP.parse("10.9.0.0").value, 16) == []


# ------------------------------------------------------------------------------------------ decision
IFF = codec.IFF_UP


def random_host(
    rng: random.Random,
) -> tuple[dict[int, KLink], list[KAddr], list[KRoute], list[PersistentRoute]]:
    """Links (lo + 3 devices, some down), addresses in a few small subnets, manual on-link routes,
    and persistent gateway routes, bound or not, whose next hops fall in and out of those subnets."""
    links = {1: KLink(1, "lo", codec.IFF_UP | codec.IFF_LOOPBACK, 65536, "", True)}
    for i in (2, 3, 4):
        links[i] = KLink(i, f"v{i}", IFF if rng.random() < 0.8 else 0, 1500, f"02:00:00:00:00:0{i}", True)
    subnets4 = ["10.0.0.0", "10.0.1.0", "10.0.2.0"]
    addrs: list[KAddr] = []
    seen: set[tuple[int, int]] = set()
    for _ in range(rng.randint(0, 5)):
        i = rng.choice([1, 2, 3, 4])
        if rng.random() < 0.75:
            ip = IP.parse(rng.choice(subnets4)).value + rng.randint(1, 20)
            length = rng.choice([24, 24, 24, 32, 31])
            a = KAddr(4, ip, length, i, 0)
        else:
            ip = IP.parse(rng.choice(["2001:db8::", "2001:db8:1::"])).value + rng.randint(1, 20)
            a = KAddr(6, ip, rng.choice([64, 64, 128]), i, 0)
        if (a.ip, a.ifindex) not in seen and not any(x.ip == a.ip for x in addrs):
            seen.add((a.ip, a.ifindex))
            addrs.append(a)
    onlink = []
    if rng.random() < 0.3:
        net = IP.parse("10.0.2.0").value
        onlink.append(
            KRoute(4, net, 25, rng.choice([2, 3, 4]), 0, 0, 254, 3, 253, codec.RTN_UNICAST, 0, None)
        )
    persistent = []
    for n in range(rng.randint(1, 8)):
        if rng.random() < 0.8:
            nh = IP(4, IP.parse(rng.choice(subnets4)).value + rng.randint(1, 30))
            prefix = Prefix.parse(f"172.16.{n}.0/24")
        else:
            nh = IP.parse(rng.choice(["2001:db8::fe", "2001:db8:1::fe", "fe80::1"]))
            prefix = Prefix.parse(f"2001:db8:{n + 100:x}::/64")
        ifindex = rng.choice([None, None, 2, 3])
        if nh.is_link_local and ifindex is None:
            ifindex = 2
        persistent.append(PersistentRoute(prefix, nh, 0 if prefix.version == 4 else 1024, ifindex))
    return links, addrs, onlink, persistent


def decisions(links, addrs, onlink, groups) -> dict[tuple, int | None]:  # type: ignore[no-untyped-def]
    """What `keeper.reconcile` says for each gateway group on the view of this state."""
    view = build_view(links.values(), addrs, onlink, None)
    out: dict[tuple, int | None] = {}
    for key, g in groups.items():
        if g.nexthop == 0:
            continue
        actions = additions(reconcile([g.representative(*g.members[0])], view))
        out[key] = actions[0].operation.ifindex if actions else None
    return out


@pytest.mark.no_kernel
@pytest.mark.parametrize("seed", range(400))
def test_kernel_fast_decision_equals_reconcile(seed: int) -> None:
    """For a random host and a random new address: the fast path's targets are exactly the groups
    whose placement the address changes, with the placement `reconcile` chooses; next hops outside
    the new subnet are never touched; and the raw reachability equals the view's."""
    rng = random.Random(seed)
    links, addrs, onlink, persistent = random_host(rng)
    groups = group_routes(persistent)
    index = NexthopIndex(groups.values())
    view = build_view(links.values(), addrs, onlink, None)
    for g in groups.values():
        ip = IP(g.version, g.nexthop)
        assert onlink_interfaces(g.version, g.nexthop, links, addrs, onlink) == sorted(
            view.onlink_interfaces(ip)
        ), f"reachability of {ip}"
    i = rng.choice([1, 2, 3, 4])
    if rng.random() < 0.75:
        new = KAddr(4, IP.parse(rng.choice(["10.0.0.0", "10.0.1.0"])).value + rng.randint(1, 30), 24, i, 0)
    else:
        new = KAddr(6, IP.parse("2001:db8::").value + rng.randint(21, 40), rng.choice([64, 128]), i, 0)
    if any(x.ip == new.ip for x in addrs):
        return
    before = decisions(links, addrs, onlink, groups)
    after = decisions(links, [*addrs, new], onlink, groups)
    prefix = new_onlink_prefix(new, links[i], addrs)
    fast = {}
    if prefix is not None:
        fast = {id(g): t for g, t in address_added_targets(prefix, i, links, addrs, onlink, index)}
    for key, g in groups.items():
        if g.nexthop == 0:
            continue
        if after[key] is not None and after[key] != before[key]:
            assert fast.get(id(g)) == after[key], f"group {key}: reconcile places it on {after[key]}"
        if id(g) in fast:
            assert fast[id(g)] == after[key], f"group {key}: fast {fast[id(g)]}, reconcile {after[key]}"
            v, network, length = prefix  # type: ignore[misc]
            assert Prefix(v, network, length).contains(IP(g.version, g.nexthop)), "only covered next hops"


# ------------------------------------------------------------------------------------------ kernel
def ip(ns: str, *args: str) -> str:
    r = subprocess.run(["ip", "-n", ns, *args], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"ip -n {ns} {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def test_kernel_address_returns_only_covered_routes_reinstalled(lab, state_file) -> None:  # type: ignore[no-untyped-def]
    """Two devices. The last address of va0 goes (its routes are flushed) and comes back: every route
    via va0's gateway is re-installed, and the daemon touches nothing else (its log names one covered
    group; the routes via va1 keep the very same kernel entries)."""
    from tests.linux.keeper.test_loop import wait_log

    ns, peer = lab.netns(), lab.netns()
    lab.veth(ns, "va0", peer, "vb0")
    lab.veth(ns, "va1", peer, "vb1")
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    ip(ns, "addr", "add", "10.1.0.2/24", "dev", "va1")
    covered = [f"10.{20 + n}.0.0/16" for n in range(30)]  # more than SMALL: the vectorised path
    other = [f"10.{80 + n}.0.0/16" for n in range(3)]
    with LinuxRouteStore(state_file, ns) as store:
        store.add(
            [
                StoredRoute(PersistentRoute(Prefix.parse(p), IP.parse("10.0.0.1")), None, False)
                for p in covered
            ]
            + [
                StoredRoute(PersistentRoute(Prefix.parse(p), IP.parse("10.1.0.1")), None, False)
                for p in other
            ]
        )
    p = lab.daemon("--netns", ns, "--state", state_file, "--interval", "3600", "-v")
    wait_log(p, "ready in")

    def ours() -> dict[str, int]:
        with RtnlSocket(ns) as s:
            return {
                str(Prefix(4, r.dst, r.dst_len)): r.oif
                for r in s.routes(version=4, table=codec.RT_TABLE_MAIN)
                if r.proto == PROTO_ROUTEKEEPER
            }

    assert set(ours()) == set(covered) | set(other)
    ip(ns, "addr", "del", "10.0.0.2/24", "dev", "va0")
    assert lab.wait_for(lambda: set(ours()) == set(other), 3.0)
    wait_log(p, "re-verified interface")
    ip(ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    line = wait_log(p, "address 10.0.0.2/24 added:")
    assert "1 groups covered, 30 routes installed" in line
    assert lab.wait_for(lambda: set(ours()) == set(covered) | set(other), 3.0)
    time.sleep(0.1)
    assert set(ours()) == set(covered) | set(other)
