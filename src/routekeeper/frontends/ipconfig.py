"""ipconfig and ipconfig /all (Windows 7 layout, spec §5) over a core `Host`.

Read-only: it never changes the host. Only the display options are modelled; the DHCP and DNS actions
(/release, /renew, /flushdns, ...) have nothing to act on in a simulated host and are refused with
ipconfig's own error and usage text.
"""

from __future__ import annotations

from collections.abc import Iterator

from routekeeper.core.host import Host
from routekeeper.core.values import Address, Interface
from routekeeper.frontends.base import Output
from routekeeper.frontends.render import (
    adapter_order,
    default_routes,
    ip_text,
    lines_text,
    mask_text,
    scoped,
)

# Every label is 35 characters up to its colon, as ipconfig pads them; the value follows one space on.
HOST_NAME = "   Host Name . . . . . . . . . . . . :"
PRIMARY_SUFFIX = "   Primary Dns Suffix  . . . . . . . :"
NODE_TYPE = "   Node Type . . . . . . . . . . . . :"
ROUTING = "   IP Routing Enabled. . . . . . . . :"
WINS_PROXY = "   WINS Proxy Enabled. . . . . . . . :"
AUTOCONFIGURATION = "   Autoconfiguration Enabled . . . . :"
NETBIOS = "   NetBIOS over Tcpip. . . . . . . . :"
MEDIA = "   Media State . . . . . . . . . . . :"
SUFFIX = "   Connection-specific DNS Suffix  . :"
DESCRIPTION = "   Description . . . . . . . . . . . :"
PHYSICAL = "   Physical Address. . . . . . . . . :"
DHCP = "   DHCP Enabled. . . . . . . . . . . :"
IPV6 = "   IPv6 Address. . . . . . . . . . . :"
LINK_LOCAL = "   Link-local IPv6 Address . . . . . :"
IPV4 = "   IPv4 Address. . . . . . . . . . . :"
SUBNET = "   Subnet Mask . . . . . . . . . . . :"
GATEWAY = "   Default Gateway . . . . . . . . . :"
VALUE_COLUMN = len(GATEWAY) + 1
# The block title of each kind of interface; every tunnel kind is a "Tunnel adapter".
ADAPTER_TYPES = {"ethernet": "Ethernet", "wireless": "Wireless LAN", "other": "Unknown"}

# Written for routekeeper after the layout of ipconfig's help; it lists what this ipconfig does.
USAGE = """
USAGE:
    ipconfig [/? | /all]

where
    Options:
       /?           Display this help message
       /all         Display full configuration information.

The default is to display only the IP address, subnet mask and
default gateway for each adapter bound to TCP/IP.

The DHCP and DNS options of Windows' ipconfig (/release, /renew,
/flushdns, /registerdns, /displaydns, /showclassid, /setclassid)
act on services a simulated host does not have and are not available.

Examples:
    > ipconfig                   ... Show information
    > ipconfig /all              ... Show detailed information
"""
ERROR = "\nError: unrecognized or incomplete command line.\n"


def run(host: Host, args: list[str]) -> Output:
    """`ipconfig [/all]`; `/?` prints the help; anything else is ipconfig's error then its usage."""
    options = [a.lower() for a in args]
    if options in ([], ["/all"], ["-all"]):
        return Output(stdout=lines_text(lines(host, full=bool(options))))
    if options in (["/?"], ["-?"]):
        return Output(stdout=USAGE)
    return Output(stderr=ERROR + USAGE, exit=1)


def lines(host: Host, full: bool = False) -> Iterator[str]:
    """The report: a title, with /all the host block, then one block per adapter (the loopback is not
    an adapter here). With /all one empty line follows the title, as in every Windows 7 / Server 2008
    capture; the plain report has two. A simulated host has no DNS suffix, routing or WINS proxy, so
    those lines carry Windows' values for a workgroup host that does not forward."""
    yield ""
    yield "Windows IP Configuration"
    yield ""
    if full:
        yield _field(HOST_NAME, host.name)
        yield _field(PRIMARY_SUFFIX, "")
        yield _field(NODE_TYPE, "Hybrid")
        yield _field(ROUTING, "No")
        yield _field(WINS_PROXY, "No")
    for iface in adapter_order(host):
        if iface.loopback:
            continue
        yield ""
        yield f"{ADAPTER_TYPES.get(iface.kind, 'Tunnel')} adapter {iface.name}:"
        yield ""
        yield from _adapter(host, iface, full)


def _field(label: str, value: str) -> str:
    return f"{label} {value}".rstrip()


def _adapter(host: Host, iface: Interface, full: bool) -> Iterator[str]:
    preferred = "(Preferred)" if full else ""
    if not iface.connected:
        yield _field(MEDIA, "Media disconnected")
    yield _field(SUFFIX, "")
    if full:
        yield _field(DESCRIPTION, iface.description)
        yield _field(PHYSICAL, iface.mac)
        yield _field(DHCP, "Yes" if iface.dhcp else "No")
        yield _field(AUTOCONFIGURATION, "Yes")
    if not iface.connected:
        return
    v6: list[Address] = host.addresses_of(iface.index, 6)
    for a in v6:
        if not a.ip.is_link_local:
            yield _field(IPV6, ip_text(a.ip) + preferred)
    for a in v6:
        if a.ip.is_link_local:
            yield _field(LINK_LOCAL, scoped(a.ip, iface.index) + preferred)
    for a in host.addresses_of(iface.index, 4):
        yield _field(IPV4, ip_text(a.ip) + preferred)
        yield _field(SUBNET, mask_text(a.length))
    gateways = [scoped(r.nexthop, iface.index) for r in default_routes(host, iface.index)]
    yield _field(GATEWAY, gateways[0] if gateways else "")
    for extra in gateways[1:]:
        yield " " * VALUE_COLUMN + extra
    if full and not iface.tunnel:
        yield _field(NETBIOS, "Enabled")
