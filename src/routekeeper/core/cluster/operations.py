"""The operations a cluster carries out (`Cluster.apply`), and the words a log uses for each."""

from __future__ import annotations

from dataclasses import dataclass

from routekeeper.core.cluster.members import IPProperties


@dataclass(frozen=True, slots=True)
class OnlineResource:
    resource: str


@dataclass(frozen=True, slots=True)
class OfflineResource:
    resource: str


@dataclass(frozen=True, slots=True)
class OnlineGroup:
    """Bring a group online, on `node` if given (moving it there first), else where it is."""

    group: str
    node: str | None = None


@dataclass(frozen=True, slots=True)
class OfflineGroup:
    group: str


@dataclass(frozen=True, slots=True)
class MoveGroup:
    """`cluster group G /moveto:NODE`; without a node, to the best other node (preferred order)."""

    group: str
    node: str | None = None


@dataclass(frozen=True, slots=True)
class PauseNode:
    node: str


@dataclass(frozen=True, slots=True)
class ResumeNode:
    node: str


@dataclass(frozen=True, slots=True)
class FailNode:
    """The node stops: its groups fail over, the resource addresses it held are gone from it."""

    node: str


@dataclass(frozen=True, slots=True)
class RestoreNode:
    """The node comes back: its host reboots (persistent routes re-plumbed by its profile)."""

    node: str


@dataclass(frozen=True, slots=True)
class SetResourceProperties:
    resource: str
    properties: IPProperties


@dataclass(frozen=True, slots=True)
class SetPreferredOwners:
    group: str
    nodes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SetPossibleOwners:
    """Possible owners of a resource; an empty tuple is refused, None restores 'every node'."""

    resource: str
    nodes: tuple[str, ...] | None


ClusterOperation = (
    OnlineResource
    | OfflineResource
    | OnlineGroup
    | OfflineGroup
    | MoveGroup
    | PauseNode
    | ResumeNode
    | FailNode
    | RestoreNode
    | SetResourceProperties
    | SetPreferredOwners
    | SetPossibleOwners
)


def describe_operation(o: ClusterOperation) -> str:
    """What an operation is, in the words a log or a what-if report uses."""
    if isinstance(o, MoveGroup):
        return f"moving group {o.group} to {o.node}" if o.node else f"moving group {o.group}"
    if isinstance(o, OnlineGroup):
        return f"bringing group {o.group} online" + (f" on {o.node}" if o.node else "")
    if isinstance(o, OfflineGroup):
        return f"taking group {o.group} offline"
    if isinstance(o, OnlineResource):
        return f"bringing resource {o.resource} online"
    if isinstance(o, OfflineResource):
        return f"taking resource {o.resource} offline"
    if isinstance(o, PauseNode):
        return f"pausing node {o.node}"
    if isinstance(o, ResumeNode):
        return f"resuming node {o.node}"
    if isinstance(o, FailNode):
        return f"failure of node {o.node}"
    if isinstance(o, RestoreNode):
        return f"return of node {o.node}"
    if isinstance(o, SetResourceProperties):
        return f"setting private properties of resource {o.resource}"
    if isinstance(o, SetPreferredOwners):
        return f"setting preferred owners of group {o.group}"
    return f"setting possible owners of resource {o.resource}"
