"""Property tests over random operation sequences.

1. The `hotfix` invariant (spec §1): a manual route is absent from the active table only if it was
   deleted explicitly, or its next hop is not on-link on its interface (reboot ends active-only routes).
2. The Keeper makes a `prehotfix` or `linux` host end in the same active table (manual routes) as a
   `hotfix` host given the same operations.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routekeeper.core import operations as op
from routekeeper.core.events import Kind
from routekeeper.core.host import Host
from routekeeper.core.keeper import keep
from routekeeper.core.operations import Refused
from routekeeper.core.values import IP, Interface, Prefix

ip, pfx = IP.parse, Prefix.parse
NICS = (
    Interface(11, "Local Area Connection 1", "fast", "00-15-5D-01-02-03"),
    Interface(12, "Local Area Connection 2", "slow", "00-15-5D-0A-0B-0C", speed=100_000_000),
)
ADDRESSES = [
    ("10.0.0.5", 24),
    ("10.0.0.6", 24),
    ("10.0.1.5", 24),
    ("10.0.0.7", 16),
    ("2001:db8::5", 64),
    ("2001:db8::6", 64),
]
PREFIXES = ["0.0.0.0/0", "172.16.0.0/12", "192.0.2.0/24", "::/0", "2001:db8:1::/48"]
NEXTHOPS = ["10.0.0.1", "10.0.1.1", "10.0.2.1", "2001:db8::1", "fe80::1"]

address_ops = st.builds(
    lambda add, idx, a: op.AddAddress(idx, ip(a[0]), a[1]) if add else op.DeleteAddress(idx, ip(a[0])),
    st.booleans(),
    st.sampled_from([11, 12]),
    st.sampled_from(ADDRESSES),
)


@st.composite
def route_add(draw: st.DrawFn, persistent_only: bool) -> op.AddRoute:
    prefix = pfx(draw(st.sampled_from(PREFIXES)))
    hops = [h for h in NEXTHOPS if ip(h).version == prefix.version]
    nexthop = ip(draw(st.sampled_from(hops)))
    bound = draw(st.booleans()) or nexthop.is_link_local
    return op.AddRoute(
        prefix,
        nexthop,
        ifindex=draw(st.sampled_from([11, 12])) if bound else None,
        metric=draw(st.integers(1, 30)),
        persistent=True if persistent_only else draw(st.booleans()),
    )


route_delete = st.builds(
    lambda p, via: op.DeleteRoute(pfx(p), ip(via) if via else None),
    st.sampled_from(PREFIXES),
    st.sampled_from([None, *NEXTHOPS]),
)


def operations(persistent_only: bool, with_admin: bool) -> st.SearchStrategy:
    choices = [
        address_ops,
        address_ops,
        route_add(persistent_only),
        route_add(persistent_only),
        st.builds(op.SetInterface, st.sampled_from([11, 12]), connected=st.booleans()),
        st.just(op.Reboot()),
    ]
    if not persistent_only:
        choices.append(route_delete)
        choices.append(st.just(op.FlushGatewayRoutes()))
        choices.append(
            st.builds(
                op.ChangeRoute, st.sampled_from([pfx(p) for p in PREFIXES]), new_metric=st.integers(1, 50)
            )
        )
    if with_admin:
        choices.append(st.builds(op.SetInterface, st.sampled_from([11, 12]), enabled=st.booleans()))
    return st.one_of(*choices)


def fresh(profile: str) -> Host:
    """A host with two adapters. On `linux`, promote_secondaries is on so that the same operations
    leave the same addresses as on Windows (otherwise deleting a primary takes its secondaries, and
    the hosts would no longer be comparable)."""
    host = Host(profile)
    for nic in NICS:
        host.apply(op.AddInterface(nic.with_(promote_secondaries=profile == "linux")))
    return host


def apply(host: Host, o: op.Operation) -> bool:
    try:
        host.apply(o)
    except Refused:
        return False
    return True


def manual(host: Host) -> set[tuple]:
    return {(r.prefix, r.ifindex, r.nexthop, r.metric) for r in host.table if r.manual}


# ------------------------------------------------------------------------ the hotfix invariant
class Intent:
    """What the administrator asked for and has not explicitly taken back."""

    def __init__(self) -> None:
        self.active_only: set[tuple[Prefix, int, IP]] = set()

    def check(self, host: Host) -> None:
        present = {(r.prefix, r.ifindex, r.nexthop) for r in host.table if r.manual}
        for key in self.active_only:
            prefix, ifindex, nexthop = key
            if host.reachable(nexthop, ifindex):
                assert key in present, f"active-only {prefix} via {nexthop} on {ifindex} lost"
        for p in host.persistent.values():
            if p.key in host.parked:
                continue
            if p.ifindex is not None:
                ok = not host.reachable(p.nexthop, p.ifindex) or (p.prefix, p.ifindex, p.nexthop) in present
            else:
                reachable = host.onlink_interfaces(p.nexthop)
                ok = not reachable or any((p.prefix, i, p.nexthop) in present for i in host.interfaces)
            assert ok, f"persistent {p.describe()} absent although its next hop is on-link"


def track(intent: Intent, host: Host, o: op.Operation) -> None:
    if isinstance(o, op.AddRoute) and not o.persistent:
        for e in host.journal[-3:]:
            if e.route is not None and e.route.manual and e.route.prefix == o.prefix:
                intent.active_only.add(e.route.key)
    elif isinstance(o, op.DeleteRoute):
        intent.active_only = {
            k for k in intent.active_only if not (k[0] == o.prefix and o.nexthop in (None, k[2]))
        }
    elif isinstance(o, op.FlushGatewayRoutes):
        intent.active_only = {k for k in intent.active_only if k[2].is_unspecified}
    elif isinstance(o, op.Reboot):
        intent.active_only.clear()


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(operations(persistent_only=False, with_admin=True), min_size=1, max_size=60))
def test_hotfix_invariant_over_random_sequences(ops):
    host = fresh("hotfix")
    intent = Intent()
    for o in ops:
        host.journal.clear()
        if apply(host, o):
            track(intent, host, o)
        intent.check(host)


def random_op(rng: random.Random, persistent_only: bool) -> op.Operation:
    """One operation of a seeded random walk, weighted towards address churn under live routes."""
    kind = rng.random()
    a = rng.choice(ADDRESSES)
    idx = rng.choice([11, 12])
    if kind < 0.45:
        return op.AddAddress(idx, ip(a[0]), a[1]) if rng.random() < 0.55 else op.DeleteAddress(idx, ip(a[0]))
    if kind < 0.8:
        prefix = pfx(rng.choice(PREFIXES))
        nh = ip(rng.choice([h for h in NEXTHOPS if ip(h).version == prefix.version]))
        bound = rng.random() < 0.4 or nh.is_link_local
        persistent = persistent_only or rng.random() < 0.6
        return op.AddRoute(prefix, nh, idx if bound else None, rng.randint(1, 9), persistent)
    if kind < 0.88 and not persistent_only:
        return op.DeleteRoute(pfx(rng.choice(PREFIXES)))
    if kind < 0.98:
        return op.SetInterface(idx, connected=rng.random() < 0.7)
    return op.Reboot()


def test_hotfix_invariant_thousands_of_steps():
    """One long walk (fixed seed) so that rare interleavings get their chance."""
    rng = random.Random(20261129)
    host = fresh("hotfix")
    intent = Intent()
    withdrawn = 0
    for _ in range(5000):
        o = random_op(rng, persistent_only=False)
        host.journal.clear()
        if apply(host, o):
            track(intent, host, o)
            withdrawn += sum(1 for e in host.journal if e.kind is Kind.ROUTE_WITHDRAWN)
        intent.check(host)
    assert withdrawn > 50  # the walk really exercised withdrawals


def test_keeper_equivalence_long_walks():
    """Seeded walks: after every step the keeper-driven hosts match the hotfix host."""
    acted = 0
    for seed in range(30):
        rng = random.Random(seed)
        hot, pre, lin = fresh("hotfix"), fresh("prehotfix"), fresh("linux")
        for _ in range(200):
            o = random_op(rng, persistent_only=True)
            for host in (hot, pre, lin):
                apply(host, o)
            acted += len(keep(pre)) + len(keep(lin))
            expected = manual(hot)
            assert manual(pre) == expected, f"seed {seed}: prehotfix+keeper diverged after {o}"
            assert manual(lin) == expected, f"seed {seed}: linux+keeper diverged after {o}"
    assert acted > 100  # the keeper really had work to do


# ------------------------------------------------------------------------ the keeper equivalence
@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations(persistent_only=True, with_admin=False), min_size=15, max_size=60))
def test_keeper_makes_prehotfix_and_linux_match_hotfix(ops):
    hot, pre, lin = fresh("hotfix"), fresh("prehotfix"), fresh("linux")
    for o in ops:
        for host in (hot, pre, lin):
            apply(host, o)
        keep(pre)
        keep(lin)
        expected = manual(hot)
        assert manual(pre) == expected, f"prehotfix+keeper diverged after {o}"
        assert manual(lin) == expected, f"linux+keeper diverged after {o}"
