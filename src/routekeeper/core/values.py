"""Immutable values the whole core speaks in: IP addresses, prefixes, interfaces, routes.

Addresses are kept as (version, integer) rather than `ipaddress` objects: they sort across families,
hash cheaply and cost a fraction of the memory, which matters once a table holds a million routes.
Parsing and printing still go through `ipaddress`, so the textual forms are the standard ones.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from enum import Enum

BITS = {4: 32, 6: 128}


class ValueParseError(ValueError):
    """Text that is not a valid address, prefix or mask."""


@dataclass(frozen=True, slots=True, order=True)
class IP:
    """One IPv4 or IPv6 address."""

    version: int
    value: int

    @classmethod
    def parse(cls, text: str) -> IP:
        try:
            a = ipaddress.ip_address(text.strip())
        except ValueError as exc:
            raise ValueParseError(f"not an IP address: {text!r}") from exc
        return cls(a.version, int(a))

    @classmethod
    def v4(cls, text: str) -> IP:
        ip = cls.parse(text)
        if ip.version != 4:
            raise ValueParseError(f"not an IPv4 address: {text!r}")
        return ip

    @property
    def bits(self) -> int:
        return BITS[self.version]

    @property
    def is_unspecified(self) -> bool:
        return self.value == 0

    @property
    def is_link_local(self) -> bool:
        if self.version == 6:
            return self.value >> 118 == 0x3FA  # fe80::/10
        return self.value >> 16 == 0xA9FE  # 169.254.0.0/16

    def __str__(self) -> str:
        if self.version == 4:
            return str(ipaddress.IPv4Address(self.value))
        return str(ipaddress.IPv6Address(self.value))

    def __repr__(self) -> str:
        return f"IP({self})"


def unspecified(version: int) -> IP:
    """The on-link next hop of a family: 0.0.0.0 or ::."""
    return IP(version, 0)


def mask_int(version: int, length: int) -> int:
    bits = BITS[version]
    return ((1 << bits) - 1) ^ ((1 << (bits - length)) - 1)


def mask_length(mask: IP) -> int:
    """Prefix length of a contiguous netmask; raises for a non-contiguous one."""
    bits = mask.bits
    inverted = ((1 << bits) - 1) ^ mask.value
    if inverted & (inverted + 1):
        raise ValueParseError(f"not a contiguous netmask: {mask}")
    return bits - inverted.bit_length()


@dataclass(frozen=True, slots=True, order=True)
class Prefix:
    """A destination: network address and length. Host bits are always zero."""

    version: int
    network: int
    length: int

    def __post_init__(self) -> None:
        if not 0 <= self.length <= BITS[self.version]:
            raise ValueParseError(f"prefix length {self.length} out of range")
        if self.network & ~mask_int(self.version, self.length):
            raise ValueParseError("host bits set in prefix")

    @classmethod
    def parse(cls, text: str) -> Prefix:
        """`a.b.c.d/len`, `x::/len`, or a bare address (a host prefix). Strict about host bits."""
        text = text.strip()
        try:
            net = ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            raise ValueParseError(f"not a prefix: {text!r}") from exc
        return cls(net.version, int(net.network_address), net.prefixlen)

    @classmethod
    def of(cls, ip: IP, length: int) -> Prefix:
        """The prefix of `length` bits containing `ip` (host bits cleared)."""
        return cls(ip.version, ip.value & mask_int(ip.version, length), length)

    @classmethod
    def host(cls, ip: IP) -> Prefix:
        return cls(ip.version, ip.value, ip.bits)

    @property
    def bits(self) -> int:
        return BITS[self.version]

    @property
    def address(self) -> IP:
        return IP(self.version, self.network)

    @property
    def mask(self) -> IP:
        return IP(self.version, mask_int(self.version, self.length))

    @property
    def broadcast(self) -> IP:
        return IP(self.version, self.network | ((1 << (self.bits - self.length)) - 1))

    def contains(self, ip: IP) -> bool:
        return ip.version == self.version and ip.value & mask_int(self.version, self.length) == self.network

    def covers(self, other: Prefix) -> bool:
        """True if `other` lies inside this prefix."""
        return other.length >= self.length and self.contains(other.address)

    def __str__(self) -> str:
        return f"{self.address}/{self.length}"

    def __repr__(self) -> str:
        return f"Prefix({self})"


def link_speed_metric(speed_bps: int) -> int:
    """Automatic interface metric by link speed (the XP SP2 .. Windows 7 table, KB 299540)."""
    if speed_bps >= 2_000_000_000:
        return 5
    if speed_bps > 200_000_000:
        return 10
    if speed_bps > 80_000_000:
        return 20
    if speed_bps > 20_000_000:
        return 25
    if speed_bps > 4_000_000:
        return 30
    if speed_bps > 500_000:
        return 40
    return 50


LOOPBACK_INDEX = 1

# Kinds of interface. `ethernet`, `wireless` (ipconfig's "Wireless LAN adapter") and `other` (its
# "Unknown adapter": VPN drivers and the like) behave alike. Tunnel adapters (Windows 7's ISATAP, Teredo
# and 6to4 pseudo-interfaces) carry IPv6 only, have an 8-byte physical address and no EUI-64 link-local
# address of their own.
ETHERNET = "ethernet"
TUNNEL_KINDS = ("isatap", "teredo", "6to4")
INTERFACE_KINDS = (ETHERNET, "wireless", "other", *TUNNEL_KINDS)


@dataclass(frozen=True, slots=True)
class Interface:
    """A network adapter. `metric` None means automatic (derived from speed)."""

    index: int
    name: str
    description: str = ""
    mac: str = ""
    speed: int = 1_000_000_000
    connected: bool = True
    enabled: bool = True
    metric: int | None = None
    mtu: int = 1500
    loopback: bool = False
    promote_secondaries: bool = False
    dhcp: bool = False
    kind: str = ETHERNET
    # The link-local address the interface was given (Windows 7 draws a random identifier); None keeps
    # the modified EUI-64 one derived from the MAC.
    given_link_local: IP | None = None

    @property
    def tunnel(self) -> bool:
        return self.kind in TUNNEL_KINDS

    @property
    def effective_metric(self) -> int:
        if self.metric is not None:
            return self.metric
        if self.loopback:
            return 50
        return link_speed_metric(self.speed)

    @property
    def up(self) -> bool:
        """Usable for forwarding: administratively enabled and with carrier."""
        return self.enabled and self.connected

    def with_(self, **changes: object) -> Interface:
        return replace(self, **changes)

    def link_local(self) -> IP | None:
        """The address given, else fe80::/64 + modified EUI-64 of the MAC; None without a MAC and for
        a tunnel adapter (its link-local address depends on an IPv4 address it does not have)."""
        if self.given_link_local is not None:
            return self.given_link_local
        if not self.mac or self.tunnel:
            return None
        octets = [int(part, 16) for part in self.mac.replace(":", "-").split("-")]
        eui = octets[:3] + [0xFF, 0xFE] + octets[3:]
        eui[0] ^= 0x02
        return IP(6, (0xFE80 << 112) | int.from_bytes(bytes(eui), "big"))


def parse_mac(text: str, octets: int = 6) -> str:
    """Normalise a physical address to the Windows form AA-BB-CC-DD-EE-FF (8 octets for a tunnel)."""
    parts = text.strip().replace(":", "-").split("-")
    if len(parts) != octets or not all(len(p) == 2 for p in parts):
        raise ValueParseError(f"not a MAC address: {text!r}")
    try:
        values = [int(p, 16) for p in parts]
    except ValueError as exc:
        raise ValueParseError(f"not a MAC address: {text!r}") from exc
    return "-".join(f"{o:02X}" for o in values)


class AddressStore(Enum):
    """Where an address lives: `active` addresses vanish at reboot, `persistent` ones come back."""

    ACTIVE = "active"
    PERSISTENT = "persistent"


@dataclass(frozen=True, slots=True)
class Address:
    """A unicast address bound to an interface.

    `order` is its place among its interface's addresses, as its profile numbers them (the order they
    were added in on Windows; the kernel's list order on Linux): the first usable one of a family is a
    route's source, so a host rebuilt from stored addresses sorts them by it.
    """

    ip: IP
    length: int
    ifindex: int
    order: int = 0
    skipassource: bool = False
    store: AddressStore = AddressStore.PERSISTENT

    @property
    def prefix(self) -> Prefix:
        return Prefix.of(self.ip, self.length)

    def __str__(self) -> str:
        return f"{self.ip}/{self.length}"


class Origin(Enum):
    """Who made a route: derived from an address (system), added by hand, or a configured gateway."""

    SYSTEM = "system"
    MANUAL = "manual"
    GATEWAY = "gateway"


RouteKey = tuple[Prefix, int, IP]


@dataclass(frozen=True, slots=True)
class Route:
    """An entry of the active table, keyed by (prefix, interface, next hop).

    `bound` records whether the administrator named the interface (IF n, interface=): unbound
    persistent routes are the ones the pre-hotfix stack withdraws on any address removal.
    `persistent` marks a route that also has a copy in the persistent store.
    """

    prefix: Prefix
    ifindex: int
    nexthop: IP
    metric: int = 1
    origin: Origin = Origin.MANUAL
    bound: bool = False
    persistent: bool = False
    prefsrc: IP | None = None
    onlink_flag: bool = False
    kind: str = "unicast"

    @property
    def key(self) -> RouteKey:
        return (self.prefix, self.ifindex, self.nexthop)

    @property
    def on_link(self) -> bool:
        return self.nexthop.is_unspecified

    @property
    def manual(self) -> bool:
        return self.origin is not Origin.SYSTEM

    def with_(self, **changes: object) -> Route:
        return replace(self, **changes)

    def describe(self) -> str:
        via = "on-link" if self.on_link else f"via {self.nexthop}"
        return f"{self.prefix} {via} on interface {self.ifindex}"


@dataclass(frozen=True, slots=True)
class PersistentRoute:
    """An entry of the persistent store: what survives reboot.

    `ifindex` None means unbound: the stack picks the interface on which the next hop is on-link.
    """

    prefix: Prefix
    nexthop: IP
    metric: int = 1
    ifindex: int | None = None
    origin: Origin = Origin.MANUAL

    @property
    def key(self) -> tuple[Prefix, IP, int | None]:
        return (self.prefix, self.nexthop, self.ifindex)

    @property
    def key_sort(self) -> tuple[int, Prefix, IP, int]:
        return (self.prefix.version, self.prefix, self.nexthop, -1 if self.ifindex is None else self.ifindex)

    def describe(self) -> str:
        via = "on-link" if self.nexthop.is_unspecified else f"via {self.nexthop}"
        where = f" on interface {self.ifindex}" if self.ifindex is not None else ""
        return f"{self.prefix} {via}{where}"
