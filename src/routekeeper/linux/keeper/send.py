"""Sending an install to the kernel: RTM_NEWROUTE messages packed, batched, acknowledged once a batch.

Few routes are packed one by one (`codec.BulkEncoder`); many are encoded by NumPy a chunk at a time
from the group's columns (`codec.BatchTemplate`), the first chunk one batch only so that the first
route is in the kernel early while the rest are encoded. Each batch's answer goes to the install's
`Tally` at once, so the mirror knows what is in the kernel the moment the install is done.
"""

from __future__ import annotations

import numpy as np

from routekeeper.linux import codec
from routekeeper.linux.keeper.decide import Plan, Tally
from routekeeper.linux.keeper.index import RouteGroup, prefix_key
from routekeeper.linux.nlsock import RtnlSocket
from routekeeper.linux.observe import PROTO_ROUTEKEEPER

BATCH = 512  # messages per sendmsg: measured fastest (about 230k routes/s on the reference machine)
CHUNK = 16 * BATCH  # messages encoded by NumPy at once (the first chunk is one batch: first route early)
DETAIL = 10  # installs up to this size log one line per route; bigger ones one summary line


class Sender:
    """The request socket and its sequence numbers (one per message: refusals name their message)."""

    def __init__(self, req: RtnlSocket) -> None:
        self.req = req
        self.seq = 1 << 20

    def send(self, g: RouteGroup, oif: int, plan: Plan, tally: Tally) -> None:
        """Carry out `plan` for `g` through `oif`, recording every batch's answer in `tally`."""
        if plan.vector:
            self._send_vector(g, oif, plan.pick, tally)
        if plan.single:
            self._send_single(g, oif, plan.single, tally)

    def _send_single(self, g: RouteGroup, oif: int, single: list[tuple[int, int]], tally: Tally) -> None:
        enc = codec.BulkEncoder(codec.RTM_NEWROUTE, g.version, PROTO_ROUTEKEEPER)
        for lo in range(0, len(single), BATCH):
            part = single[lo : lo + BATCH]
            buf = bytearray()
            first = self.seq
            last = len(part) - 1
            for n, (network, length) in enumerate(part):
                enc.encode(buf, first + n, network, length, g.nexthop, oif, g.metric, ack=n == last)
            self.seq += len(part)
            fails = self.req.send_bulk(buf, self.seq - 1)
            tally.sent([prefix_key(g.version, net, ln) for net, ln in part], first, fails)
            tally.installed += [m for n, m in enumerate(part) if fails.get(first + n, 0) == 0][: DETAIL + 1]

    def _send_vector(self, g: RouteGroup, oif: int, pick: list[int] | None, tally: Tally) -> None:
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
            first = self.seq
            buf = template.encode(first, part, lens[pos:end], ack_every=BATCH)
            self.seq += end - pos
            view = memoryview(buf)
            for lo in range(0, end - pos, BATCH):
                hi = min(end - pos, lo + BATCH)
                fails = self.req.send_bulk(view[lo * size : hi * size], first + hi - 1)
                tally.sent(keys[pos + lo : pos + hi], first + lo, fails)
            view.release()
            pos = end
        if zero and (pick is None or any(i in zero for i in pick)):
            self._send_defaults(g, oif, zero if pick is None else [i for i in pick if i in zero], tally)

    def _send_defaults(self, g: RouteGroup, oif: int, members: list[int], tally: Tally) -> None:
        enc = codec.BulkEncoder(codec.RTM_NEWROUTE, g.version, PROTO_ROUTEKEEPER)
        for i in members:
            buf = bytearray()
            network, length = g.members[i]
            first = self.seq
            enc.encode(buf, first, network, length, g.nexthop, oif, g.metric, ack=True)
            self.seq += 1
            tally.sent([g.keys[i]], first, self.req.send_bulk(buf, first))
