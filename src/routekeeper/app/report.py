"""`routekeeper report --html FILE`: the timeline of every persistent route, as one HTML page.

Simulated hosts (every host of the state file, or the one `--host` names) are drawn from their
journal in the store plus their state now. The linux backend has no journal in its store yet: its
section shows each kept route's state now (from the kernel and the linux store) and says so.
The rendering is `frontends.timeline` (pure); this module only gathers the data and writes the file,
atomically, after everything was read.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from datetime import UTC, datetime

from routekeeper.app.arguments import parse, parser
from routekeeper.app.errors import CommandFailed
from routekeeper.app.session import Session
from routekeeper.app.unit import host_unit
from routekeeper.core.host import Host
from routekeeper.frontends.timeline import Current, Entry, HostHistory, keeper_entries, render, route_key
from routekeeper.store.linux import LinuxRouteStore

LINUX_NOTE = (
    "This linux store holds no keeper journal: each kept route is shown as it is now "
    "(kernel and store); its history is in the daemon's log (journalctl -u routekeeper-keep)."
)


def current_routes(host: Host) -> list[Current]:
    """Each persistent route now: active (in the table), parked, or waiting (and for what)."""
    found = []
    for key, p in host.persistent.items():
        name = route_key(p.describe()) or p.describe()
        if key in host.parked:
            found.append(Current(name, "parked", "in the persistent store, not active until the next reboot"))
        elif host.has_manual(p.prefix, p.nexthop, p.ifindex):
            found.append(Current(name, "active", "in the active table"))
        else:
            target = host.placement(p)
            why = (
                f"next hop {p.nexthop} is on-link on no interface"
                if target is None
                else f"not in the active table; it could go on interface {target}"
            )
            found.append(Current(name, "waiting", why))
    return found


def simulated(session: Session, names: list[str]) -> list[HostHistory]:
    store = session.store()
    known = dict(store.host_names())
    histories = []
    for name in names:
        if name not in known:
            raise CommandFailed(f"no host {name!r} in {session.state}")
        rows = store.log(name, None, everything=True)  # the timeline picks what it draws
        with host_unit(store, name, "report") as unit:
            unit.discard()
            now = current_routes(unit.subject)
        entries = [Entry(at, command, kind, subject, reason) for at, command, kind, subject, reason in rows]
        histories.append(HostHistory(name, f"simulated, profile {known[name]}", entries, now))
    return histories


def linux(session: Session) -> list[HostHistory]:
    """The namespace's kept routes now (named by prefix, as the keeper's journal names them), and
    their history from the keeper's journal where the store has one."""
    with session.host(read_only=True) as unit:
        now = [replace(c, route=c.route.split(" ")[0]) for c in current_routes(unit.subject)]
    with LinuxRouteStore(session.state_override, session.netns) as store:
        journal = getattr(store, "history", None)  # the keeper's journal (issue 11's store)
        entries = keeper_entries(journal()) if journal is not None else []
    where = f"namespace {session.netns}" if session.netns else "this host"
    return [HostHistory(where, "linux backend", entries, now, "" if journal is not None else LINUX_NOTE)]


def write_atomically(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=directory)
    except OSError as exc:
        raise CommandFailed(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        os.unlink(tmp)
        raise CommandFailed(f"cannot write {path}: {exc.strerror}") from None


def cmd_report(session: Session, args: list[str]) -> int:
    p = parser("report")
    p.add_argument("--html", metavar="FILE", required=True, help="write the timeline page there")
    p.add_argument(
        "--host", dest="hosts", action="append", metavar="NAME", help="only this host (repeatable)"
    )
    if "-h" in args or "--help" in args:  # help never acts, and goes where the session writes
        session.out.write(p.format_help())
        return 0
    ns = parse(p, args)
    if session.backend == "linux":
        histories = linux(session)
        title = "routekeeper report: linux backend"
    else:
        if not os.path.exists(session.state):
            raise CommandFailed(f"no state file {session.state}")
        names = ns.hosts or [name for name, _profile in session.store().host_names()]
        histories = simulated(session, names)
        title = f"routekeeper report: {os.path.basename(session.state)}"
    source = session.state_override or "the linux store" if session.backend == "linux" else session.state
    generated = f"Generated {datetime.now(UTC).isoformat(timespec='seconds')} from {source}"
    write_atomically(ns.html, render(histories, title, generated))
    session.out.write(f"wrote {ns.html}: {len(histories)} hosts\n")
    return 0
