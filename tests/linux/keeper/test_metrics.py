"""The daemon's Prometheus metrics on a real kernel: scraped through a flush and its restore.

A daemon runs in a namespace of its own making (`pair`) with `--metrics 127.0.0.1:0` (the port the
kernel picks is read from its log) and `--metrics-textfile`; each step breaks the routes with `ip` and
checks that the counters and the latency histogram moved by exactly what the step did.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from routekeeper.app.linux_session import session
from routekeeper.core import operations as op
from routekeeper.core.values import IP, Prefix
from routekeeper.linux.keeper.metrics import parse_address, restore_cause, textfile_path

ROUTES = ("0.0.0.0/0", "10.1.0.0/16", "10.2.0.0/16")


def ip(ns: str, *args: str) -> str:
    r = subprocess.run(["ip", "-n", ns, *args], capture_output=True, text=True, timeout=30, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"ip -n {ns} {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def has_route(ns: str, prefix: str) -> bool:
    shown = "default" if prefix == "0.0.0.0/0" else prefix
    return bool(ip(ns, "route", "show", "exact", shown).strip())


_UNREAD: dict[int, str] = {}  # per daemon pid: what was read past the last matched line


def read_line(p: subprocess.Popen[bytes], pattern: str, timeout: float = 15.0) -> re.Match[str]:
    """The first line of the daemon's stderr matching `pattern` (raw reads: no buffered readline).
    Lines read past the match in the same chunk are kept for the next call, not dropped."""
    assert p.stderr is not None
    fd, deadline = p.stderr.fileno(), time.monotonic() + timeout
    buf = _UNREAD.pop(p.pid, "")
    while time.monotonic() < deadline:
        lines = buf.split("\n")
        for i, line in enumerate(lines[:-1]):
            if m := re.search(pattern, line):
                _UNREAD[p.pid] = "\n".join(lines[i + 1 :])
                return m
        if select.select([fd], [], [], 0.1)[0]:
            chunk = os.read(fd, 65536).decode()
            if not chunk:
                break
            buf += chunk
    raise AssertionError(f"daemon never logged {pattern!r}; got:\n{buf}")


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(port: int) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return parse(answer.read().decode())


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def wait_value(port: int, name: str, expected: float, timeout: float = 5.0, **labels: str) -> Samples:
    """Scrape until `name{labels}` is `expected` (the gauges follow the batch that changed them)."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(port)
        if value(samples, name, **labels) == expected or time.monotonic() > deadline:
            assert value(samples, name, **labels) == expected, (name, labels, value(samples, name, **labels))
            return samples
        time.sleep(0.02)


def persist(ns: str, state: str, prefix: str, nexthop: str) -> None:
    with session(ns, state) as host:
        host.apply(op.AddRoute(Prefix.parse(prefix), IP.parse(nexthop), None, persistent=True))


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_kernel_metrics_through_flush_and_restore(pair, state_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "192.168.0.20/24", "dev", "va0")
    for prefix in ROUTES:
        persist(ns, state_file, prefix, "192.168.0.1")
    textfile = str(tmp_path / "routekeeper.prom")
    p = lab.daemon(
        "--netns", ns, "--state", state_file, "--interval", "3600",
        "--metrics", "127.0.0.1:0", "--metrics-textfile", textfile,
    )  # fmt: skip
    port = int(read_line(p, r"metrics on http://127\.0\.0\.1:(\d+)/metrics").group(1))
    read_line(p, "ready in")
    R = "routekeeper_"
    start = wait_value(port, R + "routes", 3, state="present", reason="")
    assert value(start, R + "persistent_routes") == 3
    assert value(start, R + "store_reloads_total") == 1
    assert value(start, R + "full_sync_duration_seconds_count") == 1
    assert value(start, R + "full_sync_interval_seconds") == 3600
    assert time.time() - value(start, R + "full_sync_last_success_timestamp_seconds") < 60
    assert value(start, R + "restores_total", cause="sync") == 0, "the CLI had installed them already"

    # The defect: the last address goes, the kernel flushes the three routes; they wait for it.
    ip(ns, "addr", "del", "192.168.0.20/24", "dev", "va0")
    assert lab.wait_for(lambda: not any(has_route(ns, r) for r in ROUTES), 3.0)
    flushed = wait_value(port, R + "routes", 3, state="waiting", reason="nexthop_unreachable")
    assert value(flushed, R + "routes", state="present", reason="") == 0
    assert moved(start, flushed, R + "restores_total", cause="address_back") == 0

    # The address comes back: one install of the group, three routes, one latency observation.
    ip(ns, "addr", "add", "192.168.0.20/24", "dev", "va0")
    assert lab.wait_for(lambda: all(has_route(ns, r) for r in ROUTES), 3.0)
    back = wait_value(port, R + "routes", 3, state="present", reason="")
    assert moved(flushed, back, R + "restores_total", cause="address_back") == 3
    assert moved(flushed, back, R + "restore_latency_seconds_count", cause="address_back") == 1
    latency = moved(flushed, back, R + "restore_latency_seconds_sum", cause="address_back")
    assert 0 < latency < 2.0
    assert moved(flushed, back, R + "restore_latency_seconds_bucket", cause="address_back", le="+Inf") == 1
    assert value(back, R + "routes", state="waiting", reason="nexthop_unreachable") == 0

    # Someone deletes one of our routes: one foreign deletion, one repair.
    ip(ns, "route", "del", "10.1.0.0/16")
    assert lab.wait_for(lambda: has_route(ns, "10.1.0.0/16"), 3.0)
    repaired = wait_value(port, R + "foreign_deletions_total", 1)
    assert moved(back, repaired, R + "restores_total", cause="foreign_delete") == 1
    assert moved(back, repaired, R + "restore_latency_seconds_count", cause="foreign_delete") == 1

    # Link down flushes all three; link up puts them back.
    ip(ns, "link", "set", "va0", "down")
    assert lab.wait_for(lambda: not any(has_route(ns, r) for r in ROUTES), 3.0)
    down = wait_value(port, R + "routes", 3, state="waiting", reason="nexthop_unreachable")
    ip(ns, "link", "set", "va0", "up")
    assert lab.wait_for(lambda: all(has_route(ns, r) for r in ROUTES), 3.0)
    up = wait_value(port, R + "routes", 3, state="present", reason="")
    assert moved(down, up, R + "restores_total", cause="link_up") == 3
    assert moved(repaired, up, R + "restores_total", cause="address_back") == 0

    # SIGHUP: a store reload and a full sync, with nothing to restore.
    p.send_signal(signal.SIGHUP)
    reloaded = wait_value(port, R + "full_sync_duration_seconds_count", 2)
    assert moved(up, reloaded, R + "store_reloads_total") == 1
    assert moved(up, reloaded, R + "restores_total", cause="sync") == 0
    assert value(reloaded, R + "restore_failures_total", error="ENETUNREACH") == 0
    assert value(reloaded, R + "conflicts_total") == 0

    # The textfile says what the endpoint says (written after the last full sync).
    def written() -> Samples:
        with open(textfile) as f:
            return parse(f.read())

    assert lab.wait_for(lambda: value(written(), R + "full_sync_duration_seconds_count") == 2, 3.0)
    assert value(written(), R + "store_reloads_total") == 2
    assert value(written(), R + "routes", state="present", reason="") == 3
    assert not [n for n in os.listdir(tmp_path) if n != "routekeeper.prom"], "no temporary file left"
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=10) == 0


def test_kernel_metrics_conflict(pair, state_file) -> None:  # type: ignore[no-untyped-def]
    """A hand-made route holds the prefix at the same metric through another next hop: our install is
    refused (EEXIST), counted as a conflict, and the route counted as conflicting."""
    lab, ns, _peer = pair
    ip(ns, "addr", "add", "192.168.0.20/24", "dev", "va0")
    persist(ns, state_file, "10.7.0.0/16", "192.168.0.1")
    p = lab.daemon("--netns", ns, "--state", state_file, "--interval", "3600", "--metrics", "127.0.0.1:0")
    port = int(read_line(p, r"metrics on http://127\.0\.0\.1:(\d+)/metrics").group(1))
    read_line(p, "ready in")
    # A replace sends no RTM_DELROUTE (and RTM_NEWROUTE is filtered): the reload's full sync sees it.
    ip(ns, "route", "replace", "10.7.0.0/16", "via", "192.168.0.2", "proto", "static")
    p.send_signal(signal.SIGHUP)
    samples = wait_value(port, "routekeeper_routes", 1, state="conflicting", reason="")
    assert value(samples, "routekeeper_conflicts_total") >= 1
    assert value(samples, "routekeeper_routes", state="present", reason="") == 0


# ------------------------------------------------------------------------------------------ no kernel
@pytest.mark.no_kernel
@pytest.mark.parametrize(
    ("reason", "cause"),
    [
        ("keeper: re-plumbed, next hop 10.0.0.1 is on-link (address 10.0.0.2/24 added)", "address_back"),
        ("keeper: re-plumbed, ... (interface va0 set up)", "link_up"),
        ("keeper: re-plumbed, ... (interface va0 has carrier)", "link_up"),
        ("keeper: re-plumbed, ... (deleted by another process)", "foreign_delete"),
        ("keeper: re-plumbed, ... (3 routes deleted by others)", "foreign_delete"),
        ("keeper: re-plumbed, ... (periodic re-verification)", "sync"),
        ("keeper: re-plumbed, ... (start)", "sync"),
        ("keeper: re-plumbed, ... (events lost)", "sync"),
    ],
)  # fmt: skip
def test_restore_cause(reason: str, cause: str) -> None:
    assert restore_cause(reason) == cause


@pytest.mark.no_kernel
def test_metrics_options_refuse_bad_values(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert parse_address("127.0.0.1:9469") == ("127.0.0.1", 9469)
    assert parse_address("[::1]:9469") == ("::1", 9469)
    for bad in ("9469", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000", ":9469"):
        with pytest.raises(ValueError, match="HOST:PORT"):
            parse_address(bad)
    with pytest.raises(ValueError, match=r"\.prom"):
        textfile_path(str(tmp_path / "metrics.txt"))
    with pytest.raises(ValueError, match="no directory"):
        textfile_path(str(tmp_path / "missing" / "routekeeper.prom"))


@pytest.mark.no_kernel
def test_prepared_restore_latency_is_taken_when_sent() -> None:
    """A restore sent before decoding (prepared while idle) is reported later: its latency is the one
    measured when it went out, not when it is reported."""
    from types import SimpleNamespace

    from routekeeper.linux.keeper.decide import Plan, Tally
    from routekeeper.linux.keeper.metrics import Metrics

    m = Metrics()
    tally = Tally(set(), done=3)
    m.received()
    m.took(SimpleNamespace(entries=[SimpleNamespace(tally=tally)]))
    sent_latency = m.acked[id(tally)]
    time.sleep(0.05)  # decoding, settling, logging: not part of the restore's latency
    action = SimpleNamespace(reason=lambda: "", group=SimpleNamespace(keys=[1, 2, 3]))
    m.installed(action, Plan([(0, 0)] * 3), tally)  # type: ignore[arg-type]
    assert m.registry.get_sample_value("routekeeper_restores_total", {"cause": "address_back"}) == 3
    total = m.registry.get_sample_value("routekeeper_restore_latency_seconds_sum", {"cause": "address_back"})
    assert total == sent_latency < 0.05
    assert m.acked == {}
    assert m.registry.get_sample_value("routekeeper_conflicts_total") == 0


@pytest.mark.no_kernel
def test_no_metrics_has_every_hook() -> None:
    """The loop calls the same hooks whether metrics are on or off."""
    from routekeeper.linux.keeper.metrics import Metrics, NoMetrics

    hooks = {n for n in vars(Metrics) if not n.startswith("_") and callable(getattr(Metrics, n))}
    hooks -= {"serve", "write", "count_routes"}  # outputs, called from inside
    assert hooks <= set(vars(NoMetrics))
