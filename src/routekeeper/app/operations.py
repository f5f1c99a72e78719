"""routekeeper's own commands on the chosen host: the native operations (`add-route`, `connect`, ...),
each one core operation in one unit of work, and the views (`routes`, `lookup`, `log`, `why`)."""

from __future__ import annotations

from collections.abc import Callable

from routekeeper.app.arguments import Parser, ip, parse, parser
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


# ---------------------------------------------------------------------- addresses
def cmd_add_address(session: Session, args: list[str]) -> int:
    p = parser("add-address")
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
    if not text.isdigit() or not 0 < int(text) <= address.bits:
        raise UsageError(f"bad prefix length {text!r}")
    return int(text)


def cmd_delete_address(session: Session, args: list[str]) -> int:
    p = parser("delete-address")
    p.add_argument("interface")
    p.add_argument("address")
    ns = parse(p, args)
    address = ip(ns.address.partition("/")[0])
    _apply(session, ns.interface, lambda idx: op.DeleteAddress(idx, address))  # type: ignore[arg-type]
    return 0


# ---------------------------------------------------------------------- routes
def _route_parser(name: str) -> Parser:
    p = parser(name)
    p.add_argument("prefix", help="PREFIX/LENGTH, e.g. 0.0.0.0/0 or 2001:db8::/32")
    p.add_argument("--via", help="next hop (omit for on-link)")
    p.add_argument("--interface", help="interface index or name (binds the route to it)")
    return p


def cmd_add_route(session: Session, args: list[str]) -> int:
    p = _route_parser("add-route")
    p.add_argument("--metric", type=int)
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
    p = _route_parser("delete-route")
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
    p = _route_parser("change-route")
    p.add_argument("--new-via")
    p.add_argument("--metric", type=int)
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
    with session.host() as unit:
        print_events(session, unit.subject.apply(op.FlushGatewayRoutes()))
    return 0


# ---------------------------------------------------------------------- interfaces
def interface_command(**change: object) -> Handler:
    """`connect IF`, `disable IF`, ...: one interface setting changed."""

    def handler(session: Session, args: list[str]) -> int:
        if len(args) != 1:
            raise UsageError("expected one interface (index or name)")
        _apply(session, args[0], lambda idx: op.SetInterface(idx, **change))  # type: ignore[arg-type]
        return 0

    return handler


def cmd_set_metric(session: Session, args: list[str]) -> int:
    if len(args) != 2:
        raise UsageError("set-metric: expected INTERFACE METRIC|auto")
    with session.host() as unit:
        host = unit.subject
        idx = native.resolve_interface(host, args[0])
        if args[1].lower() == "auto":
            o = op.SetInterface(idx, automatic_metric=True)
        elif args[1].isdigit():
            o = op.SetInterface(idx, metric=int(args[1]))
        else:
            raise UsageError(f"set-metric: not a metric: {args[1]!r}")
        print_events(session, host.apply(o))
    return 0


def cmd_set_promote(session: Session, args: list[str]) -> int:
    if len(args) != 2 or args[1] not in ("on", "off"):
        raise UsageError("set-promote: expected INTERFACE on|off")
    on = args[1] == "on"
    _apply(session, args[0], lambda idx: op.SetInterface(idx, promote_secondaries=on))  # type: ignore[arg-type]
    return 0


# ---------------------------------------------------------------------- views
def cmd_routes(session: Session, args: list[str]) -> int:
    p = parser("routes")
    p.add_argument("--json", action="store_true")
    ns = parse(p, args)
    with session.host(read_only=True) as unit:
        if ns.json:
            session.out.write(native.routes_json(unit.subject))
        else:
            for line in native.routes_text(unit.subject):
                session.out.write(line + "\n")
    return 0


def cmd_lookup(session: Session, args: list[str]) -> int:
    p = parser("lookup")
    p.add_argument("address")
    ns = parse(p, args)
    address = ip(ns.address)
    with session.host(read_only=True) as unit:
        lines = native.explain_lookup(unit.subject, address)
        found = unit.subject.lookup(address) is not None
    session.out.write("\n".join(lines) + "\n")
    return 0 if found else 1


def cmd_log(session: Session, args: list[str]) -> int:
    p = parser("log")
    p.add_argument("prefix", nargs="?")
    p.add_argument("--all", action="store_true", help="include system route changes")
    ns = parse(p, args)
    prefix = str(Prefix.parse(ns.prefix)) if ns.prefix else None
    with session.host(read_only=True):
        rows = session.store().log(session.host_name, prefix, ns.all)
    for at, command, kind, subject, reason in rows:
        session.out.write(f"{at}  {kind}: {subject}: {reason}  [{command}]\n")
    return 0


def cmd_why(session: Session, args: list[str]) -> int:
    p = parser("why")
    p.add_argument("prefix")
    ns = parse(p, args)
    prefix = Prefix.parse(ns.prefix)
    with session.host(read_only=True) as unit:
        history = session.store().log(session.host_name, str(prefix), everything=False)
        lines = native.explain_why(unit.subject, prefix, history)
    session.out.write("\n".join(lines) + "\n")
    return 0
