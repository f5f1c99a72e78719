"""`routekeeper reg export|import`: the host's persistent routes in the registry's PersistentRoutes
form, to and from a .reg file."""

from __future__ import annotations

from routekeeper.app.errors import CommandFailed
from routekeeper.app.session import Session
from routekeeper.core import operations as op
from routekeeper.frontends import reg
from routekeeper.frontends.base import UsageError


def cmd_reg(session: Session, args: list[str]) -> int:
    if not args or args[0] not in ("export", "import"):
        raise UsageError("reg: expected 'reg export [FILE]' or 'reg import FILE'")
    if args[0] == "export":
        with session.host(read_only=True) as unit:
            text = reg.export(unit.subject)
        if len(args) > 1:
            with open(args[1], "w", encoding="utf-16") as fh:
                fh.write(text)
        else:
            session.out.write(text)
        return 0
    if len(args) != 2:
        raise UsageError("reg import: expected one FILE")
    text = read_text(args[1])
    try:
        routes = reg.parse(text)
    except ValueError as exc:
        raise CommandFailed(f"{args[1]}: {exc}") from None
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
