"""A copy and a store round trip are indistinguishable from the live host.

Every what-if and all-or-nothing batch works on `Host.copy()`, and every CLI command works on the host
loaded back from its state file. Over random operation sequences (all three profiles), the live host,
its copy, the host saved event by event (as the CLI saves) and loaded back, and the host written whole
and loaded back must show the same: the Windows tools' output, the native views, lookups with their
chosen source, the addresses in their order, the persistent store; and the same next operation must
set off the same events on each.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routekeeper.core import operations as op
from routekeeper.core.events import Event
from routekeeper.core.host import Host
from routekeeper.core.operations import Refused
from routekeeper.core.values import IP
from routekeeper.frontends import native
from routekeeper.frontends.registry import run_tool
from routekeeper.store.hosts import HostStore


def _core_properties() -> ModuleType:
    """tests/core/test_properties.py, for its operation strategies (test files are not a package)."""
    path = Path(__file__).resolve().parents[1] / "core" / "test_properties.py"
    spec = importlib.util.spec_from_file_location("core_property_strategies", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


properties = _core_properties()
STEPS = st.one_of(
    properties.operations(persistent_only=False, with_admin=True),
    st.builds(op.SetInterface, st.sampled_from([11, 12]), promote_secondaries=st.booleans()),
)
TOOLS = [
    ["route", "print"],
    ["netsh", "interface", "ipv4", "show", "addresses"],
    ["netsh", "interface", "ipv6", "show", "addresses"],
    ["netsh", "interface", "ipv4", "show", "route"],
    ["ipconfig", "/all"],
]
PROBES = [
    IP.parse(text)
    for text in ("10.0.0.99", "10.0.1.99", "10.0.200.1", "172.16.5.5", "192.0.2.9", "8.8.8.8",
                 "2001:db8::99", "2001:db8:1::5", "fe80::9")
]  # fmt: skip


def views(host: Host) -> dict[str, object]:
    """Everything a user or a store can see of a host."""
    seen: dict[str, object] = {}
    for argv in TOOLS:
        out = run_tool(host, argv)
        seen[" ".join(argv)] = (out.stdout, out.stderr, out.exit)
    seen["native routes"] = list(native.routes_text(host))
    seen["native host"] = list(native.host_text(host))
    seen["native json"] = native.routes_json(host)
    lookups = []
    for probe in PROBES:
        route = host.lookup(probe)
        lookups.append((probe, route, host.source_address(route) if route is not None else None))
    seen["lookups"] = lookups
    # native.explain_lookup is compared by its own test below (rivals by key, in a fixed order).
    seen["addresses"] = {i: host.addresses_of(i) for i in sorted(host.interfaces)}
    seen["interfaces"] = sorted(host.interfaces.items())
    seen["table"] = sorted((r.key, r) for r in host.table)
    seen["persistent"] = sorted((p.key_sort, p) for p in host.persistent.values())
    seen["parked"] = sorted(host.persistent[k].key_sort for k in host.parked)
    seen["last placed"] = sorted((host.persistent[k].key_sort, i) for k, i in host.last_placed.items())
    seen["held"] = sorted((r.key, r) for r in host.held.values())
    seen["waiting"] = sorted(p.key_sort for p in host.waiting())
    seen["plumbed"] = sorted((p.key_sort, host.plumbed_route(p)) for p in host.persistent.values())
    return seen


def outcome(host: Host, operation: op.Operation) -> list[Event] | tuple[str, str]:
    """The events an operation sets off, or its refusal.

    Events come in the order the host walks what it changes, and an operation that walks the whole
    active table (reboot, `route -f`) walks it in the table's iteration order: insertion order on a
    live host, key order on one loaded from a store. So the events are compared as a collection here,
    and the state they leave is compared in full afterwards.
    """
    try:
        return sorted(host.apply(operation), key=repr)
    except Refused as refused:
        return ("refused", f"{refused.code} {refused}")


def renamed(host: Host, name: str) -> Host:
    twin = host.copy()
    twin.name = name
    return twin


@pytest.mark.parametrize("profile", ["hotfix", "prehotfix", "linux"])
@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(STEPS, min_size=2, max_size=30))
def test_copy_and_store_round_trips_match_the_live_host(profile, ops):
    *sequence, last = ops
    with tempfile.TemporaryDirectory() as tmp:
        store = HostStore(Path(tmp) / "state.db")
        try:
            live = properties.fresh(profile)
            live.name = "live"
            with store.transaction() as tx:
                tx.create_host(live)
            live.journal.clear()
            for operation in sequence:
                properties.apply(live, operation)
                with store.transaction() as tx:
                    tx.save(live, live.journal, "step")
                live.journal.clear()
            with store.transaction() as tx:
                tx.create_host(renamed(live, "whole"))
            with store.transaction() as tx:
                saved, whole = tx.load("live"), tx.load("whole")
        finally:
            store.close()
    assert saved is not None and whole is not None
    whole.name = live.name  # stored under another name beside it; the name is only a label
    others = {"copy": live.copy(), "saved event by event": saved, "written whole": whole}
    expected = views(live)
    for what, other in others.items():
        assert views(other) == expected, f"{what} differs from the live host after {sequence}"
    expected_next = outcome(live, last)
    for what, other in others.items():
        assert outcome(other, last) == expected_next, f"{what}: {last} set off other events"
    expected = views(live)
    for what, other in others.items():
        assert views(other) == expected, f"{what} differs from the live host after {last}"


def test_explain_lookup_reads_the_same_on_a_loaded_host(tmp_path):
    live = properties.fresh("linux")
    store = HostStore(tmp_path / "state.db")
    try:
        with store.transaction() as tx:
            tx.create_host(live)
        live.journal.clear()
        for operation in (op.SetInterface(11, enabled=False), op.SetInterface(11, enabled=True)):
            live.apply(operation)
            with store.transaction() as tx:
                tx.save(live, live.journal, "step")
            live.journal.clear()
        with store.transaction() as tx:
            loaded = tx.load(live.name)
    finally:
        store.close()
    assert loaded is not None
    probe = IP.parse("fe80::9")
    assert native.explain_lookup(loaded, probe) == native.explain_lookup(live, probe)
    assert not any(
        line.startswith("  not fe80::/64 on-link on interface 11")
        for line in native.explain_lookup(live, probe)
    )
