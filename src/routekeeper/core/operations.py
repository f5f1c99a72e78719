"""One operation type per user intent. Front ends build these from text; `Host.apply` carries them out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from routekeeper.core.values import IP, AddressStore, Interface, Origin, Prefix


class RefusalCode(Enum):
    EXISTS = "exists"
    NOT_FOUND = "not-found"
    INVALID = "invalid"
    BAD_MASK = "bad-mask"
    UNREACHABLE = "unreachable"
    NO_INTERFACE = "no-interface"


class Refused(Exception):
    """The host refused an operation; its state is exactly as before."""

    def __init__(self, code: RefusalCode, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class AddInterface:
    interface: Interface


@dataclass(frozen=True, slots=True)
class SetInterface:
    """Change an interface's state. None leaves a field as it is; `automatic_metric` resets it."""

    ifindex: int
    connected: bool | None = None
    enabled: bool | None = None
    metric: int | None = None
    automatic_metric: bool = False
    promote_secondaries: bool | None = None
    mtu: int | None = None
    dhcp: bool | None = None


@dataclass(frozen=True, slots=True)
class AddAddress:
    ifindex: int
    ip: IP
    length: int
    skipassource: bool = False
    store: AddressStore = AddressStore.PERSISTENT


@dataclass(frozen=True, slots=True)
class DeleteAddress:
    ifindex: int
    ip: IP


@dataclass(frozen=True, slots=True)
class AddRoute:
    """Add a route. `ifindex` None lets the host pick the interface where the next hop is on-link."""

    prefix: Prefix
    nexthop: IP
    ifindex: int | None = None
    metric: int | None = None
    persistent: bool = False
    active: bool = True
    origin: Origin = Origin.MANUAL
    prefsrc: IP | None = None
    onlink: bool = False


@dataclass(frozen=True, slots=True)
class DeleteRoute:
    """Delete manual routes of a prefix, optionally filtered by next hop and interface.

    `active` and `persistent` choose the stores it removes from.
    """

    prefix: Prefix
    nexthop: IP | None = None
    ifindex: int | None = None
    active: bool = True
    persistent: bool = True
    include_system: bool = False


@dataclass(frozen=True, slots=True)
class ChangeRoute:
    prefix: Prefix
    ifindex: int | None = None
    nexthop: IP | None = None
    new_nexthop: IP | None = None
    new_metric: int | None = None


@dataclass(frozen=True, slots=True)
class WithdrawRoute:
    """Take one manual route out of the active table for a reason (the keeper removing a stale copy
    whose next hop is gone); stored copies stay and come back when they can."""

    prefix: Prefix
    ifindex: int
    nexthop: IP
    reason: str


@dataclass(frozen=True, slots=True)
class FlushGatewayRoutes:
    """`route -f`: every route through a gateway leaves the active table; the persistent store stays."""

    version: int | None = None


@dataclass(frozen=True, slots=True)
class Reboot:
    pass


Operation = (
    AddInterface
    | SetInterface
    | AddAddress
    | DeleteAddress
    | AddRoute
    | DeleteRoute
    | ChangeRoute
    | WithdrawRoute
    | FlushGatewayRoutes
    | Reboot
)
