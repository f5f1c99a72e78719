"""What a host reports after each operation: one event per observable change, each with its reason.

The event stream is also the change log the state backend applies, so every mutation of a host's
state produces exactly one event here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from routekeeper.core.values import Address, Interface, PersistentRoute, Route


class Kind(Enum):
    INTERFACE_ADDED = "interface-added"
    INTERFACE_CHANGED = "interface-changed"
    ADDRESS_ADDED = "address-added"  # or moved in its interface's list: a promoted secondary, renumbered
    ADDRESS_REMOVED = "address-removed"
    ROUTE_ADDED = "route-added"  # entered the active table (system or by request)
    ROUTE_REMOVED = "route-removed"  # left it by request, or a system route no longer derived
    ROUTE_WITHDRAWN = "route-withdrawn"  # a manual route the stack took away
    ROUTE_RESTORED = "route-restored"  # a withdrawn manual route put back
    ROUTE_CHANGED = "route-changed"
    ROUTE_HELD = "route-held"  # a withdrawn active-only route remembered for restoring
    ROUTE_RELEASED = "route-released"  # such a memory dropped
    PERSISTED = "persisted"
    UNPERSISTED = "unpersisted"
    PERSISTENT_PARKED = "persistent-parked"  # in the store, deliberately not active until reboot
    REBOOTED = "rebooted"


@dataclass(frozen=True, slots=True)
class Event:
    kind: Kind
    reason: str = ""
    route: Route | None = None
    previous: Route | None = None
    persistent: PersistentRoute | None = None
    address: Address | None = None
    interface: Interface | None = None

    @property
    def subject(self) -> str:
        if self.route is not None:
            return self.route.describe()
        if self.persistent is not None:
            return self.persistent.describe()
        if self.address is not None:
            return f"{self.address} on interface {self.address.ifindex}"
        if self.interface is not None:
            return f"interface {self.interface.index} ({self.interface.name})"
        return "host"

    @property
    def about_manual_route(self) -> bool:
        if self.route is not None:
            return self.route.manual
        return self.persistent is not None

    def __str__(self) -> str:
        text = f"{self.kind.value}: {self.subject}"
        return f"{text}: {self.reason}" if self.reason else text
