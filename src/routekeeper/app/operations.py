"""routekeeper's own commands on the chosen host: the native operations (`add-route`, `connect`, ...),
each one core operation in one unit of work, and the views (`routes`, `lookup`, `log`, `why`)."""

from __future__ import annotations

from collections.abc import Callable

from routekeeper.app.arguments import Parser, ip, no_arguments, number, number_type, parse, parser
from routekeeper.app.session import Handler, Session
from routekeeper.core import operations as op
from routekeeper.core.events import Event
from routekeeper.core.values import IP, AddressStore, Prefix
from routekeeper.frontends import native
from routekeeper.frontends.base import UsageError


def print_events(session: Session, events: list[Event]) -> None:
    """The events worth telling the user: about manual routes, addresses and interfaces."""
    for e in events:
        if e.about_manual_route or e.address is not None or e.interface is not None:
            session.out.write(f"{e}\n")


def _apply(session: Session, interface: str | None, make: Callable[[int | None], op.Operation]) -> None:
    """Apply the operation `make` builds for the named interface (or none) and print its events.

    Errors come in the order users know: no such host, then no such interface, then a bad value that
    `make` parses."""
    with session.host() as unit:
        host = unit.subject
        idx = native.resolve_interface(host, interface) if interface is not None else None
        print_events(session, host.apply(make(idx)))


ROUTE_METRIC = number_type("the metric", 0, 2**32 - 1)  # the profile narrows it (1..9999 on Windows)


# ---------------------------------------------------------------------- addresses
def cmd_add_address(session: Session, args: list[str]) -> int:
    p = parser("add-address", "add an address to an interface")
    p.add_argument("interface")
    p.add_argument("address", help="ADDRESS/LENGTH")
    p.add_argument("--skipassource", action="store_true")
    p.add_argument("--active-only", action="store_true", help="gone at the next reboot")
    ns = parse(p, args)
    addr, sep, length = ns.address.partition("/")
    address = ip(addr)
    if not sep:
        raise UsageError("add-address: give the address as ADDRESS/LENGTH")
    store = AddressStore.ACTIVE if ns.active_only else AddressStore.PERSISTENT
    with session.host() as unit:
        host = unit.subject
        idx = native.resolve_interface(host, ns.interface)
        o = op.AddAddress(idx, address, _length(length, address), ns.skipassource, store)
        print_events(session, host.apply(o))
    return 0


def _length(text: str, address: IP) -> int:
    return number(text, "the prefix length", 1, address.bits)


def cmd_delete_address(session: Session, args: list[str]) -> int:
    p = parser("delete-address", "delete an address from an interface")
    p.add_argument("interface")
    p.add_argument("address")
    ns = parse(p, args)
    address = ip(ns.address.partition("/")[0])
    _apply(session, ns.interface, lambda idx: op.DeleteAddress(idx, address))  # type: ignore[arg-type]
    return 0


# ---------------------------------------------------------------------- routes
def _route_parser(name: str, description: str) -> Parser:
    p = parser(name, description)
    p.add_argument("prefix", help="PREFIX/LENGTH, e.g. 0.0.0.0/0 or 2001:db8::/32")
    p.add_argument("--via", help="next hop (omit for on-link)")
    p.add_argument("--interface", help="interface index or name (binds the route to it)")
    return p


def cmd_add_route(session: Session, args: list[str]) -> int:
    p = _route_parser("add-route", "add a route (--persistent: kept across reboots)")
    p.add_argument("--metric", type=ROUTE_METRIC)
    p.add_argument("--persistent", action="store_true")
    p.add_argument("--onlink", action="store_true", help="linux: accept a gateway that is not on-link")
    p.add_argument("--src", help="linux: preferred source address")
    ns = parse(p, args)
    prefix = Prefix.parse(ns.prefix)
    nexthop = ip(ns.via) if ns.via else IP(prefix.version, 0)
    _apply(
        session,
        ns.interface or None,
        lambda idx: op.AddRoute(
            prefix,
            nexthop,
            idx,
            ns.metric,
            ns.persistent,
            prefsrc=ip(ns.src) if ns.src else None,
            onlink=ns.onlink,
        ),
    )
    return 0


def cmd_delete_route(session: Session, args: list[str]) -> int:
    p = _route_parser("delete-route", "delete a route (and its persistent copy)")
    p.add_argument("--active-only", action="store_true", help="keep the persistent copy")
    ns = parse(p, args)
    prefix = Prefix.parse(ns.prefix)
    _apply(
        session,
        ns.interface or None,
        lambda idx: op.DeleteRoute(
            prefix, ip(ns.via) if ns.via else None, idx, persistent=not ns.active_only
        ),
    )
    return 0


def cmd_change_route(session: Session, args: list[str]) -> int:
    p = _route_parser("change-route", "change a route's next hop or metric")
    p.add_argument("--new-via")
    p.add_argument("--metric", type=ROUTE_METRIC)
    ns = parse(p, args)
    if ns.new_via is None and ns.metric is None:
        raise UsageError("change-route: give --new-via and/or --metric")
    prefix = Prefix.parse(ns.prefix)
    _apply(
        session,
        ns.interface or None,
        lambda idx: op.ChangeRoute(
            prefix,
            idx,
            ip(ns.via) if ns.via else None,
            ip(ns.new_via) if ns.new_via else None,
            ns.metric,
        ),
    )
    return 0


def cmd_flush(session: Session, args: list[str]) -> int:
    no_arguments("flush-gateways", args, "delete every route through a gateway (route -f)")
    with session.host() as unit:
        print_events(session, unit.subject.apply(op.FlushGatewayRoutes()))
    return 0


# ---------------------------------------------------------------------- interfaces
def interface_command(name: str, description: str, **change: object) -> Handler:
    """`connect IF`, `disable IF`, ...: one interface setting changed."""

    def handler(session: Session, args: list[str]) -> int:
        p = parser(name, description)
        p.add_argument("interface", help="index or name")
        ns = parse(p, args)
        _apply(session, ns.interface, lambda idx: op.SetInterface(idx, **change))  # type: ignore[arg-type]
        return 0

    return handler


def cmd_set_metric(session: Session, args: list[str]) -> int:
    p = parser("set-metric", "set an interface's metric, or 'auto' (from its link speed)")
    p.add_argument("interface", help="index or name")
    p.add_argument("metric", help="METRIC or auto")
    ns = parse(p, args)
    automatic = ns.metric.lower() == "auto"
    # The profile decides which metrics an interface takes (1..9999 on Windows); the parser, what a number is.
    metric = None if automatic else number(ns.metric, "set-metric: the metric", 0, 2**32 - 1)
    with session.host() as unit:
        host = unit.subject
        idx = native.resolve_interface(host, ns.interface)
        o = op.SetInterface(idx, automatic_metric=True) if automatic else op.SetInterface(idx, metric=metric)
        print_events(session, host.apply(o))
    return 0


def cmd_set_promote(session: Session, args: list[str]) -> int:
    p = parser("set-promote", "linux: whether deleting a primary address promotes a secondary")
    p.add_argument("interface", help="index or name")
    p.add_argument("setting", choices=("on", "off"))
    ns = parse(p, args)
    on = ns.setting == "on"
    _apply(session, ns.interface, lambda idx: op.SetInterface(idx, promote_secondaries=on))  # type: ignore[arg-type]
    return 0


# ---------------------------------------------------------------------- views
def _view_parser(name: str, description: str) -> Parser:
    p = parser(name, description)
    p.add_argument("--json", action="store_true", help="as JSON (docs/json.md)")
    return p


def cmd_routes(session: Session, args: list[str]) -> int:
    ns = parse(_view_parser("routes", "the active table and the persistent store"), args)
    with session.host(read_only=True) as unit:
        if ns.json:
            session.out.writelines(native.routes_json_chunks(unit.subject))
        else:
            for line in native.routes_text(unit.subject):
                session.out.write(line + "\n")
    return 0


def cmd_lookup(session: Session, args: list[str]) -> int:
    p = _view_parser("lookup", "the route chosen for an address, and why")
    p.add_argument("address")
    ns = parse(p, args)
    address = ip(ns.address)
    with session.host(read_only=True) as unit:
        found = unit.subject.lookup(address) is not None
        if ns.json:
            text = native.to_json(native.lookup_dict(unit.subject, address))
        else:
            text = "\n".join(native.explain_lookup(unit.subject, address)) + "\n"
    session.out.write(text)
    return 0 if found else 1


def cmd_log(session: Session, args: list[str]) -> int:
    p = _view_parser("log", "the reasoned event history")
    p.add_argument("prefix", nargs="?")
    p.add_argument("--all", action="store_true", help="include system route changes")
    ns = parse(p, args)
    prefix = str(Prefix.parse(ns.prefix)) if ns.prefix else None
    with session.host(read_only=True):
        rows = session.store().log(session.host_name, prefix, ns.all)
    if ns.json:
        events = [native.history_dict(row) for row in rows]
        session.out.write(native.to_json({"host": session.host_name, "events": events}))
        return 0
    for at, command, kind, subject, reason in rows:
        session.out.write(f"{at}  {kind}: {subject}: {reason}  [{command}]\n")
    return 0


def cmd_why(session: Session, args: list[str]) -> int:
    p = _view_parser("why", "why a persistent route is or is not active")
    p.add_argument("prefix")
    ns = parse(p, args)
    prefix = Prefix.parse(ns.prefix)
    with session.host(read_only=True) as unit:
        host = unit.subject
        history = session.store().log(session.host_name, str(prefix), everything=False)
        if ns.json:
            persistent = [
                native.persistent_dict(host, p) for p in host.persistent.values() if p.prefix == prefix
            ]
            text = native.to_json(
                {
                    "host": host.name,
                    "prefix": str(prefix),
                    "persistent": persistent,
                    "explanation": native.explain_why(host, prefix, []),
                    "history": [native.history_dict(row) for row in history],
                }
            )
        else:
            text = "\n".join(native.explain_why(host, prefix, history)) + "\n"
    session.out.write(text)
    return 0
