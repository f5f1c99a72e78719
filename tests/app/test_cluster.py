"""`routekeeper cluster ...` over a state file, and `--node NODE`: which host a node stands for, and a
node that is down running no Windows tool."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from routekeeper.app.cluster import cmd_cluster, resolve_node
from routekeeper.app.commands import execute
from routekeeper.app.errors import CommandFailed
from routekeeper.app.session import Session
from routekeeper.cli import COMMANDS
from routekeeper.store.hosts import HostStore


def session(state: Path, out: io.StringIO) -> Session:
    return Session(out, out, str(state), "default", COMMANDS)


def cluster_state(tmp_path: Path) -> Path:
    state = tmp_path / "s.db"
    for words in (["create", "C"], ["add-node", "NODE1"], ["add-node", "NODE2"]):
        out = io.StringIO()
        s = session(state, out)
        assert cmd_cluster(s, words) == 0, out.getvalue()
        s.close()
    return state


def test_resolve_node_and_run_on_a_node(tmp_path):
    state = cluster_state(tmp_path)
    store = HostStore(state)
    assert resolve_node(store, "node2") == "C/NODE2"
    with pytest.raises(CommandFailed, match="has no node 'NODE9'"):
        resolve_node(store, "NODE9")
    store.close()
    out = io.StringIO()
    assert execute(session(state, out), ["host", "add-interface", "index=11", "name=Public"], "NODE1") == 0
    assert execute(session(state, out), ["route", "print", "-4"], "NODE1") == 0
    assert "Software Loopback Interface 1" in out.getvalue()
    out = io.StringIO()
    s = session(state, out)
    assert cmd_cluster(s, ["fail", "NODE1"]) == 0
    s.close()
    assert execute(session(state, out), ["route", "print"], "NODE1") == 1
    assert "node NODE1 of cluster C is down" in out.getvalue()
    assert execute(session(state, out), ["routes"], "NODE1") == 0  # routekeeper's own views still read it
