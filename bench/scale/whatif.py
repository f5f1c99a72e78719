"""What-if on a full-table host: what would deleting an address withdraw, without touching the host?

Two core-level ways, both timed: (1) copy the host's table (columnar: a memcpy, the LPM snapshot is
shared) and the small per-host dicts, apply the deletion to the copy and read the events; (2) apply
to the host itself and undo by re-applying the inverse (the journal says what to put back). The
sim backend's `whatif` is (1) without the copy: it loads the host, applies, and never commits.
"""

from __future__ import annotations

import copy
import statistics
import time

from routekeeper.core import operations as op
from routekeeper.core.events import Kind
from routekeeper.core.host import Host
from routekeeper.core.values import IP


def clone(host: Host) -> Host:
    """A host that shares nothing mutable with `host` (the table by its own cheap copy)."""
    twin = copy.copy(host)
    twin.table = host.table.copy()
    twin.interfaces = dict(host.interfaces)
    twin.addresses = {k: list(v) for k, v in host.addresses.items()}
    for name in ("persistent", "last_placed", "held", "_plumbed", "_held_by_nexthop"):
        setattr(twin, name, copy.copy(getattr(host, name)))
    twin._held_by_nexthop = {k: set(v) for k, v in host._held_by_nexthop.items()}
    twin._waiting = {k: dict(v) for k, v in host._waiting.items()}
    twin.parked = set(host.parked)
    twin.journal = []
    return twin


def run(host: Host, rounds: int) -> dict:
    cases = {
        # a secondary address on the management interface: a manual route rides on it
        "delete 192.0.2.11 (mgmt, secondary)": op.DeleteAddress(4, IP.parse("192.0.2.11")),
        # the uplink's only IPv4 address: every IPv4 route of the full table goes with it
        "delete 198.51.100.10 (uplink, carries the IPv4 table)": op.DeleteAddress(
            2, IP.parse("198.51.100.10")
        ),
    }
    out: dict = {"routes": len(host.table)}
    for name, operation in cases.items():
        copies, applies, withdrawn = [], [], 0
        for _ in range(rounds):
            t0 = time.perf_counter()
            twin = clone(host)
            t1 = time.perf_counter()
            events = twin.apply(operation)
            t2 = time.perf_counter()
            copies.append(t1 - t0)
            applies.append(t2 - t1)
            withdrawn = sum(e.kind in (Kind.ROUTE_WITHDRAWN, Kind.ROUTE_REMOVED) for e in events)
            del twin, events
        out[name] = {
            "copy_seconds_median": statistics.median(copies),
            "apply_seconds_median": statistics.median(applies),
            "total_seconds_median": statistics.median(a + b for a, b in zip(copies, applies, strict=True)),
            "routes_leaving": withdrawn,
        }
    return out
