"""A raw rtnetlink socket for the hot paths: dumps, bulk route changes, and the event stream.

It speaks the messages of `codec` only. Requests are batched (many messages per sendmsg) and ask the
kernel to acknowledge only the last one: the kernel processes a batch in order and reports every
failure anyway, so one acknowledgement tells us the whole batch is done and which routes failed.
"""

from __future__ import annotations

import errno
import itertools
import os
import socket
from collections.abc import Iterator

from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr, KLink, KRoute
from routekeeper.linux.netns import inside

SO_RCVBUFFORCE = 33
SO_SNDBUFFORCE = 32
BULK_BATCH = 2048  # messages per sendmsg: large enough to amortise syscalls, small enough for the buffer


class NetlinkError(OSError):
    """The kernel refused a request."""


class RtnlSocket:
    """One NETLINK_ROUTE socket, created inside `netns`, optionally subscribed to `groups`."""

    def __init__(self, netns: str | None = None, groups: int = 0, rcvbuf: int = 8 << 20) -> None:
        with inside(netns):
            self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self.netns = netns
        s = self.sock
        for opt, size in ((SO_RCVBUFFORCE, rcvbuf), (SO_SNDBUFFORCE, 8 << 20)):
            try:
                s.setsockopt(socket.SOL_SOCKET, opt, size)
            except OSError:
                fallback = socket.SO_RCVBUF if opt == SO_RCVBUFFORCE else socket.SO_SNDBUF
                s.setsockopt(socket.SOL_SOCKET, fallback, size)
        for opt in (codec.NETLINK_CAP_ACK, codec.NETLINK_GET_STRICT_CHK):
            try:
                s.setsockopt(codec.SOL_NETLINK, opt, 1)
            except OSError:
                pass
        s.bind((0, groups))
        self.seq = itertools.count(int.from_bytes(os.urandom(2), "big") << 8)
        self._buf = bytearray(1 << 20)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RtnlSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fileno(self) -> int:
        return self.sock.fileno()

    def set_rcvbuf(self, size: int) -> None:
        """Enlarge the receive buffer past net.core.rmem_max (root only; falls back to the capped one)."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)

    def recv(self) -> memoryview:
        n = self.sock.recv_into(self._buf)
        return memoryview(self._buf)[:n]

    # ------------------------------------------------------------------ dumps
    def _dump(self, request: bytes, seq: int) -> Iterator[tuple[int, memoryview, int, int]]:
        """Yield (type, buffer, start, end) of every message of one dump; retries an interrupted dump."""
        self.sock.send(request)
        done = False
        while not done:
            data = bytes(self.recv())
            for mtype, mflags, mseq, start, end in codec.iter_messages(data):
                if mseq != seq:
                    continue
                if mtype == codec.NLMSG_DONE:
                    done = True
                    break
                if mtype == codec.NLMSG_ERROR:
                    err = codec.parse_error(data, start)
                    if err:
                        raise NetlinkError(err, os.strerror(err))
                    done = True
                    break
                if mflags & codec.NLM_F_DUMP_INTR:
                    raise InterruptedError("dump interrupted by a concurrent change")
                yield mtype, memoryview(data), start, end

    def _retrying(self, make: object, parse: object, msg_type: int) -> list:
        for _attempt in range(5):
            seq = next(self.seq)
            try:
                return [
                    item
                    for mtype, data, start, end in self._dump(make(seq), seq)  # type: ignore[operator]
                    if mtype == msg_type and (item := parse(data, start, end)) is not None  # type: ignore[operator]
                ]
            except InterruptedError:
                self._drain(seq)
                continue
        raise NetlinkError(errno.EINTR, "dump kept being interrupted")

    def _drain(self, seq: int) -> None:
        """Read what is left of an abandoned dump."""
        self.sock.setblocking(False)
        try:
            while True:
                try:
                    data = bytes(self.recv())
                except BlockingIOError:
                    return
                for mtype, _f, mseq, _s, _e in codec.iter_messages(data):
                    if mseq == seq and mtype in (codec.NLMSG_DONE, codec.NLMSG_ERROR):
                        return
        finally:
            self.sock.setblocking(True)

    def routes(
        self,
        version: int | None = None,
        table: int | None = None,
        oif: int | None = None,
        proto: int | None = None,
    ) -> list[KRoute]:
        """Dump routes. Filters are applied by the kernel (strict checking) and again here."""

        def make(seq: int) -> bytes:
            return codec.encode_dump(codec.RTM_GETROUTE, version, seq, table=table, oif=oif, proto=proto)

        found: list[KRoute] = self._retrying(make, codec.parse_route, codec.RTM_NEWROUTE)
        return [
            r
            for r in found
            if (table is None or r.table == table)
            and (oif is None or r.oif == oif)
            and (proto is None or r.proto == proto)
        ]

    def addresses(self, version: int | None = None) -> list[KAddr]:
        def make(seq: int) -> bytes:
            return codec.encode_dump(codec.RTM_GETADDR, version, seq)

        return self._retrying(make, codec.parse_addr, codec.RTM_NEWADDR)

    def links(self) -> list[KLink]:
        def make(seq: int) -> bytes:
            return codec.encode_dump(codec.RTM_GETLINK, None, seq)

        return self._retrying(make, codec.parse_link, codec.RTM_NEWLINK)

    # ------------------------------------------------------------------ requests
    def request(self, message_without_seq: bytes) -> int:
        """Send one request (its seq field is overwritten) and return the errno (0 on success)."""
        seq = next(self.seq)
        msg = bytearray(message_without_seq)
        msg[8:12] = seq.to_bytes(4, "little")
        self.sock.send(msg)
        while True:
            data = self.recv()
            for mtype, _f, mseq, start, _end in codec.iter_messages(data):
                if mseq == seq and mtype == codec.NLMSG_ERROR:
                    return codec.parse_error(data, start)

    def send_bulk(self, buf: bytes | bytearray | memoryview, last_seq: int) -> dict[int, int]:
        """Send a buffer of encoded messages whose last one asks for an ACK; return {seq: errno} of the
        failures (the acknowledgement of `last_seq` itself is not a failure)."""
        self.sock.send(buf)
        failures: dict[int, int] = {}
        while True:
            data = self.recv()
            for mtype, _f, mseq, start, _end in codec.iter_messages(data):
                if mtype != codec.NLMSG_ERROR:
                    continue
                err = codec.parse_error(data, start)
                if err:
                    failures[mseq] = err
                if mseq == last_seq:
                    return failures
