"""`netsh interface ipv4|ipv6` (Windows 7) over a core `Host`: addresses, routes, interface settings
(metric, MTU) and the show views of spec §4.

netsh resolves every word of a command by prefix, taking the first of its siblings, in netsh's own
(alphabetical) table order, that the word begins: `netsh i i sh con` is `interface ipv4 show config`, as
on Windows. Tags and enumerated values take their shortest unambiguous prefix (`st=ac`; `s=` is
ambiguous). That only works if the siblings are the real ones, so the tables below list every command of
each netsh context of Windows 7, modelled or not: a command that exists but is not modelled says so
instead of pretending the word is unknown. `/?`, `?` or `help` after any command prints netsh's help for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from routekeeper.core import operations as op
from routekeeper.core.batch import apply_all
from routekeeper.core.host import Host
from routekeeper.core.numbers import ascii_int
from routekeeper.core.operations import RefusalCode, Refused
from routekeeper.core.profiles.base import LIMITED_BROADCAST, MULTICAST_V4
from routekeeper.core.values import (
    IP,
    AddressStore,
    Interface,
    Origin,
    Prefix,
    Route,
    ValueParseError,
    unspecified,
)
from routekeeper.core.values import mask_length as contiguous_length
from routekeeper.frontends import netsh_help
from routekeeper.frontends.base import Output
from routekeeper.frontends.render import (
    RowOrder,
    adapter_order,
    added_order,
    default_prefix,
    default_routes,
    find_interface,
    gateway_nexthops,
    interface_name,
    ip_text,
    ipv4_interfaces,
    lines_text,
    mask_text,
    scoped,
)

SYNTAX = "The syntax supplied for this command is not valid. Check help for the correct syntax."
NO_INTERFACE = "The filename, directory name, or volume label syntax is incorrect."
EXISTS = "The object already exists."
NOT_FOUND = "Element not found."
INVALID = "The parameter is incorrect."
NOT_SUPPORTED = "The requested operation is not supported."
TEXTS = {
    RefusalCode.EXISTS: EXISTS,
    RefusalCode.NOT_FOUND: NOT_FOUND,
    RefusalCode.NO_INTERFACE: NO_INTERFACE,
}
OK = "Ok.\n"
SYSTEM_ROUTE_METRIC = 256

# ------------------------------------------------------------------------------ the command tree
TOP = (
    "?", "add", "advfirewall", "branchcache", "bridge", "delete", "dhcpclient", "dnsclient", "dump",
    "exec", "firewall", "help", "http", "interface", "ipsec", "lan", "mbn", "namespace", "nap", "netio",
    "p2p", "ras", "rpc", "set", "show", "trace", "wcn", "wfp", "winhttp", "winsock", "wlan",
)  # fmt: skip
INTERFACE_CONTEXT = (
    "?", "6to4", "add", "delete", "dump", "help", "httpstunnel", "ipv4", "ipv6", "isatap", "portproxy",
    "set", "show", "tcp", "teredo",
)  # fmt: skip
VERBS = {
    4: ("?", "add", "delete", "dump", "help", "install", "reset", "set", "show", "uninstall"),
    6: ("?", "add", "delete", "dump", "help", "install", "renew", "reset", "set", "show", "uninstall"),
}
NOUNS = {
    (4, "add"): ("address", "dnsservers", "excludedportrange", "neighbors", "route", "winsservers"),
    (4, "delete"): (
        "address", "arpcache", "destinationcache", "dnsservers", "excludedportrange", "neighbors",
        "route", "winsservers",
    ),
    (4, "set"): (
        "address", "compartment", "dnsservers", "dynamicportrange", "global", "interface", "neighbors",
        "route", "subinterface", "winsservers",
    ),
    (4, "show"): (
        "addresses", "compartments", "config", "destinationcache", "dnsservers", "dynamicportrange",
        "excludedportrange", "global", "icmpstats", "interfaces", "ipaddresses", "ipnettomedia", "ipstats",
        "joins", "neighbors", "offload", "route", "subinterfaces", "tcpconnections", "tcpstats",
        "udpconnections", "udpstats", "winsservers",
    ),
    (6, "add"): (
        "address", "dnsservers", "excludedportrange", "neighbors", "potentialrouter", "prefixpolicy",
        "route", "v6v4tunnel",
    ),
    (6, "delete"): (
        "address", "destinationcache", "dnsservers", "excludedportrange", "neighbors", "potentialrouter",
        "prefixpolicy", "route",
    ),
    (6, "set"): (
        "address", "compartment", "dnsservers", "dynamicportrange", "global", "interface", "neighbors",
        "prefixpolicy", "privacy", "route", "subinterface", "teredo",
    ),
    (6, "show"): (
        "addresses", "compartments", "destinationcache", "dnsservers", "dynamicportrange",
        "excludedportrange", "global", "interfaces", "ipstats", "joins", "neighbors", "offload",
        "potentialrouters", "prefixpolicies", "privacy", "route", "siteprefixes", "subinterfaces",
        "tcpstats", "teredo", "udpstats",
    ),
}  # fmt: skip

# Tags of each modelled command, in positional order. The interface is `name=` in the ipv4 context and
# `interface=` in the ipv6 one, as on Windows; the other spelling is accepted as an exact alias.
LIFETIMES = ("validlifetime", "preferredlifetime")
ROUTE_TAGS = ("prefix", "interface", "nexthop", "siteprefixlength", "metric", "publish", *LIFETIMES, "store")
# `set interface`, the same in both contexts, in the order of the published command reference (which lists
# the later Windows' ecncapability, rabaseddnsconfig, dhcpstaticipcoexistence too, left out here as
# not in Windows 7, and omits metric, placed after siteprefixlength). Only the metric, the MTU and the
# store are modelled; the other tags are real, so they abbreviate and fill positions as on Windows, and
# answer "not supported" (after their enumerated values are checked).
SET_INTERFACE_TAGS = (
    "interface", "forwarding", "advertise", "mtu", "siteprefixlength", "metric", "nud",
    "basereachabletime", "retransmittime", "dadtransmits", "routerdiscovery", "managedaddress",
    "otherstateful", "weakhostsend", "weakhostreceive", "ignoredefaultroutes", "advertisedrouterlifetime",
    "advertisedefaultroute", "currenthoplimit", "store", "forcearpndwolpattern",
    "enabledirectedmacwolpattern",
)  # fmt: skip
SET_INTERFACE_MODELLED = ("interface", "mtu", "metric", "store")
SWITCH = ("enabled", "disabled")
SET_INTERFACE_CHOICES = {
    **dict.fromkeys(
        ("forwarding", "advertise", "nud", "managedaddress", "otherstateful", "weakhostsend",
         "weakhostreceive", "ignoredefaultroutes", "advertisedefaultroute", "forcearpndwolpattern",
         "enabledirectedmacwolpattern"),
        SWITCH,
    ),
    "routerdiscovery": ("enabled", "disabled", "dhcp"),
}  # fmt: skip
INTERFACE_METRIC = (1, 9999)
MTU_RANGE = {4: (576, 65535), 6: (1280, 65535)}
TAGS: dict[tuple[int, str, str], tuple[str, ...]] = {
    (4, "add", "address"): (
        "name", "address", "mask", "gateway", "gwmetric", "type", *LIFETIMES, "store", "skipassource",
    ),
    (6, "add", "address"): (
        "interface", "address", "type", *LIFETIMES, "store", "skipassource", "gateway", "gwmetric",
    ),
    (4, "delete", "address"): ("name", "address", "gateway", "store"),
    (6, "delete", "address"): ("interface", "address", "store", "gateway"),
    (4, "set", "address"): (
        "name", "source", "address", "mask", "gateway", "gwmetric", "type", "subinterface", "store",
    ),
    (6, "set", "address"): ("interface", "source", "address", "gateway", "gwmetric", "type", "store"),
    (4, "add", "route"): ROUTE_TAGS,
    (6, "add", "route"): ROUTE_TAGS,
    (4, "set", "route"): ROUTE_TAGS,
    (6, "set", "route"): ROUTE_TAGS,
    (4, "delete", "route"): ("prefix", "interface", "nexthop", "store"),
    (6, "delete", "route"): ("prefix", "interface", "nexthop", "store"),
    (4, "set", "interface"): SET_INTERFACE_TAGS,
    (6, "set", "interface"): SET_INTERFACE_TAGS,
    (4, "show", "interfaces"): ("interface", "level"),
    (6, "show", "interfaces"): ("interface", "level"),
    (4, "show", "addresses"): ("name",),
    (6, "show", "addresses"): ("interface", "level"),
    (4, "show", "config"): ("name",),
    (4, "show", "ipaddresses"): ("interface", "level"),
    (4, "show", "route"): ("level", "store"),
    (6, "show", "route"): ("level", "store"),
}  # fmt: skip
ALIASES = {"name": "interface", "interface": "name"}
LIFETIME_MAX = 2**32 - 1  # seconds: a DWORD (0xffffffff is `infinite`)

VALUE_COLUMN = 38
INTERFACES_HEADER = (
    "Idx     Met         MTU          State                Name",
    "---  ----------  ----------  ------------  ---------------------------",
)
ROUTE_HEADER = (
    "Publish  Type      Met  Prefix                    Idx  Gateway/Interface Name",
    "-------  --------  ---  ------------------------  ---  ------------------------",
)
ADDRESS_TABLE_HEADER = (
    "Addr Type  DAD State   Valid Life Pref. Life Address",
    "---------  ----------- ---------- ---------- ------------------------",
)


class NetshError(Exception):
    """A command netsh refuses; `text` is the system message it prints."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def resolve_command(word: str, choices: tuple[str, ...]) -> str | None:
    """netsh's rule for command words: an exact name, else the first name (in table order) the word
    begins. `i` is `interface` at the top, `ipv4` in the interface context."""
    w = word.lower()
    if not w:
        return None
    if w in choices:
        return w
    return next((c for c in choices if c.startswith(w)), None)


def resolve(word: str, choices: tuple[str, ...]) -> str | None:
    """netsh's abbreviation rule: an exact name, else the only name the word is a prefix of."""
    w = word.lower()
    if not w:
        return None
    if w in choices:
        return w
    found = [c for c in choices if c.startswith(w)]
    return found[0] if len(found) == 1 else None


# ------------------------------------------------------------------------------ entry point
def run(host: Host, args: list[str]) -> Output:
    """`netsh interface ipv4|ipv6 VERB NOUN args`; exit 1 with netsh's message on any error. A help
    request (`/?`, `?`, `help`) anywhere prints the help of the command before it and acts on nothing."""
    help_at = next((n for n, a in enumerate(args) if a.lower() in HELP_WORDS), None)
    if help_at is not None:
        return _help(args[:help_at])
    try:
        family, verb, noun, rest = _command(args)
        values = parse_tags(rest, TAGS[(family, verb, noun)])
        text = HANDLERS[(verb, noun)](host, family, values)
    except NetshError as exc:
        return Output(stderr=exc.text + "\n\n", exit=1)
    except Refused as exc:
        return Output(stderr=TEXTS.get(exc.code, INVALID) + "\n\n", exit=1)
    return Output(stdout=text)


HELP_WORDS = ("/?", "-?", "?", "help", "/help", "-help", "/h", "-h")


def _help(words: list[str]) -> Output:
    """The help of the context or command `words` name (resolved as commands are); a word that names
    nothing is netsh's "not found"."""
    path: list[str] = []
    for n, word in enumerate(words):
        if n == 4:  # a command's own arguments before `/?` do not change whose help it is
            break
        if n == 0:
            found = resolve_command(word, TOP)
        elif n == 1 and path == ["interface"]:
            found = resolve_command(word, INTERFACE_CONTEXT)
        elif n == 2 and path[1] in ("ipv4", "ipv6"):
            found = resolve_command(word, VERBS[4 if path[1] == "ipv4" else 6])
        elif n == 3 and path[1] in ("ipv4", "ipv6"):
            family = 4 if path[1] == "ipv4" else 6
            found = resolve_command(word, NOUNS.get((family, path[2]), ()))
        else:
            found = None
        if found is None:
            return Output(stderr=f"The following command was not found: {' '.join(words)}.\n\n", exit=1)
        path.append(found)
    return Output(stdout=netsh_help.text(path, TOP, INTERFACE_CONTEXT, VERBS, NOUNS, TAGS))


def _command(args: list[str]) -> tuple[int, str, str, list[str]]:
    """Resolve `interface ipv4 show addresses` (abbreviated or not) to (4, "show", "addresses")."""
    not_found = NetshError(f"The following command was not found: {' '.join(args)}.")
    if not args:
        raise NetshError(SYNTAX)
    context = resolve_command(args[0], TOP)
    if context is None:
        raise not_found
    if context != "interface":
        raise NetshError(NOT_SUPPORTED)
    if len(args) < 2:
        raise not_found
    sub = resolve_command(args[1], INTERFACE_CONTEXT)
    if sub is None:
        raise not_found
    if sub not in ("ipv4", "ipv6"):
        raise NetshError(NOT_SUPPORTED)
    family = 4 if sub == "ipv4" else 6
    verb = resolve_command(args[2], VERBS[family]) if len(args) > 2 else None
    if verb is None:
        raise not_found
    if (family, verb) not in NOUNS:
        raise NetshError(NOT_SUPPORTED)
    noun = resolve_command(args[3], NOUNS[(family, verb)]) if len(args) > 3 else None
    if noun is None:
        raise not_found
    if (family, verb, noun) not in TAGS:
        raise NetshError(NOT_SUPPORTED)
    return family, verb, noun, args[4:]


def parse_tags(words: list[str], tags: tuple[str, ...]) -> dict[str, str]:
    """`tag=value` (tag abbreviated) or a bare value, which fills the first tag not given yet, in the
    command's order. Unknown, ambiguous, repeated or empty tags and surplus values are syntax errors."""
    values: dict[str, str] = {}
    for word in words:
        tag, sep, value = word.partition("=")
        if sep:
            alias = ALIASES.get(tag.lower())
            name = alias if alias in tags and tag.lower() not in tags else resolve(tag, tags)
            if name is None or name in values or not value:
                raise NetshError(SYNTAX)
            values[name] = value
            continue
        free = next((t for t in tags if t not in values), None)
        if free is None:
            raise NetshError(SYNTAX)
        values[free] = word
    return values


# ------------------------------------------------------------------------------ values
def _choice(values: dict[str, str], tag: str, choices: tuple[str, ...], default: str) -> str:
    if tag not in values:
        return default
    found = resolve(values[tag], choices)
    if found is None:
        raise NetshError(SYNTAX)
    return found


def _interface(host: Host, values: dict[str, str], tag: str) -> Interface:
    if tag not in values:
        raise NetshError(SYNTAX)
    iface = find_interface(host, values[tag])
    if iface is None:
        raise NetshError(NO_INTERFACE)
    return iface


def _ip(text: str, family: int, iface: Interface | None = None) -> IP:
    """An address of the family. A zone (`fe80::1%12`) is taken only on an IPv6 address where an
    interface is named, and must be that interface's index."""
    text, sep, zone = text.partition("%")
    try:
        ip = IP.parse(text)
    except ValueParseError:
        raise NetshError(INVALID) from None
    if ip.version != family:
        raise NetshError(INVALID)
    if sep and (family != 6 or iface is None or not (zone.isascii() and zone.isdigit())):
        raise NetshError(INVALID)
    if sep and int(zone) != iface.index:  # type: ignore[union-attr]
        raise NetshError(INVALID)
    return ip


def _unicast_address(ip: IP, length: int) -> None:
    """An interface address must be unicast: not multicast, not the limited broadcast, not unspecified,
    and (IPv4 below /31) neither its subnet's network nor its broadcast address. Windows refuses these
    with ERROR_INVALID_PARAMETER (CreateUnicastIpAddressEntry)."""
    prefix = Prefix.of(ip, length)
    if ip.is_unspecified or ip.version == 6 and ip.value >> 120 == 0xFF:
        raise NetshError(INVALID)
    if ip.version == 4:
        if MULTICAST_V4.contains(ip) or ip == LIMITED_BROADCAST.address:
            raise NetshError(INVALID)
        if length < 31 and ip in (prefix.address, prefix.broadcast):
            raise NetshError(INVALID)


def _number(values: dict[str, str], tag: str, low: int, high: int) -> int | None:
    if tag not in values:
        return None
    number = ascii_int(values[tag], high)
    if number is None or number < low:
        raise NetshError(INVALID)
    return number


def _check_lifetimes(values: dict[str, str]) -> None:
    """Lifetimes are checked (`infinite` or seconds) but not modelled: addresses and routes live on."""
    for tag in LIFETIMES:
        value = values.get(tag)
        if (
            value is not None
            and resolve(value, ("infinite",)) is None
            and ascii_int(value, LIFETIME_MAX) is None
        ):
            raise NetshError(SYNTAX)


def _address(values: dict[str, str], family: int) -> tuple[IP, int]:
    """`address=ip/len`, or `address=ip mask=m` (IPv4); IPv6 without a length is a /64."""
    if "address" not in values:
        raise NetshError(SYNTAX)
    text = values["address"]
    if "/" in text:
        if "mask" in values:
            raise NetshError(SYNTAX)
        addr, _, length = text.partition("/")
        ip = _ip(addr, family)
        given = ascii_int(length, ip.bits)
        if given is None:
            raise NetshError(INVALID)
        return ip, given
    ip = _ip(text, family)
    if family == 6:
        return ip, 64
    if "mask" not in values:
        raise NetshError(SYNTAX)
    mask = _ip(values["mask"], 4)
    try:
        return ip, contiguous_length(mask)
    except ValueParseError:
        raise NetshError(INVALID) from None


def _route_prefix(values: dict[str, str], family: int) -> Prefix:
    if "prefix" not in values:
        raise NetshError(SYNTAX)
    text = values["prefix"]
    addr, sep, length = text.partition("/")
    ip = _ip(addr, family)
    if not sep:
        return Prefix.host(ip)
    given = ascii_int(length, ip.bits)
    if given is None:
        raise NetshError(INVALID)
    try:
        return Prefix(family, ip.value, given)
    except ValueParseError:
        raise NetshError(INVALID) from None


def _store(values: dict[str, str], default: str = "persistent") -> str:
    return _choice(values, "store", ("active", "persistent"), default)


def _unicast(values: dict[str, str]) -> None:
    if _choice(values, "type", ("unicast", "anycast"), "unicast") != "unicast":
        raise NetshError(NOT_SUPPORTED)


def _gateway_route(iface: Interface, family: int, gateway: IP, metric: int | None, store: str) -> op.AddRoute:
    """A configured default gateway: a manual default route bound to its interface, in both stores
    unless the address it comes with is active-only (spec §2)."""
    return op.AddRoute(
        default_prefix(family),
        gateway,
        ifindex=iface.index,
        metric=SYSTEM_ROUTE_METRIC if metric is None else metric,
        persistent=store == "persistent",
        origin=Origin.GATEWAY,
    )


def _remove_gateways(
    iface: Interface, family: int, hops: list[IP], store: str | None
) -> list[op.DeleteRoute]:
    active = store in (None, "active")
    persistent = store in (None, "persistent")
    return [
        op.DeleteRoute(default_prefix(family), hop, iface.index, active=active, persistent=persistent)
        for hop in hops
    ]


def _static_addresses(host: Host, iface: Interface, family: int) -> list[op.DeleteAddress]:
    """Addresses `set address` replaces: all of the family but the IPv6 link-local ones, which are the
    stack's own."""
    return [
        op.DeleteAddress(iface.index, a.ip)
        for a in host.addresses_of(iface.index, family)
        if not (family == 6 and a.ip.is_link_local)
    ]


# ------------------------------------------------------------------------------ address commands
def add_address(host: Host, family: int, values: dict[str, str]) -> str:
    iface = _interface(host, values, _iface_tag(family))
    ip, length = _address(values, family)
    _unicast_address(ip, length)
    _unicast(values)
    _check_lifetimes(values)
    store = _store(values)
    skip = _choice(values, "skipassource", ("true", "false"), "false") == "true"
    kind = AddressStore.PERSISTENT if store == "persistent" else AddressStore.ACTIVE
    ops: list[op.Operation] = [op.AddAddress(iface.index, ip, length, skipassource=skip, store=kind)]
    if "gateway" in values:
        metric = _number(values, "gwmetric", 0, 9999)
        ops.append(_gateway_route(iface, family, _ip(values["gateway"], family, iface), metric, store))
    elif "gwmetric" in values:
        raise NetshError(SYNTAX)
    if iface.dhcp:
        ops.append(op.SetInterface(iface.index, dhcp=False))
    apply_all(host, ops)
    return ""


def delete_address(host: Host, family: int, values: dict[str, str]) -> str:
    """Gateways go before the address: once the address is gone a pre-hotfix stack has already
    dropped an active-only gateway route and deleting it would fail."""
    iface = _interface(host, values, _iface_tag(family))
    if "address" not in values and "gateway" not in values:
        raise NetshError(SYNTAX)
    store = _store(values, "") or None
    ops: list[op.Operation] = []
    if "gateway" in values:
        if values["gateway"].lower() == "all":
            hops = gateway_nexthops(host, iface.index, family)
            if not hops and "address" not in values:
                raise NetshError(NOT_FOUND)
        else:
            hops = [_ip(values["gateway"], family, iface)]
        ops += _remove_gateways(iface, family, hops, store)
    if "address" in values:
        ops.append(op.DeleteAddress(iface.index, _ip(values["address"].partition("/")[0], family)))
    apply_all(host, ops)
    return ""


def set_address(host: Host, family: int, values: dict[str, str]) -> str:
    """`source=static` (or an address without source=) replaces every static address and gateway of
    the family; `source=dhcp` removes them and turns DHCP on; a gateway alone replaces the gateways."""
    iface = _interface(host, values, _iface_tag(family))
    source = _choice(values, "source", ("dhcp", "static"), "")
    _unicast(values)
    store = _store(values)
    gateway_text = values.get("gateway")
    if gateway_text is None and "gwmetric" in values:
        raise NetshError(SYNTAX)
    gateway = None
    if gateway_text is not None and gateway_text.lower() != "none":
        gateway = _ip(gateway_text, family, iface)
    metric = _number(values, "gwmetric", 0, 9999)
    old_gateways = _remove_gateways(iface, family, gateway_nexthops(host, iface.index, family), None)
    ops: list[op.Operation]
    if source == "dhcp":
        if "address" in values or "mask" in values or gateway_text is not None:
            raise NetshError(SYNTAX)
        ops = [*old_gateways, *_static_addresses(host, iface, family)]
        if not iface.dhcp:
            ops.append(op.SetInterface(iface.index, dhcp=True))
    elif "address" in values:
        ip, length = _address(values, family)
        _unicast_address(ip, length)
        kind = AddressStore.PERSISTENT if store == "persistent" else AddressStore.ACTIVE
        ops = [
            *old_gateways,
            *_static_addresses(host, iface, family),
            op.AddAddress(iface.index, ip, length, store=kind),
        ]
        if gateway is not None:
            ops.append(_gateway_route(iface, family, gateway, metric, store))
        if iface.dhcp:
            ops.append(op.SetInterface(iface.index, dhcp=False))
    elif source == "static" or gateway_text is None or "mask" in values:
        raise NetshError(SYNTAX)
    else:
        ops = list(old_gateways)
        if gateway is not None:
            ops.append(_gateway_route(iface, family, gateway, metric, store))
    apply_all(host, ops)
    return ""


def _iface_tag(family: int) -> str:
    return "name" if family == 4 else "interface"


# ------------------------------------------------------------------------------ route commands
def _route_common(host: Host, family: int, values: dict[str, str]) -> tuple[Prefix, Interface, IP | None]:
    prefix = _route_prefix(values, family)
    iface = _interface(host, values, "interface")
    nexthop = _ip(values["nexthop"], family, iface) if "nexthop" in values else None
    if _choice(values, "publish", ("no", "age", "yes"), "no") != "no":
        raise NetshError(NOT_SUPPORTED)
    _check_lifetimes(values)
    _number(values, "siteprefixlength", 0, 128)
    return prefix, iface, nexthop


def add_route(host: Host, family: int, values: dict[str, str]) -> str:
    """A netsh route is always bound to its interface; on-link without nexthop=; metric 256 unless
    given; `store=active` keeps it out of the persistent store."""
    prefix, iface, nexthop = _route_common(host, family, values)
    metric = _number(values, "metric", 0, 9999)
    persistent = _store(values) == "persistent"
    apply_all(
        host,
        [
            op.AddRoute(
                prefix,
                nexthop if nexthop is not None else unspecified(family),
                ifindex=iface.index,
                metric=SYSTEM_ROUTE_METRIC if metric is None else metric,
                persistent=persistent,
            )
        ],
    )
    return OK


def delete_route(host: Host, family: int, values: dict[str, str]) -> str:
    """Both stores unless `store=` names one; without nexthop= every next hop of the prefix goes."""
    prefix = _route_prefix(values, family)
    iface = _interface(host, values, "interface")
    nexthop = _ip(values["nexthop"], family, iface) if "nexthop" in values else None
    store = _store(values, "") or None
    apply_all(
        host,
        [
            op.DeleteRoute(
                prefix,
                nexthop,
                iface.index,
                active=store in (None, "active"),
                persistent=store in (None, "persistent"),
            )
        ],
    )
    return OK


def set_route(host: Host, family: int, values: dict[str, str]) -> str:
    """Only the metric of an active route is settable here (publish and lifetimes are not modelled)."""
    prefix, iface, nexthop = _route_common(host, family, values)
    _store(values)
    metric = _number(values, "metric", 0, 9999)
    if metric is None:
        raise NetshError(SYNTAX)
    apply_all(host, [op.ChangeRoute(prefix, iface.index, nexthop=nexthop, new_metric=metric)])
    return OK


# ------------------------------------------------------------------------------ interface settings
def set_interface(host: Host, family: int, values: dict[str, str]) -> str:
    """`metric=` sets a manual interface metric (1..9999; Windows 7 has no `automatic` here) and
    `mtu=` the link MTU (576..65535 in ipv4, 1280..65535 in ipv6). The model keeps one metric and one
    MTU per adapter, so either context sets both families' value. `store=active` is accepted and acts
    as `persistent`: interface settings here survive a reboot. Everything is checked before the host
    is touched; a command that sets nothing is a syntax error."""
    iface = _interface(host, values, "interface")
    _store(values)
    unmodelled = [t for t in SET_INTERFACE_TAGS if t in values and t not in SET_INTERFACE_MODELLED]
    for tag in unmodelled:
        if tag in SET_INTERFACE_CHOICES:
            _choice(values, tag, SET_INTERFACE_CHOICES[tag], "")
    if unmodelled:
        raise NetshError(NOT_SUPPORTED)
    metric = _number(values, "metric", *INTERFACE_METRIC)
    mtu = _number(values, "mtu", *MTU_RANGE[family])
    if metric is None and mtu is None:
        raise NetshError(SYNTAX)
    apply_all(host, [op.SetInterface(iface.index, metric=metric, mtu=mtu)])
    return OK


# ------------------------------------------------------------------------------ show commands
def _verbose_unsupported(values: dict[str, str]) -> None:
    if _choice(values, "level", ("normal", "verbose"), "normal") != "normal":
        raise NetshError(NOT_SUPPORTED)


def _selected(
    host: Host, values: dict[str, str], tag: str, order: list[Interface], family: int
) -> list[Interface]:
    """The interfaces a show command covers: the one named, or all in `order`. The ipv4 context has no
    tunnel pseudo-interfaces (they carry IPv6 only), so it cannot name one."""
    if tag not in values:
        return ipv4_interfaces(order) if family == 4 else order
    iface = _interface(host, values, tag)
    if family == 4 and iface.tunnel:
        raise NetshError(NO_INTERFACE)
    return [iface]


def show_interfaces(host: Host, family: int, values: dict[str, str]) -> str:
    _verbose_unsupported(values)
    chosen = _selected(host, values, "interface", added_order(host), family)
    return lines_text([*interface_lines(host, chosen), ""])


def interface_lines(host: Host, interfaces: list[Interface]) -> Iterator[str]:
    yield ""
    yield from INTERFACES_HEADER
    for i in interfaces:
        state = "connected" if i.connected else "disconnected"
        metric = host.profile.interface_metric(i)
        yield f"{i.index:>3}  {metric:>10}  {i.mtu:>10}  {state:<12}  {i.name}"


def show_addresses(host: Host, family: int, values: dict[str, str]) -> str:
    if family == 6:
        _verbose_unsupported(values)
        chosen = _selected(host, values, "interface", added_order(host), family)
        return lines_text([*address_table_lines(host, chosen, 6), ""])
    chosen = _selected(host, values, "name", adapter_order(host), family)
    return lines_text([*config_lines(host, chosen, False), ""])


def show_config(host: Host, family: int, values: dict[str, str]) -> str:
    chosen = _selected(host, values, "name", adapter_order(host), family)
    return lines_text([*config_lines(host, chosen, True), ""])


def show_ipaddresses(host: Host, family: int, values: dict[str, str]) -> str:
    _verbose_unsupported(values)
    chosen = _selected(host, values, "interface", added_order(host), family)
    return lines_text(address_table_lines(host, chosen, 4))


def _line(label: str, value: object) -> str:
    return f"    {label:<{VALUE_COLUMN}}{value}"


def config_lines(host: Host, interfaces: list[Interface], config: bool) -> Iterator[str]:
    """`show addresses` / `show config` of the ipv4 context: one block per interface, values at
    column 43."""
    for i in interfaces:
        yield ""
        yield f'Configuration for interface "{i.name}"'
        yield _line("DHCP enabled:", "Yes" if i.dhcp else "No")
        for a in host.addresses_of(i.index, 4):
            yield _line("IP Address:", ip_text(a.ip))
            yield _line("Subnet Prefix:", f"{a.prefix} (mask {mask_text(a.length)})")
        for r in default_routes(host, i.index, 4):
            yield _line("Default Gateway:", ip_text(r.nexthop))
            yield _line("Gateway Metric:", r.metric)
        yield _line("InterfaceMetric:", host.profile.interface_metric(i))
        if config:
            yield _line("Statically Configured DNS Servers:", "None")
            yield _line("Register with which suffix:", "Primary only")
            yield _line("Statically Configured WINS Servers:", "None")


def address_table_lines(host: Host, interfaces: list[Interface], family: int) -> Iterator[str]:
    """`ipv6 show addresses` and `ipv4 show ipaddresses`: per interface, a table of its addresses.
    Lifetimes are not modelled (always infinite); the stack's own addresses (loopback, link-local)
    are of type Other, the administrator's Manual."""
    for i in interfaces:
        addresses = host.addresses_of(i.index, family)
        if not addresses:
            continue
        yield ""
        yield f"Interface {i.index}: {i.name}"
        yield ""
        yield from ADDRESS_TABLE_HEADER
        state = "Preferred" if i.connected else "Tentative"
        for a in addresses:
            kind = "Other" if i.loopback or a.ip.is_link_local else "Manual"
            yield f"{kind:<9}  {state:<11} {'infinite':>10} {'infinite':>10} {scoped(a.ip, i.index)}"


def show_route(host: Host, family: int, values: dict[str, str]) -> str:
    _verbose_unsupported(values)
    store = _store(values, "active")
    return lines_text([*route_lines(host, family, store == "persistent"), ""])


def route_lines(host: Host, family: int, persistent: bool) -> Iterator[str]:
    """Met is the route's own metric; the last column the next hop, or the interface for on-link.
    Persistent entries come in the order they were stored (registry order)."""
    yield ""
    yield from ROUTE_HEADER
    if persistent:
        for p in host.persistent.values():
            if p.prefix.version == family:
                ifindex = p.ifindex or 0
                yield _route_row("Manual", p.metric, p.prefix, ifindex, _hop_text(host, p.nexthop, ifindex))
        return
    order = RowOrder(host)
    routes = [r for r in host.table if r.prefix.version == family]
    if family == 4:
        routes += _addressless_rows(host)
    for r in sorted(routes, key=order.key):
        kind = "Manual" if r.manual else "System"
        yield _route_row(kind, r.metric, r.prefix, r.ifindex, _hop_text(host, r.nexthop, r.ifindex))


def _addressless_rows(host: Host) -> list[Route]:
    """An adapter without an IPv4 address (a disconnected one, say) keeps its 224.0.0.0/4 and
    255.255.255.255/32 rows in netsh's view on Windows, though `route print`, which shows each row's
    interface address, has nothing to print them with. Shown here, never stored."""
    rows = []
    for i in ipv4_interfaces(added_order(host)):
        if not i.loopback and not host.addresses_of(i.index, 4):
            for prefix in (MULTICAST_V4, LIMITED_BROADCAST):
                rows.append(Route(prefix, i.index, unspecified(4), SYSTEM_ROUTE_METRIC, Origin.SYSTEM))
    return rows


def _hop_text(host: Host, nexthop: IP, ifindex: int) -> str:
    return interface_name(host, ifindex) if nexthop.is_unspecified else ip_text(nexthop)


def _route_row(kind: str, metric: int, prefix: Prefix, ifindex: int, hop: str) -> str:
    return f"{'No':<7}  {kind:<8}  {metric:<3}  {str(prefix):<24}  {ifindex:>3}  {hop}"


Handler = Callable[[Host, int, dict[str, str]], str]
HANDLERS: dict[tuple[str, str], Handler] = {
    ("add", "address"): add_address,
    ("delete", "address"): delete_address,
    ("set", "address"): set_address,
    ("add", "route"): add_route,
    ("delete", "route"): delete_route,
    ("set", "route"): set_route,
    ("set", "interface"): set_interface,
    ("show", "interfaces"): show_interfaces,
    ("show", "addresses"): show_addresses,
    ("show", "config"): show_config,
    ("show", "ipaddresses"): show_ipaddresses,
    ("show", "route"): show_route,
}
