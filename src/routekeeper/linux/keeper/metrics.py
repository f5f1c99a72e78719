"""What the daemon exposes to Prometheus: counters kept from the loop, route states counted from the mirror.

The loop (`loop.Daemon`) calls one method per point of interest (a datagram received, an install
acknowledged, a batch settled, a full sync, a reload); each is O(1) or O(groups), never a Python loop
over routes, so that the restore hot path pays one method call. When metrics are off the daemon holds
`NoMetrics`, whose methods do nothing.

Two ways out, both through prometheus-client (the exposition format is its job, not ours):
- `serve(address)`: an HTTP endpoint (`/metrics`), bound before the daemon enters its namespace so that
  Prometheus on the host can reach it;
- `textfile`: node_exporter's textfile collector; the file is rewritten atomically (prometheus-client
  writes a temporary file and renames it) after each full sync and each settled batch of events.

Names and labels are documented in docs/metrics.md.
"""

from __future__ import annotations

import errno
import os
import time
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client import write_to_textfile as _write_textfile

from routekeeper.core.keeper import reconcile
from routekeeper.linux import codec
from routekeeper.linux.keeper.index import key_prefix
from routekeeper.linux.keeper.view import additions

if TYPE_CHECKING:
    from routekeeper.linux.keeper.decide import Decider, Install, Pending, Plan, Tally

# Restore latency buckets (seconds): the fast path restores in about a millisecond, a million routes
# in seconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SYNC_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0)

CAUSES = ("address_back", "link_up", "foreign_delete", "sync")
WAITING_REASONS = ("interface_missing", "interface_down", "no_carrier", "nexthop_unreachable")


def restore_cause(reason: str) -> str:
    """The cause label of an install from its reason text (the decider's words; see decide.py).

    Installs of the fast path carry a callable reason and are `address_back` without asking this."""
    if "added" in reason and "address" in reason:
        return "address_back"
    if "set up" in reason or "has carrier" in reason or "appeared" in reason:
        return "link_up"
    if "deleted by" in reason:
        return "foreign_delete"
    return "sync"


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` (IPv6 as `[::1]:9469`) -> (host, port); ValueError with a readable message."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--metrics wants HOST:PORT, e.g. 127.0.0.1:9469, not {text!r}")
    return host.strip("[]"), int(port)


class NoMetrics:
    """Metrics off: every hook is a no-op (the default)."""

    enabled = False

    def received(self) -> None:
        pass

    def installed(self, action: Install, plan: Plan, tally: Tally) -> None:
        pass

    def took(self, prepared: object) -> None:
        pass

    def settling(self, pending: Pending, decider: Decider) -> None:
        pass

    def settled(self, decider: Decider) -> None:
        pass

    def overflowed(self) -> None:
        pass

    def sync_started(self) -> float:
        return 0.0

    def sync_done(self, started: float, decider: Decider) -> None:
        pass

    def loaded(self, decider: Decider, interval: float) -> None:
        pass

    def replaced(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass


class Metrics(NoMetrics):
    """The daemon's metrics in a registry of their own (nothing of the process's default registry)."""

    enabled = True

    def __init__(self, textfile: str | None = None) -> None:
        self.registry = r = CollectorRegistry()
        self.textfile = textfile
        self.server: object | None = None
        self.address: tuple[str, int] | None = None
        self.routes = Gauge(
            "routekeeper_routes",
            "Persistent routes by state: present, waiting (reason), missing (reachable yet absent), "
            "conflicting (another route holds the prefix)",
            ["state", "reason"],
            registry=r,
        )
        self.persistent = Gauge(
            "routekeeper_persistent_routes", "Persistent routes the daemon keeps (parked ones left out)",
            registry=r,
        )  # fmt: skip
        self.restores = Counter(
            "routekeeper_restores", "Routes put back into the kernel, by cause", ["cause"], registry=r
        )
        self.failures = Counter(
            "routekeeper_restore_failures",
            "Routes the kernel refused to take back, by error (EEXIST is counted as a conflict)",
            ["error"],
            registry=r,
        )
        self.latency = Histogram(
            "routekeeper_restore_latency_seconds",
            "From the event received (or the full sync started) to the install acknowledged by the kernel",
            ["cause"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.deletions = Counter(
            "routekeeper_foreign_deletions", "Kept routes deleted by another process", registry=r
        )
        self.replacements = Counter(
            "routekeeper_foreign_replacements", "Kept routes replaced by another process", registry=r
        )
        self.conflicts = Counter(
            "routekeeper_conflicts",
            "Installs refused because another route holds the prefix at that metric (EEXIST)",
            registry=r,
        )
        self.overflows = Counter(
            "routekeeper_enobufs_recoveries",
            "Event socket overflows (ENOBUFS) recovered by a full dump and reconcile",
            registry=r,
        )
        self.sync_seconds = Histogram(
            "routekeeper_full_sync_duration_seconds",
            "Duration of a full dump and reconcile",
            buckets=SYNC_BUCKETS,
            registry=r,
        )
        self.sync_last = Gauge(
            "routekeeper_full_sync_last_success_timestamp_seconds",
            "Unix time the last full sync completed",
            registry=r,
        )
        self.sync_interval = Gauge(
            "routekeeper_full_sync_interval_seconds",
            "Configured seconds between periodic full syncs (for staleness alerts)",
            registry=r,
        )
        self.reloads = Counter(
            "routekeeper_store_reloads", "Loads of the persistent routes from the store (the first included)",
            registry=r,
        )  # fmt: skip
        # every series exists from the start (rate() and alerts see zeros); children kept at hand,
        # so that a hook costs no label lookup
        self.restores_by = {cause: self.restores.labels(cause) for cause in CAUSES}
        self.latency_by = {cause: self.latency.labels(cause) for cause in CAUSES}
        self.route_labels: set[tuple[str, str]] = {(s, "") for s in ("present", "missing", "conflicting")}
        self.route_labels |= {("waiting", reason) for reason in WAITING_REASONS}
        for labels in self.route_labels:
            self.routes.labels(*labels)
        self.event_at = time.perf_counter()
        self.acked: dict[int, float] = {}  # id(tally) of a prepared restore -> its latency
        self.refresh_cost = 0.0
        self.refresh_after = 0.0

    # ------------------------------------------------------------------ outputs
    def serve(self, address: str) -> tuple[str, int]:
        """Start the HTTP endpoint (a daemon thread); returns the bound address (port 0 picks one)."""
        host, port = parse_address(address)
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        self.server = server
        self.address = (host, server.server_address[1])
        return self.address

    def write(self) -> None:
        if self.textfile is not None:
            _write_textfile(self.textfile, self.registry)

    def close(self) -> None:
        self.write()
        if self.server is not None:
            self.server.shutdown()  # type: ignore[attr-defined]
            self.server.server_close()  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ hooks (one call each)
    def received(self) -> None:
        """A datagram came off the event socket: the start of every restore it causes."""
        self.event_at = time.perf_counter()

    def installed(self, action: Install, plan: Plan, tally: Tally) -> None:
        """An install was sent and acknowledged: count it by cause, time it, count refusals."""
        done = tally.done
        reason = action.reason
        cause = "address_back" if callable(reason) else restore_cause(reason)
        if done:
            latency = self.acked.pop(id(tally), None) if self.acked else None
            if latency is None:
                latency = time.perf_counter() - self.event_at
            self.restores_by[cause].inc(done)
            self.latency_by[cause].observe(latency)
        refused = 0
        if tally.errors:
            for err, count in tally.errors.items():
                self.failures.labels(errno.errorcode.get(err, str(err))).inc(count)
                refused += count
        sent = len(plan.single)
        if plan.vector:
            sent += len(action.group.keys) if plan.pick is None else len(plan.pick)
        if sent > done + refused:
            self.conflicts.inc(sent - done - refused)

    def took(self, prepared: object) -> None:
        """A restore prepared while idle went out on the first datagram, acknowledged now; it is
        counted later, when the loop reports its installs (`installed`), with this latency.

        `prepared` has `entries`, each with the `tally` its install will be reported with (None:
        nothing was prepared for this datagram)."""
        if prepared is not None:
            latency = time.perf_counter() - self.event_at
            for entry in prepared.entries:  # type: ignore[attr-defined]
                self.acked[id(entry.tally)] = latency

    def settling(self, pending: Pending, decider: Decider) -> None:
        """A drained batch is about to be acted on: count the deletions of our routes by others."""
        if pending.repair:
            self.deletions.inc(len(pending.repair))

    def settled(self, decider: Decider) -> None:
        """The batch is acted on: recount the route states, unless that has been costly lately.

        A recount costs set operations per group (a million routes: tens of ms), so it is skipped
        until 100 times its last cost has passed; the next full sync recounts in any case."""
        if time.perf_counter() >= self.refresh_after:
            self.count_routes(decider)
            self.write()

    def overflowed(self) -> None:
        self.overflows.inc()

    def sync_started(self) -> float:
        self.event_at = started = time.perf_counter()
        return started

    def sync_done(self, started: float, decider: Decider) -> None:
        self.sync_seconds.observe(time.perf_counter() - started)
        self.sync_last.set_to_current_time()
        self.count_routes(decider)
        self.write()

    def loaded(self, decider: Decider, interval: float) -> None:
        self.reloads.inc()
        self.persistent.set(decider.route_count())
        self.sync_interval.set(interval)

    def replaced(self, count: int) -> None:
        """For the replacement watch (RTM_NEWROUTE of others over ours), when the loop sees them."""
        self.replacements.inc(count)

    # ------------------------------------------------------------------ route states
    def count_routes(self, decider: Decider) -> None:
        """Set `routekeeper_routes` from the mirror: per group, set operations on prefix keys."""
        start = time.perf_counter()
        counts = count_states(decider)
        for labels in self.route_labels | counts.keys():
            self.routes.labels(*labels).set(counts.get(labels, 0))
        self.route_labels |= counts.keys()
        self.refresh_cost = time.perf_counter() - start
        self.refresh_after = start + 100 * self.refresh_cost


def count_states(decider: Decider) -> dict[tuple[str, str], int]:
    """(state, reason) -> number of persistent routes, from the daemon's mirror of the kernel.

    conflicting: the kernel holds the prefix through another next hop (ours absent, refused with
    EEXIST, or beside it at another metric: contested either way); present: ours is in the kernel
    through an allowed interface and nobody else's is; missing: absent although the core policy would
    place it now (a refused restore); waiting: absent and not placeable, the reason read from its
    interface.

    (A refusal with EEXIST leaves the mirror believing ours is present, so "ours absent" cannot be
    told from the mirror alone; a route of another next hop at the prefix is what can.)"""
    mirror = decider.mirror
    counts: dict[tuple[str, str], int] = {}
    gateways: dict[int, list[tuple[int, dict[int, set[int]]]]] = {}  # version -> (gateway, by oif)
    for (version, gateway), by_oif in mirror.present.items():
        gateways.setdefault(version, []).append((gateway, by_oif))
    unions: dict[tuple[int, int], set[int]] = {}  # built only when a group has rivals
    host = None

    def add(state: str, reason: str, n: int) -> None:
        if n:
            counts[(state, reason)] = counts.get((state, reason), 0) + n

    def union(version: int, gateway: int, by_oif: dict[int, set[int]]) -> set[int]:
        if (version, gateway) not in unions:
            unions[(version, gateway)] = set().union(*by_oif.values())
        return unions[(version, gateway)]

    for g in decider.groups.values():
        keys = g.keyset()
        sets = mirror.present_sets(g)
        if not sets:
            ours: set[int] = set()
        elif len(sets) == 1 and keys <= sets[0]:
            ours = keys  # the usual case, checked without building a set
        else:
            ours = keys & (sets[0] if len(sets) == 1 else set().union(*sets))
        rivals = [union(g.version, gw, by) for gw, by in gateways.get(g.version, ()) if gw != g.nexthop]
        contested = keys.intersection(*rivals) if len(rivals) == 1 else keys & set().union(*rivals)
        add("present", "", len(ours - contested) if contested else len(ours))
        add("conflicting", "", len(contested))
        if len(ours) == len(keys) or len(ours | contested) == len(keys):
            continue
        absent = keys - ours - contested
        if host is None:
            host = mirror.view()
        placeable = bool(additions(reconcile([g.representative(*key_prefix(next(iter(absent))))], host)))
        if placeable:
            add("missing", "", len(absent))
        else:
            add("waiting", waiting_reason(g, mirror), len(absent))
    return counts


def waiting_reason(g: object, mirror: object) -> str:
    """Why a group's routes cannot be placed: its bound interface is gone, down or without carrier,
    or (unbound, or bound and up) its next hop is on-link nowhere."""
    ifindex = g.ifindex  # type: ignore[attr-defined]
    if ifindex is None:
        return "nexthop_unreachable"
    link = mirror.links.get(ifindex)  # type: ignore[attr-defined]
    if link is None:
        return "interface_missing"
    if not link.flags & codec.IFF_UP:
        return "interface_down"
    if not link.carrier:
        return "no_carrier"
    return "nexthop_unreachable"


def textfile_path(path: str) -> str:
    """node_exporter reads only `*.prom` files, from a directory that must exist."""
    if not path.endswith(".prom"):
        raise ValueError(f"--metrics-textfile: node_exporter reads only *.prom files, not {path}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValueError(f"--metrics-textfile: no directory {directory}")
    return path
