"""`routekeeper reg export|import`: the host's persistent routes in the registry's PersistentRoutes
form, to and from a .reg file."""

from __future__ import annotations

from routekeeper.app.arguments import parse, parser, subcommand
from routekeeper.app.errors import CommandFailed
from routekeeper.app.session import Session
from routekeeper.core import operations as op
from routekeeper.frontends import reg

SUBCOMMANDS = {
    "export": "the persistent routes as a .reg file (UTF-16, as regedit writes it), or on stdout",
    "import": "add the persistent routes of a .reg file to the host",
}


def cmd_reg(session: Session, args: list[str]) -> int:
    sub, rest = subcommand("reg", args, SUBCOMMANDS)
    p = parser(f"reg {sub}", SUBCOMMANDS[sub])
    p.add_argument("file", nargs="?" if sub == "export" else None, metavar="FILE")
    path = parse(p, rest).file
    if sub == "export":
        with session.host(read_only=True) as unit:
            text = reg.export(unit.subject)
        if path is not None:
            try:
                with open(path, "w", encoding="utf-16") as fh:
                    fh.write(text)
            except OSError as exc:
                raise CommandFailed(f"cannot write {path}: {exc.strerror}") from None
        else:
            session.out.write(text)
        return 0
    text = read_text(path)
    try:
        routes = reg.parse(text)
    except ValueError as exc:
        raise CommandFailed(f"{path}: {exc}") from None
    with session.host() as unit:
        host = unit.subject
        for p in routes:
            host.apply(op.AddRoute(p.prefix, p.nexthop, p.ifindex, p.metric, persistent=True, active=False))
        waiting = len(host.waiting())
    session.out.write(f"imported {len(routes)} persistent routes ({waiting} waiting for their next hop)\n")
    return 0


def read_text(path: str) -> str:
    """A .reg file as regedit writes it (UTF-16 with a byte order mark) or as people edit it."""
    try:
        raw = open(path, "rb").read()
    except OSError as exc:
        raise CommandFailed(f"cannot read {path}: {exc.strerror}") from None
    for encoding in ("utf-16", "utf-8-sig", "cp1252"):
        if encoding == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CommandFailed(f"{path}: cannot decode the file")
