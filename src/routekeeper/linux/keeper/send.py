"""Sending an install to the kernel: RTM_NEWROUTE messages packed, batched, acknowledged once a batch.

Encoding and sending are apart: `Sender.batches` encodes an install's messages as `Batch`es (lazily,
so that a big install's first batch is in the kernel while the rest are encoded), and `Sender.deliver`
sends batches and records each batch's answer in the install's `Tally` at once, so the mirror knows
what is in the kernel the moment the install is done. The restores prepared while idle
(`restore.Restores`) are the same batches, encoded in advance and delivered when their address comes.

Few routes are packed one by one (`codec.BulkEncoder`); many are encoded by NumPy a chunk at a time
from the group's columns (`codec.BatchTemplate`), the first chunk one batch only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from routekeeper.linux import codec
from routekeeper.linux.keeper.decide import Plan, Tally
from routekeeper.linux.keeper.index import RouteGroup, prefix_key
from routekeeper.linux.nlsock import RtnlSocket
from routekeeper.linux.observe import PROTO_ROUTEKEEPER

BATCH = 512  # messages per sendmsg: measured fastest (about 230k routes/s on the reference machine)
CHUNK = 16 * BATCH  # messages encoded by NumPy at once (the first chunk is one batch: first route early)
DETAIL = 10  # installs up to this size log one line per route; bigger ones one summary line
SEQ_START, SEQ_WRAP = 1 << 20, 1 << 31  # sequence numbers used; well inside the u32 field


@dataclass(slots=True)
class Batch:
    """Messages sent with one sendmsg: sequence numbers `first`..`last`, the last one acknowledged.

    `keys` are the members' prefix keys in message order (a refusal names its message by sequence
    number); `members` their (network, length) when sent one by one, for one log line per route."""

    data: bytes | bytearray | memoryview
    first: int
    last: int
    keys: list[int]
    members: list[tuple[int, int]] | None = None


class Sender:
    """The request socket and its sequence numbers (one per message: refusals name their message)."""

    def __init__(self, req: RtnlSocket) -> None:
        self.req = req
        self.seq = SEQ_START

    def take(self, n: int) -> int:
        """The first of `n` fresh sequence numbers. Every batch is acknowledged before the next is
        sent, so numbers may be reused: they wrap long before the kernel's u32 field would."""
        if self.seq + n >= SEQ_WRAP:
            self.seq = SEQ_START
        first = self.seq
        self.seq += n
        return first

    def send(self, g: RouteGroup, oif: int, plan: Plan, tally: Tally) -> None:
        """Carry out `plan` for `g` through `oif`, recording every batch's answer in `tally`."""
        self.deliver(self.batches(g, oif, plan), tally)

    def deliver(self, batches: Iterable[Batch], tally: Tally) -> None:
        """Send `batches` in order, each acknowledged before the next goes, into `tally`."""
        send_bulk = self.req.send_bulk
        for b in batches:
            fails = send_bulk(b.data, b.last)
            tally.sent(b.keys, b.first, fails)
            if b.members is not None and len(tally.installed) <= DETAIL:
                ok = [m for n, m in enumerate(b.members) if fails.get(b.first + n, 0) == 0]
                tally.installed += ok[: DETAIL + 1]

    def batches(self, g: RouteGroup, oif: int, plan: Plan) -> Iterator[Batch]:
        """The messages of `plan` for `g` through `oif`, batch by batch (encoded as they are asked for)."""
        if plan.vector:
            yield from self._vector(g, oif, plan.pick)
        if plan.single:
            yield from self._single(g, oif, plan.single)

    def _single(self, g: RouteGroup, oif: int, single: list[tuple[int, int]]) -> Iterator[Batch]:
        enc = codec.BulkEncoder(codec.RTM_NEWROUTE, g.version, PROTO_ROUTEKEEPER)
        for lo in range(0, len(single), BATCH):
            part = single[lo : lo + BATCH]
            buf = bytearray()
            first = self.take(len(part))
            last = len(part) - 1
            for n, (network, length) in enumerate(part):
                enc.encode(buf, first + n, network, length, g.nexthop, oif, g.metric, ack=n == last)
            keys = [prefix_key(g.version, net, ln) for net, ln in part]
            yield Batch(buf, first, first + last, keys, part)

    def _vector(self, g: RouteGroup, oif: int, pick: list[int] | None) -> Iterator[Batch]:
        """Many members: NumPy encodes a chunk at a time from the group's columns, each batch
        acknowledged once; default routes (no RTA_DST) go singly, after the rest."""
        dst, lens, zero = g.arrays()
        idx: np.ndarray | None = None
        if pick is not None:
            idx = np.asarray(pick, dtype=np.int64)
        if zero:
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
            first = self.take(end - pos)
            view = memoryview(template.encode(first, part, lens[pos:end], ack_every=BATCH))
            for lo in range(0, end - pos, BATCH):
                hi = min(end - pos, lo + BATCH)
                data = view[lo * size : hi * size]
                yield Batch(data, first + lo, first + hi - 1, keys[pos + lo : pos + hi])
            pos = end
        if zero and (pick is None or any(i in zero for i in pick)):
            members = zero if pick is None else [i for i in pick if i in zero]
            enc = codec.BulkEncoder(codec.RTM_NEWROUTE, g.version, PROTO_ROUTEKEEPER)
            for i in members:
                buf = bytearray()
                network, length = g.members[i]
                first = self.take(1)
                enc.encode(buf, first, network, length, g.nexthop, oif, g.metric, ack=True)
                yield Batch(buf, first, first, [g.keys[i]])
