"""The dispatch table: every cluster operation has exactly one handler."""

from __future__ import annotations

from typing import get_args

from routekeeper.core.cluster.handlers import HANDLERS
from routekeeper.core.cluster.operations import ClusterOperation


def test_every_operation_has_a_handler_and_no_handler_is_stray():
    assert set(HANDLERS) == set(get_args(ClusterOperation))
