"""The alert rules and the Grafana dashboard in packaging/, checked against what the daemon exposes.

The rules are parsed and checked by promtool (Prometheus' own rule checker), then evaluated by
`promtool test rules` on series made of real scrapes of a daemon running in namespaces of this test:
healthy, then broken (a kept route that the kernel refuses to take back, another route holding a kept
prefix), then stopped. The scrapes are mapped to one per minute (the daemon is run with a short sync
interval so that what happens in a minute of production happens between two scrapes); timestamps are
shifted with them, so an age measured at a scrape stays what it was.

The dashboard's queries are checked for syntax by promtool and for names against the metrics the
daemon's code registers and a real scrape.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from routekeeper.app.linux_session import session
from routekeeper.core import operations as op
from routekeeper.core.values import IP, Prefix
from routekeeper.linux.keeper.metrics import Metrics

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "packaging" / "prometheus" / "routekeeper-alerts.yml"
DASHBOARD = ROOT / "packaging" / "grafana" / "routekeeper-dashboard.json"
PROMTOOL = shutil.which("promtool")
NEEDS_PROMTOOL = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian package prometheus; .ci/run installs it)"
)
TARGET = {"instance": "host1:9469", "job": "routekeeper"}
MINUTES = 12
PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
    "offset", "inf", "nan",
}  # fmt: skip


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False)


def rules() -> list[dict]:
    with open(RULES) as f:
        return [rule for group in yaml.safe_load(f)["groups"] for rule in group["rules"]]


def dashboard_queries() -> list[str]:
    with open(DASHBOARD) as f:
        board = json.load(f)
    queries = [t["expr"] for panel in board["panels"] for t in panel.get("targets", [])]
    for variable in board["templating"]["list"]:
        if isinstance(variable.get("query"), dict):
            queries.append(variable["query"]["query"])
    return queries


def as_promql(query: str) -> str:
    """A dashboard query as Prometheus sees it once Grafana has put in its variables (and
    `label_values(SELECTOR, LABEL)`, Grafana's, is the series query of SELECTOR)."""
    query = re.sub(r"^label_values\((.+),\s*\w+\)$", r"\1", query)
    return query.replace("$__rate_interval", "5m").replace("$instance", ".*")


def metric_names(query: str) -> set[str]:
    """The metric names a PromQL query reads: identifiers outside label matchers, strings, ranges and
    grouping clauses that are not functions or keywords."""
    q = re.sub(r'"(?:[^"\\]|\\.)*"', "", query)
    q = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", q)
    q = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", q)
    names = set()
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][\w:]*)\s*(\()?", q):
        if m.group(2) is None and m.group(1).lower() not in PROMQL_WORDS:
            names.add(m.group(1))
    return names


def registered_names() -> set[str]:
    """Every series name the daemon's metrics can expose, from its registry's families and types."""
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created")}
    names = set()
    for family in Metrics().registry.collect():
        names.update(family.name + s for s in suffixes.get(family.type, ("",)))
    return names


# ------------------------------------------------------------------------------------------ no kernel
@pytest.mark.no_kernel
@NEEDS_PROMTOOL
def test_rules_parse_and_check() -> None:
    r = promtool("check", "rules", str(RULES))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 5 rules found" in r.stdout
    alerts = {rule["alert"] for rule in rules()}
    assert {"RoutekeeperReachableRouteMissing", "RoutekeeperRestoresFailing", "RoutekeeperDown"} <= alerts
    for rule in rules():
        assert metric_names(rule["expr"]) <= registered_names() | {"up"}, rule["alert"]


@pytest.mark.no_kernel
@NEEDS_PROMTOOL
def test_dashboard_queries_parse(tmp_path: Path) -> None:
    """promtool parses every query (as recording rules), and each reads only metrics that exist."""
    queries = dashboard_queries()
    assert len(queries) >= 10
    group = {
        "name": "dashboard",
        "rules": [{"record": f"q:{n}", "expr": as_promql(q)} for n, q in enumerate(queries)],
    }
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(json.dumps({"groups": [group]}))  # JSON is YAML
    r = promtool("check", "rules", str(path))
    assert r.returncode == 0, r.stdout + r.stderr
    known = registered_names() | {"up"}
    for q in queries:
        names = metric_names(as_promql(q))
        assert names, q
        assert names <= known, f"{q}: unknown {names - known}"


@pytest.mark.no_kernel
def test_metric_names_finds_names_and_only_names() -> None:
    q = 'histogram_quantile(0.99, sum by (le) (rate(rk_latency_bucket{instance=~"a b"}[5m]))) / on (job) up'
    assert metric_names(q) == {"rk_latency_bucket", "up"}
    assert metric_names("time() - rk_last > 3 * rk_interval") == {"rk_last", "rk_interval"}
    assert "routekeeper_nonexistent_total" not in registered_names()
    assert "routekeeper_restores_total" in registered_names()


# ------------------------------------------------------------------------------------------ kernel
def ip(ns: str, *args: str) -> None:
    r = subprocess.run(["ip", "-n", ns, *args], capture_output=True, text=True, timeout=30, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"ip -n {ns} {' '.join(args)}: {r.stderr.strip()}")


def persist(ns: str, state: str, prefix: str, nexthop: str) -> None:
    with session(ns, state) as host:
        host.apply(op.AddRoute(Prefix.parse(prefix), IP.parse(nexthop), None, persistent=True))


def read_port(p: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    """The port of `--metrics 127.0.0.1:0`, from the daemon's log line."""
    assert p.stderr is not None
    fd, buf, deadline = p.stderr.fileno(), "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        if m := re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", buf):
            return int(m.group(1))
        if select.select([fd], [], [], 0.1)[0]:
            buf += os.read(fd, 65536).decode()
    raise AssertionError(f"no metrics endpoint logged:\n{buf}")


def scrape_text(port: int) -> str:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return answer.read().decode()


Sample = tuple[str, tuple[tuple[str, str], ...]]


def samples(text: str) -> dict[Sample, float]:
    """Every sample of a scrape but the `_created` ones (no rule reads them)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if not s.name.endswith("_created"):
                found[(s.name, tuple(sorted({**s.labels, **TARGET}.items())))] = s.value
    return found


def series(scrapes: list[tuple[float, dict[Sample, float]] | None], with_up: bool = True) -> list[dict]:
    """promtool input series: scrape k (taken at real time t) is minute k; None is a failed scrape.
    Timestamp-valued metrics are shifted by (k minutes - t) so that ages are as measured."""
    keys = sorted({key for s in scrapes if s is not None for key in s[1]})
    out = []
    for key in keys:
        values = []
        for k, scrape in enumerate(scrapes):
            if scrape is None or key not in scrape[1]:
                values.append("_")
                continue
            t, found = scrape
            v = found[key]
            if key[0].endswith("_timestamp_seconds"):
                v = v - t + 60 * k
            values.append(repr(float(v)))
        labels = ", ".join(f'{n}="{v}"' for n, v in key[1])
        out.append({"series": f"{key[0]}{{{labels}}}", "values": " ".join(values)})
    if with_up:
        up = " ".join("0" if s is None else "1" for s in scrapes)
        labels = ", ".join(f'{n}="{v}"' for n, v in TARGET.items())
        out.append({"series": f"up{{{labels}}}", "values": up})
    return out


def alert_tests(firing: set[str]) -> list[dict]:
    """At the last minute: exactly the alerts in `firing`, each with its rule's labels and annotations."""
    return [
        {
            "eval_time": f"{MINUTES}m",
            "alertname": rule["alert"],
            "exp_alerts": [
                {
                    "exp_labels": {**rule.get("labels", {}), **TARGET},
                    "exp_annotations": rule.get("annotations", {}),
                }
            ]
            if rule["alert"] in firing
            else [],
        }
        for rule in rules()
    ]


@NEEDS_PROMTOOL
def test_kernel_alerts_on_scrapes_of_a_daemon(pair, state_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "192.168.0.20/24", "dev", "va0")
    persist(ns, state_file, "10.1.0.0/16", "192.168.0.1")
    persist(ns, state_file, "10.2.0.0/16", "192.168.0.1")
    p = lab.daemon("--netns", ns, "--state", state_file, "--interval", "0.2", "--metrics", "127.0.0.1:0")
    port = read_port(p)

    def take() -> tuple[float, dict[Sample, float]]:
        text = scrape_text(port)
        return time.time(), samples(text)

    def gauge(scrape: tuple[float, dict[Sample, float]], state: str) -> float:
        labels = tuple(sorted({"state": state, "reason": "", **TARGET}.items()))
        return scrape[1].get(("routekeeper_routes", labels), 0.0)

    assert lab.wait_for(lambda: gauge(take(), "present") == 2, 5.0)
    healthy = take()

    # Broken: the kernel's connected route goes (the daemon still sees the address, so the next hop
    # is reachable to it) and a kept route is deleted: every restore is refused with ENETUNREACH.
    # Another next hop takes the other kept prefix: a conflict.
    ip(ns, "route", "del", "192.168.0.0/24", "dev", "va0", "proto", "kernel")
    ip(ns, "route", "del", "10.1.0.0/16")
    ip(ns, "route", "replace", "10.2.0.0/16", "via", "192.168.0.2", "dev", "va0", "onlink", "proto", "static")
    assert lab.wait_for(lambda: gauge(now := take(), "missing") == 1 and gauge(now, "conflicting") == 1, 5.0)
    broken = []
    for _minute in range(MINUTES):
        time.sleep(0.3)
        broken.append(take())
    last = broken[-1][1]
    failures = [v for (name, labels), v in last.items() if name == "routekeeper_restore_failures_total"]
    assert failures and failures[0] >= MINUTES, "each periodic sync retried and was refused"
    exposed = {name for name, _labels in last}
    for q in dashboard_queries():
        assert metric_names(as_promql(q)) <= exposed | {"up"}, q
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=10) == 0

    cases = {
        "healthy": ([healthy] * (MINUTES + 1), True, set()),
        "broken": (
            [healthy, *broken],
            True,
            {"RoutekeeperReachableRouteMissing", "RoutekeeperRestoresFailing", "RoutekeeperRouteConflict"},
        ),
        "endpoint down": ([healthy] + [None] * MINUTES, True, {"RoutekeeperDown"}),
        # node_exporter keeps serving the last textfile: the same samples each minute (read at real
        # time t0 + k minutes), no `up` of the daemon's own.
        "textfile frozen": (
            [(healthy[0] + 60 * k, healthy[1]) for k in range(MINUTES + 1)],
            False,
            {"RoutekeeperStale"},
        ),
    }
    for name, (scrapes, with_up, firing) in cases.items():
        test = {
            "rule_files": [str(RULES)],
            "evaluation_interval": "1m",
            "tests": [
                {
                    "name": name,
                    "interval": "1m",
                    "input_series": series(scrapes, with_up),
                    "alert_rule_test": alert_tests(firing),
                }
            ],
        }
        path = tmp_path / f"{name.replace(' ', '-')}.yml"
        path.write_text(json.dumps(test))
        r = promtool("test", "rules", str(path))
        assert r.returncode == 0, f"{name}:\n{r.stdout}{r.stderr}"
