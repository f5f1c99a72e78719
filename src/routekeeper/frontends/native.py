"""routekeeper's own commands and views: interface specs, table listings, lookups and explanations.

Everything here renders core state as text or JSON; nothing touches a store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from routekeeper.core.events import Event
from routekeeper.core.host import Host
from routekeeper.core.numbers import NumberError, ascii_int, parse_int, shown
from routekeeper.core.operations import RefusalCode, Refused
from routekeeper.core.values import (
    INTERFACE_KINDS,
    IP,
    TUNNEL_KINDS,
    Address,
    Interface,
    PersistentRoute,
    Prefix,
    Route,
    ValueParseError,
    parse_mac,
)
from routekeeper.frontends.base import SpecError, tokenize

SPEED_SUFFIXES = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000, "t": 1_000_000_000_000}
MAX_SPEED = 10**15  # 1 Pb/s: beyond any adapter, well inside SQLite's 64-bit integers
_SPEED = re.compile(r"[0-9]+(\.[0-9]+)?")
INTERFACE_KEYS = (
    "index", "name", "description", "mac", "speed", "metric", "mtu", "connected", "type", "linklocal",
)  # fmt: skip
# What a tunnel adapter is unless told otherwise (Windows 7 captures: `00 00 00 00 00 00 00 e0`,
# Media disconnected, a 1280-byte MTU; a 100 kb/s pseudo-link, so interface metric 50).
TUNNEL_MAC = "00-00-00-00-00-00-00-E0"
TUNNEL_DESCRIPTIONS = {
    "isatap": "Microsoft ISATAP Adapter",
    "teredo": "Teredo Tunneling Pseudo-Interface",
    "6to4": "Microsoft 6to4 Adapter",
}


def parse_speed(text: str) -> int:
    """`100m`, `1g`, `2.5G`, `1000000`: bits per second, from 1 b/s to 1 Pb/s (ASCII digits only)."""
    t = text.strip().lower().removesuffix("bps").removesuffix("b")
    factor = SPEED_SUFFIXES.get(t[-1:], 1) if t else 1
    number = t[:-1] if t[-1:] in SPEED_SUFFIXES else t
    if not _SPEED.fullmatch(number):
        raise SpecError(f"not a link speed: {shown(text)} (e.g. 100m, 1g)")
    value = int(Decimal(number) * factor) if len(number) <= 32 else MAX_SPEED + 1  # digits first
    if not 1 <= value <= MAX_SPEED:
        raise SpecError(f"link speed must be from 1 b/s to 1 Pb/s, not {shown(text)}")
    return value


def parse_interface_spec(words: Iterable[str]) -> Interface:
    """`index=11 name="Local Area Connection 1" description=... mac=AA-BB-.. speed=1g` (as a scenario's
    `# interface:` line has it), already split into words or as one string. `type=isatap|teredo|6to4`
    makes a tunnel adapter; `linklocal=fe80::...` gives the interface its link-local address (Windows 7
    draws random ones) instead of the EUI-64 one."""
    if isinstance(words, str):
        words = tokenize(words)
    fields: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        key = key.strip().lower()
        if not sep or key not in INTERFACE_KEYS:
            raise SpecError(f"unknown interface setting {word!r} (use {', '.join(INTERFACE_KEYS)})")
        fields[key] = value
    if "index" not in fields or "name" not in fields:
        raise SpecError("an interface needs index= and name=")
    index = ascii_int(fields["index"], 2**31 - 1, hex_ok=True)
    if index is None or index < 2:
        raise SpecError(
            f"interface index must be a number from 2 to 2147483647 (1 is the loopback), "
            f"not {shown(fields['index'])}"
        )
    kind = fields.get("type", "ethernet").lower()
    if kind not in INTERFACE_KINDS:
        raise SpecError(f"unknown interface type {fields['type']!r} (use {', '.join(INTERFACE_KINDS)})")
    tunnel = kind in TUNNEL_KINDS
    try:
        mac = parse_mac(fields["mac"], 8 if tunnel else 6) if fields.get("mac") else ""
    except ValueParseError as exc:
        octets = "8 octets for a tunnel adapter" if tunnel else "6 octets"
        raise SpecError(f"{exc} ({octets}, e.g. {TUNNEL_MAC if tunnel else '00-15-5D-01-02-03'})") from None
    metric = None
    if "metric" in fields and fields["metric"].lower() != "auto":
        metric = _int(fields["metric"], "metric", 1, 9999)
    default_speed = 100_000 if tunnel else 1_000_000_000
    return Interface(
        index=index,
        name=fields["name"],
        description=fields.get("description", TUNNEL_DESCRIPTIONS.get(kind, fields["name"])),
        mac=mac or (TUNNEL_MAC if tunnel else ""),
        speed=parse_speed(fields["speed"]) if "speed" in fields else default_speed,
        metric=metric,
        mtu=_int(fields["mtu"], "mtu", 68, 2**32 - 1) if "mtu" in fields else (1280 if tunnel else 1500),
        connected=fields.get("connected", "no" if tunnel else "yes").lower()
        in ("yes", "true", "1", "connected"),
        kind=kind,
        given_link_local=_link_local(fields["linklocal"]) if "linklocal" in fields else None,
    )


def _link_local(text: str) -> IP:
    try:
        ip = IP.parse(text)
    except ValueParseError:
        raise SpecError(f"not an IPv6 address: {text!r}") from None
    if ip.version != 6 or not ip.is_link_local:
        raise SpecError(f"not a link-local (fe80::/10) IPv6 address: {text!r}")
    return ip


def _int(text: str, what: str, low: int, high: int) -> int:
    try:
        return parse_int(text, what, low, high, hex_ok=True)
    except NumberError as exc:
        raise SpecError(str(exc)) from None


def resolve_interface(host: Host, text: str) -> int:
    """An interface by index or by name (case-insensitive), as administrators type them."""
    index = ascii_int(text, 2**32 - 1)
    if index is not None and index in host.interfaces:
        return index
    for iface in host.interfaces.values():
        if iface.name.lower() == text.lower():
            return iface.index
    raise Refused(RefusalCode.NO_INTERFACE, f"no interface {text!r}")


# ---------------------------------------------------------------------- views
def route_state(host: Host, r: Route) -> str:
    iface = host.interfaces.get(r.ifindex)
    if iface is not None and not iface.enabled:
        return "inactive (interface disabled)"
    if iface is not None and not iface.connected:
        return "inactive (interface disconnected)"
    return "active"


def route_dict(host: Host, r: Route) -> dict[str, object]:
    src = host.source_address(r)
    return {
        "prefix": str(r.prefix),
        "interface": r.ifindex,
        "nexthop": "on-link" if r.on_link else str(r.nexthop),
        "metric": r.metric,
        "total_metric": host.cost(r),
        "type": r.origin.value,
        "kind": r.kind,
        "bound": r.bound,
        "persistent": r.persistent,
        "source": str(src.ip) if src else None,
        "state": route_state(host, r),
    }


def persistent_dict(host: Host, p: PersistentRoute) -> dict[str, object]:
    route = host.plumbed_route(p)
    state = "active" if route else ("parked until reboot" if p.key in host.parked else "waiting")
    return {
        "prefix": str(p.prefix),
        "nexthop": "on-link" if p.nexthop.is_unspecified else str(p.nexthop),
        "metric": p.metric,
        "interface": p.ifindex,
        "type": p.origin.value,
        "state": state,
    }


def sorted_routes(routes: Iterable[Route]) -> list[Route]:
    return sorted(routes, key=lambda r: (r.prefix.version, r.prefix, r.ifindex, r.nexthop))


def to_json(data: dict[str, object]) -> str:
    """Every view's JSON: one object, two-space indent, a newline at the end (docs/json.md)."""
    return json.dumps(data, indent=2) + "\n"


def routes_json(host: Host) -> str:
    return "".join(routes_json_chunks(host))


def routes_json_chunks(host: Host) -> Iterator[str]:
    """`routes --json`, the same text as `to_json` gives, made one route at a time: a host with a full
    table is never held as one list of dicts and one string (hundreds of MB at 1M routes)."""
    sections: list[tuple[str, Iterable[dict[str, object]]]] = [
        ("active", (route_dict(host, r) for r in sorted_routes(host.table))),
        (
            "persistent",
            (persistent_dict(host, p) for p in sorted(host.persistent.values(), key=lambda p: p.key_sort)),
        ),
        ("held", (route_dict(host, r) for r in sorted_routes(host.held.values()))),
    ]
    yield "{\n"
    yield f'  "host": {json.dumps(host.name)},\n  "profile": {json.dumps(host.profile.name)},\n'
    for number, (name, items) in enumerate(sections):
        yield f'  "{name}": ['
        first = True
        for item in items:
            body = json.dumps(item, indent=2).replace("\n", "\n    ")
            yield ("\n    " if first else ",\n    ") + body
            first = False
        yield ("]" if first else "\n  ]") + (",\n" if number < len(sections) - 1 else "\n")
    yield "}\n"


def address_dict(a: Address) -> dict[str, object]:
    return {
        "address": str(a.ip),
        "length": a.length,
        "interface": a.ifindex,
        "skipassource": a.skipassource,
        "store": a.store.value,
    }


def interface_dict(host: Host, iface: Interface) -> dict[str, object]:
    return {
        "index": iface.index,
        "name": iface.name,
        "description": iface.description,
        "mac": iface.mac or None,
        "speed": iface.speed,
        "metric": iface.effective_metric,
        "automatic_metric": iface.metric is None,
        "mtu": iface.mtu,
        "connected": iface.connected,
        "enabled": iface.enabled,
        "addresses": [address_dict(a) for a in host.addresses_of(iface.index)],
    }


def host_dict(host: Host) -> dict[str, object]:
    """`host show --json`: the host, its interfaces with their addresses, and route counts."""
    return {
        "host": host.name,
        "profile": host.profile.name,
        "interfaces": [
            interface_dict(host, i) for i in sorted(host.interfaces.values(), key=lambda i: i.index)
        ],
        "active_routes": len(host.table),
        "manual_routes": sum(1 for r in host.table if r.manual),
        "persistent_routes": len(host.persistent),
    }


def event_dict(e: Event) -> dict[str, object]:
    """One event as it happens (what-if's changes): its kind, what it is about, and why."""
    return {"kind": e.kind.value, "subject": e.subject, "reason": e.reason, "manual": e.about_manual_route}


def history_dict(row: tuple) -> dict[str, object]:
    """One stored event as the log keeps it: (at, command, kind, subject, reason)."""
    at, command, kind, subject, reason = row
    return {"at": at, "command": command, "kind": kind, "subject": subject, "reason": reason}


def lookup_dict(host: Host, ip: IP) -> dict[str, object]:
    """`lookup --json`: the route chosen (None: no usable route), and every other route of that prefix
    with why it lost."""
    route = host.lookup(ip)
    if route is None:
        return {"address": str(ip), "route": None, "rivals": []}
    cost = host.cost(route)
    rivals = []
    for r in host.table.with_prefix(route.prefix):
        if r.key != route.key:  # by key: a loaded table holds equal routes that are other objects
            c = host.cost(r)
            why = route_state(host, r) if c is None else f"metric {c} is not lower than {cost}"
            rivals.append({**route_dict(host, r), "why_not": why})
    return {
        "address": str(ip),
        "route": route_dict(host, route),
        "interface_name": host.interfaces[route.ifindex].name,
        "rivals": rivals,
    }


def routes_text(host: Host) -> Iterator[str]:
    yield f"Host {host.name} (profile {host.profile.name})"
    yield ""
    yield "Active table:"
    header = f"  {'Destination':<43} {'Next hop':<26} {'If':>4} {'Metric':>7}  Type    Flags"
    yield header.rstrip()
    for r in sorted_routes(host.table):
        nh = "on-link" if r.on_link else str(r.nexthop)
        cost = host.cost(r)
        flags = [f for f, on in (("persistent", r.persistent), ("bound", r.bound)) if on]
        if cost is None:
            flags.append(route_state(host, r))
        shown = "-" if cost is None else str(cost)
        kind, flag_text = r.origin.value, ",".join(flags)
        yield f"  {str(r.prefix):<43} {nh:<26} {r.ifindex:>4} {shown:>7}  {kind:<7} {flag_text}".rstrip()
    yield ""
    yield "Persistent store:"
    if not host.persistent:
        yield "  (empty)"
    for p in sorted(host.persistent.values(), key=lambda p: p.key_sort):
        d = persistent_dict(host, p)
        where = f"IF {p.ifindex}" if p.ifindex is not None else "unbound"
        yield f"  {str(p.prefix):<43} {d['nexthop']!s:<26} {where:>8} metric {p.metric:<5} {d['state']}"
    if host.held:
        yield ""
        yield "Held (active-only routes waiting for their next hop):"
        for r in sorted_routes(host.held.values()):
            yield f"  {r.describe()}"


def host_text(host: Host) -> Iterator[str]:
    yield f"Host {host.name}: profile {host.profile.name}"
    for iface in host.interfaces.values():  # in the order they were added, as the host holds them
        metric = f"{iface.effective_metric}" + (" (automatic)" if iface.metric is None else "")
        state = "connected" if iface.connected else "disconnected"
        if not iface.enabled:
            state += ", disabled"
        kind = f" ({iface.kind} tunnel)" if iface.tunnel else ""
        yield f"  [{iface.index}] {iface.name} — {iface.description}{kind}"
        yield f"      mac {iface.mac or '-'}  speed {iface.speed}  metric {metric}  mtu {iface.mtu}  {state}"
        for a in host.addresses_of(iface.index):
            extra = " skipassource" if a.skipassource else ""
            extra += " (active only)" if a.store.value == "active" else ""
            yield f"      {a}{extra}"
    manual = sum(1 for r in host.table if r.manual)
    yield f"  {len(host.table)} active routes ({manual} manual), {len(host.persistent)} persistent"


def explain_lookup(host: Host, ip: IP) -> list[str]:
    """The route chosen for `ip`, and why: prefix length first, then total metric, then usability."""
    route = host.lookup(ip)
    if route is None:
        return [f"{ip}: no route (no usable route covers this address)"]
    src = host.source_address(route)
    cost = host.cost(route)
    iface = host.interfaces[route.ifindex]
    # Routes are values made on demand by the table, so the chosen one is told from its rivals by its
    # key, never by identity; rivals are listed in Windows' row order (by interface, then next hop).
    rivals = sorted(
        (r for r in host.table.with_prefix(route.prefix) if r.key != route.key),
        key=lambda r: (r.ifindex, r.nexthop),
    )
    lines = [
        f"{ip}: via route {route.prefix} ({route.origin.value})",
        f"  next hop:  {'on-link' if route.on_link else route.nexthop}",
        f"  interface: {route.ifindex} ({iface.name})",
        f"  source:    {src.ip if src else '-'}",
        f"  metric:    {cost} (route {route.metric} + interface {(cost or 0) - route.metric})",
        f"  why: /{route.prefix.length} is the longest prefix covering {ip} among usable routes",
    ]
    for r in rivals:
        c = host.cost(r)
        if c is None:
            lines.append(f"  not {r.describe()}: {route_state(host, r)}")
        else:
            lines.append(f"  not {r.describe()}: metric {c} is not lower than {cost}")
    return lines


def explain_why(host: Host, prefix: Prefix, history: list[tuple]) -> list[str]:
    """Why each persistent (or held) route of `prefix` is, or is not, in the active table."""
    lines: list[str] = []
    stored = [p for p in host.persistent.values() if p.prefix == prefix]
    for p in stored:
        route = host.plumbed_route(p)
        if route is not None:
            lines.append(f"{p.describe()}: active on interface {route.ifindex} (persistent)")
        elif p.key in host.parked:
            lines.append(
                f"{p.describe()}: in the persistent store, removed from the active table until reboot"
            )
        else:
            target = host.placement(p)
            if target is None and not p.nexthop.is_unspecified:
                why = f"next hop {p.nexthop} is not on-link on any interface"
                if p.ifindex is not None:
                    why = f"next hop {p.nexthop} is not on-link on interface {p.ifindex}"
                lines.append(f"{p.describe()}: not active: {why}; it returns when it is on-link again")
            else:
                lines.append(
                    f"{p.describe()}: not active although its next hop is reachable on interface "
                    f"{target}: the {host.profile.name} profile does not put it back by itself "
                    "(the keeper would)"
                )
    for r in host.held.values():
        if r.prefix == prefix:
            lines.append(f"{r.describe()}: held (active-only): waiting for next hop {r.nexthop}")
    for r in host.table.with_prefix(prefix):
        if r.manual and not r.persistent:
            lines.append(f"{r.describe()}: active, not persistent (gone at the next reboot)")
    if not lines:
        lines.append(f"no persistent or manual route for {prefix}")
    if history:
        lines.append("history:")
        for at, command, kind, subject, reason in history:
            lines.append(f"  {at}  {kind}: {subject}: {reason}  [{command}]")
    return lines
