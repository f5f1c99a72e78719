"""`routekeeper report --html`: one self-contained page that draws what happened to each persistent route.

Pure: journal rows and the current state in, an HTML string out (inline CSS, SVG and a few lines of
JavaScript; nothing fetched, so the page reads the same offline). Time runs left to right in moments:
one column per command (or daemon action) that changed something, in order, then a last column for
now. Each persistent route has a lane coloured by its state (active, waiting, withdrawn, parked) with a
marker where the stack withdrew it or the keeper restored it; under the lanes, the address and link
events of the same moments, i.e. the causes. Every marker carries the journal's reason: as a tooltip
on hover and in the table below the drawing (which is also what a screen reader or a text search sees).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

COLUMN = 132  # px per moment
LANE = 30  # px per route lane
LABEL = 230  # px for the lane titles
HEADER = 72  # px above the first lane

STATE_COLOURS = {
    "active": "#2e9e44",
    "waiting": "#e0a100",
    "withdrawn": "#c9302c",
    "parked": "#8a8f98",
    "conflicting": "#7b4fc9",
}
ROUTE_KINDS = {
    "route-added": "active",
    "route-restored": "active",
    "route-changed": "active",
    "route-withdrawn": "withdrawn",
    "route-held": "waiting",
    "route-conflict": "conflicting",
    "route-removed": None,
    "persisted": "waiting",
    "persistent-parked": "parked",
    "unpersisted": None,
}
CAUSE_KINDS = ("address-added", "address-removed", "interface-added", "interface-changed", "rebooted")
MARKED = {"route-withdrawn": "withdrawn", "route-restored": "restored"}


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of a host's journal: when, the command (or daemon action), what changed and why."""

    at: str
    command: str
    kind: str
    subject: str
    reason: str


@dataclass(frozen=True, slots=True)
class Current:
    """A persistent route as it is now: `active`, `waiting` or `parked`, and why."""

    route: str
    state: str
    reason: str


@dataclass(frozen=True, slots=True)
class HostHistory:
    """What the report knows of one host: its journal (oldest first) and its routes now."""

    name: str
    description: str
    entries: list[Entry]
    now: list[Current]
    note: str = ""


@dataclass
class Lane:
    """One route's states over the moments: (moment, state or None, marker or None, reason)."""

    route: str
    changes: list[tuple[int, str | None, str | None, str]] = field(default_factory=list)


def route_key(subject: str) -> str | None:
    """'0.0.0.0/0 via 192.168.0.1 on interface 11' -> '0.0.0.0/0 via 192.168.0.1' (the persistent
    route's name; the interface it is placed on may change). A bare prefix (the keeper's journal
    names routes by prefix) is its own name."""
    m = re.match(r"^(\S+/\d+ (?:via \S+|on-link))|^(\S+/\d+)$", subject)
    return (m.group(1) or m.group(2)) if m else None


# The keeper's journal (store.linux, `routekeeper keep` and the linux backend's commands) in the
# timeline's words: kind -> (timeline kind, the moment's label).
KEEPER_KINDS = {
    "kept": ("route-added", "route -p add"),
    "changed": ("route-changed", "route change"),
    "released": ("unpersisted", "route delete / release"),
    "flushed": ("route-withdrawn", "the kernel flushed"),
    "restored": ("route-restored", "keep: restored"),
    "refused": ("route-held", "keep: refused"),
    "conflict": ("route-conflict", "keep: conflict"),
}


def keeper_entries(rows: list[tuple[float, str, str, str]]) -> list[Entry]:
    """The keeper's journal rows (unix time, prefix, kind, detail) as timeline entries. A route that
    is kept is persistent from its first row; rows about many routes at once (prefix '*') are left
    to the daemon's log."""
    entries = []
    seen: set[str] = set()
    for at, prefix, kind, detail in rows:
        if prefix == "*" or kind not in KEEPER_KINDS:
            continue
        stamp = datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
        timeline_kind, label = KEEPER_KINDS[kind]
        if prefix not in seen:
            seen.add(prefix)
            entries.append(Entry(stamp, label, "persisted", prefix, detail))
        entries.append(Entry(stamp, label, timeline_kind, prefix, detail))
    return entries


def moments(entries: list[Entry]) -> list[tuple[str, str]]:
    """The distinct (time, command) pairs, in journal order: the columns of the drawing."""
    seen: dict[tuple[str, str], None] = {}
    for e in entries:
        seen.setdefault((e.at, e.command), None)
    return list(seen)


def lanes(history: HostHistory, columns: list[tuple[str, str]]) -> list[Lane]:
    """Per route named by a persistent-route event, its changes of state, moment by moment."""
    index = {c: n for n, c in enumerate(columns)}
    persistent = {
        route_key(e.subject) for e in history.entries if e.kind in ("persisted", "persistent-parked")
    }
    persistent |= {c.route for c in history.now}
    found: dict[str, Lane] = {}
    stored: set[str] = set()
    for e in history.entries:
        key = route_key(e.subject)
        if key is None or key not in persistent or e.kind not in ROUTE_KINDS:
            continue
        lane = found.setdefault(key, Lane(key))
        state = ROUTE_KINDS[e.kind]
        if e.kind == "persisted":
            stored.add(key)
            if lane.changes and lane.changes[-1][1] == "active":
                continue  # made persistent while active: stays active
        elif e.kind == "unpersisted":
            stored.discard(key)
            state = lane.changes[-1][1] if lane.changes else None
        elif e.kind in ("route-removed", "route-withdrawn") and key in stored:
            state = "waiting"  # out of the table, still in the persistent store: waiting to come back
        at = index[(e.at, e.command)]
        if lane.changes and lane.changes[-1][0] == at and not MARKED.get(e.kind):
            if e.kind == "persisted" or lane.changes[-1][2]:
                continue  # a marked change in this moment says more
            lane.changes[-1] = (at, state, None, e.reason)
            continue
        lane.changes.append((at, state, MARKED.get(e.kind), e.reason))
    now_at = len(columns)
    for c in history.now:
        lane = found.setdefault(c.route, Lane(c.route))
        lane.changes.append((now_at, c.state, None, c.reason))
    return sorted(found.values(), key=lambda lane: lane.route)


def causes(history: HostHistory, columns: list[tuple[str, str]]) -> list[tuple[int, Entry]]:
    """The address and link events, by moment: what made the routes change."""
    index = {c: n for n, c in enumerate(columns)}
    return [(index[(e.at, e.command)], e) for e in history.entries if e.kind in CAUSE_KINDS]


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _short_time(at: str) -> str:
    m = re.search(r"T(\d\d:\d\d:\d\d(?:\.\d+)?)", at)
    return m.group(1) if m else at


def command_lines(command: str, width: int = 21) -> list[str]:
    """A command in at most two short lines under its column (the whole of it is in the tooltip):
    quoted names and the tools' fixed words left out, what changes kept."""
    words = re.sub(r'"[^"]*"\s*', "", command).split()
    if words[:2] == ["netsh", "interface"]:
        words = words[2:]
    lines = [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            if len(lines) == 2:
                lines[-1] = lines[-1][: width - 1] + "\u2026"
                break
            lines.append("")
        lines[-1] = f"{lines[-1]} {word}".strip()
    return [line if len(line) <= width else line[: width - 1] + "\u2026" for line in lines if line]


def render_host(history: HostHistory, number: int) -> str:
    """One host's section: the SVG timeline and the table of the changes with their reasons."""
    columns = moments(history.entries)
    routes = lanes(history, columns)
    cause_list = causes(history, columns)
    count = len(columns) + 1  # + now
    width = LABEL + COLUMN * count + 20
    height = HEADER + LANE * (len(routes) + 1) + 30
    svg = [
        f'<svg class="timeline" id="timeline-{number}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="timeline of {_e(history.name)}">'
    ]
    for n in range(count):
        x = LABEL + n * COLUMN
        if n < len(columns):
            at, command = columns[n]
            head, tip, lines = _short_time(at), f"{at}\n{command}", command_lines(command)
        else:
            head, tip, lines = "now", "the state now", []
        shown = "".join(
            f'<text x="{x + 4}" y="{HEADER - 28 + 13 * n}" class="cmd">{_e(line)}</text>'
            for n, line in enumerate(lines)
        )
        svg.append(
            f'<g class="moment" data-tip="{_e(tip)}"><title>{_e(tip)}</title>'
            f'<line x1="{x}" y1="{HEADER - 6}" x2="{x}" y2="{height - 20}" class="grid"/>'
            f'<text x="{x + 4}" y="{HEADER - 44}" class="head">{_e(head)}</text>{shown}</g>'
        )
    for row, lane in enumerate(routes):
        y = HEADER + row * LANE
        svg.append(f'<text x="8" y="{y + 19}" class="route">{_e(lane.route)}</text>')
        for i, (at, state, marker, reason) in enumerate(lane.changes):
            end = lane.changes[i + 1][0] if i + 1 < len(lane.changes) else count
            if state is not None and end > at:
                x0, x1 = LABEL + at * COLUMN, LABEL + end * COLUMN
                svg.append(
                    f'<rect class="state {state}" data-tip="{_e(f"{state}: {reason}")}" x="{x0}" y="{y + 6}" '
                    f'width="{x1 - x0}" height="{LANE - 12}" fill="{STATE_COLOURS[state]}">'
                    f"<title>{_e(f'{state}: {reason}')}</title></rect>"
                )
            if marker is not None:
                cx, cy = LABEL + at * COLUMN, y + LANE // 2
                shape = (
                    f'<polygon points="{cx - 8},{cy - 9} {cx + 8},{cy - 9} {cx},{cy + 9}"/>'
                    if marker == "withdrawn"
                    else f'<polygon points="{cx - 8},{cy + 9} {cx + 8},{cy + 9} {cx},{cy - 9}"/>'
                )
                svg.append(
                    f'<g class="marker {marker}" data-tip="{_e(f"{marker}: {reason}")}">'
                    f"<title>{_e(f'{marker}: {reason}')}</title>{shape}</g>"
                )
    y = HEADER + len(routes) * LANE
    svg.append(f'<text x="8" y="{y + 19}" class="route cause-title">addresses and links</text>')
    stacked: dict[int, int] = {}
    for at, e in cause_list:
        offset = stacked.get(at, 0)
        stacked[at] = offset + 1
        cx, cy = LABEL + at * COLUMN + 10 + 14 * offset, y + LANE // 2
        sign = "\u2212" if e.kind.endswith("removed") else ("+" if e.kind.endswith("added") else "\u2022")
        tip = f"{e.kind}: {e.subject}: {e.reason}"
        svg.append(
            f'<g class="cause {e.kind}" data-tip="{_e(tip)}"><title>{_e(tip)}</title>'
            f'<circle cx="{cx}" cy="{cy}" r="6"/><text x="{cx}" y="{cy + 4}" class="sign">{sign}</text></g>'
        )
    svg.append("</svg>")
    rows = []
    for lane in routes:
        for at, state, marker, reason in lane.changes:
            when = "now" if at >= len(columns) else f"{columns[at][0]}"
            command = "" if at >= len(columns) else columns[at][1]
            what = marker or state or "absent"
            rows.append(
                f'<tr class="{_e(what)}"><td>{_e(when)}</td><td>{_e(lane.route)}</td><td>{_e(what)}</td>'
                f"<td>{_e(reason)}</td><td><code>{_e(command)}</code></td></tr>"
            )
    for at, e in cause_list:
        rows.append(
            f'<tr class="cause"><td>{_e(columns[at][0])}</td><td>{_e(e.subject)}</td><td>{_e(e.kind)}</td>'
            f"<td>{_e(e.reason)}</td><td><code>{_e(columns[at][1])}</code></td></tr>"
        )
    note = f'<p class="note">{_e(history.note)}</p>' if history.note else ""
    table = (
        '<table class="changes"><thead><tr><th>when</th><th>what</th><th>change</th><th>why</th>'
        f"<th>command</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="empty">No persistent route and no journal on this host.</p>'
    )
    return (
        f'<section class="host" id="host-{number}"><h2>{_e(history.name)} '
        f'<small>{_e(history.description)}</small></h2>{note}<div class="scroll">{"".join(svg)}</div>'
        f"<details><summary>Every change, with its reason</summary>{table}</details></section>"
    )


STYLE = """
body{font:14px system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px}h2 small{color:#656d76;font-weight:400}
.meta,.note,.empty{color:#656d76;margin:4px 0}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:14px;height:10px;
margin-right:5px;vertical-align:middle;border-radius:2px}
.scroll{overflow-x:auto;border:1px solid #d0d7de;border-radius:6px;background:#fafbfc}
svg text{font:12px system-ui,sans-serif;fill:#1f2328}
svg .head{font-weight:600}svg .cmd{fill:#656d76;font-size:11px}
svg .route{font:12px ui-monospace,monospace}svg .cause-title{font-style:italic;fill:#656d76}
svg .grid{stroke:#d0d7de;stroke-dasharray:3 3}svg rect.state{opacity:.85}
svg .marker polygon{stroke:#1f2328;stroke-width:1}svg .marker.withdrawn polygon{fill:#c9302c}
svg .marker.restored polygon{fill:#2e9e44}
svg .cause circle{fill:#fff;stroke:#57606a}svg .cause .sign{text-anchor:middle;font-size:11px;font-weight:700}
svg .cause.address-removed circle{stroke:#c9302c}svg .cause.address-added circle{stroke:#2e9e44}
svg [data-tip]{cursor:help}
table.changes{border-collapse:collapse;margin-top:8px}
table.changes td,table.changes th{border-bottom:1px solid #d0d7de;
padding:3px 8px;text-align:left;vertical-align:top}tr.withdrawn td:nth-child(3){color:#c9302c;font-weight:600}
tr.restored td:nth-child(3){color:#2e9e44;font-weight:600}
#tip{position:fixed;display:none;max-width:460px;
padding:6px 8px;background:#1f2328;color:#fff;border-radius:4px;
font-size:12px;white-space:pre-wrap;pointer-events:none;z-index:2}
"""

SCRIPT = """
(function () {
  var tip = document.getElementById('tip');
  document.querySelectorAll('[data-tip]').forEach(function (el) {
    var t = el.querySelector('title');
    if (t) { el.removeChild(t); }
    el.addEventListener('mousemove', function (ev) {
      tip.textContent = el.getAttribute('data-tip');
      tip.style.display = 'block';
      tip.style.left = (ev.clientX + 12) + 'px';
      tip.style.top = (ev.clientY + 12) + 'px';
    });
    el.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  });
})();
"""


def render(hosts: list[HostHistory], title: str, generated: str) -> str:
    """The whole page: a heading, the legend, one section per host."""
    legend = "".join(
        f'<span><i style="background:{colour}"></i>{state}</span>' for state, colour in STATE_COLOURS.items()
    )
    legend += (
        "<span>\u25bc withdrawn by the stack</span><span>\u25b2 restored</span>"
        "<span>\u2295 / \u2296 address added / removed</span>"
    )
    sections = "".join(render_host(h, n) for n, h in enumerate(hosts, start=1))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{STYLE}</style></head><body>"
        f'<h1>{_e(title)}</h1><p class="meta">{_e(generated)}. Hover a bar or a marker for the reason '
        f'from the journal.</p><p class="legend">{legend}</p>{sections}<div id="tip"></div>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )
