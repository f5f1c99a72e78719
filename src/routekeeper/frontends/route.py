"""route.exe (Windows 7 form) over a core `Host`: PRINT, ADD, DELETE, CHANGE and `-f` (spec §3).

Parsing and execution are separate: `parse` turns words into a `Command` or raises `UsageError` (the
usage text, exit 1); executing turns a `Command` into core operations, validating every value before the
host is touched, and maps refusals to route.exe's own messages. `route print` is produced line by line
(`print_lines`) so that a host with a full internet table streams instead of building one string.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from routekeeper.core import operations as op
from routekeeper.core.batch import apply_all
from routekeeper.core.host import Host
from routekeeper.core.numbers import ascii_int
from routekeeper.core.operations import RefusalCode, Refused
from routekeeper.core.values import (
    BITS,
    IP,
    Address,
    Origin,
    PersistentRoute,
    Prefix,
    Route,
    ValueParseError,
    mask_int,
)
from routekeeper.core.values import mask_length as contiguous_length
from routekeeper.frontends.base import Output, UsageError
from routekeeper.frontends.glob import Glob
from routekeeper.frontends.render import (
    SEPARATOR,
    RowOrder,
    compile_pattern,
    destination_matches,
    gateway_text,
    ip_text,
    is_pattern,
    lines_text,
    listed_interfaces,
    mask_text,
    parse_index,
)
from routekeeper.frontends.route_print_columns import v4_active_rows

# Written for routekeeper in the layout of Windows 7's route.exe help (the order of sections, the
# two-line grammar, the aligned option list); the wording is our own.
USAGE = """
Manipulates network routing tables.

ROUTE [-f] [-p] [-4|-6] command [destination]
                  [MASK netmask]  [gateway] [METRIC metric]  [IF interface]

  -f           Removes every gateway route from the routing tables. Given
               together with a command, the tables are cleared before the
               command runs.

  -p           With ADD, also stores the route persistently so that it comes
               back each time the system starts; without it a route lasts
               only until the next restart. Other commands ignore it: they
               always act on the matching persistent routes as well.

  -4           Use IPv4 only.

  -6           Use IPv6 only.

  command      One of:
                 PRINT     Print routes
                 ADD       Add a route
                 DELETE    Delete routes
                 CHANGE    Change an existing route
  destination  The destination network or host.
  MASK         Says that the next argument is the netmask.
  netmask      The subnet mask of the route; 255.255.255.255 when omitted.
  gateway      The gateway (next hop).
  interface    The index of the route's interface, in decimal or 0x hex.
  METRIC       The metric, that is the cost of the destination (1 to 9999).

For PRINT and DELETE the destination may be a pattern: '*' matches any
string and '?' any one character, as in 157.*.1, 157.*, 127.*, *224*.
For DELETE the gateway may be omitted, and so may the mask, which then
deletes every route to that destination.

Diagnostic note:
    A mask that the destination does not fit is refused, that is when
    (DEST & MASK) != DEST:
    > route ADD 157.0.0.0 MASK 155.0.0.0 157.55.80.1 IF 1
    The route addition failed: The specified mask parameter is invalid. (Destination & Mask) != Destination.

Examples:

    > route PRINT
    > route PRINT -4
    > route PRINT -6
    > route PRINT 157*          .... Only prints those matching 157*

    > route ADD 157.0.0.0 MASK 255.0.0.0  157.55.80.1 METRIC 3 IF 2
             destination^      ^mask      ^gateway     metric^    ^
                                                         Interface^
      Without IF, the interface is the one on which the gateway is on-link.

    > route ADD 3ffe::/32 3ffe::1

    > route CHANGE 157.0.0.0 MASK 255.0.0.0 157.55.80.5 METRIC 2 IF 2

      CHANGE modifies the gateway and/or the metric only.

    > route DELETE 157.0.0.0
    > route DELETE 3ffe::/32
"""

OK = " OK!\n"
TEXTS = {
    RefusalCode.EXISTS: "The object already exists.",
    RefusalCode.NOT_FOUND: "Element not found.",
    RefusalCode.BAD_MASK: "The specified mask parameter is invalid. (Destination & Mask) != Destination.",
}
INVALID_TEXT = "The parameter is incorrect."
NOUNS = {"ADD": "addition", "DELETE": "deletion", "CHANGE": "change"}
VERBS = ("PRINT", "ADD", "DELETE", "CHANGE")
KEYWORDS = {"MASK": "mask", "METRIC": "metric", "IF": "interface"}

V4_ACTIVE_HEADER = "Network Destination        Netmask          Gateway       Interface  Metric"
V4_PERSISTENT_HEADER = "  Network Address          Netmask  Gateway Address  Metric"
V6_HEADER = " If Metric Network Destination      Gateway"
V6_GATEWAY_COLUMN = 36
HOST_MASK = IP(4, 0xFFFFFFFF)


class Failed(Exception):
    """A value route.exe rejects before asking the stack; carries the refusal it maps to."""

    def __init__(self, code: RefusalCode = RefusalCode.INVALID) -> None:
        super().__init__(code.value)
        self.code = code


@dataclass
class Command:
    """One parsed route.exe command line; values stay text until the command runs, because route.exe
    reports a bad value as a failure of the command, not as a usage error."""

    verb: str | None = None  # PRINT, ADD, DELETE, CHANGE; None for `route -f` alone
    flush: bool = False
    persistent: bool = False
    version: int | None = None
    help: bool = False
    destination: str | None = None
    gateway: str | None = None
    mask: str | None = None
    metric: str | None = None
    interface: str | None = None


# ---------------------------------------------------------------------------------------- parsing
def parse(args: list[str]) -> Command:
    """Words after `route` to a Command. Switches (`-` or `/`, any case) may appear anywhere; MASK,
    METRIC and IF take the next word whatever it is; the other words are destination then gateway."""
    cmd = Command()
    positionals: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        upper = word.upper()
        if len(word) >= 2 and word[0] in "-/":
            _switch(cmd, word[1:].lower())
        elif cmd.verb is None:
            if upper not in VERBS:
                raise UsageError(f"unknown command {word!r}")
            cmd.verb = upper
        elif upper in KEYWORDS:
            attr = KEYWORDS[upper]
            if i + 1 >= len(args) or getattr(cmd, attr) is not None:
                raise UsageError(f"{upper} needs one value")
            setattr(cmd, attr, args[i + 1])
            i += 1
        else:
            positionals.append(word)
        i += 1
    if cmd.help:
        return cmd
    _check_shape(cmd, positionals)
    return cmd


def _switch(cmd: Command, flag: str) -> None:
    if flag == "f":
        cmd.flush = True
    elif flag == "p":
        cmd.persistent = True
    elif flag in ("4", "6"):
        if cmd.version not in (None, int(flag)):
            raise UsageError("-4 and -6 together")
        cmd.version = int(flag)
    elif flag == "?":
        cmd.help = True
    else:
        raise UsageError(f"unknown switch -{flag}")


def _check_shape(cmd: Command, positionals: list[str]) -> None:
    """Which words each command takes (route.exe prints its usage for anything else)."""
    if cmd.verb is None:
        if not cmd.flush or positionals:
            raise UsageError("no command")
        return
    if cmd.verb == "PRINT":
        if len(positionals) > 1 or cmd.mask is not None or cmd.metric is not None or cmd.interface:
            raise UsageError("PRINT takes one destination pattern at most")
    elif cmd.verb == "ADD":
        if len(positionals) != 2:
            raise UsageError("ADD needs a destination and a gateway")
    elif cmd.verb == "DELETE":
        if not 1 <= len(positionals) <= 2 or cmd.metric is not None:
            raise UsageError("DELETE needs a destination")
    elif not 1 <= len(positionals) <= 2 or (len(positionals) == 1 and cmd.metric is None):
        raise UsageError("CHANGE needs a destination and a gateway or METRIC")
    cmd.destination = positionals[0] if positionals else None
    cmd.gateway = positionals[1] if len(positionals) > 1 else None


def is_print(args: list[str]) -> bool:
    """Whether `args` is a valid `route print` command line, the one kind `print_lines` streams."""
    try:
        cmd = parse(args)
    except UsageError:
        return False
    return cmd.verb == "PRINT" and not cmd.help


# ---------------------------------------------------------------------------------------- running
def run(host: Host, args: list[str]) -> Output:
    """route.exe: exit 0 on success, 1 with a message (or the usage text) otherwise."""
    try:
        cmd = parse(args)
    except UsageError:
        return Output(stderr=USAGE, exit=1)
    if cmd.help:
        return Output(stdout=USAGE)
    if cmd.verb == "PRINT":
        return Output(stdout=lines_text(_print(host, cmd)))
    if cmd.verb is None:
        host.apply(op.FlushGatewayRoutes(cmd.version))
        return Output()
    try:
        if cmd.flush:
            # `-f` then the command, all or nothing: rehearse both on a copy first.
            _flush_then(host.copy(), cmd)
            _flush_then(host, cmd)
        else:
            _execute(host, cmd)
    except (Failed, Refused) as exc:
        text = TEXTS.get(exc.code, INVALID_TEXT)
        if exc.code is RefusalCode.BAD_MASK and cmd.verb == "DELETE":
            text = INVALID_TEXT
        return Output(stderr=f"The route {NOUNS[cmd.verb]} failed: {text}\n\n", exit=1)
    return Output(stdout=OK)


def _flush_then(host: Host, cmd: Command) -> None:
    host.apply(op.FlushGatewayRoutes(cmd.version))
    _execute(host, cmd)


def _execute(host: Host, cmd: Command) -> None:
    if cmd.verb == "ADD":
        apply_all(host, [_add(host, cmd)])
    elif cmd.verb == "CHANGE":
        apply_all(host, [_change(host, cmd)])
    else:
        # Each deletion names a (prefix, next hop) pair found present just now, and deleting one pair
        # never removes another, so none of them can be refused once the first has been applied.
        for deletion in _deletions(host, cmd):
            host.apply(deletion)


# ---------------------------------------------------------------------------------------- values
def _address(text: str | None) -> IP:
    if text is None or "%" in text:  # a zone belongs to a link-local gateway only (`_zoned_gateway`)
        raise Failed()
    try:
        return IP.parse(text)
    except ValueParseError:
        raise Failed() from None


def _prefix(cmd: Command, text: str, mask: str | None) -> Prefix:
    """A destination with its mask (IPv4) or `/len` (IPv6); a bare IPv6 address is a host route."""
    if "/" in text:
        addr_text, _, len_text = text.partition("/")
        ip = _address(addr_text)
        given = ascii_int(len_text, 128)
        if ip.version != 6 or mask is not None or given is None:
            raise Failed()
        length = given
    else:
        ip = _address(text)
        if ip.version == 6:
            if mask is not None:
                raise Failed()
            length = 128
        else:
            mask_ip = _address(mask) if mask is not None else HOST_MASK
            if mask_ip.version != 4:
                raise Failed()
            if ip.value & mask_ip.value != ip.value:
                raise Failed(RefusalCode.BAD_MASK)
            try:
                length = contiguous_length(mask_ip)
            except ValueParseError:
                raise Failed() from None
    if cmd.version is not None and ip.version != cmd.version:
        raise Failed()
    if ip.value & ~mask_int(ip.version, length):
        raise Failed(RefusalCode.BAD_MASK)
    return Prefix(ip.version, ip.value, length)


def _gateway(text: str | None, version: int) -> IP:
    ip = _address(text)
    if ip.version != version:
        raise Failed()
    return ip


def _zoned_gateway(host: Host, text: str | None, version: int, ifindex: int | None) -> tuple[IP, int | None]:
    """A gateway and the interface it means: `fe80::1%12` names interface 12, which must exist and agree
    with IF when both are given (Windows takes only a numeric zone, on an IPv6 address)."""
    address, sep, zone = (text or "").partition("%")
    ip = _gateway(address if sep else text, version)
    if not sep:
        return ip, ifindex
    zone_index = parse_index(zone) if zone.isascii() and zone.isdigit() else None
    if ip.version != 6 or zone_index is None or zone_index not in host.interfaces:
        raise Failed()
    if ifindex is not None and ifindex != zone_index:
        raise Failed()
    return ip, zone_index


def _metric(text: str | None) -> int | None:
    if text is None:
        return None
    metric = ascii_int(text, 9999)
    if metric is None or metric < 1:
        raise Failed()
    return metric


def _ifindex(text: str | None) -> int | None:
    if text is None:
        return None
    index = parse_index(text)
    if index is None:
        raise Failed()
    return index


def _add(host: Host, cmd: Command) -> op.AddRoute:
    assert cmd.destination is not None
    prefix = _prefix(cmd, cmd.destination, cmd.mask)
    nexthop, ifindex = _zoned_gateway(host, cmd.gateway, prefix.version, _ifindex(cmd.interface))
    return op.AddRoute(
        prefix,
        nexthop,
        ifindex=ifindex,
        metric=_metric(cmd.metric),
        persistent=cmd.persistent,
    )


def _change(host: Host, cmd: Command) -> op.ChangeRoute:
    """CHANGE finds the route by destination (and IF); a gateway it already has selects that route for
    a metric change, another gateway replaces the first route's next hop."""
    assert cmd.destination is not None
    prefix = _prefix(cmd, cmd.destination, cmd.mask)
    ifindex = _ifindex(cmd.interface)
    nexthop = None
    if cmd.gateway is not None:
        nexthop, ifindex = _zoned_gateway(host, cmd.gateway, prefix.version, ifindex)
    metric = _metric(cmd.metric)
    routes = [r for r in host.table.with_prefix(prefix) if r.manual and ifindex in (None, r.ifindex)]
    if nexthop is not None and any(r.nexthop == nexthop for r in routes):
        return op.ChangeRoute(prefix, ifindex, nexthop=nexthop, new_metric=metric)
    return op.ChangeRoute(prefix, ifindex, new_nexthop=nexthop, new_metric=metric)


def _deletions(host: Host, cmd: Command) -> list[op.DeleteRoute]:
    """DELETE: every manual route, held route and persistent entry matching the destination (a pattern,
    an address with any mask when MASK is omitted, or an exact prefix), the gateway and IF given."""
    assert cmd.destination is not None
    dest = cmd.destination
    regex = compile_pattern(dest) if is_pattern(dest) else None
    length: int | None = None
    candidates: list[Prefix] | None = None  # None: scan everything (a pattern)
    if cmd.mask is not None:
        mask_ip = _address(cmd.mask)
        if mask_ip.version != 4 or cmd.version == 6:
            raise Failed()
        try:
            length = contiguous_length(mask_ip)
        except ValueParseError:
            raise Failed() from None
    if regex is None:
        if cmd.mask is not None or "/" in dest:
            candidates = [_prefix(cmd, dest, cmd.mask)]
        else:
            ip = _address(dest)
            if cmd.version is not None and ip.version != cmd.version:
                raise Failed()
            bits = BITS[ip.version]
            candidates = [
                Prefix(ip.version, ip.value, n)
                for n in range(bits + 1)
                if not ip.value & ~mask_int(ip.version, n)
            ]
    gateway_regex = None
    nexthop = None
    if cmd.gateway is not None:
        if is_pattern(cmd.gateway):
            gateway_regex = compile_pattern(cmd.gateway)
    ifindex = _ifindex(cmd.interface)
    if cmd.gateway is not None and gateway_regex is None:
        nexthop, ifindex = _zoned_gateway(
            host, cmd.gateway, _address(cmd.gateway.partition("%")[0]).version, ifindex
        )

    def matches(prefix: Prefix, hop: IP, where: int | None) -> bool:
        if cmd.version is not None and prefix.version != cmd.version:
            return False
        if regex is not None and not destination_matches(regex, prefix):
            return False
        if length is not None and (prefix.version != 4 or prefix.length != length):
            return False
        if nexthop is not None and hop != nexthop:
            return False
        if gateway_regex is not None and not gateway_regex.fullmatch(ip_text(hop)):
            return False
        return ifindex is None or where is None or where == ifindex

    if candidates is None:
        active: list[Route] = [r for r in host.table if r.manual]
    else:
        active = [r for p in candidates for r in host.table.with_prefix(p) if r.manual]
    wanted = set(candidates) if candidates is not None else None
    pairs: set[tuple[Prefix, IP]] = set()
    for r in [*active, *host.held.values()]:
        if (wanted is None or r.prefix in wanted) and matches(r.prefix, r.nexthop, r.ifindex):
            pairs.add((r.prefix, r.nexthop))
    for p in host.persistent.values():
        if (wanted is None or p.prefix in wanted) and matches(p.prefix, p.nexthop, p.ifindex):
            pairs.add((p.prefix, p.nexthop))
    if not pairs:
        raise Failed(RefusalCode.NOT_FOUND)
    ordered = sorted(pairs, key=lambda pn: (pn[0].version, pn[0].network, pn[0].length, pn[1].value))
    return [op.DeleteRoute(prefix, hop, ifindex) for prefix, hop in ordered]


# ---------------------------------------------------------------------------------------- printing
def print_lines(host: Host, args: list[str]) -> Iterator[str]:
    """The lines (without newlines) `route print ...` writes, produced lazily so a caller can stream a
    table of any size; `run` joins the same lines. Raises UsageError if `args` is not a valid PRINT
    command line (check with `is_print`). With `-f` the flush happens now, before the first line."""
    cmd = parse(args)
    if cmd.verb != "PRINT" or cmd.help:
        raise UsageError("not a route PRINT command line")
    return _print(host, cmd)


def _print(host: Host, cmd: Command) -> Iterator[str]:
    if cmd.flush:
        host.apply(op.FlushGatewayRoutes(cmd.version))
    return _print_sections(host, cmd)


def _print_sections(host: Host, cmd: Command) -> Iterator[str]:
    yield SEPARATOR
    yield "Interface List"
    for iface in listed_interfaces(host):
        label = iface.description or iface.name
        if iface.mac and not iface.loopback:
            # The address and the dots fill 24 columns: `00 0c 29 86 1e 1f ......` and, for a tunnel
            # adapter's 8 bytes, `00 00 00 00 00 00 00 e0 ` (Windows 7 captures).
            mac = iface.mac.replace("-", " ").lower() + " "
            yield f"{iface.index:>3}...{mac:.<24}{label}"
        else:
            yield f"{iface.index:>3}{'.' * 27}{label}"
    yield SEPARATOR
    yield ""
    regex = compile_pattern(cmd.destination) if cmd.destination is not None else None
    for n, version in enumerate([cmd.version] if cmd.version else [4, 6]):
        if n:
            yield ""
        yield f"IPv{version} Route Table"
        yield SEPARATOR
        yield "Active Routes:"
        rows = v4_active_rows(host) if version == 4 and regex is None else _active_rows(host, version, regex)
        first = next(rows, None)
        if first is None:
            yield "  None"
        else:
            yield V4_ACTIVE_HEADER if version == 4 else V6_HEADER
            yield first
            yield from rows
        yield SEPARATOR
        yield "Persistent Routes:"
        # In the order they were stored (registry order), as Windows prints them; not sorted.
        stored = [
            p
            for p in host.persistent.values()
            if p.prefix.version == version and (regex is None or destination_matches(regex, p.prefix))
        ]
        if not stored:
            yield "  None"
            continue
        yield V4_PERSISTENT_HEADER if version == 4 else V6_HEADER
        for p in stored:
            yield from _persistent_row(p)
        yield SEPARATOR


def _active_rows(host: Host, version: int, regex: Glob | None) -> Iterator[str]:
    """Rows of the active table of one family, in Windows order; only routes that may be used (their
    interface is up) are printed."""
    order = RowOrder(host)
    keys = [
        order.key(r)
        for r in host.table
        if r.prefix.version == version and (regex is None or destination_matches(regex, r.prefix))
    ]
    keys.sort()
    sources: dict[tuple[int, int, IP | None], Address | None] = {}
    for key in keys:
        r = host.table.get(order.route_key(version, key))
        if r is None:  # deleted while the caller was still reading rows
            continue
        cost = host.cost(r)
        if cost is None:
            continue
        dest = ip_text(r.prefix.address)
        if version == 6:
            yield from _v6_row(r.ifindex, cost, f"{dest}/{r.prefix.length}", gateway_text(r.nexthop))
            continue
        if r.on_link or r.prefix.length == 32:
            source = host.source_address(r)
        else:
            # A gateway route's source depends on the interface and next hop only: with a million
            # routes through a handful of gateways this turns a million lookups into a handful.
            via = (r.ifindex, r.nexthop.value, r.prefsrc)
            if via not in sources:
                sources[via] = host.source_address(r)
            source = sources[via]
        iface = ip_text(source.ip) if source is not None else "0.0.0.0"
        yield f"{dest:>17}{mask_text(r.prefix.length):>17}{_v4_gateway(r.nexthop)}{iface:>17}{cost:>7}"


def _v4_gateway(nexthop: IP) -> str:
    """The IPv4 gateway column, 17 wide. Windows prints `On-link` one place left of the other values
    (its text carries a trailing space), so it is right-aligned to 16 and followed by a space."""
    if nexthop.is_unspecified:
        return f"{'On-link':>16} "
    return f"{ip_text(nexthop):>17}"


def _v6_row(ifindex: int, metric: int, dest: str, gateway: str) -> Iterator[str]:
    if len(dest) > 24:
        yield f"{ifindex:>3} {metric:>6} {dest}"
        yield " " * V6_GATEWAY_COLUMN + gateway
    else:
        yield f"{ifindex:>3} {metric:>6} {dest:<24} {gateway}"


def _persistent_row(p: PersistentRoute) -> Iterator[str]:
    """A persistent-store row: the route metric alone, `Default` for a configured default gateway; an
    IPv6 entry shows its bound interface, 0 when unbound."""
    if p.prefix.version == 6:
        yield from _v6_row(p.ifindex or 0, p.metric, str(p.prefix), gateway_text(p.nexthop))
        return
    metric = "  Default" if p.origin is Origin.GATEWAY else f"{p.metric:>8}"
    dest = ip_text(p.prefix.address)
    yield f"{dest:>17}{mask_text(p.prefix.length):>17}{_v4_gateway(p.nexthop)}{metric}"
