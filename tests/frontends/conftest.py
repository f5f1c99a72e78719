"""Fixtures for the front-end tests: a host with the scenarios' adapters, a command runner that
discards a failed command's changes as the backend does, and a snapshot of a host's whole state."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from routekeeper.core import operations as op
from routekeeper.core.host import Host
from routekeeper.core.values import Interface, parse_mac
from routekeeper.frontends import registry
from routekeeper.frontends.base import Output, tokenize

LAN1 = Interface(
    11,
    "Local Area Connection 1",
    "Intel(R) PRO/1000 MT Network Connection",
    mac=parse_mac("00-15-5D-01-02-03"),
    speed=1_000_000_000,
)
LAN2 = Interface(
    12,
    "Local Area Connection 2",
    "Intel(R) 82574L Gigabit Network Connection",
    mac=parse_mac("00-15-5D-01-02-04"),
    speed=100_000_000,
)


def make_host(profile: str = "hotfix", nics: int = 1) -> Host:
    """A fresh host with `nics` adapters: 11 (1 Gb/s) and, with two, 12 (100 Mb/s)."""
    host = Host(profile)
    for iface in (LAN1, LAN2)[:nics]:
        host.apply(op.AddInterface(iface))
    return host


class Shell:
    """Runs command lines against one host; a command with a non-zero exit leaves no trace."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def result(self, line: str) -> Output:
        before = self.host.copy()
        out = registry.run_tool(self.host, tokenize(line))
        if out.exit != 0:
            self.host = before
        return out

    def __call__(self, line: str) -> str:
        out = self.result(line)
        return out.stdout + out.stderr

    def ok(self, line: str) -> str:
        out = self.result(line)
        assert out.exit == 0, f"{line!r} failed: {out.stderr}"
        return out.stdout


def snapshot(host: Host) -> tuple:
    """Everything a command may change: interfaces, addresses, both stores, held routes."""
    return (
        sorted(host.interfaces.items()),
        sorted((i, list(a)) for i, a in host.addresses.items()),
        sorted(host.table, key=repr),
        sorted(host.persistent.items(), key=repr),
        sorted(host.parked, key=repr),
        sorted(host.held.items(), key=repr),
    )


@pytest.fixture
def new_host() -> Callable[..., Host]:
    return make_host


@pytest.fixture
def new_shell() -> Callable[..., Shell]:
    def make(profile: str = "hotfix", nics: int = 1) -> Shell:
        return Shell(make_host(profile, nics))

    return make


@pytest.fixture
def state_of() -> Callable[[Host], tuple]:
    return snapshot
