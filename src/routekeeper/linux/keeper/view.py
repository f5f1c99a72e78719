"""The small core Host the slow path decides on, and which of the core policy's actions apply here."""

from __future__ import annotations

from collections.abc import Iterable

from routekeeper.core.host import Host
from routekeeper.core.keeper import Action
from routekeeper.core.operations import AddRoute
from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr, KLink, KRoute
from routekeeper.linux.observe import build_host


def build_view(
    links: Iterable[KLink], addrs: Iterable[KAddr], onlink: Iterable[KRoute], netns: str | None
) -> Host:
    """The small core Host the decisions are made on: links, addresses and manual on-link routes.

    The kernel's own prefix routes are not mirrored (RTM_NEWROUTE is filtered out): the linux
    profile derives them from the addresses, exactly as the differential test checks it does."""
    links = list(links)
    promote = {link.name: False for link in links}
    manual = [r for r in onlink if r.proto != codec.RTPROT_KERNEL]
    host = build_host(links, promote, addrs, manual, (), netns=netns)
    for ifindex in list(host.interfaces):
        host.rederive(ifindex, "mirror")
    return host


def additions(actions: list[Action]) -> list[Action]:
    """The keeper's installs. Its withdrawals of stale copies are not carried out on a real kernel:
    the daemon never deletes a route (see docs/linux.md), and its view holds no gateway routes."""
    return [a for a in actions if isinstance(a.operation, AddRoute)]
