"""What every profile is: the rules a host asks about, and the one view of a host they may use.

A profile decides; the host carries out. `HostView` names everything a profile may read or call on a
host, so a profile never reaches into a host's private state and this package never imports
`core.host` (the host imports the profiles, not the other way round). Each change a profile asks for
goes through one of the view's methods, and each of those records its events on the host.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from routekeeper.core.operations import AddAddress, Refused
from routekeeper.core.values import IP, Address, Interface, Prefix, Route

SYSTEM_METRIC = 256
MULTICAST_V4 = Prefix(4, 0xE0000000, 4)
LIMITED_BROADCAST = Prefix(4, 0xFFFFFFFF, 32)
MULTICAST_V6 = Prefix(6, 0xFF << 120, 8)
LINK_LOCAL_V6 = Prefix(6, 0xFE80 << 112, 64)


class RoutesView(Protocol):
    """The queries a profile may make of a host's active table (it changes it through `HostView`)."""

    def __contains__(self, key: object) -> bool: ...

    def via(self, nexthop: IP, ifindex: int) -> Iterable[Route]: ...

    def on_interface(self, ifindex: int) -> Iterable[Route]: ...

    def with_prefsrc(self, ip: IP) -> Iterable[Route]: ...


@runtime_checkable
class HostView(Protocol):
    """Exactly what a profile may read or call on a host."""

    @property
    def interfaces(self) -> Mapping[int, Interface]: ...

    @property
    def table(self) -> RoutesView: ...

    # -- reading
    def addresses_of(self, ifindex: int, version: int | None = None) -> list[Address]: ...

    def is_local(self, ip: IP) -> bool: ...

    def unreachable_routes(self, ifindex: int) -> list[Route]: ...

    def unbound_routes(self, ifindex: int) -> list[Route]: ...

    # -- changing (each records its own events)
    def add_address(self, ip: IP, length: int, ifindex: int, reason: str) -> None: ...

    def remove_address(self, addr: Address, reason: str) -> None: ...

    def renumber_address(self, addr: Address, order: int, reason: str) -> None: ...

    def rederive(self, ifindex: int, reason: str) -> None: ...

    def add_system_route(self, route: Route, reason: str) -> None: ...

    def drop_system_route(self, route: Route, reason: str) -> None: ...

    def replace_route(self, old: Route, new: Route, reason: str) -> None: ...

    def withdraw(self, route: Route, reason: str, hold: bool) -> None: ...

    def plumb_waiting(self, ifindex: int | None, cause: str) -> None: ...

    def restore_held(self, ifindex: int | None, cause: str) -> None: ...


class Profile:
    """The rules of one stack. Defaults here are shared by every profile; the rest each one states."""

    name: str
    loopback_name: str
    loopback_description: str
    loopback_mtu: int

    # -- what a host starts with ------------------------------------------------------------
    def loopback_addresses(self) -> list[tuple[IP, int]]:
        return [(IP.parse("127.0.0.1"), 8), (IP.parse("::1"), 128)]

    def initial_addresses(self, iface: Interface) -> list[tuple[IP, int]]:
        """Addresses an interface gets by itself: the IPv6 link-local one from its MAC."""
        ll = iface.link_local()
        return [(ll, 64)] if ll is not None and not iface.loopback else []

    # -- the order of an interface's addresses ----------------------------------------------
    # The order matters: a route's source is the first usable address of its family, and on Linux
    # the first IPv4 address of a subnet is its primary. `Address.order` is the address's sort key,
    # so that a copy or a host rebuilt from stored addresses has them in the same order.
    def address_order(self, host: HostView, ifindex: int, ip: IP, length: int) -> int:
        """The `order` a new address gets. By default it goes last: addresses keep the order they
        were added in."""
        return 1 + max((a.order for a in host.addresses_of(ifindex)), default=0)

    def address_key(self, addr: Address) -> tuple[int, ...]:
        """Where an address sorts among its interface's addresses."""
        return (addr.order,)

    def arrange(self, addresses: list[Address]) -> list[Address]:
        """One interface's stored addresses, in the order the interface holds them."""
        return sorted(addresses, key=self.address_key)

    # -- routes --------------------------------------------------------------------------------
    def default_metric(self, version: int) -> int:
        raise NotImplementedError

    def metric_allowed(self, metric: int) -> bool:
        """May a route be added with this metric?"""
        raise NotImplementedError

    def interface_metric(self, iface: Interface) -> int:
        raise NotImplementedError

    def system_routes(self, host: HostView, iface: Interface) -> list[Route]:
        """The routes an interface's addresses imply."""
        raise NotImplementedError

    def reachable(self, host: HostView, nexthop: IP, ifindex: int) -> bool:
        """Is `nexthop` (or on-link, when unspecified) usable on interface `ifindex`?"""
        raise NotImplementedError

    def accepts_nexthop(self, host: HostView, nexthop: IP, ifindex: int, onlink: bool) -> bool:
        """May a route through `nexthop` on `ifindex` be added (`onlink`: the administrator said the
        next hop is on-link)? By default only where it is reachable."""
        return self.reachable(host, nexthop, ifindex)

    def unreachable(self, message: str) -> Refused:
        """The refusal of a route whose next hop is not on-link."""
        raise NotImplementedError

    def validate_address(self, host: HostView, iface: Interface, o: AddAddress) -> None:
        return None

    # -- what changes set off --------------------------------------------------------------
    def plumb(self, host: HostView, ifindex: int | None, cause: str) -> None:
        """Put back what is waiting for a next hop that is reachable now (on `ifindex`, if given)."""
        host.plumb_waiting(ifindex, cause)

    def remove_address(self, host: HostView, iface: Interface, addr: Address, reason: str) -> None:
        raise NotImplementedError

    def on_address_added(self, host: HostView, iface: Interface, addr: Address) -> None:
        self.plumb(host, iface.index, f"address {addr} added on interface {iface.index}")

    def on_admin_down(self, host: HostView, iface: Interface) -> None:
        return None

    def on_admin_up(self, host: HostView, iface: Interface) -> None:
        return None

    def on_link_down(self, host: HostView, iface: Interface) -> None:
        return None

    def on_link_up(self, host: HostView, iface: Interface) -> None:
        return None

    def on_reboot(self, host: HostView) -> None:
        return None
