"""routekeeper on a real Pacemaker cluster beside the usual workaround, `ocf:heartbeat:Route` resources.

Run as root: `PYTHONPATH=src python bench/pacemaker.py [--rounds 10] [--kills 2]`. Two 3-node clusters
(tests/pacemaker/harness.py) run side by side, with the same group `svc` of two IPaddr2 addresses:
- "routekeeper": the routes are persistent routes in each node's state file; the routekeeper agent is
  cloned on every node;
- "Route": one `ocf:heartbeat:Route` resource per route, members of the group after the addresses.

Measured, interleaved (a move on one cluster, then on the other; a kill on one, then on the other):
- after `crm_resource --move`: the move command -> 10.20.0.0/16 (via svc0's gateway) in the new
  node's kernel, and the address's arrival -> that route (both from `ip -ts monitor` timestamps);
- after SIGKILL of the node holding the group: the kill -> that route on the node that takes over;
- setup effort (resources in the CIB for the same routes);
- the fail-count trap: the uplink of one node (up0, the gateway of 10.70.0.0/16) is down when the
  group moves there; what happens then, and after the link is back.

Figures go to bench/results/pacemaker.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "pacemaker"))

import harness  # noqa: E402
from harness import VIP_LAN, VIP_SVC, Cluster, Monitor, Node, sh  # noqa: E402

RESULTS = os.path.join(HERE, "results")
ROUTES = [  # prefix, gateway (None: dev-only), device, source
    ("10.10.0.0/16", "192.168.50.1", "lan0", VIP_LAN),
    ("10.20.0.0/16", "192.168.60.1", "svc0", None),
    ("10.21.0.0/16", None, "svc0", None),
    ("10.70.0.0/16", "192.168.70.1", "up0", None),
]
TIMED = "10.20.0.0/16"
TRAP = "10.70.0.0/16"


def route_primitives() -> str:
    """One `ocf:heartbeat:Route` per route, as an administrator adds them to the group."""
    out = []
    for i, (prefix, gateway, device, source) in enumerate(ROUTES):
        rid = f"rt{i}"
        params = [("destination", prefix), ("device", device)]
        params += [("gateway", gateway)] if gateway else []
        params += [("source", source)] if source else []
        nv = "".join(f'<nvpair id="{rid}-{k}" name="{k}" value="{v}"/>' for k, v in params)
        out.append(
            f'<primitive id="{rid}" class="ocf" provider="heartbeat" type="Route">'
            f'<instance_attributes id="{rid}-ia">{nv}</instance_attributes>'
            f'<operations><op id="{rid}-mon" name="monitor" interval="10s"/></operations></primitive>'
        )
    return harness.SERVICE.replace("</group>", "".join(out) + "</group>")


class Setup:
    """One cluster, its configuration, and a route monitor per node."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.cluster = Cluster()
        self.monitors: dict[str, Monitor] = {}
        self.resources_xml = ""

    def start(self) -> None:
        c = self.cluster
        c.start()
        self.monitors = {n.name: Monitor(n.netns, os.path.join(n.directory, "monitor.txt")) for n in c.nodes}
        if self.kind == "routekeeper":
            stored = [(p, g or "0.0.0.0", d) for p, g, d, _ in ROUTES if p != "10.10.0.0/16"]
            stored.append(("10.10.0.0/16", "192.168.50.1", None))
            for node in c.nodes:
                harness.store_routes(node, stored)
            self.resources_xml = harness.SERVICE + harness.keeper_clone(c.wrapper, c.nodes)
            c.configure(harness.SERVICE)
            c.configure(harness.keeper_clone(c.wrapper, c.nodes))
        else:
            self.resources_xml = route_primitives()
            c.configure(self.resources_xml)
        if not c.idle(90):
            raise RuntimeError(c.status())

    def close(self) -> None:
        for m in self.monitors.values():
            m.close()
        self.cluster.close()

    def home(self) -> Node:
        return self.cluster.node(self.cluster.where("svc") or "")

    def route_time(self, since: float, nodes: list[Node], prefix: str = TIMED) -> float | None:
        times = [
            self.monitors[n.name].first(since, lambda s: s.startswith(prefix) and not s.startswith("Deleted"))
            for n in nodes
        ]
        found = [t for t in times if t is not None]
        return min(found) if found else None

    def address_time(self, since: float, node: Node) -> float | None:
        return self.monitors[node.name].first(
            since, lambda s: f"inet {VIP_SVC}/24" in s and "Deleted" not in s
        )

    def move(self) -> tuple[float, float]:
        """Move to the next node; (command -> route, address -> route) in seconds."""
        c = self.cluster
        here = self.home()
        to = c.nodes[(c.nodes.index(here) + 1) % len(c.nodes)]
        t0 = time.time()
        c.move("svc", to)
        harness.wait_for(lambda: self.route_time(t0, [to]) is not None, 20, 0.02)
        t_route, t_addr = self.route_time(t0, [to]), self.address_time(t0, to)
        if t_route is None or t_addr is None:
            raise RuntimeError(f"{self.kind}: {TIMED} never came to {to.name}:\n{c.status()}")
        return t_route - t0, t_route - t_addr

    def kill(self) -> float:
        """SIGKILL the node holding the group; kill -> route on the survivor that takes over (s)."""
        c = self.cluster
        victim = self.home()
        survivors = [n for n in c.nodes if n is not victim]
        t0 = time.time()
        c.kill(victim)
        harness.wait_for(lambda: self.route_time(t0, survivors) is not None, 90, 0.05)
        t = self.route_time(t0, survivors)
        if t is None:
            raise RuntimeError(f"{self.kind}: no failover route after killing {victim.name}:\n{c.status()}")
        c.power_cycle(victim)
        c.idle(90)
        return t - t0

    def trap(self) -> dict[str, object]:
        """The uplink of a node is down when the group moves there; then it comes back."""
        c = self.cluster
        here = self.home()
        target = c.nodes[(c.nodes.index(here) + 1) % len(c.nodes)]
        sh("ip", "-n", target.netns, "link", "set", "up0", "down")
        c.move("svc", target)
        first = c.where("svc")
        failures = fail_counts(c, target)
        t_up = time.time()
        sh("ip", "-n", target.netns, "link", "set", "up0", "up")
        harness.wait_for(lambda: harness.has(harness.kernel_routes(target.netns), TRAP), 15, 0.02)
        trap_route_back = harness.has(harness.kernel_routes(target.netns), TRAP)
        back_after = self.route_time(t_up, [target], TRAP)
        # later: move away and back to the node whose link is fine again
        if c.where("svc") == target.name:
            c.move("svc", next(n for n in c.nodes if n is not target))
        c.run(c.any_alive(), "crm_resource", "--clear", "--resource", "svc")  # the first move's preference
        c.idle(60)
        c.move("svc", target)
        later = c.where("svc")
        trap_running_later = harness.has(harness.kernel_routes(target.netns), TRAP)
        c.run(c.any_alive(), "crm_resource", "--cleanup")
        c.idle(60)
        after_cleanup = c.where("svc")
        return {
            "target": target.name,
            "group_on_after_move": first,
            "fail_counts_on_target": failures,
            "trap_route_on_target_after_link_up": trap_route_back,
            "link_up_to_trap_route_s": None if back_after is None else round(back_after - t_up, 4),
            "group_on_after_later_move": later,
            "trap_route_on_target_after_later_move": trap_running_later,
            "group_on_after_cleanup": after_cleanup,
        }


def fail_counts(c: Cluster, node: Node) -> dict[str, str]:
    """Every fail-count attribute of `node` in the CIB's status section."""
    cib = c.cib()
    out = {}
    for state in cib.iterfind("status/node_state"):
        if state.get("uname") != node.name:
            continue
        for nv in state.iterfind("transient_attributes/instance_attributes/nvpair"):
            if (nv.get("name") or "").startswith("fail-count-"):
                out[nv.get("name") or ""] = nv.get("value") or ""
    return out


def primitives(xml: str) -> int:
    return len(ET.fromstring(f"<r>{xml}</r>").findall(".//primitive"))


def pss_kib(node: Node) -> int | None:
    """PSS of the node's `routekeeper keep` (its python process), from smaps_rollup."""
    out = subprocess.run(["pgrep", "-f", node.state], capture_output=True, text=True).stdout.split()
    for pid in out:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"keep" not in f.read():
                    continue
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        return int(line.split()[1])
        except OSError:
            continue
    return None


def ms(values: list[float]) -> str:
    return f"{fmt(statistics.median(values))} ms" if values else "n/a"


def fmt(seconds: float) -> str:
    """Milliseconds, with the decimals a sub-millisecond figure needs."""
    value = seconds * 1000
    return f"{value:,.0f}" if value >= 10 else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/pacemaker.py", description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10, help="moves per cluster")
    ap.add_argument("--kills", type=int, default=2, help="node kills per cluster")
    ap.add_argument("--report-only", action="store_true", help="rewrite pacemaker.md from pacemaker.json")
    args = ap.parse_args(argv)
    if args.report_only:
        with open(os.path.join(RESULTS, "pacemaker.json")) as f:
            figures = json.load(f)
        with open(os.path.join(RESULTS, "pacemaker.md"), "w") as f:
            f.write(report(figures))
        return 0
    reason = harness.missing()
    if reason:
        print(f"bench/pacemaker.py: {reason}", file=sys.stderr)
        return 77
    # SIGTERM (a timeout, Ctrl-C from a supervisor) ends the run through the `finally` that tears down
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    load_start = os.getloadavg()
    setups = [Setup("routekeeper"), Setup("Route")]
    results: dict[str, dict[str, object]] = {
        s.kind: {"move": [], "move_from_address": [], "kill": []} for s in setups
    }
    try:
        for s in setups:
            s.start()
        for _ in range(args.rounds):
            for s in setups:
                total, from_address = s.move()
                results[s.kind]["move"].append(total)  # type: ignore[union-attr]
                results[s.kind]["move_from_address"].append(from_address)  # type: ignore[union-attr]
        for _ in range(args.kills):
            for s in setups:
                results[s.kind]["kill"].append(s.kill())  # type: ignore[union-attr]
        for s in setups:
            results[s.kind]["primitives"] = primitives(s.resources_xml)
            results[s.kind]["pss_kib"] = (
                [pss_kib(n) for n in s.cluster.nodes] if s.kind == "routekeeper" else None
            )
        for s in setups:
            results[s.kind]["trap"] = s.trap()
    finally:
        for s in setups:
            s.close()
    load_end = os.getloadavg()
    figures = {
        "machine": {
            "kernel": platform.release(),
            "cpus": os.cpu_count(),
            "load_start": load_start,
            "load_end": load_end,
        },
        "versions": {p: package_version(p) for p in ("pacemaker", "corosync", "resource-agents")},
        "rounds": args.rounds,
        "kills": args.kills,
        "results": results,
    }
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "pacemaker.json"), "w") as f:
        json.dump(figures, f, indent=1)
    with open(os.path.join(RESULTS, "pacemaker.md"), "w") as f:
        f.write(report(figures))
    print(report(figures))
    return 0


def package_version(name: str) -> str:
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
    return r.stdout.strip() or "?"


def report(fig: dict) -> str:
    rk, rt = fig["results"]["routekeeper"], fig["results"]["Route"]

    def ratio(a: list[float], b: list[float]) -> str:
        return f"{statistics.median(b) / statistics.median(a):.2f}x" if a and b else "-"

    m = fig["machine"]
    lines = [
        "# routekeeper on a Pacemaker cluster, beside ocf:heartbeat:Route",
        "",
        f"One run of `bench/pacemaker.py --rounds {fig['rounds']} --kills {fig['kills']}`: "
        "two 3-node clusters "
        "(each node its own network, mount, UTS and PID namespace) side by side, moves and kills interleaved "
        "between them. Medians. Times from `ip -ts monitor` on the nodes.",
        f"Kernel {m['kernel']}, {m['cpus']} CPUs; load average at start "
        f"{', '.join(f'{x:.2f}' for x in m['load_start'])}, "
        f"at end {', '.join(f'{x:.2f}' for x in m['load_end'])}.",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in fig["versions"].items()) + ".",
        "",
        "| measure | routekeeper (cloned agent) | ocf:heartbeat:Route per route | Route / routekeeper |",
        "|---|---|---|---|",
        f"| `crm_resource --move` -> route on the new node ({fig['rounds']} moves) | {ms(rk['move'])} "
        f"(max {fmt(max(rk['move']))}) | {ms(rt['move'])} (max {fmt(max(rt['move']))}) "
        f"| {ratio(rk['move'], rt['move'])} |",
        f"| address arrives -> route on the new node | {ms(rk['move_from_address'])} "
        f"(max {fmt(max(rk['move_from_address']))}) | {ms(rt['move_from_address'])} "
        f"(max {fmt(max(rt['move_from_address']))}) "
        f"| {ratio(rk['move_from_address'], rt['move_from_address'])} |",
        f"| SIGKILL of the node -> route on the survivor ({fig['kills']} kills) | {ms(rk['kill'])} "
        f"| {ms(rt['kill'])} | {ratio(rk['kill'], rt['kill'])} |",
        f"| resources in the CIB for {len(ROUTES)} routes | {rk['primitives']} (2 IPaddr2 + 1 cloned agent, "
        f"whatever the number of routes) | {rt['primitives']} (2 IPaddr2 + one Route each) | |",
        "",
    ]
    pss = [p for p in (rk.get("pss_kib") or []) if p]
    if pss:
        lines.append(
            f"The keeper's PSS per node: {statistics.median(pss) / 1024:.1f} MiB (median of {len(pss)})."
        )
        lines.append("")
    lines += [
        "Reading the figures: a move's time is mostly Pacemaker's (the transition, IPaddr2's start); "
        "the Route setup adds one Route start per route after the addresses, in the group's order. "
        "The keeper installs the route when the kernel reports the address, whoever added it. "
        "Timestamps are when `ip monitor` on the node read each notification, so sub-millisecond "
        "figures are approximate (two notifications read in one batch get nearly the same stamp). "
        "A kill's time is failure detection (Corosync token 1 s, consensus, a new transition) plus the "
        "same start: the two setups differ by less than the spread between kills, and there are only "
        f"{fig['kills']} per setup.",
        "",
        "## The fail-count trap",
        "",
        trap_text("routekeeper", rk["trap"]),
        "",
        trap_text("Route", rt["trap"]),
        "",
        "With Route resources, the route whose gateway was unreachable failed to start "
        "(`OCF_ERR_INSTALLED` from its validation): fail-count INFINITY on that node, the whole group "
        "recovered elsewhere, and it could not come back to that node, link repaired or not, until "
        "`crm_resource --cleanup`. routekeeper has nothing to fail: the group stays where it was sent "
        "and the route appears when its gateway becomes reachable.",
        "",
    ]
    return "\n".join(lines)


def trap_text(kind: str, t: dict) -> str:
    fails = ", ".join(f"{k}={v}" for k, v in t["fail_counts_on_target"].items()) or "none"
    return (
        f"- {kind}: up0 of {t['target']} down, group moved there: "
        f"the group ran on {t['group_on_after_move']}; "
        f"fail-counts on {t['target']}: {fails}. Link back up: {TRAP} on {t['target']}: "
        f"{'yes' if t['trap_route_on_target_after_link_up'] else 'no'}"
        + (
            f" ({t['link_up_to_trap_route_s'] * 1000:.0f} ms after the link)"
            if t["link_up_to_trap_route_s"]
            else ""
        )
        + f". Asked to move there again: the group ran on {t['group_on_after_later_move']}, {TRAP} there: "
        f"{'yes' if t['trap_route_on_target_after_later_move'] else 'no'}. After `crm_resource --cleanup`: "
        f"on {t['group_on_after_cleanup']}."
    )


if __name__ == "__main__":
    sys.exit(main())
