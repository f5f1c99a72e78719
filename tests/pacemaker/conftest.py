"""Fixtures for the real-cluster tests: one 3-node Pacemaker/Corosync cluster per test module.

The cluster (`harness.Cluster`) is brought up once per module (formation takes a few seconds with
`dc-deadtime` lowered) and always torn down, also when a test fails: every node ended by PID, every
namespace deleted; the teardown then checks that none of this run's namespaces is left. Without root,
namespaces or the Debian packages (pacemaker, corosync, resource-agents) the tests skip with the
reason printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # `import harness` from the test modules

import harness  # noqa: E402

SKIP = harness.missing()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SKIP is None:
        return
    mine = [i for i in items if "tests/pacemaker" in str(i.fspath).replace(os.sep, "/")]
    if mine:
        print(f"\nPacemaker cluster tests skipped: {SKIP}", file=sys.stderr)
    for item in mine:
        item.add_marker(pytest.mark.skip(reason=SKIP))


def leftover_namespaces(prefix: str) -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(prefix)]


@pytest.fixture(scope="module")
def cluster() -> Iterator[harness.Cluster]:
    c = harness.Cluster()
    try:
        c.start()
        yield c
    finally:
        c.close()
        left = leftover_namespaces(c.prefix)
        assert not left, f"namespaces left behind: {left}"
