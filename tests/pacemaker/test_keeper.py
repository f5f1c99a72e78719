"""routekeeper on a real cluster: the OCF agent, cloned, keeps every node's persistent routes.

Each node's state file holds the same four persistent routes:
- 10.10.0.0/16 via 192.168.50.1 (lan0: the node's own address keeps it reachable everywhere; on the
  group's first node an administrator's copy with `src` = vip-lan holds it, which the move deletes);
- 10.20.0.0/16 via 192.168.60.1 on svc0: reachable only where vip-svc, svc0's only address, is;
- 10.21.0.0/16 on-link on svc0: the kernel takes a dev-only route on an up device without address, so
  the `linux` profile calls it reachable on every node (flushed with vip-svc, and put back at once);
- 10.30.0.0/16 via 192.168.50.254 (another next hop: never touched).
Plus a route nobody made persistent, 10.40.0.0/16 via 192.168.50.254, added by hand: never touched.

The tests move the group with `crm_resource --move`, kill nodes with SIGKILL, and check after every
settle that each persistent route whose next hop is reachable is on every node, and none elsewhere.
Restore times (address arrival -> route back, from `ip monitor` timestamps) are printed; the figures
of record come from `bench/pacemaker.py`, not from assertions here.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import harness
import pytest
from harness import VIP_LAN, VIP_SVC, Cluster, Monitor, Node, has, kernel_addresses, kernel_routes, sh

EVERYWHERE = [("10.10.0.0/16", "192.168.50.1"), ("10.30.0.0/16", "192.168.50.254"), ("10.21.0.0/16", None)]
WITH_VIP = [("10.20.0.0/16", "192.168.60.1")]
FOREIGN = ("10.40.0.0/16", "192.168.50.254")
SETTLE = 20.0  # seconds a route may take to converge before the check calls it missing


PERSISTENT = [
    ("10.10.0.0/16", "192.168.50.1", None),
    ("10.30.0.0/16", "192.168.50.254", None),
    ("10.20.0.0/16", "192.168.60.1", "svc0"),
    ("10.21.0.0/16", "0.0.0.0", "svc0"),
]


def expected(node: Node) -> tuple[set[str], set[str]]:
    """(must be present, must be absent) on `node` now: svc0's routes follow vip-svc."""
    holds = VIP_SVC in kernel_addresses(node.netns)
    present = {dst for dst, _ in EVERYWHERE} | ({dst for dst, _ in WITH_VIP} if holds else set())
    absent = set() if holds else {dst for dst, _ in WITH_VIP}
    return present, absent


def converged(cluster: Cluster) -> list[str]:
    """What is wrong on the running nodes now (empty: every route where it must be, none elsewhere)."""
    wrong = []
    for node in cluster.nodes:
        if not node.alive:
            continue
        routes = kernel_routes(node.netns)
        present, absent = expected(node)
        wrong += [f"{node.name}: {dst} missing" for dst in present if not has(routes, dst)]
        wrong += [f"{node.name}: {dst} present" for dst in absent if has(routes, dst)]
    return wrong


def settle(cluster: Cluster) -> None:
    assert cluster.idle(60), cluster.status()
    harness.wait_for(lambda: not converged(cluster), SETTLE, 0.05)
    assert not converged(cluster), converged(cluster)


@pytest.fixture(scope="module")
def kept(cluster: Cluster) -> Iterator[tuple[Cluster, dict[str, Monitor]]]:
    """The service group and the keeper clone, with every node's routes stored, and a monitor per node."""
    monitors = {n.name: Monitor(n.netns, os.path.join(n.directory, "monitor.txt")) for n in cluster.nodes}
    try:
        for node in cluster.nodes:
            harness.store_routes(node, PERSISTENT)
        cluster.configure(harness.SERVICE)
        assert cluster.idle(60), cluster.status()
        home = cluster.node(cluster.where("svc") or "")
        # the administrator's copy of 10.10/16 with src = vip-lan, and a route nobody made persistent
        sh("ip", "-n", home.netns, "route", "add", "10.10.0.0/16", "via", "192.168.50.1", "src", VIP_LAN)
        for node in cluster.nodes:
            sh("ip", "-n", node.netns, "route", "add", FOREIGN[0], "via", FOREIGN[1])
        cluster.configure(harness.keeper_clone(cluster.wrapper, cluster.nodes))
        settle(cluster)
        yield cluster, monitors
    finally:
        for m in monitors.values():
            m.close()


def move_and_time(cluster: Cluster, monitors: dict[str, Monitor], to: Node) -> tuple[float, float]:
    """Move the group to `to`; (address arrival -> svc0 routes back, command -> routes back) in s."""
    t0 = time.time()
    cluster.move("svc", to)
    settle(cluster)
    m = monitors[to.name]
    t_addr = m.first(t0, lambda s: f"inet {VIP_SVC}/24" in s and not s.startswith("Deleted"))
    t_route = max(
        m.first(t0, lambda s, d=dst: s.startswith(d) and "proto 199" in s) or float("nan")
        for dst, _ in WITH_VIP
    )
    assert t_addr is not None and t_route == t_route, f"no events on {to.name}: {m.events()[-20:]}"
    return t_route - t_addr, t_route - t0


def test_agent_meta_data_and_actions(kept: tuple[Cluster, dict[str, Monitor]]) -> None:
    """The agent answers as an OCF agent: meta-data, validate-all, monitor per node, bad action refused."""
    cluster, _ = kept
    node = cluster.nodes[0]
    agent = "/usr/lib/ocf/resource.d/routekeeper/routekeeper"
    meta = cluster.run(node, agent, "meta-data")
    assert '<resource-agent name="routekeeper"' in meta and 'name="state"' in meta
    env = ["env", "OCF_ROOT=/usr/lib/ocf", f"OCF_RESKEY_binary={cluster.wrapper}"]
    assert "exit 0" in cluster.run(node, "sh", "-c", " ".join([*env, agent, "validate-all; echo exit $?"]))
    bad = cluster.run(
        node,
        "sh",
        "-c",
        " ".join([*env, "OCF_RESKEY_binary=/nonexistent", agent, "validate-all; echo exit $?"]),
    )
    assert "exit 5" in bad, bad
    assert "exit 3" in cluster.run(node, "sh", "-c", f"{agent} frobnicate; echo exit $?")
    status = cluster.status()
    assert "Clone Set: rk-clone" in status and "Started: [ n1 n2 n3 ]" in status, status
    for n in cluster.nodes:
        log = open(os.path.join(n.directory, "keep.log")).read()
        assert "ready in" in log, log


def test_moves_restore_routes_and_leave_others_alone(kept: tuple[Cluster, dict[str, Monitor]]) -> None:
    """Each move: the src route and svc0's routes come back on the nodes that can hold them."""
    cluster, monitors = kept
    first_home = cluster.node(cluster.where("svc") or "")
    t0 = time.time()
    restores, totals = [], []
    for _ in range(4):
        here = cluster.where("svc")
        to = next(n for n in cluster.nodes if n.name != here)
        restore, total = move_and_time(cluster, monitors, to)
        restores.append(restore)
        totals.append(total)
    # the administrator's src copy went with vip-lan; the keeper's copy replaced it
    m = monitors[first_home.name]
    gone = m.first(t0, lambda s: s.startswith("Deleted 10.10.0.0/16") and VIP_LAN in s)
    back = m.first(t0, lambda s: s.startswith("10.10.0.0/16 via 192.168.50.1") and "proto 199" in s)
    assert gone is not None and back is not None and back >= gone, m.events()[-30:]
    print(
        f"\nrestore after address arrival: p50 {statistics.median(restores) * 1000:.1f} ms, "
        f"max {max(restores) * 1000:.1f} ms; move command -> routes back: "
        f"p50 {statistics.median(totals):.2f} s"
    )
    # the other next hop's routes were never deleted or replaced, on any node
    for name, mon in monitors.items():
        touched = [text for t, text in mon.events() if t >= t0 and "192.168.50.254" in text]
        assert touched == [], f"{name}: routes via 192.168.50.254 were touched: {touched}"


Key = tuple[str, str, str]  # destination, next hop (0.0.0.0 for on-link), device


def manual_routes(node: Node) -> set[Key]:
    """The node's routes that are not the kernel's own, as (destination, next hop, device)."""
    return {
        (str(r["dst"]), str(r.get("gateway", "0.0.0.0")), str(r["dev"]))
        for r in kernel_routes(node.netns)
        if r.get("protocol") != "kernel"
    }


def installed_since(monitor: Monitor, since: float) -> set[Key]:
    """Routes the keeper (proto 199) added after `since`, from the node's `ip monitor`."""
    out = set()
    for t, text in monitor.events():
        if t < since or text.startswith("Deleted") or "proto 199" not in text:
            continue
        words = text.split()
        via = words[words.index("via") + 1] if "via" in words else "0.0.0.0"
        out.add((words[0], via, words[words.index("dev") + 1]))
    return out


def whatif(cluster: Cluster, node: Node, to: Node) -> dict:
    """`routekeeper pacemaker whatif` on `node`, reading the live CIB there."""
    out = cluster.run(
        node,
        cluster.wrapper,
        "--state",
        node.state,
        "pacemaker",
        "whatif",
        "--move",
        "svc",
        "--to",
        to.name,
        "--json",
    )
    return json.loads(out)


def divergences(prediction: dict, before: set[Key], after: set[Key], installed: set[Key]) -> list[str]:
    flushed = {(r["prefix"], r["nexthop"], r["dev"]) for r in prediction["flushed"]}
    restored = {(r["prefix"], r["nexthop"], r["dev"]) for r in prediction["restored"]}
    wrong = []
    if (before - flushed) | restored != after:
        wrong.append(
            f"final table: predicted {sorted((before - flushed) | restored)}, kernel {sorted(after)}"
        )
    if restored != installed:
        wrong.append(f"keeper installs: predicted {sorted(restored)}, seen {sorted(installed)}")
    return wrong


def test_random_moves_whatif_and_node_kills(kept: tuple[Cluster, dict[str, Monitor]]) -> None:
    """20 random moves and 2 hard kills of the node holding the group: after each settles, every
    persistent route whose next hop is reachable is on every node, and none is where it must not be.
    Before each move `routekeeper pacemaker whatif` runs on every node against the live CIB; what it
    predicts (routes flushed, routes the keeper installs) is compared with what the kernel then holds."""
    cluster, monitors = kept
    rng = random.Random(17)
    wrong: list[str] = []
    for i in range(20):
        here = cluster.where("svc")
        to = rng.choice([n for n in cluster.nodes if n.name != here])
        with ThreadPoolExecutor(len(cluster.nodes)) as pool:
            futures = {n: pool.submit(whatif, cluster, n, to) for n in cluster.nodes}
            predictions = {n: f.result() for n, f in futures.items()}
        before = {n.name: manual_routes(n) for n in cluster.nodes}
        t0 = time.time()
        move_and_time(cluster, monitors, to)
        assert cluster.where("svc") == to.name
        for node, prediction in predictions.items():
            expected_change = "leave" if node.name == here else "arrive" if node is to else "none"
            assert prediction["change"] == expected_change, (node.name, prediction)
            for line in divergences(
                prediction, before[node.name], manual_routes(node), installed_since(monitors[node.name], t0)
            ):
                wrong.append(f"move {i + 1} to {to.name}, {node.name}: {line}")
    assert wrong == [], "\n".join(wrong)
    for _ in range(2):
        victim = cluster.node(cluster.where("svc") or "")
        cluster.kill(victim)
        assert harness.wait_for(lambda v=victim: cluster.where("svc") not in (None, v.name), 60, 0.1)
        settle(cluster)
        cluster.power_cycle(victim)
        sh("ip", "-n", victim.netns, "route", "add", FOREIGN[0], "via", FOREIGN[1])
        settle(cluster)
