"""`routekeeper demo`: the defect report's scenario, before and after the fix, side by side.

Two fresh in-memory hosts (nothing saved, nothing needed: no root, no network), one `prehotfix` and one
`hotfix`, receive the same four commands. After each step the demo says what happened to the manual
default route and why; at the end it shows both IPv4 tables next to each other, then what the keeper
does for the pre-hotfix host.
"""

from __future__ import annotations

from typing import TextIO

from routekeeper.app.arguments import no_arguments
from routekeeper.app.session import Session
from routekeeper.core import operations as op
from routekeeper.core.events import Event, Kind
from routekeeper.core.host import Host
from routekeeper.core.keeper import keep
from routekeeper.core.values import Interface, Prefix, parse_mac
from routekeeper.frontends.base import tokenize
from routekeeper.frontends.registry import run_tool

ADAPTER = Interface(
    index=11,
    name="Local Area Connection 1",
    description="Intel(R) PRO/1000 MT Network Connection",
    mac=parse_mac("00-15-5D-01-02-03"),
    speed=1_000_000_000,
)
DEFAULT = Prefix.parse("0.0.0.0/0")

STEPS = [
    'netsh interface ipv4 add address "Local Area Connection 1" 192.168.0.20 255.255.255.0',
    "route add -p 0.0.0.0 mask 0.0.0.0 192.168.0.1",
    'netsh interface ipv4 add address "Local Area Connection 1" 192.168.0.21 255.255.255.0',
    'netsh interface ipv4 delete address "Local Area Connection 1" 192.168.0.21',
]


def fresh_host(profile: str) -> Host:
    host = Host(profile, name=profile)
    host.apply(op.AddInterface(ADAPTER))
    return host


def default_route_fate(host: Host, events: list[Event]) -> str:
    """One line on the manual default route after a step: the event that touched it, or its state."""
    for e in events:
        route = e.route or e.persistent
        if route is not None and route.prefix == DEFAULT and e.kind is not Kind.PERSISTED:
            return f"{e.kind.value.replace('route-', '')}: {e.reason}"
    active = any(r.prefix == DEFAULT for r in host.table)
    stored = any(p.prefix == DEFAULT for p in host.persistent.values())
    if not stored:
        return "not configured yet"
    return "active (unchanged)" if active else "absent from the active table, still in the persistent store"


def route_print(host: Host) -> list[str]:
    return run_tool(host, ["route", "print", "-4"]).stdout.splitlines()


def side_by_side(left: list[str], right: list[str], titles: tuple[str, str], width: int = 77) -> list[str]:
    rows = [f"{titles[0]:<{width}}  {titles[1]}", f"{'-' * (width - 2):<{width}}  {'-' * (width - 2)}"]
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        rows.append(f"{a:<{width}}  {b}".rstrip())
    return rows


def run_demo(out: TextIO) -> None:
    hosts = {name: fresh_host(name) for name in ("prehotfix", "hotfix")}
    w = out.write
    w("routekeeper demo: the defect report's scenario on two fresh simulated hosts\n")
    w("  prehotfix = Windows 7 / 2008 R2 before the tcpip.sys fix;  hotfix = with the fix\n")
    w(f"  adapter: [{ADAPTER.index}] {ADAPTER.name} ({ADAPTER.description}, 1 Gb/s)\n\n")
    for number, command in enumerate(STEPS, start=1):
        w(f"Step {number}: C:\\> {command}\n")
        for name, host in hosts.items():
            host.journal.clear()
            result = run_tool(host, tokenize(command))
            printed = (result.stdout + result.stderr).strip()
            shown = f"  (printed: {printed})" if printed else ""
            w(f"  {name:<10} default route: {default_route_fate(host, host.journal)}{shown}\n")
        w("\n")
    w("Final tables, C:\\> route print -4 on each host:\n\n")
    for line in side_by_side(
        route_print(hosts["prehotfix"]), route_print(hosts["hotfix"]), ("prehotfix", "hotfix")
    ):
        w(line + "\n")
    pre = hosts["prehotfix"]
    w("\nThe keeper on the prehotfix host (what `routekeeper keep` does on a real one):\n")
    actions = keep(pre)
    for action in actions:
        w(f"  {action.operation.prefix} via {action.operation.nexthop}: {action.reason}\n")
    same = _manual(pre) == _manual(hosts["hotfix"])
    w(f"  prehotfix + keeper now matches hotfix: {'yes' if same else 'NO'}\n")


def _manual(host: Host) -> set[tuple]:
    return {(r.prefix, r.ifindex, r.nexthop, r.metric) for r in host.table if r.manual}


def cmd_demo(session: Session, args: list[str]) -> int:
    no_arguments(
        "demo", args, "the defect report's scenario on two fresh simulated hosts, before and after the fix"
    )
    run_demo(session.out)
    return 0
