"""`routekeeper reg export|import`: the host's persistent routes in the registry's PersistentRoutes
form, to and from a .reg file."""

from __future__ import annotations

from routekeeper.app.arguments import parse, parser, subcommand
from routekeeper.app.errors import CommandFailed
from routekeeper.app.files import MIB, read_bounded, write_text
from routekeeper.app.session import Session
from routekeeper.core import operations as op
from routekeeper.frontends import reg

SUBCOMMANDS = {
    "export": "the persistent routes as a .reg file (UTF-16, as regedit writes it), or on stdout",
    "import": "add the persistent routes of a .reg file to the host",
}

REG_LIMIT = 128 * MIB  # a million routes export to about 90 MB (UTF-16, as regedit writes)


def cmd_reg(session: Session, args: list[str]) -> int:
    sub, rest = subcommand("reg", args, SUBCOMMANDS)
    p = parser(f"reg {sub}", SUBCOMMANDS[sub])
    p.add_argument("file", nargs="?" if sub == "export" else None, metavar="FILE")
    path = parse(p, rest).file
    if sub == "export":
        with session.host(read_only=True) as unit:
            text = reg.export(unit.subject)
        if path is not None:
            write_text(path, text, encoding="utf-16")
        else:
            session.out.write(text)
        return 0
    try:
        routes = reg.parse(reg.decode(read_bounded(path, REG_LIMIT, "a .reg file")))
    except ValueError as exc:
        raise CommandFailed(f"{path}: {exc}") from None
    with session.host() as unit:
        host = unit.subject
        for p in routes:
            host.apply(op.AddRoute(p.prefix, p.nexthop, p.ifindex, p.metric, persistent=True, active=False))
        waiting = len(host.waiting())
    session.out.write(f"imported {len(routes)} persistent routes ({waiting} waiting for their next hop)\n")
    return 0
