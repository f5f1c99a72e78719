"""`routekeeper whatif COMMAND ...`: run a command on the loaded host, tell what it would change, and
keep nothing.

The command runs inside the what-if's own unit of work (it joins it, see `Session.host`), which is
discarded at the end; what the command would have saved is that unit's journal, unless the command
itself discarded its changes (a failed command changes nothing)."""

from __future__ import annotations

import io

from routekeeper.app.arguments import HELP_WORDS
from routekeeper.app.commands import dispatch
from routekeeper.app.session import Session, command_text
from routekeeper.core import numbers
from routekeeper.core.events import Event, Kind
from routekeeper.frontends import native
from routekeeper.frontends.base import HelpRequested, UsageError

NOT_PREVIEWABLE = ("whatif", "scenario", "demo", "keep", "hotfix", "reg", "cluster")


HELP = """\
usage: routekeeper whatif [--json] COMMAND ...

Run COMMAND (a Windows tool, a native operation or 'host reboot') on the host as loaded, tell what it
would change (addresses, the active table, the persistent store), and keep nothing.

options:
  -h, --help  show this help message and exit
  --json      the command's output and the changes as JSON (docs/json.md)
"""


def cmd_whatif(session: Session, args: list[str]) -> int:
    if args and args[0] in HELP_WORDS:
        raise HelpRequested(HELP)
    as_json = bool(args) and args[0] == "--json"
    if as_json:
        args = args[1:]
    if not args:
        raise UsageError("whatif: expected a command, e.g. whatif netsh interface ipv4 delete address ...")
    if args[0].startswith("-"):
        raise UsageError(f"whatif: unknown option {numbers.shown(args[0])} (only --json, before the command)")
    previewable = args[0] != "host" or args[1:2] == ["reboot"]  # its own parser refuses the rest
    if args[0] in NOT_PREVIEWABLE or not previewable:
        raise UsageError(f"whatif: cannot preview {' '.join(args[:2])!r}")
    shown = io.StringIO()
    with session.host() as unit:
        status = dispatch(session.writing_to(shown, shown), args)
        events = list(unit.subject.journal) if unit.kept else []
        unit.discard()
    if as_json:
        session.out.write(native.to_json(whatif_dict(args, status, shown.getvalue(), events)))
        return status
    session.out.write(f"What if: {command_text(args)} (nothing was changed)\n")
    printed = shown.getvalue().splitlines()
    if printed:
        session.out.write("It would print:\n")
        session.out.writelines(f"  | {line}\n" for line in printed)
    for line in describe_changes(events):
        session.out.write(line + "\n")
    return status


def whatif_dict(args: list[str], status: int, printed: str, events: list[Event]) -> dict[str, object]:
    """`whatif --json`: the command, what it printed, its exit status and the events it would keep."""
    return {
        "command": command_text(args),
        "exit": status,
        "printed": printed,
        "changes": [native.event_dict(e) for e in events],
        "withdrawn": sum(1 for e in events if e.kind is Kind.ROUTE_WITHDRAWN),
    }


def describe_changes(events: list[Event]) -> list[str]:
    """The changes a command's events stand for: addresses, the active table, the persistent store."""
    active: list[tuple[str, str, str]] = []  # (sign, route, line)
    stored, addresses = [], []
    for e in events:
        if e.kind in (Kind.ROUTE_WITHDRAWN, Kind.ROUTE_REMOVED) and e.route and e.route.manual:
            active.append(("-", e.route.describe(), f"  - {e.route.describe()}: {e.reason}"))
        elif e.kind in (Kind.ROUTE_ADDED, Kind.ROUTE_RESTORED) and e.route and e.route.manual:
            active.append(("+", e.route.describe(), f"  + {e.route.describe()}: {e.reason}"))
        elif e.kind in (Kind.ROUTE_REMOVED, Kind.ROUTE_ADDED) and e.route:
            sign = "-" if e.kind is Kind.ROUTE_REMOVED else "+"
            route = f"{e.route.describe()} (system)"
            active.append((sign, route, f"  {sign} {route}: {e.reason}"))
        elif e.kind is Kind.PERSISTED and e.persistent:
            stored.append(f"  + {e.persistent.describe()}")
        elif e.kind is Kind.UNPERSISTED and e.persistent:
            stored.append(f"  - {e.persistent.describe()}")
        elif e.kind in (Kind.ADDRESS_ADDED, Kind.ADDRESS_REMOVED) and e.address:
            sign = "+" if e.kind is Kind.ADDRESS_ADDED else "-"
            addresses.append(f"  {sign} {e.address} on interface {e.address.ifindex}: {e.reason}")
    # A route that leaves and comes back (a reboot rebuilds the whole table) is not a change: only what
    # differs at the end is shown.
    back = {route for sign, route, _ in active if sign == "-"} & {
        route for sign, route, _ in active if sign == "+"
    }
    changed = [line for _, route, line in active if route not in back]
    lines = ["Addresses:", *(addresses or ["  unchanged"])]
    lines += ["Active table:", *(changed or ["  unchanged"])]
    lines += ["Persistent store:", *(stored or ["  unchanged"])]
    lost = [e for e in events if e.kind is Kind.ROUTE_WITHDRAWN]
    if lost:
        lines.append(f"{len(lost)} manual route(s) would leave the active table.")
    return lines
