"""`routekeeper keep`'s event loop: receive, decode, decide (pure), send, then log and keep books.

The kernel drops routes silently (the last IPv4 address of a device goes, the device goes down) and
never puts them back; see spec/linux.md. This loop puts them back as soon as their next hop is
reachable again, and repairs explicit deletions of its routes by others. It never deletes or replaces
a route; routes that are not its own are only read.

What it listens to (one netlink socket, link + address + route groups; RTM_NEWROUTE is dropped by a
socket filter so that our own bulk installs do not flood it):
- RTM_DELADDR, link down: re-verify the interface (the kernel sends no RTM_DELROUTE for a flush);
- RTM_NEWADDR, link up: re-install what has become reachable;
- RTM_DELROUTE of a route we keep: repair it;
- ENOBUFS (events lost): enlarge the buffer with SO_RCVBUFFORCE, dump and reconcile everything;
- a timer: dump and reconcile everything (the safety net), and reload the routes if they changed.
`stop` / `reload` are set by the caller's signal handlers; `run(once=True)` reconciles and returns.

The hot path is an address coming back: its routes were decided and encoded while idle
(`restore.Restores`), and go out on the first datagram read, before anything is decoded, decided,
logged or kept; otherwise they are sent as soon as its message is decoded (`decide.Decider.fast_path`).
"""

from __future__ import annotations

import errno
import logging
import os
import select
import signal
import socket
import time
from collections.abc import Iterable
from typing import Protocol

from routekeeper.core.values import IP, PersistentRoute, Prefix
from routekeeper.linux import codec
from routekeeper.linux.keeper.decide import (
    DaemonAction,
    Decider,
    Install,
    Plan,
    PromoteSecondaries,
    ReconcileAll,
    Remember,
    Repair,
    Resync,
    Tally,
    Verify,
)
from routekeeper.linux.keeper.events import EventsLost, decode
from routekeeper.linux.keeper.latency import request_short_slice
from routekeeper.linux.keeper.metrics import NoMetrics
from routekeeper.linux.keeper.restore import Prepared, Restores
from routekeeper.linux.keeper.send import DETAIL, Sender
from routekeeper.linux.keeper.socket_filter import drop_newroute_filter
from routekeeper.linux.keeper.systemd import sd_notify, watchdog_interval
from routekeeper.linux.netns import enter, read_sysctl, write_sysctl
from routekeeper.linux.nlsock import RtnlSocket

log = logging.getLogger("routekeeper.keep")

EVENT_GROUPS = (
    codec.RTMGRP_LINK
    | codec.RTMGRP_IPV4_IFADDR
    | codec.RTMGRP_IPV6_IFADDR
    | codec.RTMGRP_IPV4_ROUTE
    | codec.RTMGRP_IPV6_ROUTE
)
EVENT_RCVBUF = 32 << 20
STEP_ASIDE = 0.0005  # seconds the hot path sleeps after sending a prepared restore (see handle_events)


class RouteSource(Protocol):
    """Where the persistent routes to keep come from (the app layer hands the store in)."""

    @property
    def path(self) -> str:
        """Named in the log."""
        ...

    def routes(self, names: dict[str, int]) -> list[PersistentRoute]:
        """The routes to keep now (parked ones left out); `names` re-binds interfaces by name."""
        ...

    def version(self) -> int:
        """Changes when the routes may have changed: the cheap "reload?" of the timer."""
        ...


class Daemon:
    """The I/O around `Decider`: the netlink sockets, the route source, signals, systemd."""

    def __init__(
        self,
        source: RouteSource,
        netns: str | None,
        interval: float,
        manage_promote: bool,
        rcvbuf: int = EVENT_RCVBUF,
        metrics: NoMetrics = NoMetrics(),  # noqa: B008 (stateless)
    ) -> None:
        self.metrics = metrics
        self.netns = netns
        self.interval = interval
        if netns:
            enter(netns)  # the whole process: sockets, /proc/sys/net
        self.req = RtnlSocket(None)
        self.ev = RtnlSocket(None, groups=EVENT_GROUPS, rcvbuf=rcvbuf)
        drop_newroute_filter(self.ev.sock)
        self.ev.sock.setblocking(False)
        request_short_slice()  # hot path: woken by an event, run at once (see keeper.latency)
        self.sender = Sender(self.req)
        self.decider = Decider(netns, manage_promote)
        self.restores = Restores(self.decider, self.sender)  # the hot path, prepared while idle
        self.restored: Prepared | None = None  # the restore sent for the events being handled
        self.source = source
        self.source_version = source.version()
        self.stop = False
        self.reload = False
        self.installed_total = 0

    # ------------------------------------------------------------------ the routes to keep
    def load(self) -> None:
        mirror = self.decider.mirror
        if not mirror.links:
            mirror.links = {link.index: link for link in self.req.links()}
        routes = self.source.routes({link.name: link.index for link in mirror.links.values()})
        self.decider.load(routes)
        self.source_version = self.source.version()
        self.metrics.loaded(self.decider, self.interval)
        log.info(
            "loaded %d persistent routes in %d groups from %s",
            len(routes),
            len(self.decider.groups),
            self.source.path,
        )

    # ------------------------------------------------------------------ events
    def handle_events(self) -> None:
        """Drain the event socket, acting on each event as it is decoded (an added address sends its
        routes at once), then act once on what the whole batch changed."""
        decider = self.decider
        self.restored = None
        first = True
        while True:
            try:
                data = self.ev.recv()
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno != errno.ENOBUFS:
                    raise
                self.restores.ready = {}  # hot path: events lost, nothing prepared holds
                decider.on(EventsLost())
                continue
            self.metrics.received()
            if first:  # hot path: a prepared restore goes out before anything else is done
                first = False
                self.restored = self.restores.take(data)
                if self.restored is not None:
                    self.metrics.took(self.restored)
                    # The routes are in. Step aside before the rest (decoding, bookkeeping,
                    # logging: about a millisecond), so that whoever the routes woke runs first.
                    time.sleep(STEP_ASIDE)
            for event in decode(memoryview(bytes(data))):
                actions = decider.on(event)
                if actions:
                    self.execute(actions)
        self.metrics.settling(decider.pending, decider)
        self.execute(decider.settle())
        if self.restored is not None:
            for e in self.restored.entries:
                self.report(e.install, e.plan, e.tally)
            self.restored = None
        decider.mirror.warm_view()
        self.metrics.settled(decider)
        self.restores.prepare()  # hot path: the state changed, decide the next restores now

    def execute(self, actions: Iterable[DaemonAction]) -> int:
        """Carry out `actions` in order; returns how many routes went in."""
        sent = 0
        for action in actions:
            if type(action) is Install:
                sent += self.install(action)
            elif type(action) is Remember:
                self.remember(action, sent)
            elif type(action) is Verify:
                self.verify(action)
            elif type(action) is ReconcileAll:
                sent += self.execute(self.decider.reconcile(action.why))
            elif type(action) is Repair:
                sent += self.execute(self.decider.repair(action.deleted, action.why))
            elif type(action) is Resync:
                self.resync(action)
            elif type(action) is PromoteSecondaries:
                self.promote_all()
        return sent

    def remember(self, action: Remember, sent: int) -> None:
        a = action.addr
        r, prepared = self.restored, 0
        if r is not None and (r.addr.ip, r.addr.ifindex) == (a.ip, a.ifindex):
            prepared = sum(e.tally.done for e in r.entries)  # what the prepared restore sent
        if action.covered is not None and log.isEnabledFor(logging.DEBUG):
            log.debug(
                "address %s/%d added: %d groups covered, %d routes installed (%d prepared while idle)",
                IP(a.version, a.ip),
                a.length,
                action.covered,
                sent + prepared,
                prepared,
            )
        self.decider.remember(a)

    def verify(self, action: Verify) -> None:
        routes = self.req.routes(table=codec.RT_TABLE_MAIN, oif=action.ifindex)
        self.decider.mirror.interface_dumped(action.ifindex, routes)
        log.debug("re-verified interface %d (%s): %d routes", action.ifindex, action.why, len(routes))

    def resync(self, action: Resync) -> None:
        if action.overflowed:
            self.metrics.overflowed()
            self.ev.set_rcvbuf(EVENT_RCVBUF * 2)
            log.warning("event socket overflowed (ENOBUFS): dumping and reconciling everything")
        self.full_sync(action.why)

    def full_sync(self, why: str) -> None:
        """Dump everything, rebuild the mirror, reconcile every group."""
        started = self.metrics.sync_started()
        links = self.req.links()
        addrs = self.req.addresses()
        routes = self.req.routes(table=codec.RT_TABLE_MAIN)
        self.decider.mirror.replace(links, addrs, routes)
        if self.decider.manage_promote:
            self.promote_all()
        n = self.execute(self.decider.reconcile(why))
        log.debug("full sync (%s): %d routes in the main table, %d installed", why, len(routes), n)
        self.metrics.sync_done(started, self.decider)
        self.restores.prepare()  # hot path: the state changed, decide the next restores now

    def promote_all(self) -> None:
        """--manage-promote-secondaries: deleting a primary then promotes a secondary instead of
        deleting all of them (and flushing whatever used them)."""
        for link in self.decider.mirror.links.values():
            if link.flags & codec.IFF_LOOPBACK:
                continue
            if read_sysctl("ipv4", link.name, "promote_secondaries") == "0":
                try:
                    write_sysctl("ipv4", link.name, "promote_secondaries", "1")
                    log.info("set promote_secondaries=1 on %s", link.name)
                except OSError as exc:
                    log.warning("cannot set promote_secondaries on %s: %s", link.name, exc)

    # ------------------------------------------------------------------ installs
    def install(self, action: Install) -> int:
        """Send what `action` still needs, then log what went in and what was refused."""
        planned = self.decider.plan(action)
        if planned is None:
            return 0
        plan, tally = planned
        self.sender.send(action.group, action.oif, plan, tally)
        return self.report(action, plan, tally)

    def report(self, action: Install, plan: Plan, tally: Tally) -> int:
        """Log what an install put in and what the kernel refused; returns how many went in."""
        g, oif = action.group, action.oif
        self.metrics.installed(action, plan, tally)
        done = tally.done
        if not done and not tally.errors:
            return 0
        why = action.reason() if callable(action.reason) else action.reason
        links = self.decider.mirror.links
        name = links[oif].name if oif in links else str(oif)
        via = f"via {IP(g.version, g.nexthop)}" if g.nexthop else "on-link"
        if done and done <= DETAIL and not plan.vector:
            for network, length in tally.installed[:done]:
                log.info(
                    "installed %s %s dev %s metric %d: %s",
                    Prefix(g.version, network, length),
                    via,
                    name,
                    g.metric,
                    why,
                )
        elif done:
            log.info("installed %d routes %s dev %s metric %d: %s", done, via, name, g.metric, why)
        for err, count in tally.errors.items():
            log.warning("kernel refused %d routes %s dev %s: %s", count, via, name, os.strerror(err))
        self.installed_total += done
        return done

    # ------------------------------------------------------------------ main loop
    def run(self, once: bool) -> int:
        started = time.monotonic()
        # Signals must wake select() (PEP 475 would otherwise resume it until the timeout); set up
        # before anything else so that a SIGHUP right after READY=1 is not left waiting.
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
        try:
            self.load()
            self.full_sync("start")
            log.info(
                "ready in %.0f ms: %d routes installed%s",
                (time.monotonic() - started) * 1000,
                self.installed_total,
                f" in namespace {self.netns}" if self.netns else "",
            )
            if once:
                return 0
            sd_notify(f"READY=1\nSTATUS=keeping {self.decider.route_count()} routes")
            self.serve(wake_r)
        finally:
            signal.set_wakeup_fd(-1)
            wake_r.close()
            wake_w.close()
        sd_notify("STOPPING=1")
        log.info("stopping; the routes stay in the kernel")
        return 0

    def serve(self, wake: socket.socket) -> None:
        """Until `stop`: events as they come, SIGHUP reloads, the watchdog, the periodic full sync."""
        wd = watchdog_interval()
        next_sync = time.monotonic() + self.interval
        next_wd = time.monotonic() + wd if wd else None
        while not self.stop:
            deadline = min(next_sync, next_wd or next_sync)
            timeout = 0.0 if self.reload or self.stop else max(0.0, deadline - time.monotonic())
            try:
                ready, _, _ = select.select([self.ev.sock, wake], [], [], timeout)
            except InterruptedError:
                ready = []
            if wake in ready:
                try:
                    wake.recv(4096)
                except BlockingIOError:
                    pass
            if self.reload:
                self.reload = False
                log.info("SIGHUP: reloading the store")
                self.load()
                self.full_sync("store reloaded")
            if self.ev.sock in ready:
                self.handle_events()
            now = time.monotonic()
            if next_wd is not None and now >= next_wd:
                sd_notify("WATCHDOG=1")
                next_wd = now + (wd or 0)
            if now >= next_sync:
                self.periodic_sync()
                next_sync = time.monotonic() + self.interval

    def periodic_sync(self) -> None:
        """The safety net: reload the routes if they changed, then dump and reconcile everything."""
        if self.source.version() != self.source_version:
            log.info("the store changed: reloading")
            self.load()
        self.full_sync("periodic re-verification")
