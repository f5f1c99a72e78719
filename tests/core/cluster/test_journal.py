"""The journal: a change is one step (its events carry the step number it advanced to), and a refused
change leaves no trace."""

from __future__ import annotations

import pytest

from routekeeper.core.cluster.errors import ClusterError, ClusterRefused
from routekeeper.core.cluster.events import ClusterKind
from routekeeper.core.cluster.journal import Journal


def test_a_change_is_one_step_and_its_events_are_numbered_and_recorded():
    j = Journal()

    def change(what: str) -> None:
        j.emit(ClusterKind.NOTE, what, "first", node="N1")
        j.emit(ClusterKind.NOTE, what, "second")

    events = j.run(change, "x", cause="testing")
    assert [(e.seq, e.step, e.reason, e.cause) for e in events] == [
        (1, 1, "first", "testing"),
        (2, 1, "second", "testing"),
    ]
    assert events[0].node == "N1"
    assert j.history == events and (j.step, j.next_seq) == (1, 3)


def test_a_refused_change_restores_the_counters_and_records_nothing():
    j = Journal(step=4, next_seq=9)

    def refused() -> None:
        j.emit(ClusterKind.NOTE, "x", "never kept")
        raise ClusterRefused(ClusterError.INVALID_PARAMETER, "no")

    with pytest.raises(ClusterRefused):
        j.run(refused, cause="testing")
    assert (j.history, j.step, j.next_seq) == ([], 4, 9)
    assert [e.seq for e in j.run(lambda: j.emit(ClusterKind.NOTE, "y", "kept"), cause="again")] == [9]
