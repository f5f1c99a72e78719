"""Restores prepared while idle: the exact messages that put back what an address's return brings.

The hot path of the daemon is an address coming back after the kernel flushed the routes through it.
Once the flush is known (the loop is idle again after handling it), `Restores.prepare` asks the
decider what it would do if that address came back now (`Decider.fast_path` and `Decider.plan`, the
very decisions the event would get) and encodes the resulting messages (`Sender.batches`). When the
address does come back, `Restores.take` finds it with one dictionary lookup on the first message of
the first datagram read and sends the batches, before anything is decoded, decided, logged or kept.
The lookup key is the message's own bytes (family, length, interface and the address attributes,
in the order the kernel writes them: `wire_key`), so nothing is parsed first; a message laid out
otherwise (a peer address, another kernel's order) misses and goes the usual way.

Why this is safe: what is prepared depends only on the daemon's state (mirror, groups, presence),
and that state changes only while events are handled or a full sync runs; `take` empties the table
on every datagram (hit or not) and the loop prepares again after every such change, so a prepared
restore is never older than the state it was decided on. The event itself is then handled as
usual: its installs find their routes present and send nothing.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr
from routekeeper.linux.keeper.decide import Decider, Install, Plan, Tally
from routekeeper.linux.keeper.send import Batch, Sender

EXPECT = 16  # addresses that went and are watched for (the oldest are forgotten first)
LIMIT = 2_000_000  # messages prepared per address at most (about 70 MB): bigger ones take the usual path

AddrKey = tuple[int, int, int, int]  # (version, ip, length, ifindex)
_HEAD = struct.Struct("=IH")  # nlmsg_len, nlmsg_type
_KEY_LEN = {socket.AF_INET: 16, socket.AF_INET6: 20}  # address attributes in the key, per family


def wire_key(a: KAddr) -> bytes:
    """The bytes of an RTM_NEWADDR for `a` that identify it: ifa_family, ifa_prefixlen, ifa_index,
    then IFA_ADDRESS and (IPv4) IFA_LOCAL, as inet_fill_ifaddr / inet6_fill_ifaddr write them for
    an address without a peer. `message_key` reads the same bytes from a notification."""
    family = codec.FAMILY[a.version]
    ip = a.ip.to_bytes(codec.ALEN[a.version], "big")
    attr = codec.NLA.pack(4 + len(ip), codec.IFA_ADDRESS) + ip
    if a.version == 4:
        attr += codec.NLA.pack(4 + len(ip), codec.IFA_LOCAL) + ip
    return struct.pack("=BB", family, a.length) + struct.pack("=I", a.ifindex) + attr


def message_key(data: memoryview) -> bytes | None:
    """`wire_key`'s bytes of the first message of `data` when it is an RTM_NEWADDR, else None."""
    if len(data) < 24:
        return None
    length, mtype = _HEAD.unpack_from(data, 0)
    n = _KEY_LEN.get(data[16])
    if mtype != codec.RTM_NEWADDR or n is None or 24 + n > min(length, len(data)):
        return None
    return data[16:18].tobytes() + data[20 : 24 + n].tobytes()


@dataclass(slots=True)
class Entry:
    """One install of a prepared restore: its decision, its plan, its batches and where they count."""

    install: Install
    plan: Plan
    tally: Tally
    batches: list[Batch]


@dataclass(slots=True)
class Prepared:
    """What the return of `addr` puts back, ready to send."""

    addr: KAddr
    entries: list[Entry]


class Restores:
    """The addresses that went (and took routes with them), and their restores, ready to send."""

    def __init__(self, decider: Decider, sender: Sender, limit: int = LIMIT) -> None:
        self.decider = decider
        self.sender = sender
        self.limit = limit
        self.seen: dict[AddrKey, KAddr] = {}  # the mirror's addresses at the last `prepare`
        self.expected: dict[AddrKey, KAddr] = {}  # addresses that went since, oldest first
        self.ready: dict[bytes, Prepared] = {}  # by `wire_key`
        # (id(group), oif) -> (group, batches of all its members through oif): a flush takes every
        # member, so the same batches serve every prepare until the address is back (the messages
        # are the same bytes; sequence numbers may repeat, every batch is acknowledged first).
        self.encoded: dict[tuple[int, int], tuple[object, list[Batch]]] = {}

    # ------------------------------------------------------------------ the hot path
    def take(self, data: memoryview) -> Prepared | None:
        """If `data` (a datagram of the event socket) starts with the return of an address whose
        restore is ready, send that restore and return it; None otherwise. The table is emptied
        either way: whatever the datagram holds may change the state the restores were decided on."""
        ready, self.ready = self.ready, {}
        if not ready:
            return None
        key = message_key(data)
        prepared = ready.get(key) if key is not None else None
        if prepared is None:
            return None
        deliver = self.sender.deliver
        for e in prepared.entries:
            deliver(e.batches, e.tally)
        return prepared

    # ------------------------------------------------------------------ while idle
    def prepare(self) -> None:
        """Decide and encode, on the state as it is now, the restore of every address that went."""
        m = self.decider.mirror
        now = {(a.version, a.ip, a.length, a.ifindex): a for a in m.addrs}
        for key, a in self.seen.items():
            if key not in now:
                self.expected.pop(key, None)
                self.expected[key] = a  # most recent last
        self.seen = now
        present = {(a.ip, a.ifindex) for a in m.addrs}
        links = m.links
        back = [k for k, a in self.expected.items() if (a.ip, a.ifindex) in present or a.ifindex not in links]
        for key in back:
            del self.expected[key]
        while len(self.expected) > EXPECT:
            del self.expected[next(iter(self.expected))]
        ready: dict[bytes, Prepared] = {}
        encoded: dict[tuple[int, int], tuple[object, list[Batch]]] = {}
        for a in self.expected.values():
            prepared = self._prepare(a, encoded)
            if prepared is not None:
                ready[wire_key(a)] = prepared
        self.ready, self.encoded = ready, encoded

    def _prepare(
        self, a: KAddr, encoded: dict[tuple[int, int], tuple[object, list[Batch]]]
    ) -> Prepared | None:
        """`a`'s restore: the installs the decider would make if `a` were added now, encoded."""
        actions = self.decider.fast_path(a)
        if not actions:
            return None
        entries: list[Entry] = []
        total = 0
        for action in actions:
            if type(action) is not Install:
                continue
            planned = self.decider.plan(action)
            if planned is None:
                continue
            plan, tally = planned
            if plan.vector:
                total += len(action.group.keys) if plan.pick is None else len(plan.pick)
            total += len(plan.single)
            if total > self.limit:
                return None
            g, oif = action.group, action.oif
            whole = plan.vector and plan.pick is None and not plan.single
            cached = self.encoded.get((id(g), oif)) if whole else None
            if cached is not None and cached[0] is g:
                batches = cached[1]
            else:
                batches = list(self.sender.batches(g, oif, plan))
            if whole:
                encoded[(id(g), oif)] = (g, batches)
            entries.append(Entry(action, plan, tally, batches))
        return Prepared(a, entries) if entries else None
