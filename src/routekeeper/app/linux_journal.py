"""`log` and `why` on the linux backend: each kept route's history from the keeper's journal in the
store (flushed at T because ..., restored at T+3 ms after ..., changed by a command), and for `why`
what the running daemon says of it now (`routekeeper status`'s answer, when a daemon runs).

The simulator's `log` and `why` read the simulated host's history; `cmd_log_any` / `cmd_why_any`
pick per command line, so the command table keeps one entry per word.
"""

from __future__ import annotations

import json
import os
import time

from routekeeper.app.arguments import parse, parser
from routekeeper.app.errors import CommandFailed
from routekeeper.app.session import Session
from routekeeper.app.status import render
from routekeeper.core.values import Prefix
from routekeeper.linux.keeper.control import ask, control_path
from routekeeper.store.linux import LinuxRouteStore, state_file


def cmd_log_any(session: Session, args: list[str]) -> int:
    """`log`: the keeper's journal on the linux backend, the simulated host's history otherwise."""
    if session.backend == "linux":
        return cmd_log(session, args)
    from routekeeper.app import operations

    return operations.cmd_log(session, args)


def cmd_why_any(session: Session, args: list[str]) -> int:
    """`why`: a kept route on the linux backend, a simulated host's persistent route otherwise."""
    if session.backend == "linux":
        return cmd_why(session, args)
    from routekeeper.app import operations

    return operations.cmd_why(session, args)


def _store(session: Session) -> LinuxRouteStore:
    """The store, after a running daemon has written what it journalled since it was last idle."""
    path = state_file(session.state_override)
    if not os.path.exists(path):
        raise CommandFailed(f"no linux state file {path} (nothing kept yet)")
    try:
        ask(control_path(path, session.netns), {"op": "flush"}, timeout=10.0)
    except (TimeoutError, OSError):
        pass  # a daemon that does not answer: what is on disk is all there is to show
    return LinuxRouteStore(path, session.netns)


def _line(at: float, prefix: str, kind: str, detail: str) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(at)) + f".{int(at * 1000) % 1000:03d}"
    return f"{stamp}  {kind}: {prefix}: {detail}"


def _event(at: float, prefix: str, kind: str, detail: str) -> dict[str, object]:
    return {"at": at, "prefix": prefix, "kind": kind, "detail": detail}


def cmd_log(session: Session, args: list[str]) -> int:
    p = parser("log", "the keeper's journal: what happened to each kept route, and why")
    p.add_argument("prefix", nargs="?")
    p.add_argument("--all", action="store_true", help="accepted for the simulator's sake: all is shown")
    p.add_argument("--json", action="store_true", help="one JSON document")
    ns = parse(p, args)
    prefix = str(Prefix.parse(ns.prefix)) if ns.prefix else None
    with _store(session) as store:
        rows = store.history(prefix)
        path = store.path
    if ns.json:
        document = {"store": path, "netns": session.netns, "events": [_event(*row) for row in rows]}
        session.out.write(json.dumps(document, indent=2) + "\n")
        return 0
    for row in rows:
        session.out.write(_line(*row) + "\n")
    return 0


def cmd_why(session: Session, args: list[str]) -> int:
    p = parser("why", "a kept route: what is stored, what the running keeper says now, its history")
    p.add_argument("prefix")
    p.add_argument("--json", action="store_true", help="one JSON document")
    ns = parse(p, args)
    prefix = str(Prefix.parse(ns.prefix))
    with _store(session) as store:
        kept = [s for s in store.load() if str(s.route.prefix) == prefix]
        rows = store.history(prefix)
        path = store.path
    try:
        answer = ask(control_path(path, session.netns), {"op": "status"}, timeout=10.0)
    except (TimeoutError, OSError):
        answer = None
    now = [r for r in (answer or {}).get("routes", []) if r.get("prefix") == prefix]
    if ns.json:
        document = {
            "prefix": prefix,
            "store": path,
            "netns": session.netns,
            "kept": [
                {
                    "nexthop": str(s.route.nexthop),
                    "interface": s.ifname,
                    "metric": s.route.metric,
                    "parked": s.parked,
                    "src": str(s.prefsrc) if s.prefsrc is not None else None,
                    "onlink": s.onlink,
                }
                for s in kept
            ],
            "keeper_running": answer is not None,
            "now": now,
            "events": [_event(*row) for row in rows],
        }
        session.out.write(json.dumps(document, indent=2) + "\n")
        return 0
    if not kept:
        session.out.write(f"{prefix} is not a persistent route in {path}\n")
    for s in kept:
        r = s.route
        dev = f" dev {s.ifname}" if s.ifname else ""
        parked = " (parked: not kept)" if s.parked else ""
        session.out.write(f"{prefix} via {r.nexthop}{dev} metric {r.metric}: persistent{parked}\n")
    if answer is None:
        session.out.write("now: no routekeeper keep is running for this state file\n")
    for route in now:
        session.out.write("now: " + render(route) + "\n")
    for row in rows:
        session.out.write(_line(*row) + "\n")
    return 0
