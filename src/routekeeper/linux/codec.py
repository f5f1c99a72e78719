"""A hand-written `struct` codec for the rtnetlink messages that must scale: routes.

Why not pyroute2 here: it builds about 3k route messages per second and parses about 10k, so a full
internet table (1M routes) would take minutes to install or dump. Packing with precompiled `Struct`s
reaches well over 100k messages per second, which leaves the kernel (about 170k additions per
second) as the bottleneck. pyroute2 stays in charge of everything small (links, addresses, sysctls);
`tests/linux/test_codec.py` checks this codec message-for-message against pyroute2's encoder
and decoder and against the kernel.

Only what routekeeper needs is covered: RTM_NEWROUTE / RTM_DELROUTE requests for single-path
unicast routes, RTM_GETROUTE dump requests (optionally filtered by table, protocol and output
interface when the socket has NETLINK_GET_STRICT_CHK), and parsing of route, address and link
messages into small tuples. Anything else in a message is skipped, never misread.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np  # imported where it is used: the daemon's start-up sends before loading NumPy

# ---------------------------------------------------------------- constants (linux/netlink.h, rtnetlink.h)
NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSG_OVERRUN = 4

NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400

RTM_NEWLINK = 16
RTM_DELLINK = 17
RTM_GETLINK = 18
RTM_NEWADDR = 20
RTM_DELADDR = 21
RTM_GETADDR = 22
RTM_NEWROUTE = 24
RTM_DELROUTE = 25
RTM_GETROUTE = 26

RTA_DST = 1
RTA_OIF = 4
RTA_GATEWAY = 5
RTA_PRIORITY = 6
RTA_PREFSRC = 7
RTA_MULTIPATH = 9
RTA_TABLE = 15
RTA_VIA = 18

IFA_ADDRESS = 1
IFA_LOCAL = 2
IFA_FLAGS = 8
IFA_F_SECONDARY = 0x01

IFLA_ADDRESS = 1
IFLA_IFNAME = 3
IFLA_MTU = 4
IFLA_OPERSTATE = 16
IFLA_CARRIER = 33
IFF_UP = 0x1
IFF_LOOPBACK = 0x8
IFF_LOWER_UP = 0x10000

RT_TABLE_MAIN = 254
RT_TABLE_LOCAL = 255
RTPROT_KERNEL = 2
RTPROT_BOOT = 3
RT_SCOPE_UNIVERSE = 0
RT_SCOPE_LINK = 253
RT_SCOPE_HOST = 254
RTN_UNICAST = 1
RTN_LOCAL = 2
RTN_BROADCAST = 3
RTN_ANYCAST = 4
RTN_MULTICAST = 5
RTN_UNREACHABLE = 7
RTNH_F_ONLINK = 4
RTNH_F_LINKDOWN = 16

SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NETLINK_GET_STRICT_CHK = 12

RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV4_ROUTE = 0x40
RTMGRP_IPV6_IFADDR = 0x100
RTMGRP_IPV6_ROUTE = 0x400

TYPE_NAMES = {
    RTN_UNICAST: "unicast",
    RTN_LOCAL: "local",
    RTN_BROADCAST: "broadcast",
    RTN_ANYCAST: "anycast",
    RTN_MULTICAST: "multicast",
    6: "blackhole",
    RTN_UNREACHABLE: "unreachable",
    8: "prohibit",
    9: "throw",
}

NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
RTMSG = struct.Struct("=BBBBBBBBI")  # family dst_len src_len tos table protocol scope type flags
IFADDRMSG = struct.Struct("=BBBBI")  # family prefixlen flags scope index
IFINFOMSG = struct.Struct("=BxHiII")  # family type index flags change
NLA = struct.Struct("=HH")
U32 = struct.Struct("=I")
ERRHDR = struct.Struct("=i")

FAMILY = {4: socket.AF_INET, 6: socket.AF_INET6}
VERSION = {socket.AF_INET: 4, socket.AF_INET6: 6}
ALEN = {4: 4, 6: 16}


class KRoute(NamedTuple):
    """One kernel route as routekeeper reads it: addresses as (version, integer) parts, like the core."""

    version: int
    dst: int
    dst_len: int
    oif: int
    gateway: int  # 0 when on-link
    priority: int
    table: int
    proto: int
    scope: int
    type: int
    flags: int
    prefsrc: int | None
    multipath: bool = False

    @property
    def key(self) -> tuple[int, int, int, int, int]:
        """What identifies a route of ours: family, destination, length, interface, gateway."""
        return (self.version, self.dst, self.dst_len, self.oif, self.gateway)


class KAddr(NamedTuple):
    version: int
    ip: int
    length: int
    ifindex: int
    flags: int


class KLink(NamedTuple):
    index: int
    name: str
    flags: int
    mtu: int
    mac: str
    carrier: bool


# ---------------------------------------------------------------- encoding
def _pad(n: int) -> int:
    return (n + 3) & ~3


_U32_ATTR = struct.Struct("=HHI")


def encode_route(
    msg_type: int,
    version: int,
    dst: int,
    dst_len: int,
    *,
    gateway: int = 0,
    oif: int = 0,
    priority: int | None = None,
    proto: int = RTPROT_BOOT,
    table: int = RT_TABLE_MAIN,
    scope: int | None = None,
    rtype: int = RTN_UNICAST,
    prefsrc: int | None = None,
    rtm_flags: int = 0,
    seq: int = 0,
    flags: int | None = None,
) -> bytes:
    """One RTM_NEWROUTE / RTM_DELROUTE request.

    Attribute order (RTA_TABLE, RTA_DST, RTA_GATEWAY, RTA_OIF, RTA_PRIORITY, RTA_PREFSRC) is fixed so
    that the test can compare bytes with pyroute2 building the same list. `scope` defaults to link for
    on-link routes and universe otherwise, the way `ip route add` chooses.
    """
    alen = ALEN[version]
    if flags is None:
        flags = NLM_F_REQUEST | NLM_F_ACK
        if msg_type == RTM_NEWROUTE:
            flags |= NLM_F_CREATE | NLM_F_EXCL
    if scope is None:
        if msg_type == RTM_DELROUTE:
            scope = 255  # RT_SCOPE_NOWHERE: "any scope" for deletion, as iproute2 sends
        else:
            scope = RT_SCOPE_LINK if gateway == 0 and rtype == RTN_UNICAST else RT_SCOPE_UNIVERSE
    parts = [
        RTMSG.pack(
            FAMILY[version], dst_len, 0, 0, table if table < 256 else 252, proto, scope, rtype, rtm_flags
        ),
        _U32_ATTR.pack(8, RTA_TABLE, table),
    ]
    if dst_len:
        parts.append(NLA.pack(4 + alen, RTA_DST) + dst.to_bytes(alen, "big"))
    if gateway:
        parts.append(NLA.pack(4 + alen, RTA_GATEWAY) + gateway.to_bytes(alen, "big"))
    if oif:
        parts.append(_U32_ATTR.pack(8, RTA_OIF, oif))
    if priority is not None:
        parts.append(_U32_ATTR.pack(8, RTA_PRIORITY, priority))
    if prefsrc is not None:
        parts.append(NLA.pack(4 + alen, RTA_PREFSRC) + prefsrc.to_bytes(alen, "big"))
    body = b"".join(parts)
    return NLMSGHDR.pack(16 + len(body), msg_type, flags, seq, 0) + body


class BulkEncoder:
    """Packs many same-shaped route messages fast: one precompiled Struct per shape, one bytearray.

    Used for installing or deleting thousands of routes of ours at once. Every message carries its
    own sequence number so that an error reply names the route that failed; only the messages the
    caller marks with `ack` ask for an acknowledgement (the kernel reports errors regardless).
    """

    def __init__(self, msg_type: int, version: int, proto: int, table: int = RT_TABLE_MAIN) -> None:
        self.msg_type = msg_type
        self.version = version
        self.proto = proto
        self.table = table
        self.family = FAMILY[version]
        self.alen = ALEN[version]
        base = NLM_F_REQUEST
        if msg_type == RTM_NEWROUTE:
            base |= NLM_F_CREATE | NLM_F_EXCL
        self.base_flags = base
        self._shapes: dict[tuple[bool, bool, bool], struct.Struct] = {}

    def _shape(self, has_dst: bool, has_gw: bool, has_src: bool) -> struct.Struct:
        key = (has_dst, has_gw, has_src)
        shape = self._shapes.get(key)
        if shape is None:
            addr = f"HH{self.alen}s"
            fmt = "=IHHII" + "BBBBBBBBI" + "HHI"
            if has_dst:
                fmt += addr
            if has_gw:
                fmt += addr
            fmt += "HHI" + "HHI"  # oif, priority
            if has_src:
                fmt += addr
            shape = struct.Struct(fmt)
            self._shapes[key] = shape
        return shape

    def encode(
        self,
        buf: bytearray,
        seq: int,
        dst: int,
        dst_len: int,
        gateway: int,
        oif: int,
        priority: int,
        prefsrc: int | None = None,
        ack: bool = False,
    ) -> None:
        """Append one message to `buf`."""
        has_dst, has_gw, has_src = dst_len > 0, gateway != 0, prefsrc is not None
        shape = self._shape(has_dst, has_gw, has_src)
        alen = self.alen
        if self.msg_type == RTM_DELROUTE:
            scope = 255
        else:
            scope = RT_SCOPE_UNIVERSE if has_gw else RT_SCOPE_LINK
        flags = self.base_flags | (NLM_F_ACK if ack else 0)
        nla_addr = 4 + alen
        values: list[object] = [
            shape.size, self.msg_type, flags, seq, 0,
            self.family, dst_len, 0, 0, self.table, self.proto, scope, RTN_UNICAST, 0,
            8, RTA_TABLE, self.table,
        ]  # fmt: skip
        if has_dst:
            values += (nla_addr, RTA_DST, dst.to_bytes(alen, "big"))
        if has_gw:
            values += (nla_addr, RTA_GATEWAY, gateway.to_bytes(alen, "big"))
        values += (8, RTA_OIF, oif, 8, RTA_PRIORITY, priority)
        if has_src:
            assert prefsrc is not None
            values += (nla_addr, RTA_PREFSRC, prefsrc.to_bytes(alen, "big"))
        buf += shape.pack(*values)


class BatchTemplate:
    """Encodes a whole run of same-shaped RTM_NEWROUTE / RTM_DELROUTE messages with NumPy at once.

    Why: re-installing a flushed table sends up to a million messages that differ only in sequence
    number, destination and prefix length. Packing them one by one costs a few microseconds each in
    Python, as much as the kernel takes to insert them; here one message is packed by `BulkEncoder`
    (so the bytes are its bytes, which the codec test checks) and repeated, and only the three varying
    fields are written, column by column. `dst_len` must be > 0 (a default route has no RTA_DST: the
    caller encodes such a message singly).
    """

    def __init__(
        self, msg_type: int, version: int, proto: int, gateway: int, oif: int, priority: int
    ) -> None:
        enc = BulkEncoder(msg_type, version, proto)
        one = bytearray()
        enc.encode(one, 0, 1, 1, gateway, oif, priority)
        self.size = len(one)
        self.one = bytes(one)
        self.version = version
        alen = ALEN[version]
        dst_at = 16 + RTMSG.size + 8 + 4  # header, rtmsg, RTA_TABLE, RTA_DST's attribute header
        names = ["flags", "seq", "dst_len"]
        formats: list[str] = ["=u2", "=u4", "u1"]
        offsets = [6, 8, 17]
        if alen == 4:
            names.append("dst")
            formats.append(">u4")
            offsets.append(dst_at)
        else:
            names += ["hi", "lo"]
            formats += [">u8", ">u8"]
            offsets += [dst_at, dst_at + 8]
        import numpy as np

        self.dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": self.size})

    def encode(
        self, seq: int, dst: object, dst_len: np.ndarray, ack_last: bool = True, ack_every: int = 0
    ) -> bytearray:
        """Messages for `dst[i]/dst_len[i]` with sequence numbers seq, seq+1, ...; the last asks for
        an acknowledgement when `ack_last`, and so does every `ack_every`-th (the end of each batch
        the caller sends). For IPv6, `dst` is a (high, low) pair of uint64 arrays."""
        import numpy as np

        n = len(dst_len)
        buf = bytearray(self.one * n)
        if n == 0:
            return buf
        rec = np.frombuffer(buf, dtype=self.dtype)
        rec["seq"] = np.arange(seq, seq + n, dtype=np.uint64).astype(np.uint32)
        rec["dst_len"] = dst_len
        if self.version == 4:
            rec["dst"] = dst
        else:
            rec["hi"], rec["lo"] = dst  # type: ignore[misc]
        if ack_every:
            rec["flags"][ack_every - 1 :: ack_every] |= NLM_F_ACK
        if ack_last:
            rec["flags"][n - 1] |= NLM_F_ACK
        del rec  # release the buffer export so the bytearray can be resized by the caller
        return buf


def encode_dump(
    msg_type: int,
    version: int | None = None,
    seq: int = 0,
    table: int | None = None,
    proto: int | None = None,
    oif: int | None = None,
    ifindex: int = 0,
) -> bytes:
    """A dump request: routes (RTM_GETROUTE), addresses (RTM_GETADDR) or links (RTM_GETLINK).

    With NETLINK_GET_STRICT_CHK on the socket the kernel filters route dumps by the rtmsg table and
    protocol and by RTA_OIF / RTA_TABLE, so re-verifying one interface costs what is on it.
    """
    family = FAMILY[version] if version else socket.AF_UNSPEC
    if msg_type == RTM_GETROUTE:
        body = RTMSG.pack(family, 0, 0, 0, table or 0, proto or 0, 0, 0, 0)
        if table is not None:
            body += _U32_ATTR.pack(8, RTA_TABLE, table)
        if oif is not None:
            body += _U32_ATTR.pack(8, RTA_OIF, oif)
    elif msg_type == RTM_GETADDR:
        body = IFADDRMSG.pack(family, 0, 0, 0, ifindex)
    else:
        body = IFINFOMSG.pack(family, 0, ifindex, 0, 0)
    return NLMSGHDR.pack(16 + len(body), msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body


# ---------------------------------------------------------------- decoding
def iter_messages(data: bytes | memoryview, offset: int = 0) -> Iterator[tuple[int, int, int, int, int]]:
    """(type, flags, seq, start, end) of each netlink message in a receive buffer."""
    end_all = len(data)
    unpack = NLMSGHDR.unpack_from
    while offset + 16 <= end_all:
        length, mtype, mflags, seq, _pid = unpack(data, offset)
        if length < 16:
            return
        yield mtype, mflags, seq, offset, offset + length
        offset += (length + 3) & ~3


def parse_error(data: bytes | memoryview, start: int) -> int:
    """The (positive) errno of an NLMSG_ERROR message; 0 for an acknowledgement."""
    return -ERRHDR.unpack_from(data, start + 16)[0]


def _first_hop(data: bytes | memoryview, pos: int) -> tuple[int, int, int]:
    """(flags, ifindex, gateway) of the first hop of the RTA_MULTIPATH attribute at `pos`.

    rtnexthop: len(H) flags(B) hops(B) ifindex(i), then its attributes."""
    length, flags, _hops, ifindex = struct.unpack_from("=HBBi", data, pos + 4)
    gateway = 0
    npos, nend = pos + 12, pos + 4 + length
    while npos + 4 <= nend:
        nlen, ntype = NLA.unpack_from(data, npos)
        if nlen < 4:
            break
        if ntype == RTA_GATEWAY and not gateway:
            gateway = int.from_bytes(data[npos + 4 : npos + nlen], "big")
        npos += (nlen + 3) & ~3
    return flags, ifindex, gateway


def parse_route(data: bytes | memoryview, start: int, end: int) -> KRoute | None:
    """Decode one RTM_NEWROUTE / RTM_DELROUTE message; None for families other than IPv4 / IPv6."""
    family, dst_len, _src_len, _tos, table, proto, scope, rtype, rflags = RTMSG.unpack_from(data, start + 16)
    version = VERSION.get(family)
    if version is None:
        return None
    dst = gateway = oif = priority = 0
    prefsrc: int | None = None
    multipath = False
    pos = start + 28
    unpack = NLA.unpack_from
    u32 = U32.unpack_from
    while pos + 4 <= end:
        alen, atype = unpack(data, pos)
        if alen < 4:
            break
        atype &= 0x3FFF
        if atype == RTA_DST:
            dst = int.from_bytes(data[pos + 4 : pos + alen], "big")
        elif atype == RTA_GATEWAY:
            gateway = int.from_bytes(data[pos + 4 : pos + alen], "big")
        elif atype == RTA_OIF:
            oif = u32(data, pos + 4)[0]
        elif atype == RTA_PRIORITY:
            priority = u32(data, pos + 4)[0]
        elif atype == RTA_TABLE:
            table = u32(data, pos + 4)[0]
        elif atype == RTA_PREFSRC:
            prefsrc = int.from_bytes(data[pos + 4 : pos + alen], "big")
        elif atype == RTA_MULTIPATH:
            multipath = True
            if alen >= 16:
                nh_flags, nh_if, nh_gateway = _first_hop(data, pos)
                oif = oif or nh_if
                rflags |= nh_flags
                gateway = gateway or nh_gateway
        pos += (alen + 3) & ~3
    return KRoute(
        version, dst, dst_len, oif, gateway, priority, table, proto, scope, rtype, rflags, prefsrc, multipath
    )


def parse_addr(data: bytes | memoryview, start: int, end: int) -> KAddr | None:
    """Decode an RTM_NEWADDR / RTM_DELADDR message (IFA_LOCAL wins over IFA_ADDRESS, as for IPv4 peers)."""
    family, length, flags, _scope, index = IFADDRMSG.unpack_from(data, start + 16)
    version = VERSION.get(family)
    if version is None:
        return None
    local = address = None
    pos = start + 24
    while pos + 4 <= end:
        alen, atype = NLA.unpack_from(data, pos)
        if alen < 4:
            break
        if atype == IFA_LOCAL:
            local = int.from_bytes(data[pos + 4 : pos + alen], "big")
        elif atype == IFA_ADDRESS:
            address = int.from_bytes(data[pos + 4 : pos + alen], "big")
        elif atype == IFA_FLAGS:
            flags = U32.unpack_from(data, pos + 4)[0]
        pos += (alen + 3) & ~3
    ip = local if local is not None else address
    if ip is None:
        return None
    return KAddr(version, ip, length, index, flags)


def parse_link(data: bytes | memoryview, start: int, end: int) -> KLink:
    """Decode an RTM_NEWLINK / RTM_DELLINK message into what the keeper needs to know."""
    _family, _type, index, flags, _change = IFINFOMSG.unpack_from(data, start + 16)
    name, mtu, mac = "", 0, ""
    carrier = bool(flags & IFF_LOWER_UP)
    pos = start + 32
    while pos + 4 <= end:
        alen, atype = NLA.unpack_from(data, pos)
        if alen < 4:
            break
        atype &= 0x3FFF
        if atype == IFLA_IFNAME:
            name = bytes(data[pos + 4 : pos + alen]).split(b"\0", 1)[0].decode()
        elif atype == IFLA_MTU:
            mtu = U32.unpack_from(data, pos + 4)[0]
        elif atype == IFLA_ADDRESS:
            mac = ":".join(f"{b:02x}" for b in bytes(data[pos + 4 : pos + alen]))
        elif atype == IFLA_CARRIER:
            carrier = bool(data[pos + 4])
        pos += (alen + 3) & ~3
    return KLink(index, name, flags, mtu, mac, carrier)
