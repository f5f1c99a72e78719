"""Bulk export and import of a host's configuration: addresses and manual routes, one record a line.

Two formats carry the same records (`docs/bulk.md`):

- JSON lines: `{"type": "address", "interface": 11, "address": "192.168.0.20/24", ...}` and
  `{"type": "route", "prefix": "0.0.0.0/0", "nexthop": "192.168.0.1", "interface": 11, ...}`;
- CSV with the header `type,interface,address,prefix,nexthop,metric,persistent,skipassource`.

Both stream: a record is written as soon as it is made and read as soon as its line arrives, so a
100,000-route host never holds its whole text. What is exported is what an administrator made: the
addresses of every interface but loopback (link-local IPv6 addresses are derived from the MAC and come
back by themselves), the persistent store, and manual routes that are active without being persistent.
Addresses come first, so that an import into a fresh twin finds each next hop on-link.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from routekeeper.core import operations as op
from routekeeper.core.host import Host
from routekeeper.core.numbers import parse_int
from routekeeper.core.values import IP, AddressStore, Prefix, ValueParseError

FORMATS = ("jsonl", "csv")
CSV_FIELDS = ("type", "interface", "address", "prefix", "nexthop", "metric", "persistent", "skipassource")
LOOPBACK = 1


class RecordError(ValueError):
    """A record that does not stand for an operation; the message says which field and why."""


def records(host: Host) -> Iterator[dict[str, Any]]:
    """The host's configuration as records, addresses first."""
    for ifindex in sorted(host.addresses):
        if ifindex == LOOPBACK:
            continue
        for a in host.addresses_of(ifindex):
            if a.ip.version == 6 and a.ip.is_link_local:
                continue
            yield {
                "type": "address",
                "interface": ifindex,
                "address": str(a),
                "skipassource": a.skipassource,
                "persistent": a.store is AddressStore.PERSISTENT,
            }
    for p in sorted(host.persistent.values(), key=lambda p: p.key_sort):
        yield _route(p.prefix, p.nexthop, p.ifindex, p.metric, persistent=True)
    for r in sorted(host.manual_routes(), key=lambda r: (r.prefix.version, r.prefix, r.ifindex, r.nexthop)):
        if not r.persistent:
            yield _route(r.prefix, r.nexthop, r.ifindex, r.metric, persistent=False)


def _route(prefix: Prefix, nexthop: IP, ifindex: int | None, metric: int, persistent: bool) -> dict[str, Any]:
    return {
        "type": "route",
        "prefix": str(prefix),
        "nexthop": str(nexthop),
        "interface": ifindex,
        "metric": metric,
        "persistent": persistent,
    }


def to_line(record: dict[str, Any], fmt: str) -> str:
    """One record as a line of `fmt` (with its newline)."""
    if fmt == "jsonl":
        return json.dumps(record) + "\n"
    row = {k: _csv_value(record.get(k)) for k in CSV_FIELDS}
    buffer = io.StringIO()
    csv.DictWriter(buffer, CSV_FIELDS, lineterminator="\n").writerow(row)
    return buffer.getvalue()


def csv_header() -> str:
    return ",".join(CSV_FIELDS) + "\n"


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def from_json_line(text: str) -> dict[str, Any]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"not JSON: {exc.msg}") from None
    if not isinstance(record, dict):
        raise RecordError("a record is a JSON object")
    return record


def from_csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    """A CSV row as a record: empty cells are absent, `true`/`false` are booleans."""
    record: dict[str, Any] = {}
    for key, value in row.items():
        if key is None:
            raise RecordError("more cells than the header names")
        if value is None or value == "":
            continue
        record[key] = {"true": True, "false": False}.get(value.lower(), value)
    return record


def to_operation(record: dict[str, Any]) -> op.Operation:
    """The operation a record stands for: AddAddress or AddRoute."""
    kind = record.get("type")
    unknown = set(record) - set(CSV_FIELDS)
    if unknown:
        raise RecordError(f"unknown field {sorted(unknown)[0]!r}")
    try:
        if kind == "address":
            prefix_text = _text(record, "address")
            ip_text, _, length_text = prefix_text.partition("/")
            ip = IP.parse(ip_text)
            length = parse_int(length_text, "prefix length", 0, 32 if ip.version == 4 else 128)
            store = AddressStore.PERSISTENT if _flag(record, "persistent", True) else AddressStore.ACTIVE
            return op.AddAddress(
                _interface(record, required=True), ip, length, _flag(record, "skipassource", False), store
            )
        if kind == "route":
            persistent = _flag(record, "persistent", True)
            metric = record.get("metric")
            return op.AddRoute(
                Prefix.parse(_text(record, "prefix")),
                IP.parse(_text(record, "nexthop")),
                _interface(record, required=False),
                None if metric is None else parse_int(str(metric), "metric", 1, 9999),
                persistent=persistent,
                active=not persistent,
            )
    except ValueParseError as exc:
        raise RecordError(str(exc)) from None
    except ValueError as exc:
        raise RecordError(str(exc)) from None
    raise RecordError(f"type must be 'address' or 'route', not {kind!r}")


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise RecordError(f"{key} is required (a string)")
    return value


def _interface(record: dict[str, Any], required: bool) -> int | None:
    value = record.get("interface")
    if value is None:
        if required:
            raise RecordError("interface is required")
        return None
    if isinstance(value, bool):
        raise RecordError("interface must be an index")
    return parse_int(str(value), "interface", 1, 2**31 - 1)


def _flag(record: dict[str, Any], key: str, default: bool) -> bool:
    value = record.get(key, default)
    if not isinstance(value, bool):
        raise RecordError(f"{key} must be true or false")
    return value
