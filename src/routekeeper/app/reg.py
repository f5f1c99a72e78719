"""`routekeeper reg export|import`: the host's persistent routes in the registry's PersistentRoutes
form, to and from a .reg file."""

from __future__ import annotations

from routekeeper.app.errors import CommandFailed
from routekeeper.app.files import MIB, read_bounded, write_text
from routekeeper.app.session import Session
from routekeeper.core import operations as op
from routekeeper.frontends import reg
from routekeeper.frontends.base import UsageError

REG_LIMIT = 128 * MIB  # a million routes export to about 90 MB (UTF-16, as regedit writes)


def cmd_reg(session: Session, args: list[str]) -> int:
    if not args or args[0] not in ("export", "import"):
        raise UsageError("reg: expected 'reg export [FILE]' or 'reg import FILE'")
    if args[0] == "export":
        with session.host(read_only=True) as unit:
            text = reg.export(unit.subject)
        if len(args) > 1:
            write_text(args[1], text, encoding="utf-16")
        else:
            session.out.write(text)
        return 0
    if len(args) != 2:
        raise UsageError("reg import: expected one FILE")
    try:
        routes = reg.parse(reg.decode(read_bounded(args[1], REG_LIMIT, "a .reg file")))
    except ValueError as exc:
        raise CommandFailed(f"{args[1]}: {exc}") from None
    with session.host() as unit:
        host = unit.subject
        for p in routes:
            host.apply(op.AddRoute(p.prefix, p.nexthop, p.ifindex, p.metric, persistent=True, active=False))
        waiting = len(host.waiting())
    session.out.write(f"imported {len(routes)} persistent routes ({waiting} waiting for their next hop)\n")
    return 0
