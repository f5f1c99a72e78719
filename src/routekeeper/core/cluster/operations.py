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
        return f"moving group {_q(o.group)} to {_q(o.node)}" if o.node else f"moving group {_q(o.group)}"
    if isinstance(o, OnlineGroup):
        return f"bringing group {_q(o.group)} online" + (f" on {_q(o.node)}" if o.node else "")
    if isinstance(o, OfflineGroup):
        return f"taking group {_q(o.group)} offline"
    if isinstance(o, OnlineResource):
        return f"bringing resource {_q(o.resource)} online"
    if isinstance(o, OfflineResource):
        return f"taking resource {_q(o.resource)} offline"
    if isinstance(o, PauseNode):
        return f"pausing node {_q(o.node)}"
    if isinstance(o, ResumeNode):
        return f"resuming node {_q(o.node)}"
    if isinstance(o, FailNode):
        return f"failure of node {_q(o.node)}"
    if isinstance(o, RestoreNode):
        return f"return of node {_q(o.node)}"
    if isinstance(o, SetResourceProperties):
        return f"setting private properties of resource {_q(o.resource)}"
    if isinstance(o, SetPreferredOwners):
        return f"setting preferred owners of group {_q(o.group)}"
    return f"setting possible owners of resource {_q(o.resource)}"


def _q(name: str | None) -> str:
    """A name as a sentence shows it: quoted when it holds a space (`group "SQL Server"`)."""
    return f'"{name}"' if name and " " in name else str(name)
