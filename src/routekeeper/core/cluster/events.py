"""The cluster's history: one `ClusterEvent` per thing that happened, a node's own events wrapped."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from routekeeper.core.events import Event, Kind


class ClusterKind(Enum):
    NODE_ADDED = "node-added"
    NETWORK_ADDED = "network-added"
    ADAPTER_ADDED = "adapter-added"  # a node mapped to an existing network (cluster add-adapter)
    ADAPTER_CHANGED = "adapter-changed"  # an explicit remap to another interface
    GROUP_ADDED = "group-added"
    RESOURCE_ADDED = "resource-added"
    NODE_STATE = "node-state"
    GROUP_OWNER = "group-owner"
    GROUP_STATE = "group-state"
    RESOURCE_STATE = "resource-state"
    PROPERTIES = "properties"
    OWNERS = "owners"
    NOTE = "note"  # something worth knowing that changed nothing (an address already gone, ...)
    FAILOVER_SKIPPED = "failover-skipped"  # a node that is up passed over by failover, and why
    NODE_EVENT = "node-event"  # a node's own event, wrapped


@dataclass(frozen=True, slots=True)
class ClusterEvent:
    """One entry of the cluster's history.

    `step` numbers the operation that caused it (setup steps included); `seq` orders every event.
    For NODE_EVENT, `host_kind`, `subject` and `reason` are the node event's, `cause` the cluster's
    reason for the address change behind it, and `event` the node event itself (not kept by the store).
    The core has no clock: `at` and `command` are only known for events read back from a store.
    """

    seq: int
    step: int
    kind: ClusterKind
    subject: str
    reason: str
    node: str | None = None
    group: str | None = None
    resource: str | None = None
    cause: str = ""
    host_kind: Kind | None = None
    manual: bool = True
    event: Event | None = None
    at: str = ""  # filled by the store when it reads the history back: when and by which command
    command: str = ""

    def __str__(self) -> str:
        who = f"{self.node}: " if self.node else ""
        what = self.host_kind.value if self.host_kind is not None else self.kind.value
        text = f"{who}{what}: {self.subject}"
        if self.reason:
            text += f": {self.reason}"
        if self.cause and self.cause != self.reason:
            text += f" [{self.cause}]"
        return text


def manual_or_address(e: Event) -> bool:
    """The node events a cluster log shows by default: manual routes, addresses, reboots."""
    return e.about_manual_route or e.address is not None or e.kind is Kind.REBOOTED
