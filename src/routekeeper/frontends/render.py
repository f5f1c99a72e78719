"""Helpers shared by the Windows front ends (`route`, `netsh`, `ipconfig`).

They hold the conventions the three tools must agree on, so that one host looks the same whichever
tool prints it: which interfaces Windows lists and in what order (spec §3 Decision), how rows sort,
what counts as an interface's default gateway and how an interface is named on a command line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from routekeeper.core.host import Host
from routekeeper.core.values import BITS, IP, Interface, PersistentRoute, Prefix, Route, RouteKey, mask_int
from routekeeper.frontends.glob import Glob

SEPARATOR = "=" * 75
DEFAULT_V4 = Prefix(4, 0, 0)
DEFAULT_V6 = Prefix(6, 0, 0)


def default_prefix(version: int) -> Prefix:
    return DEFAULT_V4 if version == 4 else DEFAULT_V6


# ---------------------------------------------------------------------------------------- addresses
def ip_text(ip: IP) -> str:
    """Textual form of an address. IPv4 is formatted by hand: `route print` of a full internet table
    formats millions of them and `ipaddress` costs several times more per call."""
    if ip.version == 4:
        v = ip.value
        return f"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}"
    return str(ip)


@cache
def mask_text(length: int) -> str:
    """Dotted IPv4 netmask of a prefix length (only 33 exist, so they are cached)."""
    return ip_text(IP(4, mask_int(4, length)))


def scoped(ip: IP, ifindex: int) -> str:
    """An IPv6 link-local address carries its zone, as Windows prints it (`fe80::1%11`)."""
    text = ip_text(ip)
    return f"{text}%{ifindex}" if ip.version == 6 and ip.is_link_local else text


def parse_index(text: str) -> int | None:
    """An interface index as route.exe takes it: decimal, or hexadecimal after `0x`; None otherwise.

    Only ASCII digits count: `str.isdigit` would accept digits `int` then refuses.
    """
    t = text.strip()
    if _DECIMAL.fullmatch(t):
        value = int(t)
    elif _HEX.fullmatch(t):
        value = int(t[2:], 16)
    else:
        return None
    return value if value <= 0xFFFFFFFF else None


_DECIMAL = re.compile(r"[0-9]{1,12}")
_HEX = re.compile(r"0[xX][0-9a-fA-F]{1,10}")


# ---------------------------------------------------------------------------------------- interfaces
def listed_interfaces(host: Host) -> list[Interface]:
    """Interfaces Windows lists in `route print`, `ipconfig` and address blocks: enabled ones only (a
    disabled adapter is unbound from TCP/IP), adapters by ascending index, the loopback last."""
    found = [i for i in host.interfaces.values() if i.enabled]
    return sorted(found, key=lambda i: (i.loopback, i.index))


def by_index(host: Host) -> list[Interface]:
    """Enabled interfaces by ascending index (the order of `netsh ... show interfaces`)."""
    return sorted((i for i in host.interfaces.values() if i.enabled), key=lambda i: i.index)


def find_interface(host: Host, text: str) -> Interface | None:
    """An interface as netsh names it: its alias (case-insensitive) or, failing that, its index."""
    wanted = text.strip().lower()
    for iface in host.interfaces.values():
        if iface.name.lower() == wanted:
            return iface
    index = parse_index(text) if _DECIMAL.fullmatch(text.strip()) else None
    return host.interfaces.get(index) if index is not None else None


def interface_name(host: Host, ifindex: int | None) -> str:
    iface = host.interfaces.get(ifindex) if ifindex is not None else None
    return iface.name if iface is not None else str(ifindex)


# ---------------------------------------------------------------------------------------- routes
class RowOrder:
    """Windows row order (spec §3 Decision): destination, prefix length, interface index with the
    loopback first, then gateway, as one integer per route, and back.

    `route print` sorts these integers rather than the routes and fetches each route again as its row
    is written: a million-route table is then held during the sort as a million small integers, not a
    million Route objects.
    """

    IFBITS = 33  # an interface index (32 bits) plus the bit that puts non-loopbacks after loopbacks

    def __init__(self, host: Host) -> None:
        self.loopbacks = {i.index for i in host.interfaces.values() if i.loopback}

    def key(self, route: Route) -> int:
        bits = BITS[route.prefix.version]
        ifkey = route.ifindex if route.ifindex in self.loopbacks else route.ifindex | 1 << 32
        head = (route.prefix.network << 8 | route.prefix.length) << self.IFBITS | ifkey
        return head << bits | route.nexthop.value

    @staticmethod
    def route_key(version: int, key: int) -> RouteKey:
        """The table key of the route `key` was made from (its prefix, interface and next hop)."""
        bits = BITS[version]
        nexthop = key & ((1 << bits) - 1)
        head = key >> bits
        ifindex = head & ((1 << 32) - 1)
        length = (head >> RowOrder.IFBITS) & 0xFF
        network = head >> (RowOrder.IFBITS + 8)
        return (Prefix(version, network, length), ifindex, IP(version, nexthop))


def persistent_sort_key(p: PersistentRoute) -> tuple[int, int, int, int, int]:
    """Persistent entries in the same order as active rows; unbound entries before bound ones."""
    ifkey = -1 if p.ifindex is None else p.ifindex
    return (p.prefix.version, p.prefix.network, p.prefix.length, ifkey, p.nexthop.value)


def gateway_text(nexthop: IP) -> str:
    return "On-link" if nexthop.is_unspecified else ip_text(nexthop)


def default_routes(host: Host, ifindex: int, version: int | None = None) -> list[Route]:
    """The default gateways of an interface as `ipconfig` and `netsh show addresses` list them: every
    manual default route through a gateway active on it, whoever added it (route.exe or netsh
    gateway=), IPv6 first, then by metric and next hop."""
    found = []
    for v in (6, 4):
        if version is not None and v != version:
            continue
        routes = [
            r
            for r in host.table.with_prefix(default_prefix(v))
            if r.ifindex == ifindex and r.manual and not r.on_link
        ]
        found += sorted(routes, key=lambda r: (r.metric, r.nexthop.value))
    return found


def gateway_nexthops(host: Host, ifindex: int, version: int) -> list[IP]:
    """Next hops of every default gateway an interface has in either store: the active default routes
    on it and the configured (netsh gateway=) ones stored for it. `set address source=static` and
    `delete address gateway=all` remove exactly these."""
    hops = [r.nexthop for r in default_routes(host, ifindex, version)]
    for p in host.persistent.values():
        if p.prefix == default_prefix(version) and p.ifindex == ifindex and p.nexthop not in hops:
            hops.append(p.nexthop)
    return hops


# ---------------------------------------------------------------------------------------- patterns
def compile_pattern(pattern: str) -> Glob:
    """route.exe's destination pattern: `*` any string, `?` one character, anchored at both ends,
    case-insensitive (IPv6 hex digits may be typed either way). Nothing else is special. Matched
    without backtracking (`frontends.glob`): a pattern of many stars cannot stall a command."""
    return Glob.compile(pattern)


def is_pattern(text: str) -> bool:
    return "*" in text or "?" in text


def destination_matches(regex: Glob, prefix: Prefix) -> bool:
    """A pattern is matched against the destination address; an IPv6 one also against `addr/len`, the
    form route.exe prints it in."""
    text = ip_text(prefix.address)
    if regex.fullmatch(text):
        return True
    return prefix.version == 6 and regex.fullmatch(f"{text}/{prefix.length}")


# ---------------------------------------------------------------------------------------- text
def lines_text(lines: Iterable[str]) -> str:
    """Join output lines, each ending in a newline (the Output contract holds whole text)."""
    return "".join(line + "\n" for line in lines)
