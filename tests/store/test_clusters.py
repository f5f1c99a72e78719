"""Clusters in the SQLite state file: a round trip gives the same cluster and the same node hosts (which
are ordinary host rows named <cluster>/<node>), history is appended once, a refused or what-if command
leaves the file as it was."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from routekeeper.cli import run
from routekeeper.core.cluster.operations import FailNode, MoveGroup, OnlineGroup, PauseNode
from routekeeper.core.host import Host
from routekeeper.core.values import IP
from routekeeper.store.clusters import (
    ClusterStoreError,
    cluster_names,
    delete_cluster,
    load_cluster,
    save_cluster,
)
from routekeeper.store.hosts import HostStore

VIP = IP.parse("10.50.0.100")


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_round_trip_keeps_cluster_and_hosts(tmp_path, two_nodes, snapshot):
    store = HostStore(tmp_path / "s.db")
    c = two_nodes("prehotfix", nodes=3)
    with store.transaction() as tx:
        save_cluster(tx, c, "setup")
    for operation in (OnlineGroup("SQL"), MoveGroup("SQL", "NODE2"), PauseNode("NODE3"), FailNode("NODE2")):
        c.apply(operation)
        with store.transaction() as tx:
            save_cluster(tx, c, repr(operation))
    with store.transaction() as tx:
        loaded = load_cluster(tx, "SQLCLUSTER")
        assert cluster_names(tx) == ["SQLCLUSTER"]
        plain = tx.load("SQLCLUSTER/NODE1")  # an ordinary host row
    assert snapshot(loaded) == snapshot(c)
    assert plain is not None and plain.is_local(VIP)
    assert [(e.seq, e.kind, e.subject, e.reason) for e in loaded.history] == [
        (e.seq, e.kind, e.subject, e.reason) for e in c.history
    ]
    assert loaded.history[-1].command == repr(FailNode("NODE2")) and loaded.history[-1].at
    # the node hosts keep their own logs too
    assert any(row[1] == repr(MoveGroup("SQL", "NODE2")) for row in store.log("SQLCLUSTER/NODE1"))
    store.close()


def test_history_is_appended_once_and_can_be_skipped(tmp_path, two_nodes):
    store = HostStore(tmp_path / "s.db")
    c = two_nodes()
    with store.transaction() as tx:
        save_cluster(tx, c, "a")
        save_cluster(tx, c, "a again")
    with store.transaction() as tx:
        light = load_cluster(tx, "SQLCLUSTER", with_history=False)
    assert light.history == [] and light.next_seq == c.next_seq
    light.apply(OnlineGroup("SQL"))
    with store.transaction() as tx:
        save_cluster(tx, light, "online")
        full = load_cluster(tx, "SQLCLUSTER")
    seqs = [e.seq for e in full.history]
    assert seqs == list(range(1, len(seqs) + 1))
    store.close()


def test_missing_cluster_and_delete(tmp_path, two_nodes):
    store = HostStore(tmp_path / "s.db")
    with store.transaction() as tx:
        with pytest.raises(ClusterStoreError):
            load_cluster(tx, "NOPE")
        save_cluster(tx, two_nodes(), "setup")
    with store.transaction() as tx:
        assert delete_cluster(tx, "SQLCLUSTER")
        assert tx.load("SQLCLUSTER/NODE1") is None and cluster_names(tx) == []
    store.close()


def cli(state: Path, *words: str) -> tuple[int, str]:
    out = io.StringIO()
    return run(["--state", str(state), "cluster", *words], out, out, env={}), out.getvalue()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    assert cli(path, "create", "C")[0] == 0
    for node in ("NODE1", "NODE2"):
        assert cli(path, "add-node", node, "--profile", "prehotfix")[0] == 0
        store = HostStore(path)
        with store.transaction() as tx:
            host = tx.load(f"C/{node}")
            assert host is not None
        store.close()
    return path


def test_refused_and_whatif_commands_leave_the_file_as_it_was(state):
    before = dump(state)
    status, out = cli(state, "group", "Nope", "/moveto:NODE2")
    assert status == 5013 and "System error 5013" in out
    status, out = cli(state, "add-node", "NODE1")
    assert status == 1 and "already has a node" in out
    status, out = cli(state, "node", "NODE1", "/resume")
    assert status == 5058
    assert dump(state) == before
    status, out = cli(state, "node")
    assert status == 0 and "NODE2                2 Up" in out
    assert dump(state) == before  # a listing writes nothing


def test_cli_selects_clusters(state, tmp_path):
    assert cli(state, "list") == (0, "C\n")
    assert cli(state, "/cluster:c", "node")[0] == 0
    assert cli(state, "C", "node")[0] == 0
    status, out = cli(state, "/cluster:D", "node")
    assert status == 1 and "no cluster 'D'" in out
    assert cli(state, "create", "D")[0] == 0
    status, out = cli(state, "node")
    assert status == 1 and "A cluster name must be specified" in out
    status, out = cli(state, "create", "D")
    assert status == 1 and "already exists" in out
    assert cli(state, "delete", "D")[0] == 0
    assert cli(state, "node")[0] == 0
    empty = tmp_path / "empty.db"
    with HostStore(empty).transaction() as tx:  # a state file without clusters (a missing one is
        tx.create_host(Host("hotfix", name="default"))  # another error), made by a write
    status, out = cli(empty, "group")
    assert status == 1 and "no cluster yet" in out


def test_a_new_node_never_takes_over_an_existing_host_row(tmp_path):
    path = tmp_path / "s.db"
    assert cli(path, "create", "C")[0] == 0
    store = HostStore(path)
    with store.transaction() as tx:
        from routekeeper.core.host import Host

        tx.create_host(Host("hotfix", name="C/NODE1"))
    store.close()
    status, out = cli(path, "add-node", "NODE1")
    assert status == 1 and "a host named 'C/NODE1' already exists" in out


def test_adapters_added_later_round_trip(tmp_path, two_nodes, snapshot):
    from routekeeper.core import operations as op
    from routekeeper.core.host import Host
    from routekeeper.core.values import Interface

    store = HostStore(tmp_path / "s.db")
    c = two_nodes("prehotfix", nodes=2)
    c.apply(OnlineGroup("SQL"))
    with store.transaction() as tx:
        save_cluster(tx, c, "setup")
    host = Host("hotfix", name="SQLCLUSTER/NODE0")  # joins late, and sorts before the others by name
    host.apply(op.AddInterface(Interface(12, "Team", mac="00-15-5D-01-00-03")))
    host.apply(op.AddAddress(12, IP.parse("10.50.0.13"), 24))
    c.add_node("NODE0", host)
    c.add_adapter("Cluster Network 1", "NODE0", "Team")
    with store.transaction() as tx:
        save_cluster(tx, c, "cluster add-adapter")
    with store.transaction() as tx:
        loaded = load_cluster(tx, "SQLCLUSTER")
    assert snapshot(loaded) == snapshot(c)
    assert loaded.networks["Cluster Network 1"].adapters == {"NODE1": 11, "NODE2": 11, "NODE0": 12}
    assert loaded.history[-1].command == "cluster add-adapter"
    assert loaded.history[-1].subject == "network Cluster Network 1"
    # the reloaded cluster fails over to the late node through its stored adapter
    loaded.apply(PauseNode("NODE2"))
    loaded.apply(FailNode("NODE1"))
    assert loaded.holders(VIP) == ["NODE0"] and loaded.resources["SQL IP"].plumbed.ifindex == 12
    with store.transaction() as tx:
        save_cluster(tx, loaded, "fail")
        again = load_cluster(tx, "SQLCLUSTER")
    assert snapshot(again) == snapshot(loaded)
    store.close()


def test_an_adapter_row_for_an_unknown_network_is_refused(tmp_path, two_nodes):
    store = HostStore(tmp_path / "s.db")
    with store.transaction() as tx:
        save_cluster(tx, two_nodes(), "setup")
        tx.conn.execute(
            "INSERT INTO cluster_adapters SELECT cluster_id, 'Gone', node, ifindex FROM cluster_adapters"
        )
        with pytest.raises(ClusterStoreError, match="network 'Gone', which is not in it"):
            load_cluster(tx, "SQLCLUSTER")
        tx.rollback()
    store.close()


def test_cli_add_adapter_is_saved_and_a_refusal_writes_nothing(state):
    store = HostStore(state)
    with store.transaction() as tx:
        from routekeeper.core import operations as op
        from routekeeper.core.values import Interface

        for node in ("NODE1", "NODE2"):
            host = tx.load(f"C/{node}")
            events = host.apply(op.AddInterface(Interface(11, "Public", mac="00-15-5D-01-00-0" + node[-1])))
            tx.save(host, events, "host add-interface")
    store.close()
    assert cli(state, "add-network", "Net", "10.50.0.0/24", "NODE1=11")[0] == 0
    before = dump(state)
    status, out = cli(state, "add-adapter", "Net", "NODE2=12")
    assert status == 1 and "node NODE2 has no interface 12" in out
    status, out = cli(state, "add-adapter", "Net", "NODE2=public")
    assert (status, out) == (0, "added adapter: network Net (10.50.0.0/24) on NODE2 interface 11 (Public)\n")
    assert dump(state) != before
    after = dump(state)
    status, out = cli(state, "add-adapter", "Net", "NODE2=11")
    assert status == 0 and "unchanged" in out
    assert dump(state) == after
    status, out = cli(state, "show")
    assert "network Net: 10.50.0.0/24 [NODE1=11, NODE2=11]" in out
