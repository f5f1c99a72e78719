"""Shared fixtures: fresh hosts shaped like the scenarios' (loopback + adapters with MACs)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from routekeeper.core import operations as op
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
