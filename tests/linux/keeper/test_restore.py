"""Restores prepared while idle (`keeper.restore`): the messages are the ones the event would send.

No root, no kernel: a Decider fed values (the host of test_decide) and a Sender on a recording socket.
What is checked is what the hot path rests on: the prepared batches are byte for byte what the usual
path (`Decider.on` -> `plan` -> `Sender.send`) sends when the address comes back; `take` sends them
only for the exact address that went, on the first message of a datagram; any datagram empties the
table; the presence the usual path then reads records them, so nothing is sent twice.
"""

from __future__ import annotations

import struct

import pytest

from routekeeper.core.values import IP, PersistentRoute, Prefix
from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr
from routekeeper.linux.keeper.decide import Decider, Install
from routekeeper.linux.keeper.events import AddressAdded, AddressDeleted
from routekeeper.linux.keeper.restore import Restores, message_key, wire_key
from routekeeper.linux.keeper.send import SEQ_START, SEQ_WRAP, Sender
from tests.linux.keeper.test_decide import ADDR, COVERED, GW, LO, VA0, decider, kroute

pytestmark = pytest.mark.no_kernel


class RecordingSocket:
    """Stands for the request socket: keeps what is sent, acknowledges everything."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send_bulk(self, buf: bytes | bytearray | memoryview, last_seq: int) -> dict[int, int]:
        self.sent.append(bytes(buf))
        return {}


def addr_message(a: KAddr, mtype: int = codec.RTM_NEWADDR) -> bytes:
    """The notification the kernel sends for `a` (IPv4: IFA_ADDRESS then IFA_LOCAL, as it does)."""
    ip = a.ip.to_bytes(4, "big")
    body = codec.IFADDRMSG.pack(2, a.length, 0, 0, a.ifindex)
    body += struct.pack("=HH", 8, codec.IFA_ADDRESS) + ip + struct.pack("=HH", 8, codec.IFA_LOCAL) + ip
    return codec.NLMSGHDR.pack(16 + len(body), mtype, 0, 0, 0) + body


def flushed() -> tuple[Decider, RecordingSocket, Sender, Restores]:
    """The address went and the kernel flushed its routes; the daemon is idle again."""
    d = decider(installed=True)
    sock = RecordingSocket()
    sender = Sender(sock)  # type: ignore[arg-type]
    restores = Restores(d, sender)
    restores.prepare()  # idle with the address present: nothing to prepare
    assert restores.ready == {}
    d.on(AddressDeleted(ADDR))
    d.settle()
    d.mirror.interface_dumped(2, [])
    restores.prepare()
    return d, sock, sender, restores


def usual_path(d: Decider, sender: Sender) -> list[bytes]:
    """What the event-time path sends for the address coming back (a fresh socket records it)."""
    sock = RecordingSocket()
    sender.req = sock  # type: ignore[assignment]
    for action in d.on(AddressAdded(ADDR)):
        if isinstance(action, Install):
            planned = d.plan(action)
            if planned is not None:
                sender.send(action.group, action.oif, *planned)
    return sock.sent


def strip_seq(messages: list[bytes]) -> list[bytes]:
    """Each message with its sequence number zeroed (the two paths number them differently)."""
    out = []
    for buf in messages:
        for _t, _f, _s, start, end in codec.iter_messages(buf):
            one = bytearray(buf[start:end])
            one[8:12] = b"\0\0\0\0"
            out.append(bytes(one))
    return out


def test_prepared_restore_is_byte_for_byte_what_the_event_would_send() -> None:
    d, sock, sender, restores = flushed()
    assert list(restores.ready) == [wire_key(ADDR)]
    prepared = restores.ready[wire_key(ADDR)]
    batches = [bytes(b.data) for e in prepared.entries for b in e.batches]
    # The same decision taken at event time on a copy of the state, through the usual path.
    d2, _sock2, sender2, _r2 = flushed()
    want = usual_path(d2, sender2)
    assert strip_seq(batches) == strip_seq(want)
    assert len(strip_seq(batches)) == len(COVERED)
    # The messages ask for an acknowledgement exactly at the end of each batch.
    acks = [m for b in batches for m in strip_seq([b]) if struct.unpack_from("=H", m, 6)[0] & codec.NLM_F_ACK]
    assert len(acks) == len(batches)
    assert sock.sent == [], "preparing sends nothing"


def test_take_sends_the_prepared_batches_for_the_address_that_went_and_nothing_twice() -> None:
    d, sock, sender, restores = flushed()
    prepared = restores.take(memoryview(addr_message(ADDR)))
    assert prepared is not None and prepared.addr == ADDR
    assert sock.sent == [bytes(b.data) for e in prepared.entries for b in e.batches]
    assert restores.ready == {}, "taken: the table is empty until the loop prepares again"
    assert sum(e.tally.done for e in prepared.entries) == len(COVERED)
    # The event then goes the usual way: its installs find everything present and send nothing.
    assert usual_path(d, sender) == []


@pytest.mark.parametrize(
    "message",
    [
        addr_message(KAddr(4, ADDR.ip + 5, 24, 2, 0)),  # another address of the same subnet
        addr_message(KAddr(4, ADDR.ip, 24, 3, 0)),  # the same address on another interface
        addr_message(KAddr(4, ADDR.ip, 25, 2, 0)),  # another length
        addr_message(ADDR, codec.RTM_DELADDR),
        addr_message(KAddr(4, ADDR.ip + 5, 24, 2, 0)) + addr_message(ADDR),  # not the first message
    ],
    ids=["other-ip", "other-link", "other-length", "deladdr", "second-message"],
)
def test_any_other_datagram_sends_nothing_and_empties_the_table(message: bytes) -> None:
    _d, sock, _sender, restores = flushed()
    assert restores.ready
    assert restores.take(memoryview(message)) is None
    assert sock.sent == []
    assert restores.ready == {}, "whatever the datagram changes, nothing prepared is trusted after it"


def test_nothing_is_prepared_while_the_address_is_there_or_beyond_the_limit() -> None:
    d = decider(installed=False)
    restores = Restores(d, Sender(RecordingSocket()), limit=len(COVERED) - 1)  # type: ignore[arg-type]
    restores.prepare()
    assert restores.ready == {}, "no address went: nothing expected"
    d.on(AddressDeleted(ADDR))
    d.settle()
    restores.prepare()
    assert restores.expected and restores.ready == {}, "over the limit: the usual path"


def test_an_address_that_comes_back_is_no_longer_expected() -> None:
    d, _sock, _sender, restores = flushed()
    d.remember(ADDR)
    restores.prepare()
    assert restores.expected == {} and restores.ready == {}


def test_the_restore_follows_the_state_it_is_prepared_on() -> None:
    """Prepared again after each change: the routes already back are not prepared again."""
    d, _sock, _sender, restores = flushed()
    d.mirror.index_routes([kroute(p, GW) for p in COVERED[:15]], oif=2)  # e.g. put back by hand
    restores.prepare()
    prepared = restores.ready[wire_key(ADDR)]
    sent = strip_seq([bytes(b.data) for e in prepared.entries for b in e.batches])
    assert len(sent) == len(COVERED) - 15


def test_sequence_numbers_wrap_before_the_u32_field() -> None:
    sender = Sender(RecordingSocket())  # type: ignore[arg-type]
    sender.seq = SEQ_WRAP - 3
    assert sender.take(2) == SEQ_WRAP - 3
    assert sender.take(5) == SEQ_START, "reused from the start: every batch is acknowledged first"


def test_ipv6_groups_are_prepared_too() -> None:
    d = Decider(None, False)
    gw6 = IP.parse("2001:db8::1")
    a6 = KAddr(6, IP.parse("2001:db8::2").value, 64, 2, 0)
    d.load([PersistentRoute(Prefix.parse(f"2001:db8:{n + 100:x}::/48"), gw6, 1024) for n in range(3)])
    d.mirror.replace([LO, VA0], [ADDR, a6], [])
    restores = Restores(d, Sender(RecordingSocket()))  # type: ignore[arg-type]
    restores.prepare()
    d.on(AddressDeleted(a6))
    d.settle()
    restores.prepare()
    prepared = restores.ready[wire_key(a6)]
    messages = strip_seq([bytes(b.data) for e in prepared.entries for b in e.batches])
    assert len(messages) == 3
    assert all(m[16] == codec.FAMILY[6] for m in messages)


def test_a_whole_group_is_encoded_once_while_its_address_is_away() -> None:
    """Events that change nothing for the group prepare again without encoding again."""
    d, _sock, _sender, restores = flushed()
    key = wire_key(ADDR)
    first = restores.ready[key].entries[0].batches
    restores.prepare()
    assert restores.ready[key].entries[0].batches is first
    d.mirror.index_routes([kroute(COVERED[0], GW)], oif=2)  # one member back: only the rest is sent
    restores.prepare()
    again = restores.ready[key].entries[0].batches
    assert again is not first and len(strip_seq([bytes(b.data) for b in again])) == len(COVERED) - 1


@pytest.mark.parametrize("a", [ADDR, KAddr(6, IP.parse("2001:db8::2").value, 64, 2, 0)], ids=["ipv4", "ipv6"])
def test_the_key_of_a_notification_is_the_key_prepared_for_its_address(a: KAddr) -> None:
    ip = a.ip.to_bytes(4 if a.version == 4 else 16, "big")
    attrs = struct.pack("=HH", 4 + len(ip), codec.IFA_ADDRESS) + ip
    if a.version == 4:
        attrs += struct.pack("=HH", 8, codec.IFA_LOCAL) + ip
    attrs += struct.pack("=HHI", 8, codec.IFA_FLAGS, 0x80)  # what follows does not matter
    body = codec.IFADDRMSG.pack(codec.FAMILY[a.version], a.length, 0x80, 0, a.ifindex) + attrs
    message = codec.NLMSGHDR.pack(16 + len(body), codec.RTM_NEWADDR, 0, 0, 0) + body
    assert message_key(memoryview(message)) == wire_key(a)
    assert codec.parse_addr(message, 0, len(message)) == KAddr(a.version, a.ip, a.length, a.ifindex, 0x80)
    peer = message.replace(ip, bytes(len(ip) - 1) + b"\x09", 1)  # IFA_ADDRESS is a peer's
    assert message_key(memoryview(peer)) != wire_key(a), "a peer address misses: the usual path"
    assert message_key(memoryview(message[:30])) is None, "truncated"
