"""`route print`'s IPv4 rows formatted from columns are exactly the row-by-row path's lines."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routekeeper.core import operations as op
from routekeeper.core.host import Host
from routekeeper.core.values import IP, Interface, Prefix
from routekeeper.frontends import route
from routekeeper.frontends.route_print_columns import v4_active_rows


def _core_properties() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "core" / "test_properties.py"
    spec = importlib.util.spec_from_file_location("core_property_strategies_print", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


properties = _core_properties()


def row_by_row(host: Host) -> list[str]:
    return list(route._active_rows(host, 4, None))


@pytest.mark.parametrize("profile", ["hotfix", "prehotfix", "linux"])
@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(properties.operations(persistent_only=False, with_admin=True), max_size=25))
def test_columns_match_row_by_row_on_random_hosts(profile, ops):
    host = properties.fresh(profile)
    for operation in ops:
        properties.apply(host, operation)
    assert list(v4_active_rows(host)) == row_by_row(host)


def test_a_large_table_with_every_kind_of_row():
    """Gateway, on-link and /32 routes, a preferred source, a down interface, a loopback, equal prefixes
    on several interfaces: more rows than one formatting chunk."""
    host = Host("hotfix")
    host.apply(op.AddInterface(Interface(11, "LAN", "nic", "00-15-5D-01-02-03")))
    host.apply(op.AddInterface(Interface(12, "WAN", "nic2", "00-15-5D-01-02-04")))
    host.apply(op.AddInterface(Interface(13, "OFF", "nic3", "00-15-5D-01-02-05")))
    host.apply(op.AddAddress(11, IP.parse("10.0.0.5"), 16))
    host.apply(op.AddAddress(11, IP.parse("10.0.0.6"), 16))
    host.apply(op.AddAddress(12, IP.parse("172.16.0.5"), 24))
    host.apply(op.AddAddress(13, IP.parse("192.168.9.5"), 24))
    host.apply(op.AddRoute(Prefix.parse("198.18.0.0/15"), IP.parse("192.168.9.1"), 13))
    host.apply(op.SetInterface(13, connected=False))
    hops = [IP.parse(f"10.0.0.{i}") for i in range(1, 9)]
    for i in range(40_000):
        prefix = Prefix(4, (100 << 24) + (i << 8), 24 if i % 7 else 32)
        host.apply(
            op.AddRoute(
                prefix, hops[i % 8], 11, 1 + i % 5, prefsrc=IP.parse("10.0.0.6") if i % 11 == 0 else None
            )
        )
        if i % 3 == 0:
            host.apply(op.AddRoute(prefix, IP.parse("172.16.0.1"), 12, 1 + i % 5))
        if i % 13 == 0:
            host.apply(op.AddRoute(prefix, IP.parse("0.0.0.0"), 12))
    rows = list(v4_active_rows(host))
    assert len(rows) > 50_000
    assert rows == row_by_row(host)


def test_costs_wider_than_their_column_stretch_the_line_as_before():
    """Linux metrics go to 2**32 - 1: such a cost is printed whole, its line longer than the rest."""
    host = Host("linux")
    host.apply(op.AddInterface(Interface(11, "eth0", "nic", "00-15-5D-01-02-03")))
    host.apply(op.AddAddress(11, IP.parse("10.0.0.5"), 16))
    host.apply(op.AddRoute(Prefix.parse("1.2.3.0/24"), IP.parse("10.0.0.1"), 11, 2**32 - 1))
    host.apply(op.AddRoute(Prefix.parse("100.64.0.0/10"), IP.parse("10.0.0.2"), 11, 9_999_000))
    rows = list(v4_active_rows(host))
    assert rows == row_by_row(host)
    assert any(row.endswith(str(2**32 - 1)) for row in rows)
