"""Windows: `hotfix` (default) and `prehotfix` (spec/windows.md §1-2).

- `hotfix`: Windows with the tcpip.sys fix. Only what depended on a removed address goes; a manual
  route leaves the active table only when its next hop stops being on-link, and comes back when it is
  on-link again.
- `prehotfix`: Windows before the fix. Removing any address from an interface withdraws every manual
  route on it that was added without an interface binding; persistent copies return when an address
  is added again, active-only ones are lost.
"""

from __future__ import annotations

from routekeeper.core.operations import RefusalCode, Refused
from routekeeper.core.profiles.base import (
    LIMITED_BROADCAST,
    MULTICAST_V4,
    MULTICAST_V6,
    SYSTEM_METRIC,
    HostView,
    Profile,
)
from routekeeper.core.values import IP, Address, Interface, Origin, Prefix, Route, unspecified


class WindowsProfile(Profile):
    """What `hotfix` and `prehotfix` share; they differ only in what an address removal takes."""

    name = "windows"
    loopback_name = "Loopback Pseudo-Interface 1"
    loopback_description = "Software Loopback Interface 1"
    loopback_mtu = 4294967295

    def default_metric(self, version: int) -> int:
        return 1

    def metric_allowed(self, metric: int) -> bool:
        return 0 <= metric <= 9999

    def interface_metric(self, iface: Interface) -> int:
        return iface.effective_metric

    def unreachable(self, message: str) -> Refused:
        return Refused(RefusalCode.INVALID, message)

    def system_routes(self, host: HostView, iface: Interface) -> list[Route]:
        """On-link routes an interface's addresses imply (Windows rules, spec §2)."""
        routes: dict[tuple, Route] = {}

        def add(prefix: Prefix) -> None:
            r = Route(prefix, iface.index, unspecified(prefix.version), SYSTEM_METRIC, Origin.SYSTEM)
            routes.setdefault(r.key, r)

        for version in (4, 6):
            addrs = host.addresses_of(iface.index, version)
            for a in addrs:
                if a.length < a.ip.bits:
                    add(a.prefix)
                add(Prefix.host(a.ip))
                if version == 4 and a.length < 31:
                    add(Prefix.host(a.prefix.broadcast))
            if addrs:
                if version == 4:
                    add(MULTICAST_V4)
                    add(LIMITED_BROADCAST)
                else:
                    add(MULTICAST_V6)
        return list(routes.values())

    def reachable(self, host: HostView, nexthop: IP, ifindex: int) -> bool:
        addrs = host.addresses_of(ifindex, nexthop.version)
        if nexthop.is_unspecified:
            return bool(addrs)
        if nexthop.version == 6 and nexthop.is_link_local:
            return any(a.ip.is_link_local for a in addrs)
        return any(a.prefix.contains(nexthop) for a in addrs)

    def remove_address(self, host: HostView, iface: Interface, addr: Address, reason: str) -> None:
        host.remove_address(addr, reason)
        host.rederive(iface.index, f"address {addr} removed")
        self.after_address_removed(host, iface, addr)

    def after_address_removed(self, host: HostView, iface: Interface, addr: Address) -> None:
        raise NotImplementedError


def _withdraw_unreachable(host: HostView, iface: Interface, hold: bool) -> None:
    for r in host.unreachable_routes(iface.index):
        if r.on_link:
            why = f"interface {iface.index} has no IPv{r.prefix.version} address left"
        else:
            why = f"next hop {r.nexthop} no longer on-link on interface {iface.index}"
        host.withdraw(r, why, hold=hold)


class HotfixProfile(WindowsProfile):
    """A withdrawn active-only route is held, and put back when its next hop is on-link again."""

    name = "hotfix"

    def plumb(self, host: HostView, ifindex: int | None, cause: str) -> None:
        host.plumb_waiting(ifindex, cause)
        host.restore_held(ifindex, cause)

    def after_address_removed(self, host: HostView, iface: Interface, addr: Address) -> None:
        _withdraw_unreachable(host, iface, hold=True)
        # A persistent route not bound to an interface may still be reachable through another one.
        self.plumb(host, None, f"address {addr} removed from interface {iface.index}")


class PrehotfixProfile(WindowsProfile):
    """Any address removal withdraws the interface's unbound manual routes; nothing is held."""

    name = "prehotfix"

    def after_address_removed(self, host: HostView, iface: Interface, addr: Address) -> None:
        why = (
            f"address {addr.ip} removed from interface {iface.index}: the pre-hotfix stack "
            "withdraws every route not bound to an interface"
        )
        for r in sorted(host.unbound_routes(iface.index), key=lambda r: r.key):
            host.withdraw(r, why, hold=False)
        _withdraw_unreachable(host, iface, hold=False)
