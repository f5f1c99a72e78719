"""`routekeeper status`: each kept route as the running `routekeeper keep` sees it, asked over its
control socket (the same channel a command uses to hand it a change; `linux/keeper/control.py`).

Exit status, for monitoring and health scripts: 0 when every route whose next hop is reachable is in
the kernel; 1 when one is missing (waiting though reachable, or conflicting); 3 when no daemon keeps
that state file in that namespace (as `systemctl status` says 3 for a unit not running).
"""

from __future__ import annotations

import json
import time

from routekeeper.app.arguments import parse, parser
from routekeeper.app.errors import CommandFailed
from routekeeper.app.session import Session
from routekeeper.linux.keeper.control import ask, control_path
from routekeeper.store.linux import state_file

MISSING_EXIT = 1
NOT_RUNNING_EXIT = 3


def when(at: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(at)) if at else "-"


def render(route: dict) -> str:
    """One line per route: what, state (why), since when, last restore and its latency."""
    dev = f" dev {route['interface']}" if route.get("interface") else ""
    head = f"{route['prefix']} via {route['nexthop']}{dev} metric {route['metric']}"
    line = f"{head}: {route['state']} ({route['reason']}) since {when(route.get('since'))}"
    if route.get("last_restore"):
        line += f"; last restore {when(route['last_restore'])} in {route['last_restore_latency_ms']:.1f} ms"
    return line


def cmd_status(session: Session, args: list[str]) -> int:
    p = parser("status")
    p.add_argument("--json", action="store_true", help="one JSON document")
    ns = parse(p, args)
    state = state_file(session.state_override)
    path = control_path(state, session.netns)
    try:
        answer = ask(path, {"op": "status"}, timeout=30.0)
    except (TimeoutError, OSError) as exc:
        raise CommandFailed(f"routekeeper keep at {path} did not answer: {exc}") from None
    where = f" in namespace {session.netns}" if session.netns else ""
    if answer is None:
        session.err.write(f"routekeeper: no routekeeper keep running for {state}{where}\n")
        return NOT_RUNNING_EXIT
    if not answer.get("ok"):
        raise CommandFailed(f"routekeeper keep refused: {answer.get('error')}")
    routes = answer.get("routes", [])
    if ns.json:
        json.dump({"store": state, "netns": session.netns, "routes": routes}, session.out, indent=2)
        session.out.write("\n")
    else:
        for route in routes:
            session.out.write(render(route) + "\n")
        counts: dict[str, int] = {}
        for route in routes:
            counts[route["state"]] = counts.get(route["state"], 0) + 1
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no routes kept"
        session.out.write(f"{len(routes)} kept routes{where}: {summary}\n")
    missing = any(r["state"] != "present" and r["reachable"] for r in routes)
    return MISSING_EXIT if missing else 0
