"""`routekeeper demo`: the defect report's scenario, before and after the fix, side by side.

Two fresh in-memory hosts (nothing saved, nothing needed: no root, no network), one `prehotfix` and one
`hotfix`, receive the same four commands. After each step the demo says what happened to the manual
default route and why; at the end it shows both IPv4 tables (next to each other on a terminal wide
enough, one after the other otherwise: everything fits 80 columns), what the keeper does for the
pre-hotfix host, and a one-line verdict.
"""

from __future__ import annotations

import shutil
import textwrap
from typing import TextIO

from routekeeper.app.arguments import no_arguments
from routekeeper.app.session import Session, command_text
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


NARROW = 80  # what every line fits when the tables are stacked
TABLE = 77  # a `route print` line is 75 characters; two of them side by side need 2 * 77 + 2


def route_print(host: Host) -> list[str]:
    lines = run_tool(host, ["route", "print", "-4"]).stdout.splitlines()
    return _mark_inactive(host, lines)


def _mark_inactive(host: Host, lines: list[str]) -> list[str]:
    """Flag a persistent route that is not in the active table: `route print` itself does not say."""
    if "Persistent Routes:" not in lines:
        return lines
    start = lines.index("Persistent Routes:")
    active = {(r.prefix, r.nexthop) for r in host.table if r.manual}
    dormant = {
        (str(p.prefix.address), str(p.nexthop))
        for p in host.persistent.values()
        if (p.prefix, p.nexthop) not in active and p.prefix.version == 4
    }
    marked = list(lines)
    for i in range(start + 2, len(lines)):
        cols = lines[i].split()
        if len(cols) == 4 and (cols[0], cols[2]) in dormant:
            marked[i] = lines[i] + "  <- not active"
    return marked


def side_by_side(left: list[str], right: list[str], titles: tuple[str, str], width: int = TABLE) -> list[str]:
    rows = [f"{titles[0]:<{width}}  {titles[1]}", f"{'-' * (width - 2):<{width}}  {'-' * (width - 2)}"]
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        rows.append(f"{a:<{width}}  {b}".rstrip())
    return rows


def stacked(left: list[str], right: list[str], titles: tuple[str, str]) -> list[str]:
    return [f"{titles[0]}:", *left, "", f"{titles[1]}:", *right]


def wrap_command(prefix: str, command: str, width: int) -> list[str]:
    """A command line wrapped between words (a quoted name is one word), continued under itself."""
    words = [command_text([w]) for w in tokenize(command)]
    lines, line = [], prefix
    for word in words:
        if line != prefix and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = " " * len(prefix)
        line = f"{line}{word}" if line.endswith(" ") or line == prefix else f"{line} {word}"
    return [*lines, line]


def run_demo(out: TextIO, columns: int = NARROW) -> None:
    hosts = {name: fresh_host(name) for name in ("prehotfix", "hotfix")}
    wide = columns >= 2 * TABLE + 2
    w = out.write
    w("routekeeper demo: the defect report's scenario on two fresh simulated hosts\n")
    w("  prehotfix = Windows 7 / 2008 R2 before the tcpip.sys fix\n")
    w("  hotfix    = the same with the fix\n")
    w(f"  adapter:   [{ADAPTER.index}] {ADAPTER.name}, 1 Gb/s\n")
    w(f"             {ADAPTER.description}\n\n")
    for number, command in enumerate(STEPS, start=1):
        for line in wrap_command(f"Step {number}  C:\\> ", command, NARROW):
            w(line + "\n")
        for name, host in hosts.items():
            host.journal.clear()
            result = run_tool(host, tokenize(command))
            printed = (result.stdout + result.stderr).strip()
            fate = default_route_fate(host, host.journal) + (f" (printed: {printed})" if printed else "")
            for line in textwrap.wrap(
                f"{name:<10} default route: {fate}",
                NARROW,
                initial_indent="  ",
                subsequent_indent=" " * 13,
                break_on_hyphens=False,
            ):
                w(line + "\n")
        w("\n")
    w("Final tables, C:\\> route print -4 on each host:\n\n")
    tables = route_print(hosts["prehotfix"]), route_print(hosts["hotfix"])
    titles = ("prehotfix", "hotfix")
    for line in side_by_side(*tables, titles) if wide else stacked(*tables, titles):
        w(line + "\n")
    pre = hosts["prehotfix"]
    lost = _manual(pre) != _manual(hosts["hotfix"])
    w("\nThe keeper on the prehotfix host (what `routekeeper keep` does on a real one):\n")
    actions = keep(pre)
    for action in actions:
        text = f"{action.operation.prefix} via {action.operation.nexthop}: {action.reason}"
        for line in textwrap.wrap(text, NARROW, initial_indent="  ", subsequent_indent="    "):
            w(line + "\n")
    same = _manual(pre) == _manual(hosts["hotfix"])
    w(f"  prehotfix + keeper now matches hotfix: {'yes' if same else 'NO'}\n\n")
    w(verdict(lost, same) + "\n")


def verdict(lost: bool, kept_back: bool) -> str:
    """The demo in one line."""
    if not lost:
        return "Verdict: both hosts kept 0.0.0.0/0 (the defect did not show)"
    back = "the keeper put it back" if kept_back else "the keeper did NOT put it back"
    return f"Verdict: prehotfix lost 0.0.0.0/0; hotfix kept it; {back}"


def _manual(host: Host) -> set[tuple]:
    return {(r.prefix, r.ifindex, r.nexthop, r.metric) for r in host.table if r.manual}


def cmd_demo(session: Session, args: list[str]) -> int:
    no_arguments(
        "demo", args, "the defect report's scenario on two fresh simulated hosts, before and after the fix"
    )
    columns = shutil.get_terminal_size((NARROW, 24)).columns if session.out.isatty() else NARROW
    run_demo(session.out, columns)
    return 0
