"""The cluster's history bookkeeping: numbering steps and events, and all-or-nothing recording.

Every change to a cluster runs inside `Journal.run`: the events it emits are collected, and only
appended to `history` if the change goes through. A refusal (`ClusterRefused`) rolls the step and
sequence counters back, so a refused operation leaves no trace. Pure: the history is ordered by
sequence numbers, never by a clock (the store adds timestamps).
"""

from __future__ import annotations

from collections.abc import Callable

from routekeeper.core.cluster.errors import ClusterRefused
from routekeeper.core.cluster.events import ClusterEvent, ClusterKind, manual_or_address
from routekeeper.core.events import Event


class Journal:
    """The history and the counters that number it: `step` per change, `next_seq` per event."""

    def __init__(self, history: list[ClusterEvent] | None = None, step: int = 0, next_seq: int = 1) -> None:
        self.history: list[ClusterEvent] = history if history is not None else []
        self.step = step
        self.next_seq = next_seq
        self._pending: list[ClusterEvent] = []
        self._cause = ""

    def run(self, change: Callable[..., None], *args: object, cause: str) -> list[ClusterEvent]:
        """Carry out `change(*args)` as one step: `step` advances first, and the events the change
        emits carry the new step number and `cause`; returns them (also appended to `history`).
        If it raises ClusterRefused, the counters are restored and nothing is recorded."""
        self._pending, self._cause = [], cause
        seq, step = self.next_seq, self.step
        self.step += 1
        try:
            change(*args)
        except ClusterRefused:
            self.step, self.next_seq, self._pending = step, seq, []
            raise
        events, self._pending = self._pending, []
        self.history.extend(events)
        return events

    def emit(self, kind: ClusterKind, subject: str, reason: str, **where: str | None) -> None:
        """Record one cluster event of the current step; `where` names its node, group, resource."""
        self._pending.append(
            ClusterEvent(self.next_seq, self.step, kind, subject, reason, cause=self._cause, **where)  # type: ignore[arg-type]
        )
        self.next_seq += 1

    def emit_node_event(
        self, node: str, e: Event, reason: str, cause: str, group: str | None, resource: str | None
    ) -> None:
        """Record a node's own event, wrapped: `cause` is the cluster's reason for the change behind it."""
        self._pending.append(
            ClusterEvent(
                self.next_seq, self.step, ClusterKind.NODE_EVENT, e.subject, reason, node=node,
                group=group, resource=resource, cause=cause,
                host_kind=e.kind, manual=manual_or_address(e), event=e,
            )
        )  # fmt: skip
        self.next_seq += 1
