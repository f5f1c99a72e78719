"""The OCF agent on its own, in a network namespace of the test's: ocf-tester, exit codes, start/stop.

The agent runs under `ip netns exec`, so the daemon it starts keeps that namespace (never the
machine's); its state file, log and PID file are in a temporary directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator

import harness
import pytest
from harness import AGENT, REPO, has, kernel_routes, sh


@pytest.fixture
def place() -> Iterator[tuple[str, str]]:
    """A namespace with veth va0 (10.0.0.2/24) to a peer namespace, and a directory."""
    ns = f"rkpm{os.getpid()}-agent"
    peer = ns + "-p"
    directory = tempfile.mkdtemp(prefix="rkpm-agent-")
    os.chmod(directory, 0o755)  # ocf-tester runs the agent once as `nobody`
    try:
        for name in (ns, peer):
            sh("ip", "netns", "add", name)
        sh("ip", "-n", ns, "link", "add", "va0", "type", "veth", "peer", "name", "vb0", "netns", peer)
        sh("ip", "-n", ns, "link", "set", "va0", "up")
        sh("ip", "-n", peer, "link", "set", "vb0", "up")
        sh("ip", "-n", ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
        wrapper = os.path.join(directory, "rk")
        with open(wrapper, "w") as f:
            f.write(f'#!/bin/sh\nPYTHONPATH={REPO}/src exec {sys.executable} -m routekeeper "$@"\n')
        os.chmod(wrapper, 0o755)
        yield ns, directory
    finally:
        subprocess.run(["ip", "netns", "exec", ns, AGENT, "stop"], env=env(directory), capture_output=True)
        for name in (ns, peer):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)


def env(directory: str, **params: str) -> dict[str, str]:
    values = {
        "binary": os.path.join(directory, "rk"),
        "state": os.path.join(directory, "state.db"),
        "logfile": os.path.join(directory, "keep.log"),
        "pidfile": os.path.join(directory, "keep.pid"),
        "interval": "3600",
        **params,
    }
    out = dict(os.environ, OCF_ROOT="/usr/lib/ocf", OCF_RESOURCE_INSTANCE="rktest")
    out.update({f"OCF_RESKEY_{k}": v for k, v in values.items()})
    return out


def agent(ns: str, directory: str, *args: str, **params: str) -> int:
    argv = ["ip", "netns", "exec", ns, AGENT, *args]
    return subprocess.run(argv, env=env(directory, **params), capture_output=True, timeout=60).returncode


def test_ocf_tester_passes(place: tuple[str, str]) -> None:
    ns, directory = place
    params = {k: v for k, v in env(directory).items() if k.startswith("OCF_RESKEY_")}
    options = [x for k, v in params.items() for x in ("-o", f"{k.removeprefix('OCF_RESKEY_')}={v}")]
    # ocf-tester runs `meta-data` as `nobody`, which may not reach a clone in a private directory
    # (mktemp -d makes 0700 ones): it tests a copy in the test's own world-readable directory.
    copy = os.path.join(directory, "routekeeper")
    shutil.copy(AGENT, copy)
    os.chmod(copy, 0o755)
    r = subprocess.run(
        ["ip", "netns", "exec", ns, "ocf-tester", "-n", "rktest", *options, copy],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and "passed all tests" in r.stdout, r.stdout + r.stderr


def test_exit_codes_and_the_daemon(place: tuple[str, str]) -> None:
    ns, directory = place
    assert agent(ns, directory) == 2, "no action: bad arguments"
    assert agent(ns, directory, "frobnicate") == 3
    assert agent(ns, directory, "validate-all", binary="/nonexistent/routekeeper") == 5
    assert agent(ns, directory, "validate-all", interval="soon") == 6
    assert agent(ns, directory, "validate-all", netns="rkpm-no-such-namespace") == 6
    assert agent(ns, directory, "validate-all") == 0
    assert agent(ns, directory, "monitor") == 7
    # a persistent route, stored before the daemon starts: the start installs it
    node = harness.Node("x", 0, ns, directory)
    harness.store_routes(node, [("10.50.0.0/16", "10.0.0.1", None)])
    state = node.state
    assert agent(ns, directory, "start", state=state) == 0
    assert has(kernel_routes(ns), "10.50.0.0/16", gateway="10.0.0.1")
    assert agent(ns, directory, "monitor", state=state) == 0
    assert agent(ns, directory, "start", state=state) == 0, "start when running: success"
    sh("ip", "-n", ns, "addr", "flush", "dev", "va0")
    sh("ip", "-n", ns, "addr", "add", "10.0.0.2/24", "dev", "va0")
    assert harness.wait_for(lambda: has(kernel_routes(ns), "10.50.0.0/16"), 10, 0.02), "the daemon restores"
    assert agent(ns, directory, "reload", state=state) == 0
    assert agent(ns, directory, "stop", state=state) == 0
    assert agent(ns, directory, "monitor", state=state) == 7
    assert has(kernel_routes(ns), "10.50.0.0/16"), "routes stay when the daemon stops"
    assert agent(ns, directory, "stop", state=state) == 0, "stop when stopped: success"
    assert agent(ns, directory, "reload", state=state) == 7
