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
from routekeeper.linux.keeper.control import ControlServer
from routekeeper.linux.keeper.decide import (
    DaemonAction,
    Decider,
    Forgotten,
    Install,
    Plan,
    PromoteSecondaries,
    Rebind,
    ReconcileAll,
    Remember,
    Repair,
    Resync,
    Tally,
    Verify,
)
from routekeeper.linux.keeper.events import EventsLost, decode
from routekeeper.linux.keeper.index import RouteGroup, key_prefix, prefix_key
from routekeeper.linux.keeper.latency import request_short_slice
from routekeeper.linux.keeper.ledger import Ledger, Loss, Restore
from routekeeper.linux.keeper.metrics import NoMetrics
from routekeeper.linux.keeper.restore import Prepared, Restores
from routekeeper.linux.keeper.send import DETAIL, Sender
from routekeeper.linux.keeper.socket_filter import drop_newroute_filter
from routekeeper.linux.keeper.status import snapshot
from routekeeper.linux.keeper.systemd import sd_notify, watchdog_interval
from routekeeper.linux.netns import enter, read_sysctl, write_sysctl
from routekeeper.linux.nlsock import RtnlSocket
from routekeeper.linux.observe import PROTO_ROUTEKEEPER

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

    def record(self, events: list[tuple[float, str, str, str]]) -> None:
        """Append to the keeper's journal: (unix time, prefix, kind, detail) rows."""
        ...

    def attributes(self) -> dict[tuple, tuple[int | None, bool]]:
        """(preferred source as an int, onlink) by `PersistentRoute.key`, for the routes having either."""
        ...

    def unresolved(self) -> dict[int, str]:
        """Placeholder (negative) interface indexes of the last `routes`, and why each cannot be used."""
        ...

    def bound_names(self) -> set[str]:
        """The interface names the routes are bound to."""
        ...


TRANSIENT = {errno.ENETUNREACH, errno.ENODEV, errno.ENETDOWN}  # a flap in progress, not a fault
JOURNAL_BACKLOG = 10_000  # rows that are written at once, whatever else waits
JOURNAL_DETAIL = 1000  # up to this many routes in one install or flush are journalled one by one


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
        control: ControlServer | None = None,
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
        self.control = control
        self.ledger = Ledger(started=time.time())
        self.journal: list[tuple[float, str, str, str]] = []
        self.cause_at = time.monotonic()  # when the event being acted on arrived: restore latency

    # ------------------------------------------------------------------ the routes to keep
    def load(self) -> None:
        mirror = self.decider.mirror
        if not mirror.links:
            mirror.links = {link.index: link for link in self.req.links()}
        routes = self.source.routes({link.name: link.index for link in mirror.links.values()})
        self.decider.load(routes, self.source.bound_names(), self.source.attributes())
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
            elif type(action) is Forgotten:
                self.flushed(action.ifindex, action.why)
            elif type(action) is Rebind:
                log.info("re-binding routes by interface name: %s", action.why)
                self.load()
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
        self.flushed(action.ifindex, action.why)

    def flushed(self, ifindex: int, why: str) -> None:
        """Log and journal what the kernel took from an interface (one line, whatever the count)."""
        gone = self.decider.mirror.take_flushed(ifindex)
        if not gone:
            return
        now = time.time()
        self.ledger.lost(ifindex, Loss(now, why))
        links = self.decider.mirror.links
        name = links[ifindex].name if ifindex in links else f"interface {ifindex}"
        if len(gone) == 1:
            (k,) = gone
            log.warning("flushed %s dev %s: %s", self.prefix_text(k), name, why)
        else:
            log.warning("flushed %d kept routes dev %s: %s", len(gone), name, why)
        if len(gone) <= JOURNAL_DETAIL:
            self.journal += [(now, self.prefix_text(k), "flushed", f"dev {name}: {why}") for k in gone]
        else:
            self.journal.append((now, "*", "flushed", f"{len(gone)} routes dev {name}: {why}"))

    @staticmethod
    def prefix_text(k: int) -> str:
        network, length = key_prefix(k)
        return str(Prefix(6 if k & 1 else 4, network, length))

    def resync(self, action: Resync) -> None:
        if action.overflowed:
            self.metrics.overflowed()
            self.ev.set_rcvbuf(EVENT_RCVBUF * 2)
            log.warning("event socket overflowed (ENOBUFS): dumping and reconciling everything")
            self.decider.mirror.links = {link.index: link for link in self.req.links()}
            self.load()  # links may have come, gone or been renamed unseen: bind by name again
        self.full_sync(action.why)

    def full_sync(self, why: str) -> None:
        """Dump everything, rebuild the mirror, reconcile every group."""
        self.cause_at = time.monotonic()
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
        g = action.group
        if g.onlink or g.prefsrc is not None:
            self.send_attributed(g, action.oif, plan, tally)
        else:
            self.sender.send(g, action.oif, plan, tally)
        return self.report(action, plan, tally)

    def report(self, action: Install, plan: Plan, tally: Tally) -> int:
        """Log what an install put in and what the kernel refused; returns how many went in."""
        g, oif = action.group, action.oif
        self.metrics.installed(action, plan, tally)
        done = tally.done
        if tally.conflicts:
            self.conflicted(g, oif, tally.conflicts)
        if not done and not tally.errors:
            return 0
        why = action.reason() if callable(action.reason) else action.reason
        self.account(g, oif, plan.single if not plan.vector else None, done, tally.errors, why)
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
            if err in TRANSIENT:
                log.info(
                    "not restored yet: %d routes %s dev %s: %s (the link is still settling;"
                    " retried on its next event)",
                    count,
                    via,
                    name,
                    os.strerror(err),
                )
            else:
                log.warning("cannot restore %d routes %s dev %s: %s", count, via, name, os.strerror(err))
        self.installed_total += done
        return done

    def send_attributed(self, g: RouteGroup, oif: int, plan: Plan, tally: Tally) -> None:
        """Routes with a preferred source or `onlink`: one request each (few, and the batch encoders
        carry neither attribute)."""
        if plan.vector:
            members = g.members if plan.pick is None else [g.members[i] for i in plan.pick]
        else:
            members = plan.single
        flags = codec.RTNH_F_ONLINK if g.onlink else 0
        for network, length in members:
            message = codec.encode_route(
                codec.RTM_NEWROUTE,
                g.version,
                network,
                length,
                gateway=g.nexthop,
                oif=oif,
                priority=g.metric,
                proto=PROTO_ROUTEKEEPER,
                prefsrc=g.prefsrc,
                rtm_flags=flags,
            )
            err = self.req.request(message)
            tally.sent([prefix_key(g.version, network, length)], 0, {0: err} if err else {})
            if not err and len(tally.installed) <= DETAIL:
                tally.installed.append((network, length))
        if plan.vector:
            plan.single, plan.vector = members, False  # logged and journalled one by one

    def account(
        self,
        g: RouteGroup,
        oif: int,
        single: list[tuple[int, int]] | None,
        done: int,
        errors: dict[int, int],
        why: str,
    ) -> None:
        """The ledger (status) and the journal (why / log) after an install; after the messages."""
        now = time.time()
        if done:
            keys = None if single is None else [prefix_key(g.version, *m) for m in single]
            self.ledger.restored(g, keys, Restore(now, time.monotonic() - self.cause_at, oif, why))
            members = single if single is not None else g.members
            if len(members) <= JOURNAL_DETAIL:
                via = f"via {IP(g.version, g.nexthop)} " if g.nexthop else ""
                self.journal += [
                    (now, str(Prefix(g.version, *m)), "restored", f"{via}dev {oif} metric {g.metric}: {why}")
                    for m in members
                ]
            else:
                self.journal.append((now, "*", "restored", f"{done} routes: {why}"))
        for err in errors:
            self.ledger.refuse(g, now, os.strerror(err))
            self.journal.append(
                (now, str(Prefix(g.version, *g.members[0])), "refused", f"{os.strerror(err)} ({why})")
            )

    def conflicted(self, g: RouteGroup, oif: int, keys: list[int]) -> None:
        """Routes the kernel refused with EEXIST: another route holds the slot. Logged once per
        route (until it is ours again), and taken back when the other goes (`Mirror.blocked`)."""
        blocked = self.decider.mirror.blocked
        now = time.time()
        new = []
        for k in keys:
            holders = blocked.setdefault(k, set())
            if (g.version, g.nexthop) not in holders:
                holders.add((g.version, g.nexthop))
                new.append(k)
        links = self.decider.mirror.links
        name = links[oif].name if oif in links else str(oif)
        via = f"via {IP(g.version, g.nexthop)}" if g.nexthop else "on-link"
        for k in new[:DETAIL]:
            log.warning(
                "conflict: %s %s dev %s metric %d: another route holds its place in the kernel;"
                " it goes back in when that one goes",
                self.prefix_text(k),
                via,
                name,
                g.metric,
            )
        if len(new) > DETAIL:
            log.warning(
                "conflict: %d more routes %s dev %s held by other routes", len(new) - DETAIL, via, name
            )
        self.journal += [(now, self.prefix_text(k), "conflict", f"{via} dev {name}: slot held") for k in new]

    def flush_journal(self) -> None:
        """Write the journal rows gathered since the last time (one transaction), while idle."""
        if self.journal:
            rows, self.journal = self.journal, []
            try:
                self.source.record(rows)
            except OSError as exc:
                log.warning("cannot write the journal to %s: %s", self.source.path, exc)

    def status(self) -> list[dict]:
        """Every kept route's status (`status.snapshot`), from a fresh dump of the main table."""
        kernel = self.req.routes(table=codec.RT_TABLE_MAIN)
        mirror = self.decider.mirror
        found = snapshot(
            self.decider.groups.values(),
            kernel,
            mirror.view(),
            mirror.links,
            self.ledger,
            self.source.unresolved(),
        )
        return [s.as_dict() for s in found]

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
            self.flush_journal()
            if once:
                return 0
            sd_notify(f"READY=1\nSTATUS=keeping {self.decider.route_count()} routes")
            self.serve(wake_r)
            self.flush_journal()
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
            watched: list = [self.ev.sock, wake]
            if self.control is not None:
                watched.append(self.control)
            try:
                ready, _, _ = select.select(watched, [], [], timeout)
            except InterruptedError:
                ready = []
            self.cause_at = time.monotonic()
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
            if self.control is not None and self.control in ready:
                self.control.serve_ready(self.on_request)
            if len(self.journal) >= JOURNAL_BACKLOG:
                self.flush_journal()
            # Otherwise the journal is written at the periodic sync, on any control request (`log`
            # and `why` ask first) and at exit: a disk write must never delay the next restore.
            now = time.monotonic()
            if next_wd is not None and now >= next_wd:
                sd_notify("WATCHDOG=1")
                next_wd = now + (wd or 0)
            if now >= next_sync:
                self.periodic_sync()
                next_sync = time.monotonic() + self.interval

    def on_request(self, request: dict) -> dict:
        """A command on the control socket (`control.py`). `reload`: a command changed the store and
        waits for this answer before it changes the kernel, so the answer comes after the reload."""
        op = request.get("op")
        self.flush_journal()  # `log` / `why` read it next
        if op == "flush":
            return {"ok": True}
        if op == "reload":
            why = str(request.get("why") or "a command changed the store")
            log.info("reloading the store: %s", why)
            self.handle_events()  # what the kernel did before the command, decided on the old routes
            self.load()
            self.full_sync(why)
            return {"ok": True, "routes": self.decider.route_count()}
        if op == "status":
            self.handle_events()  # answer on the kernel as it is now
            return {"ok": True, "netns": self.netns, "store": self.source.path, "routes": self.status()}
        return {"ok": False, "error": f"unknown request {op!r}"}

    def periodic_sync(self) -> None:
        """The safety net: reload the routes if they changed, then dump and reconcile everything."""
        self.flush_journal()
        if self.source.version() != self.source_version:
            log.info("the store changed: reloading")
            self.load()
        self.full_sync("periodic re-verification")
