"""A host with a large table survives the store unchanged: create/load, rewrites, event writes after a
bulk load, and the columnar table constructor the store loads through."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from routekeeper.core import operations as op
from routekeeper.core.host import Host
from routekeeper.core.table.columns import RouteColumns
from routekeeper.core.table.routes import RouteTable
from routekeeper.core.values import IP, Interface, Origin, Prefix, Route
from routekeeper.store.hosts import HostStore

ip, pfx = IP.parse, Prefix.parse


def snapshot(host: Host, stored_placements: bool = False) -> tuple:
    """Everything a host is; with `stored_placements`, only the placements of routes in its persistent
    store (the synthetic table flags routes persistent that have no stored entry, and a withdrawal
    remembers where those were in memory only, as schema 1 did too)."""
    placed = {k: v for k, v in host.last_placed.items() if not stored_placements or k in host.persistent}
    return (
        sorted(host.interfaces.items()),
        sorted((a.ifindex, a.order, str(a)) for a in host.all_addresses()),
        sorted((r.key, r) for r in host.table),
        sorted((p.key_sort, p) for p in host.persistent.values()),
        sorted(p.key_sort for k, p in host.persistent.items() if k in host.parked),
        sorted((str(k[0]), str(k[1]), k[2], v) for k, v in placed.items()),
        sorted((r.key, r) for r in host.held.values()),
    )


def blob(a: IP) -> bytes:
    return a.value.to_bytes(4 if a.version == 4 else 16, "big")


def v1_order(r: Route) -> tuple:
    """Schema 1's primary-key order (BLOBs compare as memcmp, shorter first), which loads keep."""
    return (blob(r.prefix.address), r.prefix.length, r.ifindex, blob(r.nexthop))


def random_routes(n: int, seed: int) -> list[Route]:
    """Distinct-keyed routes of both families with every flag, source, kind and origin mixed in."""
    rng = random.Random(seed)
    hops = {
        4: [ip("10.0.0.1"), ip("10.0.0.2"), ip("0.0.0.0"), ip("192.0.2.1")],
        6: [ip("2001:db8::1"), ip("fe80::1"), ip("::"), ip("2001:db8::2")],
    }
    sources = {4: [ip("10.0.0.5"), ip("192.0.2.10")], 6: [ip("2001:db8::5"), ip("fe80::5")]}
    seen = set()
    out = []
    while len(out) < n:
        version = 4 if rng.random() < 0.7 else 6
        bits = 32 if version == 4 else 128
        length = rng.choice(
            [0, 1, 8, 16, 24, 31, 32] if version == 4 else [0, 1, 32, 48, 63, 64, 65, 127, 128]
        )
        value = rng.getrandbits(bits) if rng.random() < 0.9 else rng.choice([0, (1 << bits) - 1])
        prefix = Prefix.of(IP(version, value), length)
        ifindex = rng.choice([2, 3, 4, 11])
        nexthop = rng.choice(hops[version])
        if (prefix, ifindex, nexthop) in seen:
            continue
        seen.add((prefix, ifindex, nexthop))
        out.append(
            Route(
                prefix,
                ifindex,
                nexthop,
                metric=rng.choice([0, 1, 25, 9999, -5, (1 << 63) - 1, -(1 << 63)]),
                origin=rng.choice(list(Origin)),
                bound=rng.random() < 0.3,
                persistent=rng.random() < 0.2,
                prefsrc=rng.choice(sources[version]) if rng.random() < 0.1 else None,
                onlink_flag=rng.random() < 0.1,
                kind=rng.choice(["unicast", "unicast", "local", "broadcast", "blackhole"]),
            )
        )
    return out


def big_host(profile: str, n: int = 50_000) -> Host:
    """Persistent (bound and unbound), parked, held and placed routes through operations, plus a
    large table of mixed routes."""
    host = Host(profile, "big")
    host.apply(op.AddInterface(Interface(2, "up4", mac="02-00-00-00-00-02")))
    host.apply(op.AddInterface(Interface(3, "up6", mac="02-00-00-00-00-03")))
    host.apply(op.AddInterface(Interface(4, "mgmt", mac="02-00-00-00-00-04")))
    host.apply(op.AddAddress(2, ip("10.0.0.5"), 24))
    host.apply(op.AddAddress(3, ip("2001:db8::5"), 64))
    host.apply(op.AddAddress(4, ip("192.0.2.10"), 24))
    host.apply(op.AddAddress(4, ip("192.0.2.11"), 24))
    host.apply(op.AddRoute(pfx("203.0.113.0/24"), ip("192.0.2.1"), ifindex=4, persistent=True))
    host.apply(op.AddRoute(pfx("198.18.0.0/15"), ip("192.0.2.2"), persistent=True))
    host.apply(op.AddRoute(pfx("2001:db8:9::/48"), ip("2001:db8::1"), persistent=True))
    host.apply(op.AddRoute(pfx("172.16.0.0/12"), ip("10.0.0.1"), persistent=False))
    host.apply(op.AddRoute(pfx("100.64.0.0/10"), ip("10.0.0.9"), persistent=True))
    host.apply(op.FlushGatewayRoutes(version=6))  # parks the IPv6 persistent route
    host.apply(op.SetInterface(2, connected=False))  # withdraws, holds or leaves waiting what rode on 2
    host.apply(op.SetInterface(2, connected=True))
    host.apply(op.AddRoute(pfx("10.99.0.0/16"), ip("10.0.0.1"), persistent=False))
    host.held[(pfx("10.98.0.0/16"), 2, ip("10.0.0.7"))] = Route(pfx("10.98.0.0/16"), 2, ip("10.0.0.7"), 3)
    host.held[(pfx("2001:db8:7::/48"), 3, ip("fe80::7"))] = Route(
        pfx("2001:db8:7::/48"), 3, ip("fe80::7"), 3, prefsrc=ip("2001:db8::5"), kind="blackhole"
    )
    for r in random_routes(n, seed=11):
        if r.key not in host.table:
            host.table.add(r)
    return host


@pytest.mark.parametrize("profile", ["hotfix", "prehotfix", "linux"])
def test_large_host_survives_create_and_load(tmp_path: Path, profile: str) -> None:
    host = big_host(profile)
    assert host.parked and host.last_placed and host.held and len(host.table) > 50_000
    store = HostStore(tmp_path / "s.db")
    with store.transaction() as tx:
        tx.create_host(host)
    with store.transaction() as tx:
        loaded = tx.load("big")
    assert loaded is not None
    assert snapshot(loaded) == snapshot(host)
    order = [v1_order(r) for r in loaded.table]
    assert order == sorted(order)  # the order schema 1 loaded in (it decides lookups among equals)
    assert [r.key for r in loaded.held.values()] == sorted(host.held, key=lambda k: v1_order(Route(*k)))
    # a full rewrite (what saving a reboot does) of the loaded host reads back the same
    with store.transaction() as tx:
        host_id = tx.host_id("big")
        assert host_id is not None
        tx._write_all(host_id, loaded)
    with store.transaction() as tx:
        again = tx.load("big")
    assert again is not None and snapshot(again) == snapshot(host)
    assert [r.key for r in again.table] == [r.key for r in loaded.table]
    assert store.integrity_ok()


def test_event_writes_after_a_bulk_load_match_memory(tmp_path: Path) -> None:
    """Operations on a loaded large host, saved event by event, load back as the host in memory; the
    pre-hotfix stack's withdrawal of unbound routes (read from the table's flags) included."""
    store = HostStore(tmp_path / "s.db")
    with store.transaction() as tx:
        tx.create_host(big_host("prehotfix", 20_000))
    with store.transaction() as tx:
        host = tx.load("big")
    assert host is not None
    unbound_before = host.unbound_routes(2)
    assert unbound_before and all(r.manual and not r.bound and r.ifindex == 2 for r in unbound_before)
    steps = [
        op.AddRoute(pfx("10.77.0.0/16"), ip("10.0.0.1"), persistent=True),
        op.AddAddress(2, ip("10.0.0.6"), 24),
        op.DeleteAddress(2, ip("10.0.0.6")),  # pre-hotfix: every unbound route on 2 is withdrawn
        op.DeleteRoute(pfx("203.0.113.0/24")),
        op.AddAddress(4, ip("192.0.2.12"), 24),
        op.Reboot(),
    ]
    for step in steps:
        events = host.apply(step)
        with store.transaction() as tx:
            tx.save(host, events, str(step))
            loaded = tx.load("big")
        assert loaded is not None
        assert snapshot(loaded, True) == snapshot(host, True), step
        assert {r.key for r in loaded.unbound_routes(2)} == {r.key for r in host.unbound_routes(2)}
    assert not host.unbound_routes(2) or all(not r.bound for r in host.unbound_routes(2))


def test_columns_round_trip_and_match_the_route_constructor() -> None:
    routes = random_routes(5_000, seed=3)
    table = RouteTable(routes)
    cols = table.to_columns()
    again = RouteTable.from_columns(cols)
    assert list(again) == list(table)
    assert RouteTable.from_columns(cols).lpm_kind(4) == RouteTable(cols.routes()).lpm_kind(4)
    for r in routes[:50]:
        assert again.with_prefix(r.prefix) == table.with_prefix(r.prefix)
        assert again.on_interface(r.ifindex)[:20] == table.on_interface(r.ifindex)[:20]
    assert again.nexthops_on(2) == table.nexthops_on(2)
    # after changes (a freed row reused) iteration order is no longer row order; columns follow it
    table.remove(routes[10].key)
    table.remove(routes[20].key)
    table.add(routes[10])
    assert list(RouteTable.from_columns(table.to_columns())) == list(table)
    assert table.where(persistent=True) == [r for r in table if r.persistent]
    assert table.where(ifindex=2, manual=True, bound=False) == [
        r for r in table.on_interface(2) if r.manual and not r.bound
    ]
    # a small table goes through add() exactly as RouteTable(routes) does
    small = RouteTable(routes[:100])
    assert list(RouteTable.from_columns(small.to_columns())) == list(small)


def test_repeated_keys_replace_in_place_as_add_does() -> None:
    routes = random_routes(1_000, seed=5)
    twice = [*routes, routes[7].with_(metric=77), routes[500].with_(kind="local")]
    cols = RouteTable(routes).to_columns()
    extra = RouteTable(twice[-2:]).to_columns()
    ips = list(cols.ips)
    for a in extra.ips:
        if a not in ips:
            ips.append(a)
    kinds = list(cols.kinds)
    for k in extra.kinds:
        if k not in kinds:
            kinds.append(k)
    remap_ip = np.array([ips.index(a) for a in extra.ips])
    remap_kind = np.array([kinds.index(k) for k in extra.kinds])

    def joined(name: str) -> np.ndarray:
        a, b = getattr(cols, name), getattr(extra, name)
        if name == "nexthop":
            b = remap_ip[b]
        elif name == "prefsrc":
            b = np.where(b >= 0, remap_ip[np.maximum(b, 0)], -1)
        elif name == "kind":
            b = remap_kind[b]
        return np.concatenate([a, b])

    fields = [
        "version", "hi", "lo", "length", "ifindex", "nexthop", "metric", "origin", "bound",
        "persistent", "onlink", "prefsrc", "kind",
    ]  # fmt: skip
    merged = RouteColumns(**{f: joined(f) for f in fields}, ips=ips, kinds=kinds)
    assert list(RouteTable.from_columns(merged)) == list(RouteTable(twice))


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("lo", 1, ValueError),  # host bits of a /0 .. /32
        ("version", 5, ValueError),
        ("length", 33, ValueError),  # an IPv4 /33
        ("ifindex", 1 << 31, ValueError),
        ("nexthop", 99, ValueError),
        ("kind", 9, ValueError),
    ],
)
def test_columns_are_checked_like_routes(field: str, value: int, error: type) -> None:
    cols = RouteTable(
        [Route(Prefix(4, (10 << 24) | (i << 8), 24), 2, ip("10.0.0.1")) for i in range(300)]
    ).to_columns()
    arrays = {
        f: np.array(getattr(cols, f)).astype(np.int64)
        for f in (
            "version",
            "hi",
            "lo",
            "length",
            "ifindex",
            "nexthop",
            "metric",
            "origin",
            "prefsrc",
            "kind",
        )
    }
    arrays[field][3] = value if field != "lo" else arrays["lo"][3] | value
    for f in ("bound", "persistent", "onlink"):
        arrays[f] = getattr(cols, f)
    with pytest.raises(error):
        RouteTable.from_columns(RouteColumns(**arrays, ips=cols.ips, kinds=cols.kinds))
