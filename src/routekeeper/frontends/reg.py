"""The persistent store in the form Windows keeps it: the `PersistentRoutes` registry key as a `.reg` file.

Windows stores each persistent IPv4 route as one empty REG_SZ value under
`HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\PersistentRoutes` whose *name* is
`destination,mask,gateway,metric` (spec §2). That form has no room for what else routekeeper knows, so
`export` leaves out, each with a `;` comment line naming it (regedit ignores comments):

- IPv6 routes: Windows keeps them elsewhere, in a binary form, not under this key;
- configured default gateways (netsh `gateway=`): Windows keeps them with the interface's settings
  (its DefaultGateway value), not here;
- on-link routes (gateway 0.0.0.0): without an interface they could not be plumbed again.

A route bound to an interface (`IF n`, netsh) is exported, but the binding cannot be: a comment line
above it records the interface, and `parse` reads the route back unbound. The comment is there for the
reader; re-bind by hand (`route -p add ... IF n`) where the binding matters, as it does on a pre-hotfix
host.
"""

from __future__ import annotations

import re

from routekeeper.core import operations as op
from routekeeper.core.host import Host
from routekeeper.core.values import (
    IP,
    Origin,
    PersistentRoute,
    Prefix,
    ValueParseError,
    mask_int,
    mask_length,
)
from routekeeper.frontends.render import ip_text, mask_text, persistent_sort_key

KEY = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\PersistentRoutes"
HEADER = "Windows Registry Editor Version 5.00"
HEADERS = (HEADER, "REGEDIT4")
_VALUE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=\s*(.*)')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_METRIC = re.compile(r"[0-9]{1,4}")


class RegFormatError(ValueError):
    """A `.reg` file this module cannot read; says which line and why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def export(host: Host, newline: str = "\r\n") -> str:
    """The host's persistent store as a `.reg` file (Version 5.00 header, regedit's CRLF by default)."""
    lines = [HEADER, "", f"[{KEY}]"]
    for p in sorted(host.persistent.values(), key=persistent_sort_key):
        if p.prefix.version != 4:
            lines.append(f"; not exported, IPv6 routes are not kept under this key: {p.describe()}")
        elif p.origin is Origin.GATEWAY:
            lines.append(f"; not exported, a default gateway (an interface setting): {p.describe()}")
        elif p.nexthop.is_unspecified:
            lines.append(f"; not exported, an on-link route needs its interface: {p.describe()}")
        else:
            if p.ifindex is not None:
                lines.append(f"; bound to interface {p.ifindex}; this form cannot record the binding")
            name = f"{ip_text(p.prefix.address)},{mask_text(p.prefix.length)},{ip_text(p.nexthop)},{p.metric}"
            lines.append(f'"{name}"=""')
    lines.append("")
    return newline.join(lines) + newline


def decode(raw: bytes) -> str:
    """A .reg file's text: UTF-16 with a byte order mark (as regedit writes it), else UTF-8 (with or
    without a BOM), else Windows-1252 (REGEDIT4 files edited by hand). A file that announces UTF-16
    must be whole UTF-16 (an even number of bytes, no broken surrogate pair): it is never read again
    as another encoding, which would turn it into text that merely looks wrong."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        if len(raw) % 2:
            raise RegFormatError(1, f"a UTF-16 file has an even number of bytes; this one has {len(raw)}")
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise RegFormatError(_line_at(raw, exc.start), "not valid UTF-16") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise RegFormatError(1, "neither UTF-16, UTF-8 nor Windows-1252 text") from None


def _line_at(raw: bytes, offset: int) -> int:
    """The line (1-based) a byte offset of UTF-16 text falls on."""
    text = raw[: offset - offset % 2].decode("utf-16", errors="replace")
    return text.count("\n") + 1


def parse(text: str) -> list[PersistentRoute]:
    """The routes of the PersistentRoutes key in a `.reg` file (REGEDIT4 or Version 5.00), unbound.

    Values under other keys are ignored (a full export of Tcpip\\Parameters may hold many); anything
    malformed raises RegFormatError: no header, a value outside any key, a deletion (`=-`, `[-...]`),
    data that is not a string, a name that is not `dest,mask,gateway,metric` with valid IPv4 parts, a
    mask the destination does not fit, a metric outside 1..9999, an on-link gateway, a duplicate.
    """
    routes: list[PersistentRoute] = []
    seen: set[tuple[Prefix, IP]] = set()
    header = False
    key: str | None = None
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if not header:
            if line not in HEADERS:
                raise RegFormatError(number, f"expected the header {HEADER!r} or 'REGEDIT4'")
            header = True
            continue
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                raise RegFormatError(number, "unterminated key name")
            if line.startswith("[-"):
                raise RegFormatError(number, "key deletions are not supported")
            key = line[1:-1].strip()
            continue
        if key is None:
            raise RegFormatError(number, "a value before any [key] line")
        if key.lower() != KEY.lower():
            continue
        route = _route(number, line)
        if (route.prefix, route.nexthop) in seen:
            raise RegFormatError(number, f"duplicate route {route.describe()}")
        seen.add((route.prefix, route.nexthop))
        routes.append(route)
    if not header:
        raise RegFormatError(1, "empty file: no registry header")
    return routes


def _route(number: int, line: str) -> PersistentRoute:
    match = _VALUE.fullmatch(line)
    if match is None:
        raise RegFormatError(number, 'expected a value line "dest,mask,gateway,metric"=""')
    name = re.sub(r"\\(.)", r"\1", match.group(1))
    data = match.group(2).strip()
    if data == "-":
        raise RegFormatError(number, "value deletions are not supported")
    if not _STRING.fullmatch(data):
        raise RegFormatError(number, "a persistent route is a string value (REG_SZ)")
    fields = [f.strip() for f in name.split(",")]
    if len(fields) != 4:
        raise RegFormatError(number, f"{name!r} is not dest,mask,gateway,metric")
    dest = _v4(number, fields[0], "destination")
    mask = _v4(number, fields[1], "mask")
    gateway = _v4(number, fields[2], "gateway")
    try:
        length = mask_length(mask)
    except ValueParseError:
        raise RegFormatError(number, f"{fields[1]} is not a contiguous netmask") from None
    if dest.value & ~mask_int(4, length):
        raise RegFormatError(number, f"mask {fields[1]} does not fit destination {fields[0]}")
    if gateway.is_unspecified:
        raise RegFormatError(number, "an on-link route (gateway 0.0.0.0) needs an interface")
    if not _METRIC.fullmatch(fields[3]) or not 1 <= int(fields[3]) <= 9999:
        raise RegFormatError(number, f"metric {fields[3]!r} is not in 1..9999")
    return PersistentRoute(Prefix(4, dest.value, length), gateway, int(fields[3]))


def _v4(number: int, text: str, what: str) -> IP:
    try:
        return IP.v4(text)
    except ValueParseError:
        raise RegFormatError(number, f"{what} {text!r} is not an IPv4 address") from None


def operations(routes: list[PersistentRoute]) -> list[op.AddRoute]:
    """What importing a parsed file means: add each route persistently, unbound, as `route -p add`
    would; the caller applies them (and reports those the host refuses, e.g. already present)."""
    return [op.AddRoute(p.prefix, p.nexthop, metric=p.metric, persistent=True) for p in routes]
