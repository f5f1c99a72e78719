"""The hand-written route codec, message for message against pyroute2 and against the kernel."""

from __future__ import annotations

import random
import socket

import pytest
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from routekeeper.core.values import IP, Prefix
from routekeeper.linux import codec
from routekeeper.linux.apply import ipr_for
from routekeeper.linux.nlsock import RtnlSocket

SHAPES = [
    # (prefix, gateway, oif, priority, prefsrc, proto, flags)
    ("10.1.0.0/24", "10.0.0.1", 2, 0, None, 199, 0),
    ("0.0.0.0/0", "10.0.0.1", 3, 100, None, 3, 0),
    ("10.2.0.0/16", None, 2, 5, "10.0.0.2", 199, 0),
    ("10.3.0.0/24", "192.0.2.1", 2, 0, None, 199, codec.RTNH_F_ONLINK),
    ("2001:db8:9::/64", "2001:db8::1", 2, 1024, None, 199, 0),
    ("::/0", "fe80::1", 4, 1024, "2001:db8::5", 4, 0),
    ("2001:db8::/32", None, 2, 256, None, 199, 0),
]


def pyroute2_message(msg_type: int, shape: tuple, seq: int, flags: int) -> bytes:
    prefix, gateway, oif, priority, prefsrc, proto, rflags = shape
    p = Prefix.parse(prefix)
    m = rtmsg()
    m["family"] = socket.AF_INET if p.version == 4 else socket.AF_INET6
    m["dst_len"] = p.length
    m["table"] = codec.RT_TABLE_MAIN
    m["proto"] = proto
    if msg_type == codec.RTM_DELROUTE:
        m["scope"] = 255
    else:
        m["scope"] = codec.RT_SCOPE_UNIVERSE if gateway else codec.RT_SCOPE_LINK
    m["type"] = codec.RTN_UNICAST
    m["flags"] = rflags
    attrs: list[tuple[str, object]] = [("RTA_TABLE", codec.RT_TABLE_MAIN)]
    if p.length:
        attrs.append(("RTA_DST", str(p.address)))
    if gateway:
        attrs.append(("RTA_GATEWAY", gateway))
    attrs += [("RTA_OIF", oif), ("RTA_PRIORITY", priority)]
    if prefsrc:
        attrs.append(("RTA_PREFSRC", prefsrc))
    m["attrs"] = attrs
    m["header"]["type"] = msg_type
    m["header"]["flags"] = flags
    m["header"]["sequence_number"] = seq
    m["header"]["pid"] = 0
    m.encode()
    return bytes(m.data)


def mine(msg_type: int, shape: tuple, seq: int) -> bytes:
    prefix, gateway, oif, priority, prefsrc, proto, rflags = shape
    p = Prefix.parse(prefix)
    return codec.encode_route(
        msg_type, p.version, p.network, p.length,
        gateway=IP.parse(gateway).value if gateway else 0, oif=oif, priority=priority, proto=proto,
        prefsrc=IP.parse(prefsrc).value if prefsrc else None, rtm_flags=rflags, seq=seq,
    )  # fmt: skip


@pytest.mark.parametrize("shape", SHAPES, ids=[s[0] for s in SHAPES])
@pytest.mark.parametrize("msg_type", [codec.RTM_NEWROUTE, codec.RTM_DELROUTE])
def test_kernel_codec_encoder_matches_pyroute2(shape: tuple, msg_type: int) -> None:
    flags = codec.NLM_F_REQUEST | codec.NLM_F_ACK
    if msg_type == codec.RTM_NEWROUTE:
        flags |= codec.NLM_F_CREATE | codec.NLM_F_EXCL
    assert mine(msg_type, shape, 77) == pyroute2_message(msg_type, shape, 77, flags)


PLAIN = [s for s in SHAPES if not s[6]]  # the bulk encoder installs plain routes only


@pytest.mark.parametrize("shape", PLAIN, ids=[s[0] for s in PLAIN])
def test_kernel_codec_bulk_encoder_matches(shape: tuple) -> None:
    prefix, gateway, oif, priority, prefsrc, proto, rflags = shape
    p = Prefix.parse(prefix)
    enc = codec.BulkEncoder(codec.RTM_NEWROUTE, p.version, proto)
    buf = bytearray()
    gw = IP.parse(gateway).value if gateway else 0
    src = IP.parse(prefsrc).value if prefsrc else None
    enc.encode(buf, 9, p.network, p.length, gw, oif, priority, src, ack=True)
    assert bytes(buf) == mine(codec.RTM_NEWROUTE, shape, 9)


@pytest.mark.parametrize("shape", SHAPES, ids=[s[0] for s in SHAPES])
def test_kernel_codec_decoder_matches_pyroute2(shape: tuple) -> None:
    prefix, gateway, oif, priority, prefsrc, proto, rflags = shape
    data = pyroute2_message(codec.RTM_NEWROUTE, shape, 5, codec.NLM_F_REQUEST)
    ((mtype, _f, seq, start, end),) = list(codec.iter_messages(data))
    r = codec.parse_route(data, start, end)
    p = Prefix.parse(prefix)
    assert (mtype, seq) == (codec.RTM_NEWROUTE, 5)
    assert r is not None
    assert (r.version, r.dst, r.dst_len, r.oif, r.priority, r.proto, r.flags) == (
        p.version, p.network, p.length, oif, priority, proto, rflags,
    )  # fmt: skip
    assert r.gateway == (IP.parse(gateway).value if gateway else 0)
    assert r.prefsrc == (IP.parse(prefsrc).value if prefsrc else None)
    # And the other way round: pyroute2 reads what we wrote.
    back = rtmsg(mine(codec.RTM_NEWROUTE, shape, 5))
    back.decode()
    assert back.get_attr("RTA_OIF") == oif and back.get_attr("RTA_PRIORITY") == priority
    assert back.get_attr("RTA_GATEWAY") == (str(IP.parse(gateway)) if gateway else None)


def test_kernel_codec_against_the_kernel(pair) -> None:  # type: ignore[no-untyped-def]
    """Routes installed by the codec are what pyroute2 reads back, and vice versa; failures are
    reported per message (sequence number) in a batch."""
    lab, ns, _peer = pair
    ipr = ipr_for(ns)
    try:
        idx = ipr.link_lookup(ifname="va0")[0]
        ipr.addr("add", index=idx, address="10.0.0.2", prefixlen=24)
        ipr.addr("add", index=idx, address="2001:db8::5", prefixlen=64, flags=0x02)
        rng = random.Random(7)
        v4 = sorted({(10 << 24 | rng.randrange(1 << 16) << 8, 24) for _ in range(3000)})
        with RtnlSocket(ns) as s:
            enc = codec.BulkEncoder(codec.RTM_NEWROUTE, 4, 199)
            buf = bytearray()
            for n, (net, length) in enumerate(v4):
                enc.encode(
                    buf, 1000 + n, net, length, IP.parse("10.0.0.1").value, idx, 7, ack=n == len(v4) - 1
                )
            # Two duplicates at the end: the kernel must name exactly them.
            enc.encode(buf, 9000, v4[0][0], 24, IP.parse("10.0.0.1").value, idx, 7)
            enc.encode(buf, 9001, v4[1][0], 24, IP.parse("10.0.0.1").value, idx, 7, ack=True)
            assert s.send_bulk(buf, 9001) == {9000: 17, 9001: 17}
            theirs = {
                (r.get_attr("RTA_DST"), r["dst_len"], r.get_attr("RTA_GATEWAY"), r.get_attr("RTA_OIF"))
                for r in ipr.get_routes(family=socket.AF_INET, table=254)
                if r["proto"] == 199
            }
            assert theirs == {(str(IP(4, net)), 24, "10.0.0.1", idx) for net, _ in v4}
            # pyroute2 writes, we read: all fields pyroute2 sees must match ours.
            ipr.route("add", dst="10.200.0.0/16", gateway="10.0.0.1", oif=idx, priority=9, proto=4)
            ipr.route("add", dst="10.201.0.0/16", oif=idx, prefsrc="10.0.0.2", proto=4)
            ipr.route("add", dst="2001:db8:9::/64", gateway="2001:db8::1", oif=idx, proto=4)
            ipr.route(
                "add", dst="2001:db8:a::/64", gateway="fe80::1", oif=idx, prefsrc="2001:db8::5", proto=4
            )
            for family in (socket.AF_INET, socket.AF_INET6):
                version = 4 if family == socket.AF_INET else 6
                expected = sorted(
                    (
                        r.get_attr("RTA_DST") or ("0.0.0.0" if version == 4 else "::"),
                        r["dst_len"],
                        r.get_attr("RTA_OIF"),
                        r.get_attr("RTA_GATEWAY") or ("0.0.0.0" if version == 4 else "::"),
                        r.get_attr("RTA_PRIORITY") or 0,
                        r.get_attr("RTA_TABLE"),
                        r["proto"],
                        r["scope"],
                        r["type"],
                        r.get_attr("RTA_PREFSRC"),
                    )
                    for r in ipr.get_routes(family=family, table=254)
                )
                got = sorted(
                    (
                        str(IP(version, r.dst)),
                        r.dst_len,
                        r.oif,
                        str(IP(version, r.gateway)),
                        r.priority,
                        r.table,
                        r.proto,
                        r.scope,
                        r.type,
                        str(IP(version, r.prefsrc)) if r.prefsrc is not None else None,
                    )
                    for r in s.routes(version=version, table=254)
                )
                assert got == expected
    finally:
        ipr.close()
