"""All-or-nothing application of a command made of several operations.

One operation is atomic by itself (the core validates before it mutates). A command that stands for
several (an address and its gateway, `route -f` then a command, `set address source=static`) must be
atomic too: a refusal of a later operation may not leave the earlier ones applied.
"""

from __future__ import annotations

from collections.abc import Sequence

from routekeeper.core import operations as op
from routekeeper.core.host import Host


def apply_all(host: Host, operations: Sequence[op.Operation]) -> None:
    """Apply a command's operations all or none; raises `Refused` with the host unchanged.

    Several operations are first tried on a copy of the host; the real host then replays them, which is
    deterministic and so succeeds. The copy costs time proportional to the host, which only these
    composite commands pay.
    """
    if len(operations) > 1:
        trial = host.copy()
        for operation in operations:
            trial.apply(operation)
    for operation in operations:
        host.apply(operation)
