"""Crash safety: `kill -9` at random moments during a storm of route additions made through the CLI in
separate processes. Every addition that reported success must be in the store afterwards, and the file
must pass SQLite's integrity check."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from routekeeper.cli import run
from routekeeper.store.hosts import HostStore

SRC = str(Path(__file__).resolve().parents[2] / "src")
KILLS = 200
PARALLEL = 4


def test_kill_9_storm_keeps_every_reported_success(tmp_path):
    state = tmp_path / "state.db"
    out = io.StringIO()
    assert run(["--state", str(state), "host", "init", "--profile", "hotfix"], out, out, env={}) == 0
    assert (
        run(["--state", str(state), "host", "add-interface", "index=11", "name=LAN"], out, out, env={}) == 0
    )
    assert run(["--state", str(state), "add-address", "LAN", "10.0.0.5/8"], out, out, env={}) == 0

    env = dict(os.environ, PYTHONPATH=SRC)
    rng = random.Random(1129)
    succeeded: set[str] = set()
    killed = 0
    running: list[tuple[subprocess.Popen, str, float]] = []
    serial = 0
    while killed < KILLS or running:
        while killed + len(running) < KILLS + 60 and len(running) < PARALLEL and killed < KILLS:
            serial += 1
            prefix = f"10.{serial // 250 + 100}.{serial % 250}.0/24"
            cmd = [sys.executable, "-m", "routekeeper", "--state", str(state), "add-route", prefix]
            cmd += ["--via", "10.0.0.1", "--persistent"]
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            running.append((proc, prefix, time.monotonic() + rng.uniform(0.0, 0.25)))
        time.sleep(0.002)
        for item in list(running):
            proc, prefix, deadline = item
            status = proc.poll()
            if status is not None:
                running.remove(item)
                if status == 0:
                    succeeded.add(prefix)
            elif time.monotonic() >= deadline:
                if killed < KILLS:
                    proc.send_signal(signal.SIGKILL)
                    killed += 1
                status = proc.wait()
                running.remove(item)
                if status == 0:
                    succeeded.add(prefix)

    store = HostStore(state)
    assert store.integrity_ok()
    with store.transaction() as tx:
        host = tx.load("default")
    assert host is not None
    stored = {str(p.prefix) for p in host.persistent.values()}
    active = {str(r.prefix) for r in host.table if r.manual}
    assert killed == KILLS
    assert succeeded, "no addition ever completed: the storm proved nothing"
    assert succeeded <= stored
    assert stored == active  # never a half-written command: each stored route is also active
    print(f"\n{killed} kills, {len(succeeded)} reported successes, {len(stored)} routes stored")
