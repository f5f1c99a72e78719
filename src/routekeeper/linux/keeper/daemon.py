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

The hot path is an address coming back: the routes it makes reachable are found through an index
of next hops (only those inside the new on-link prefix), placed by `address_added_targets` (that
same decision, specialised to one change and checked against `reconcile` by the tests), and sent
before any bookkeeping; many at once are encoded by NumPy (`codec.BatchTemplate`).

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
import bisect
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from routekeeper.core.host import Host
from routekeeper.core.keeper import Action, reconcile
from routekeeper.core.operations import AddAddress, AddRoute, Refused
from routekeeper.core.values import IP, PersistentRoute, Prefix
from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr, KLink, KRoute
from routekeeper.linux.netns import enter, has_net_admin, read_sysctl, write_sysctl
from routekeeper.linux.nlsock import RtnlSocket
from routekeeper.linux.observe import PROTO_ROUTEKEEPER, build_host, interface_of
from routekeeper.store.linux import Store

log = logging.getLogger("routekeeper.keep")

BATCH = 512  # messages per sendmsg: measured fastest (about 230k routes/s on the reference machine)
CHUNK = 16 * BATCH  # messages encoded by NumPy at once (the first chunk is one batch: first route early)
SMALL = 16  # up to this many messages are packed one by one (NumPy's set-up costs more below it)
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
    """Persistent routes that share next hop, interface binding and metric, hence every decision.

    The members are kept three ways, each for one hot path: `(network, length)` pairs for logging and
    single messages, prefix keys (`prefix_key`) for the presence sets, and NumPy columns (`arrays`)
    for the vectorised encoder, built once at load so that a re-install does no per-route Python work
    before its first message goes out."""

    version: int
    nexthop: int
    ifindex: int | None
    metric: int
    origin: object
    members: list[tuple[int, int]] = field(default_factory=list)  # (network, length)
    keys: list[int] = field(default_factory=list)  # prefix_key of each member, same order
    _keyset: set[int] | None = None
    _arrays: tuple[object, np.ndarray, list[int]] | None = None

    def representative(self, network: int, length: int) -> PersistentRoute:
        return PersistentRoute(
            Prefix(self.version, network, length),
            IP(self.version, self.nexthop),
            self.metric,
            self.ifindex,
            self.origin,  # type: ignore[arg-type]
        )

    def keyset(self) -> set[int]:
        """Membership by prefix key (built on first use: only repairs need it)."""
        if self._keyset is None:
            self._keyset = set(self.keys)
        return self._keyset

    def arrays(self) -> tuple[object, np.ndarray, list[int]]:
        """(destinations, lengths, indexes of zero-length members) for `codec.BatchTemplate`.

        IPv4 destinations are one uint32 column, IPv6 ones a (high, low) pair of uint64 columns.
        A default route has no RTA_DST attribute, so its member is listed apart and sent singly."""
        if self._arrays is None:
            n = len(self.members)
            lens = np.fromiter((ln for _net, ln in self.members), dtype=np.uint8, count=n)
            dst: object
            if self.version == 4:
                dst = np.fromiter((net for net, _ln in self.members), dtype=np.uint32, count=n)
            else:
                low = (1 << 64) - 1
                dst = (
                    np.fromiter((net >> 64 for net, _ln in self.members), dtype=np.uint64, count=n),
                    np.fromiter((net & low for net, _ln in self.members), dtype=np.uint64, count=n),
                )
            zero = np.flatnonzero(lens == 0).tolist()
            self._arrays = (dst, lens, zero)
        return self._arrays


def prefix_key(version: int, network: int, length: int) -> int:
    """One int per prefix: cheaper to hash and store than a tuple when there are a million."""
    return ((network << 8 | length) << 1) | (version == 6)


def key_prefix(key: int) -> tuple[int, int]:
    """(network, length) of a prefix key: a repair is told a key, and needs the route back."""
    return key >> 9, (key >> 1) & 0xFF


def group_routes(routes: Iterable[PersistentRoute]) -> dict[tuple, Group]:
    groups: dict[tuple, Group] = {}
    for p in routes:
        key = (p.prefix.version, p.nexthop.value, p.ifindex, p.metric)
        g = groups.get(key)
        if g is None:
            g = groups[key] = Group(p.prefix.version, p.nexthop.value, p.ifindex, p.metric, p.origin)
        g.members.append((p.prefix.network, p.prefix.length))
        g.keys.append(prefix_key(p.prefix.version, p.prefix.network, p.prefix.length))
    return groups


class NexthopIndex:
    """Gateway groups by next hop, sorted per family: which groups does a new on-link prefix cover?

    Why: when an address comes back, only next hops inside its subnet can have become reachable.
    Two bisections find them, so the work done for an address event grows with what the address
    covers, not with the size of the store."""

    def __init__(self, groups: Iterable[Group]) -> None:
        self.by_nexthop: dict[tuple[int, int], list[Group]] = {}
        for g in groups:
            self.by_nexthop.setdefault((g.version, g.nexthop), []).append(g)
        self.sorted: dict[int, list[int]] = {4: [], 6: []}
        for version, nexthop in self.by_nexthop:
            if nexthop:
                self.sorted[version].append(nexthop)
        for values in self.sorted.values():
            values.sort()

    def groups(self, version: int, nexthop: int) -> list[Group]:
        return self.by_nexthop.get((version, nexthop), [])

    def covered(self, version: int, network: int, length: int) -> list[Group]:
        """Gateway groups whose next hop lies in network/length (on-link groups never do)."""
        values = self.sorted[version]
        last = network | ((1 << ((32 if version == 4 else 128) - length)) - 1)
        lo, hi = bisect.bisect_left(values, network), bisect.bisect_right(values, last)
        return [g for nexthop in values[lo:hi] for g in self.by_nexthop[(version, nexthop)]]


def new_onlink_prefix(a: KAddr, link: KLink | None, before: Iterable[KAddr]) -> tuple[int, int, int] | None:
    """The on-link prefix route an added address gives its device, as the linux profile derives it
    (fib_add_ifaddr / addrconf_prefix_route): (version, network, length), or None when it gives none
    and so nothing can have become reachable (device down, host-length address, an IPv4 secondary
    whose subnet is already there, IPv4 on loopback). `before` are the addresses without `a`."""
    if link is None or not link.flags & codec.IFF_UP:
        return None
    bits = 32 if a.version == 4 else 128
    if a.length >= bits:
        return None
    mask = ((1 << bits) - 1) ^ ((1 << (bits - a.length)) - 1)
    network = a.ip & mask
    if a.version == 4:
        if link.flags & codec.IFF_LOOPBACK:
            return None
        for x in before:
            if x.version == 4 and x.ifindex == a.ifindex and x.length == a.length and x.ip & mask == network:
                return None  # a secondary: its subnet's prefix route is there already
    return (a.version, network, a.length)


def onlink_interfaces(
    version: int, nexthop: int, links: dict[int, KLink], addrs: Iterable[KAddr], onlink: Iterable[KRoute]
) -> list[int]:
    """Interfaces where `nexthop` is on-link, by the linux profile's rule, from the raw mirror.

    The profile's `reachable`: the device is up and one of its unicast on-link routes holds the next
    hop (an IPv6 link-local one needs the device up only). Those routes are the prefix routes its
    addresses give it (IPv4: not on loopback, shorter than /32; IPv6: shorter than /128) and the
    manual on-link routes. Computed with integers so that the hot path builds no core object; the
    fast-path test checks it against `Host.onlink_interfaces` on the view."""
    bits = 32 if version == 4 else 128
    up = {i for i, link in links.items() if link.flags & codec.IFF_UP}
    if version == 6 and nexthop >> 118 == 0x3FA:
        return sorted(up)
    found: set[int] = set()
    for x in addrs:
        if (
            x.ifindex in up
            and x.version == version
            and x.length < bits
            and (nexthop ^ x.ip) >> (bits - x.length) == 0
            and not (version == 4 and links[x.ifindex].flags & codec.IFF_LOOPBACK)
        ):
            found.add(x.ifindex)
    for r in onlink:
        if (
            r.oif in up
            and r.version == version
            and r.proto != codec.RTPROT_KERNEL
            and r.type == codec.RTN_UNICAST
            and (nexthop ^ r.dst) >> (bits - r.dst_len) == 0
        ):
            found.add(r.oif)
    return sorted(found)


def interface_metric(link: KLink) -> int:
    """The view's `Interface.effective_metric` for a link (loopback last): the tie-break of placement."""
    return _METRICS[bool(link.flags & codec.IFF_LOOPBACK)]


_METRICS = {
    loop: interface_of(KLink(0, "x", codec.IFF_LOOPBACK if loop else 0, 0, "", False), False).effective_metric
    for loop in (False, True)
}


def address_added_targets(
    prefix: tuple[int, int, int],
    ifindex: int,
    links: dict[int, KLink],
    addrs: Iterable[KAddr],
    onlink: Iterable[KRoute],
    index: NexthopIndex,
) -> list[tuple[Group, int]]:
    """Where each group whose next hop `prefix` (new on `ifindex`) covers now belongs.

    This is `keeper.reconcile`'s placement, specialised to one change and computed on the mirror as it
    was *before* the address (so nothing has to be updated before the messages go out): adding an
    address only makes next hops reachable on its own device, so a group bound there belongs there,
    a group bound elsewhere is unaffected, and an unbound group goes to the best of the interfaces
    where its next hop was already on-link plus this one (lowest interface metric, then index; the view
    holds no gateway routes and no placement memory, so no slot is taken). `test_kernel_fastpath.py`
    checks it against `reconcile` run on the view with the address added."""
    version, network, length = prefix
    out: list[tuple[Group, int]] = []
    for g in index.covered(version, network, length):
        if g.ifindex is not None:
            if g.ifindex == ifindex:
                out.append((g, ifindex))
            continue
        candidates = set(onlink_interfaces(g.version, g.nexthop, links, addrs, onlink))
        candidates.add(ifindex)
        out.append((g, min(candidates, key=lambda i: (interface_metric(links[i]), i))))
    return out


def build_view(
    links: Iterable[KLink], addrs: Iterable[KAddr], onlink: Iterable[KRoute], netns: str | None
) -> Host:
    """The small core Host the decisions are made on: links, addresses and manual on-link routes.

    The kernel's own prefix routes are not mirrored (RTM_NEWROUTE is filtered out): the linux
    profile derives them from the addresses, exactly as the differential test checks it does."""
    links = list(links)
    promote = {link.name: False for link in links}
    manual = [r for r in onlink if r.proto != codec.RTPROT_KERNEL]
    host = build_host(links, promote, addrs, manual, (), netns=netns)
    for ifindex in list(host.interfaces):
        host.rederive(ifindex, "mirror")
    return host


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
        self.index = NexthopIndex(())
        self.wanted: set[int] = set()  # prefix keys of persistent routes
        self.links: dict[int, KLink] = {}
        self.addrs: list[KAddr] = []
        self.onlink: list[KRoute] = []  # on-link unicast routes of the main table: reachability
        # What the kernel holds of the wanted prefixes (any protocol but kernel), by next hop and
        # interface: (version, gateway) -> oif -> prefix keys. Shaped like the questions asked of it:
        # "which members of this group are missing" is a set operation, and forgetting what a flush
        # took from one interface costs one dictionary entry per next hop, not one per route.
        self.present: dict[tuple[int, int], dict[int, set[int]]] = {}
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
        self.index = NexthopIndex(self.groups.values())
        self.wanted = {k for g in self.groups.values() for k in g.keys}
        for g in self.groups.values():
            if len(g.members) > SMALL:
                g.arrays()  # now, not when the address comes back
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
                present.setdefault((r.version, r.gateway), {}).setdefault(r.oif, set()).add(k)

    def _forget_oif(self, oif: int, version: int | None = None) -> None:
        """Drop what the mirror believes is present through `oif` (the kernel flushed it)."""
        for (v, _gw), by_oif in self.present.items():
            if version is None or v == version:
                by_oif.pop(oif, None)

    def _present_sets(self, g: Group) -> list[set[int]]:
        """The presence sets a member of `g` may be found in: its bound interface's, or any."""
        by_oif = self.present.get((g.version, g.nexthop))
        if not by_oif:
            return []
        if g.ifindex is not None:
            s = by_oif.get(g.ifindex)
            return [s] if s else []
        return [s for s in by_oif.values() if s]

    def _is_present(self, g: Group, key: int) -> bool:
        return any(key in s for s in self._present_sets(g))

    def view(self) -> Host:
        """The small core Host the decisions are made on (see `build_view`).

        Cached: an added address is applied to it as a core operation, after the routes it brought
        back are sent; anything else that changes links, addresses or on-link routes drops it, and it
        is rebuilt while idle, after the events are handled."""
        if self._view is None:
            self._view = build_view(self.links.values(), self.addrs, self.onlink, self.netns)
        return self._view

    # ------------------------------------------------------------------ decisions and actions
    def reconcile(self, groups: Iterable[Group], why: str) -> int:
        """Install every missing member of `groups` whose next hop is reachable. Returns the count.

        The decision comes first (one `keeper.reconcile` per group, on a representative: the view holds
        no gateway routes, so it is never "present" there), then the missing members stream into
        batches: the first routes reach the kernel while the rest are encoded."""
        host = self.view()
        total = 0
        for g in groups:
            if not g.members:
                continue
            if g.nexthop == 0:
                # On-link routes: a representative could be present as an on-link route of the view.
                for (network, length), k in zip(g.members, g.keys, strict=True):
                    if self._is_present(g, k):
                        continue
                    for action in additions(reconcile([g.representative(network, length)], host)):
                        assert action.operation.ifindex is not None
                        total += self.install(
                            g, action.operation.ifindex, f"{action.reason} ({why})", [(network, length)]
                        )
                continue
            network, length = g.members[0]
            actions = additions(reconcile([g.representative(network, length)], host))
            if actions:
                target = actions[0].operation.ifindex
                assert target is not None
                total += self.install(g, target, f"{actions[0].reason} ({why})")
        return total

    def repair(self, deleted: set[tuple[int, int, int]], why: str) -> int:
        """Put back routes of ours deleted by others: (version, gateway, prefix key) of each.

        Only the groups with that next hop are looked at, so a repair costs the same with ten
        routes in the store as with a million."""
        host = self.view()
        total = 0
        for version, gateway, k in deleted:
            for g in self.index.groups(version, gateway):
                if k not in g.keyset() or self._is_present(g, k):
                    continue
                network, length = key_prefix(k)
                for action in additions(reconcile([g.representative(network, length)], host))[:1]:
                    assert action.operation.ifindex is not None
                    total += self.install(
                        g, action.operation.ifindex, f"{action.reason} ({why})", [(network, length)]
                    )
        return total

    def address_added(self, a: KAddr) -> bool:
        """The hot path: an address came (back). Send the routes it makes reachable, then return.

        Runs before any bookkeeping of the event (the address list and the view still show the host
        without it) and builds no core object: only next hops inside the new on-link prefix are looked
        at, through the index. Returns False when it cannot decide (an interface it has not seen yet):
        the caller then reconciles everything the slow way."""
        if a.ifindex not in self.links:
            return False
        prefix = new_onlink_prefix(a, self.links[a.ifindex], self.addrs)
        if prefix is None:
            return True
        covered = self.index.covered(*prefix)
        if not covered:
            return True
        targets = address_added_targets(prefix, a.ifindex, self.links, self.addrs, self.onlink, self.index)
        sent = 0
        for g, target in targets:

            def reason(g: Group = g, target: int = target) -> str:
                nexthop = IP(g.version, g.nexthop)
                return (
                    f"keeper: re-plumbed, next hop {nexthop} is on-link on interface {target}"
                    f" (address {IP(a.version, a.ip)}/{a.length} added)"
                )

            sent += self.install(g, target, reason)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "address %s/%d added: %d groups covered, %d routes installed",
                IP(a.version, a.ip),
                a.length,
                len(targets),
                sent,
            )
        return True

    def install(
        self,
        g: Group,
        oif: int,
        reason: str | Callable[[], str],
        members: list[tuple[int, int]] | None = None,
    ) -> int:
        """Send the members of `g` (or just `members`) not in the kernel yet, in batches, then log what
        went in and what was refused. `reason` may be a callable: it is only needed for the log, after
        the messages are out."""
        sets = self._present_sets(g)
        target = self.present.setdefault((g.version, g.nexthop), {}).setdefault(oif, set())
        done = 0
        errors: dict[int, int] = {}
        installed: list[tuple[int, int]] = []  # for one log line per route (small installs only)
        summary = False

        def settle(keys: list[int], first_seq: int, fails: dict[int, int]) -> None:
            """Record a sent batch: all of it present, but for the refusals (EEXIST: someone else's
            identical route is there, which counts as present)."""
            nonlocal done
            target.update(keys)
            done += len(keys)
            for seq, err in fails.items():
                done -= 1
                if err != errno.EEXIST:
                    target.discard(keys[seq - first_seq])
                    errors[err] = errors.get(err, 0) + 1

        # Which members are missing: all of them after a flush (the usual case), found by set lookups
        # otherwise.
        single: list[tuple[int, int]]
        pick: list[int] | None = None
        if members is not None:
            single = [m for m in members if not any(prefix_key(g.version, *m) in s for s in sets)]
        else:
            if sets:
                pick = [i for i, k in enumerate(g.keys) if not any(k in s for s in sets)]
                if len(pick) == len(g.keys):
                    pick = None
                elif not pick:
                    return 0
            count = len(g.keys) if pick is None else len(pick)
            if count <= SMALL:
                single = g.members if pick is None else [g.members[i] for i in pick]
            else:
                single = []
                self._install_vector(g, oif, pick, settle)
                summary = True
        if single:
            enc = codec.BulkEncoder(codec.RTM_NEWROUTE, g.version, PROTO_ROUTEKEEPER)
            for lo in range(0, len(single), BATCH):
                part = single[lo : lo + BATCH]
                buf = bytearray()
                first = self.seq
                for n, (network, length) in enumerate(part):
                    enc.encode(
                        buf, first + n, network, length, g.nexthop, oif, g.metric, ack=n == len(part) - 1
                    )
                self.seq += len(part)
                fails = self.req.send_bulk(buf, self.seq - 1)
                settle([prefix_key(g.version, net, ln) for net, ln in part], first, fails)
                installed += [m for n, m in enumerate(part) if fails.get(first + n, 0) == 0][: DETAIL + 1]
        if not done and not errors:
            return 0
        why = reason() if callable(reason) else reason
        name = self.links[oif].name if oif in self.links else str(oif)
        via = f"via {IP(g.version, g.nexthop)}" if g.nexthop else "on-link"
        if done and done <= DETAIL and not summary:
            for network, length in installed[:done]:
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
        for err, count in errors.items():
            log.warning("kernel refused %d routes %s dev %s: %s", count, via, name, os.strerror(err))
        self.installed_total += done
        return done

    def _install_vector(
        self,
        g: Group,
        oif: int,
        pick: list[int] | None,
        settle: Callable[[list[int], int, dict[int, int]], None],
    ) -> None:
        """Many members: NumPy encodes a chunk at a time from the group's columns (a first chunk of
        one batch, so the first route is in the kernel early), each batch acknowledged once."""
        dst, lens, zero = g.arrays()
        idx: np.ndarray | None = None
        if pick is not None:
            idx = np.asarray(pick, dtype=np.int64)
        if zero:
            # A default route has no RTA_DST: those go singly, after the rest.
            keep = np.ones(len(g.keys), dtype=bool)
            keep[zero] = False
            idx = np.flatnonzero(keep) if idx is None else idx[keep[idx]]
        if idx is not None:
            lens = lens[idx]
            dst = dst[idx] if g.version == 4 else (dst[0][idx], dst[1][idx])  # type: ignore[index]
        keys = g.keys if idx is None else [g.keys[i] for i in idx.tolist()]
        template = codec.BatchTemplate(
            codec.RTM_NEWROUTE, g.version, PROTO_ROUTEKEEPER, g.nexthop, oif, g.metric
        )
        size = template.size
        total = len(keys)
        pos = 0
        while pos < total:
            end = min(total, pos + (BATCH if pos == 0 else CHUNK))
            part = dst[pos:end] if g.version == 4 else (dst[0][pos:end], dst[1][pos:end])  # type: ignore[index]
            first = self.seq
            buf = template.encode(first, part, lens[pos:end], ack_every=BATCH)
            self.seq += end - pos
            view = memoryview(buf)
            for lo in range(0, end - pos, BATCH):
                hi = min(end - pos, lo + BATCH)
                fails = self.req.send_bulk(view[lo * size : hi * size], first + hi - 1)
                settle(keys[pos + lo : pos + hi], first + lo, fails)
            view.release()
            pos = end
        if zero and (pick is None or any(i in zero for i in pick)):
            wanted_zero = zero if pick is None else [i for i in pick if i in zero]
            enc = codec.BulkEncoder(codec.RTM_NEWROUTE, g.version, PROTO_ROUTEKEEPER)
            for i in wanted_zero:
                buf = bytearray()
                network, length = g.members[i]
                first = self.seq
                enc.encode(buf, first, network, length, g.nexthop, oif, g.metric, ack=True)
                self.seq += 1
                settle([g.keys[i]], first, self.req.send_bulk(buf, first))

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
        """Drain the event socket, then act once on what changed.

        An added address is the exception: its routes are sent as soon as its message is parsed,
        before anything else (see `address_added`)."""
        verify: dict[int, str] = {}  # ifindex -> why
        refresh: dict[int, str] = {}  # ifindex -> why (something may have become reachable)
        repair: set[tuple[int, int, int]] = set()  # (version, gateway, prefix key)
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
                if mtype == codec.RTM_NEWADDR:
                    a = codec.parse_addr(data, start, end)
                    if a is None:
                        continue
                    if any(x.ip == a.ip and x.ifindex == a.ifindex for x in self.addrs):
                        continue  # a flags update (e.g. DAD done): nothing new is reachable
                    if not overflow and not self.address_added(a):
                        refresh[a.ifindex] = f"address {IP(a.version, a.ip)}/{a.length} added"
                    self.addrs.append(a)
                    self._view_add(a)
                elif mtype in (codec.RTM_NEWLINK, codec.RTM_DELLINK):
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
                elif mtype == codec.RTM_DELADDR:
                    a = codec.parse_addr(data, start, end)
                    if a is None:
                        continue
                    self._view = None
                    self.addrs = [x for x in self.addrs if not (x.ip == a.ip and x.ifindex == a.ifindex)]
                    verify[a.ifindex] = f"address {IP(a.version, a.ip)}/{a.length} deleted"
                    if a.version == 4 and not any(
                        x.version == 4 and x.ifindex == a.ifindex for x in self.addrs
                    ):
                        # The last IPv4 address went: the kernel flushes the device's IPv4 routes.
                        self._forget_oif(a.ifindex, 4)
                        self.onlink = [r for r in self.onlink if not (r.oif == a.ifindex and r.version == 4)]
                elif mtype == codec.RTM_DELROUTE:
                    r = codec.parse_route(data, start, end)
                    if r is None or r.table != codec.RT_TABLE_MAIN:
                        continue
                    if r.gateway == 0 and r.type == codec.RTN_UNICAST:
                        self.onlink = [o for o in self.onlink if o.key != r.key]
                        if r.proto != codec.RTPROT_KERNEL:  # the kernel's own are derived in the view
                            self._view = None
                    k = ((r.dst << 8 | r.dst_len) << 1) | (r.version == 6)
                    by_oif = self.present.get((r.version, r.gateway))
                    keys = by_oif.get(r.oif) if by_oif else None
                    if keys and k in keys:
                        keys.discard(k)
                        repair.add((r.version, r.gateway, k))
        if overflow:
            self.ev.set_rcvbuf(EVENT_RCVBUF * 2)
            log.warning("event socket overflowed (ENOBUFS): dumping and reconciling everything")
            self.full_sync("events lost")
            return
        for ifindex, why in verify.items():
            self.verify(ifindex, why)
        if refresh or verify:
            reasons = list(refresh.values()) + list(verify.values())
            if repair:
                reasons.append(f"{len(repair)} routes deleted by others")
            self.reconcile(self.groups.values(), "; ".join(reasons))
        elif repair:
            n = len(repair)
            self.repair(repair, "deleted by another process" if n == 1 else f"{n} routes deleted by others")
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
