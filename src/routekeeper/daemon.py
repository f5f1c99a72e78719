"""`routekeeper keep`: hold the persistent routes of a real Linux host in its kernel.

The kernel drops routes silently (the last IPv4 address of a device goes, the device goes down) and
never puts them back; see spec/linux.md. This loop puts them back as soon as their next hop is
reachable again, and repairs explicit deletions of its routes by others.

How it decides: every decision about whether and where a persistent route belongs is made by the
pure core, `keeper.reconcile`, run against a small `Host` built from the kernel's links, addresses and
on-link routes (everything reachability depends on). Persistent routes sharing a next hop, binding
and metric share that decision, so reconcile runs once per group, and each member only costs a set
lookup ("is it in the kernel?") and a packed netlink message. That is what lets a million routes come
back in seconds rather than minutes.

What it listens to (one netlink socket, link + address + route groups; RTM_NEWROUTE is dropped by a
socket filter so that our own bulk installs do not flood it):
- RTM_DELADDR, link down: re-verify the interface (the kernel sends no RTM_DELROUTE for a flush);
- RTM_NEWADDR, link up: re-install what has become reachable;
- RTM_DELROUTE of a route we keep: repair it;
- ENOBUFS (events lost): enlarge the buffer with SO_RCVBUFFORCE, dump and reconcile everything;
- a timer: dump and reconcile everything (the safety net), and reload the store if it changed.
SIGHUP reloads the store, SIGTERM / SIGINT exit cleanly (routes stay), `--once` reconciles and exits.
It never deletes or replaces a route; routes that are not its own are only read.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import faulthandler
import logging
import os
import select
import signal
import socket
import struct
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from .backends.linux import codec
from .backends.linux.codec import KAddr, KLink, KRoute
from .backends.linux.netns import enter, has_net_admin, read_sysctl, write_sysctl
from .backends.linux.nlsock import RtnlSocket
from .backends.linux.observe import PROTO_ROUTEKEEPER, build_host
from .backends.linux.store import Store
from .core.host import Host
from .core.keeper import Action, reconcile
from .core.operations import AddAddress, AddRoute, Refused
from .core.values import IP, PersistentRoute, Prefix

log = logging.getLogger("routekeeper.keep")

BATCH = 512  # messages per sendmsg: measured fastest (about 230k routes/s on the reference machine)
DETAIL = 10  # groups up to this size log one line per route; bigger ones one summary line
EVENT_GROUPS = (
    codec.RTMGRP_LINK
    | codec.RTMGRP_IPV4_IFADDR
    | codec.RTMGRP_IPV6_IFADDR
    | codec.RTMGRP_IPV4_ROUTE
    | codec.RTMGRP_IPV6_ROUTE
)
SO_ATTACH_FILTER = 26
EVENT_RCVBUF = 32 << 20


# ---------------------------------------------------------------------------------------------- groups
@dataclass
class Group:
    """Persistent routes that share next hop, interface binding and metric, hence every decision."""

    version: int
    nexthop: int
    ifindex: int | None
    metric: int
    origin: object
    members: list[tuple[int, int]] = field(default_factory=list)  # (network, length)

    def representative(self, network: int, length: int) -> PersistentRoute:
        return PersistentRoute(
            Prefix(self.version, network, length),
            IP(self.version, self.nexthop),
            self.metric,
            self.ifindex,
            self.origin,  # type: ignore[arg-type]
        )


def prefix_key(version: int, network: int, length: int) -> int:
    """One int per prefix: cheaper to hash and store than a tuple when there are a million."""
    return ((network << 8 | length) << 1) | (version == 6)


def group_routes(routes: Iterable[PersistentRoute]) -> dict[tuple, Group]:
    groups: dict[tuple, Group] = {}
    for p in routes:
        key = (p.prefix.version, p.nexthop.value, p.ifindex, p.metric)
        g = groups.get(key)
        if g is None:
            g = groups[key] = Group(p.prefix.version, p.nexthop.value, p.ifindex, p.metric, p.origin)
        g.members.append((p.prefix.network, p.prefix.length))
    return groups


def additions(actions: list[Action]) -> list[Action]:
    """The keeper's installs. Its withdrawals of stale copies are not carried out on a real kernel:
    the daemon never deletes a route (see docs/linux.md), and its view holds no gateway routes."""
    return [a for a in actions if isinstance(a.operation, AddRoute)]


# ---------------------------------------------------------------------------------------------- sd_notify
def sd_notify(message: str) -> None:
    """systemd's notification protocol with the stdlib: one datagram to $NOTIFY_SOCKET."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(path)
            s.sendall(message.encode())
    except OSError as exc:
        log.debug("sd_notify failed: %s", exc)


def watchdog_interval() -> float | None:
    """Half of WatchdogSec (as systemd recommends), if the watchdog is on for this process."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


def drop_newroute_filter(sock: socket.socket) -> None:
    """Attach a classic BPF filter dropping RTM_NEWROUTE notifications before they are queued.

    Our own installs would otherwise send us one notification per route (a million for a full
    table) and overflow the socket; nothing in the keeper needs to see routes being added."""
    # nlmsg_type is host-endian; BPF absolute loads read big-endian.
    want = struct.unpack(">H", struct.pack("=H", codec.RTM_NEWROUTE))[0]
    prog = [
        (0x28, 0, 0, 4),  # ldh [4]
        (0x15, 0, 1, want),  # jeq #RTM_NEWROUTE, drop, accept
        (0x06, 0, 0, 0),  # ret #0
        (0x06, 0, 0, 0xFFFFFFFF),  # ret #-1
    ]
    raw = b"".join(struct.pack("=HBBI", *ins) for ins in prog)
    buf = ctypes.create_string_buffer(raw)
    fprog = struct.pack("HL", len(prog), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)  # the kernel copies the program


# ---------------------------------------------------------------------------------------------- keeper
class Keeper:
    """The daemon's state: what the kernel has (mirrored) and what must be in it (the store)."""

    def __init__(
        self,
        netns: str | None,
        state: str | None,
        interval: float,
        manage_promote: bool,
        rcvbuf: int = EVENT_RCVBUF,
    ) -> None:
        self.netns = netns
        self.state = state
        self.interval = interval
        self.manage_promote = manage_promote
        if netns:
            enter(netns)  # the whole process: sockets, /proc/sys/net
        self.req = RtnlSocket(None)
        self.ev = RtnlSocket(None, groups=EVENT_GROUPS, rcvbuf=rcvbuf)
        drop_newroute_filter(self.ev.sock)
        self.ev.sock.setblocking(False)
        self.store = Store(state, netns)
        self.store_version = self.store.data_version()
        self.groups: dict[tuple, Group] = {}
        self.wanted: set[int] = set()  # prefix keys of persistent routes
        self.links: dict[int, KLink] = {}
        self.addrs: list[KAddr] = []
        self.onlink: list[KRoute] = []  # on-link unicast routes of the main table: reachability
        self.present: dict[int, list[tuple[int, int]]] = {}  # prefix key -> [(gateway, oif)]
        self.seq = 1 << 20
        self.stop = False
        self.reload = False
        self.installed_total = 0
        self._view: Host | None = None

    # ------------------------------------------------------------------ store
    def load(self) -> None:
        names = {link.name: link.index for link in self.links.values()} if self.links else None
        if names is None:
            self.links = {link.index: link for link in self.req.links()}
            names = {link.name: link.index for link in self.links.values()}
        stored = self.store.load(names)
        routes = [s.route for s in stored if not s.parked]
        self.groups = group_routes(routes)
        self.wanted = {prefix_key(p.prefix.version, p.prefix.network, p.prefix.length) for p in routes}
        self.store_version = self.store.data_version()
        log.info(
            "loaded %d persistent routes in %d groups from %s", len(routes), len(self.groups), self.store.path
        )

    # ------------------------------------------------------------------ mirror of the kernel
    def full_sync(self, why: str) -> None:
        """Dump everything, rebuild the mirror, reconcile every group."""
        self.links = {link.index: link for link in self.req.links()}
        self.addrs = self.req.addresses()
        routes = self.req.routes(table=codec.RT_TABLE_MAIN)
        self._index_routes(routes)
        if self.manage_promote:
            self.promote_all()
        n = self.reconcile(self.groups.values(), why)
        log.debug("full sync (%s): %d routes in the main table, %d installed", why, len(routes), n)

    def _view_add(self, a: KAddr) -> None:
        """Apply an added address to the cached view as the core operation it is."""
        if self._view is None:
            return
        try:
            self._view.apply(AddAddress(a.ifindex, IP(a.version, a.ip), a.length))
        except Refused:
            self._view = None

    def _index_routes(self, routes: Iterable[KRoute], oif: int | None = None) -> None:
        """Refresh the present-index and on-link list from a dump (of everything, or of one interface)."""
        self._view = None
        if oif is None:
            self.present = {}
            self.onlink = []
        else:
            self.onlink = [r for r in self.onlink if r.oif != oif]
            self._forget_oif(oif)
        wanted, present = self.wanted, self.present
        for r in routes:
            if r.gateway == 0 and r.type == codec.RTN_UNICAST and r.table == codec.RT_TABLE_MAIN:
                self.onlink.append(r)
            if r.proto == codec.RTPROT_KERNEL:
                continue
            k = ((r.dst << 8 | r.dst_len) << 1) | (r.version == 6)
            if k in wanted:
                present.setdefault(k, []).append((r.gateway, r.oif))

    def _forget_oif(self, oif: int, version: int | None = None) -> None:
        """Drop what the mirror believes is present through `oif` (the kernel flushed it)."""
        for k in list(self.present):
            if version is not None and (k & 1) != (version == 6):
                continue
            kept = [e for e in self.present[k] if e[1] != oif]
            if kept:
                self.present[k] = kept
            else:
                del self.present[k]

    def view(self) -> Host:
        """The small core Host the decisions are made on: links, addresses, on-link routes.

        Cached: an added address is applied to it as a core operation (the fast path when an address
        comes back); anything else that changes links, addresses or on-link routes drops it.

        The kernel's own prefix routes are not mirrored (RTM_NEWROUTE is filtered out): the linux
        profile derives them from the addresses, exactly as the differential test checks it does."""
        if self._view is not None:
            return self._view
        promote = {link.name: False for link in self.links.values()}
        manual = [r for r in self.onlink if r.proto != codec.RTPROT_KERNEL]
        host = build_host(self.links.values(), promote, self.addrs, manual, (), netns=self.netns)
        for ifindex in list(host.interfaces):
            host.rederive(ifindex, "mirror")
        self._view = host
        return host

    # ------------------------------------------------------------------ decisions and actions
    def reconcile(self, groups: Iterable[Group], why: str, only: set[int] | None = None) -> int:
        """Install every missing member of `groups` (of `only`, prefix keys, when given) whose next hop
        is reachable. Returns the count.

        The decision comes first (one `keeper.reconcile` per group, on a representative: the view holds
        no gateway routes, so it is never "present" there), then the members stream through the
        presence check into batches: the first routes reach the kernel while the rest are checked."""
        host = self.view()
        total = 0
        for g in groups:
            if not g.members:
                continue
            members: Iterable[tuple[int, int]] = g.members
            if only is not None:
                members = [m for m in g.members if prefix_key(g.version, *m) in only]
            if g.nexthop == 0:
                # On-link routes: a representative could be present as an on-link route of the view.
                for network, length in members:
                    if self._present(g, network, length):
                        continue
                    for action in additions(reconcile([g.representative(network, length)], host)):
                        assert action.operation.ifindex is not None
                        total += self.install(
                            g, action.operation.ifindex, [(network, length)], f"{action.reason} ({why})"
                        )
                continue
            network, length = g.members[0]
            actions = additions(reconcile([g.representative(network, length)], host))
            if actions:
                target = actions[0].operation.ifindex
                assert target is not None
                total += self.install(g, target, members, f"{actions[0].reason} ({why})")
        return total

    def _present(self, g: Group, network: int, length: int) -> bool:
        entries = self.present.get(((network << 8 | length) << 1) | (g.version == 6))
        return bool(entries) and any(
            gw == g.nexthop and (g.ifindex is None or o == g.ifindex) for gw, o in entries
        )

    def install(self, g: Group, oif: int, members: Iterable[tuple[int, int]], reason: str) -> int:
        """Send the members not in the kernel yet, in batches; log what went in and what was refused."""
        enc = codec.BulkEncoder(codec.RTM_NEWROUTE, g.version, PROTO_ROUTEKEEPER)
        done = 0
        errors: dict[int, int] = {}
        present = self.present
        v6 = g.version == 6
        gw, ifindex, metric = g.nexthop, g.ifindex, g.metric
        encode = enc.encode
        installed: list[tuple[int, int]] = []
        chunk: list[tuple[int, int, int]] = []
        buf = bytearray()

        def flush() -> None:
            nonlocal buf, chunk, done
            if not chunk:
                return
            first = self.seq
            # The last message of the batch asks for the acknowledgement; re-pack its flags.
            last = len(buf) - chunk[-1][2]
            flags = int.from_bytes(buf[last + 6 : last + 8], "little") | codec.NLM_F_ACK
            buf[last + 6 : last + 8] = flags.to_bytes(2, "little")
            self.seq += len(chunk)
            fails = self.req.send_bulk(buf, self.seq - 1)
            for i, (network, length, _size) in enumerate(chunk):
                err = fails.get(first + i, 0)
                if err == 0 or err == errno.EEXIST:
                    # EEXIST: the same route is there already (someone else's): it is present.
                    present.setdefault(((network << 8 | length) << 1) | v6, []).append((gw, oif))
                    if err == 0:
                        done += 1
                        if len(installed) <= DETAIL:
                            installed.append((network, length))
                else:
                    errors[err] = errors.get(err, 0) + 1
            buf = bytearray()
            chunk = []

        for network, length in members:
            entries = present.get(((network << 8 | length) << 1) | v6)
            if entries and any(e == gw and (ifindex is None or o == ifindex) for e, o in entries):
                continue
            before = len(buf)
            encode(buf, self.seq + len(chunk), network, length, gw, oif, metric)
            chunk.append((network, length, len(buf) - before))
            if len(chunk) >= BATCH:
                flush()
        flush()
        if not done and not errors:
            return 0
        name = self.links[oif].name if oif in self.links else str(oif)
        via = f"via {IP(g.version, gw)}" if gw else "on-link"
        if done and done <= DETAIL:
            for network, length in installed:
                log.info(
                    "installed %s %s dev %s metric %d: %s",
                    Prefix(g.version, network, length),
                    via,
                    name,
                    metric,
                    reason,
                )
        elif done:
            log.info("installed %d routes %s dev %s metric %d: %s", done, via, name, metric, reason)
        for err, count in errors.items():
            log.warning("kernel refused %d routes %s dev %s: %s", count, via, name, os.strerror(err))
        self.installed_total += done
        return done

    def promote_all(self) -> None:
        """--manage-promote-secondaries: deleting a primary then promotes a secondary instead of
        deleting all of them (and flushing whatever used them)."""
        for link in self.links.values():
            if link.flags & codec.IFF_LOOPBACK:
                continue
            if read_sysctl("ipv4", link.name, "promote_secondaries") == "0":
                try:
                    write_sysctl("ipv4", link.name, "promote_secondaries", "1")
                    log.info("set promote_secondaries=1 on %s", link.name)
                except OSError as exc:
                    log.warning("cannot set promote_secondaries on %s: %s", link.name, exc)

    # ------------------------------------------------------------------ events
    def handle_events(self) -> None:
        """Drain the event socket, then act once on what changed."""
        verify: dict[int, str] = {}  # ifindex -> why
        refresh: dict[int, str] = {}  # ifindex -> why (something may have become reachable)
        repair: set[int] = set()
        overflow = False
        while True:
            try:
                data = self.ev.recv()
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    overflow = True
                    continue
                raise
            data = memoryview(bytes(data))
            for mtype, _f, _s, start, end in codec.iter_messages(data):
                if mtype in (codec.RTM_NEWLINK, codec.RTM_DELLINK):
                    link = codec.parse_link(data, start, end)
                    self._view = None
                    old = self.links.get(link.index)
                    if mtype == codec.RTM_DELLINK:
                        self.links.pop(link.index, None)
                        self.addrs = [x for x in self.addrs if x.ifindex != link.index]
                        verify[link.index] = f"interface {link.name} removed"
                        continue
                    self.links[link.index] = link
                    if old is None:
                        if self.manage_promote:
                            self.promote_all()
                        refresh[link.index] = f"interface {link.name} appeared"
                        continue
                    was_admin, is_admin = bool(old.flags & codec.IFF_UP), bool(link.flags & codec.IFF_UP)
                    if was_admin and not is_admin:
                        # Admin-down flushes every route through the device, silently for IPv4.
                        self._forget_oif(link.index)
                        self.onlink = [r for r in self.onlink if r.oif != link.index]
                        verify[link.index] = f"interface {link.name} set down"
                    elif is_admin and not was_admin:
                        refresh[link.index] = f"interface {link.name} set up"
                    elif old.carrier and not link.carrier:
                        verify[link.index] = f"interface {link.name} lost carrier"
                    elif link.carrier and not old.carrier:
                        refresh[link.index] = f"interface {link.name} has carrier"
                elif mtype in (codec.RTM_NEWADDR, codec.RTM_DELADDR):
                    a = codec.parse_addr(data, start, end)
                    if a is None:
                        continue
                    ip = IP(a.version, a.ip)
                    if mtype == codec.RTM_NEWADDR:
                        if not any(x.ip == a.ip and x.ifindex == a.ifindex for x in self.addrs):
                            self.addrs.append(a)
                            self._view_add(a)
                        refresh[a.ifindex] = f"address {ip}/{a.length} added"
                    else:
                        self._view = None
                        self.addrs = [x for x in self.addrs if not (x.ip == a.ip and x.ifindex == a.ifindex)]
                        verify[a.ifindex] = f"address {ip}/{a.length} deleted"
                        if a.version == 4 and not any(
                            x.version == 4 and x.ifindex == a.ifindex for x in self.addrs
                        ):
                            # The last IPv4 address went: the kernel flushes the device's IPv4 routes.
                            self._forget_oif(a.ifindex, 4)
                            self.onlink = [
                                r for r in self.onlink if not (r.oif == a.ifindex and r.version == 4)
                            ]
                elif mtype == codec.RTM_DELROUTE:
                    r = codec.parse_route(data, start, end)
                    if r is None or r.table != codec.RT_TABLE_MAIN:
                        continue
                    if r.gateway == 0 and r.type == codec.RTN_UNICAST:
                        self.onlink = [o for o in self.onlink if o.key != r.key]
                        if r.proto != codec.RTPROT_KERNEL:  # the kernel's own are derived in the view
                            self._view = None
                    k = ((r.dst << 8 | r.dst_len) << 1) | (r.version == 6)
                    entries = self.present.get(k)
                    if entries and (r.gateway, r.oif) in entries:
                        entries.remove((r.gateway, r.oif))
                        if not entries:
                            del self.present[k]
                        repair.add(k)
        if overflow:
            self.ev.set_rcvbuf(EVENT_RCVBUF * 2)
            log.warning("event socket overflowed (ENOBUFS): dumping and reconciling everything")
            self.full_sync("events lost")
            return
        for ifindex, why in verify.items():
            self.verify(ifindex, why)
        if refresh or verify or repair:
            reasons = list(refresh.values()) + list(verify.values())
            if repair:
                n = len(repair)
                reasons.append("deleted by another process" if n == 1 else f"{n} routes deleted by others")
            only = repair if not (refresh or verify) else None
            self.reconcile(self.groups.values(), "; ".join(reasons), only)
        if self._view is None:
            self.view()  # warm it now, while idle: the next address event then costs no rebuild

    def verify(self, ifindex: int, why: str) -> None:
        """Re-read the routes through one interface (the kernel tells nothing about a flush).

        The dump may run while the kernel is still flushing (the address notification is sent
        before the flush), so what the kernel's rules say is gone stays gone whatever it shows."""
        link = self.links.get(ifindex)
        if link is None:
            self._forget_oif(ifindex)
            self.onlink = [r for r in self.onlink if r.oif != ifindex]
            return
        routes = self.req.routes(table=codec.RT_TABLE_MAIN, oif=ifindex)
        self._index_routes(routes, oif=ifindex)
        if not link.flags & codec.IFF_UP:
            self._forget_oif(ifindex)
        elif not any(a.version == 4 and a.ifindex == ifindex for a in self.addrs):
            self._forget_oif(ifindex, 4)
        log.debug("re-verified interface %d (%s): %d routes", ifindex, why, len(routes))

    # ------------------------------------------------------------------ main loop
    def run(self, once: bool) -> int:
        started = time.monotonic()
        # Signals must wake select() (PEP 475 would otherwise resume it until the timeout); set up
        # before anything else so that a SIGHUP right after READY=1 is not left waiting.
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
        self.load()
        self.full_sync("start")
        log.info(
            "ready in %.0f ms: %d routes installed%s",
            (time.monotonic() - started) * 1000,
            self.installed_total,
            f" in namespace {self.netns}" if self.netns else "",
        )
        if once:
            signal.set_wakeup_fd(-1)
            wake_r.close()
            wake_w.close()
            return 0
        sd_notify(f"READY=1\nSTATUS=keeping {sum(len(g.members) for g in self.groups.values())} routes")
        wd = watchdog_interval()
        next_sync = time.monotonic() + self.interval
        next_wd = time.monotonic() + wd if wd else None
        while not self.stop:
            now = time.monotonic()
            deadline = min(next_sync, next_wd or next_sync)
            timeout = 0.0 if self.reload or self.stop else max(0.0, deadline - now)
            try:
                ready, _, _ = select.select([self.ev.sock, wake_r], [], [], timeout)
            except InterruptedError:
                ready = []
            if wake_r in ready:
                try:
                    wake_r.recv(4096)
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
                if self.store.data_version() != self.store_version:
                    log.info("the store changed: reloading")
                    self.load()
                self.full_sync("periodic re-verification")
                next_sync = time.monotonic() + self.interval
        signal.set_wakeup_fd(-1)
        wake_r.close()
        wake_w.close()
        sd_notify("STOPPING=1")
        log.info("stopping; the routes stay in the kernel")
        return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="routekeeper keep", description="Hold persistent routes in the kernel.")
    ap.add_argument("--netns", help="network namespace to keep (default: the daemon's own)")
    ap.add_argument("--state", help="state file (default /var/lib/routekeeper/state.db)")
    ap.add_argument("--once", action="store_true", help="reconcile once and exit")
    ap.add_argument("--interval", type=float, default=30.0, help="seconds between full re-verifications")
    ap.add_argument(
        "--manage-promote-secondaries",
        action="store_true",
        help="set promote_secondaries=1 on every interface so deleting a primary keeps its secondaries",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    return ap.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="routekeeper-keep: %(message)s",
        stream=sys.stderr,
    )
    if not has_net_admin():
        print("routekeeper keep: needs CAP_NET_ADMIN (run as root)", file=sys.stderr)
        return 77
    try:
        keeper = Keeper(args.netns, args.state, args.interval, args.manage_promote_secondaries)
    except OSError as exc:
        print(f"routekeeper keep: {exc}", file=sys.stderr)
        return 1

    def on_term(signum: int, frame: object) -> None:
        keeper.stop = True

    def on_hup(signum: int, frame: object) -> None:
        keeper.reload = True

    faulthandler.register(signal.SIGUSR1)  # `kill -USR1` prints every thread's stack: for a hang
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, on_hup)
    return keeper.run(args.once)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
