"""A newcomer's first hour (issue 13): each stumble found, as a test that a user's command line runs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from routekeeper.cli import run

SRC = str(Path(__file__).resolve().parents[2] / "src")


def rk(state: Path, *words: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(["--state", str(state), *words], out, err, env={})
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def cluster_state(tmp_path: Path) -> Path:
    state = tmp_path / "state.db"
    assert rk(state, "cluster", "create", "C2")[0] == 0
    assert rk(state, "cluster", "add-node", "N1")[0] == 0
    return state


def test_deleting_a_cluster_nodes_host_is_refused_and_changes_nothing(cluster_state: Path) -> None:
    status, out, err = rk(cluster_state, "host", "delete", "C2/N1")
    assert status == 1 and out == ""
    assert err == (
        "routekeeper: host 'C2/N1' is the stack of node N1 of cluster C2; it goes with the cluster"
        " ('routekeeper cluster delete C2')\n"
    )
    assert rk(cluster_state, "host", "list")[1] == "C2/N1\thotfix\n"
    status, out, err = rk(cluster_state, "cluster", "node")
    assert status == 0 and "N1" in out and err == ""


def test_deleting_the_cluster_takes_its_node_hosts(cluster_state: Path) -> None:
    assert rk(cluster_state, "cluster", "delete", "C2")[0] == 0
    assert rk(cluster_state, "host", "list")[1] == ""


def test_add_node_over_an_existing_host_prints_only_the_refusal(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    rk(state, "cluster", "create", "C2")
    assert rk(state, "--host", "C2/N1", "host", "init")[0] == 0
    status, out, err = rk(state, "cluster", "add-node", "N1")
    assert status == 1
    assert out == ""
    assert "a host named 'C2/N1' already exists" in err
    assert "N1" not in rk(state, "cluster", "node")[1]


def test_a_win32_code_above_255_exits_1_from_a_process(cluster_state: Path) -> None:
    """docs/cluster.md: the code is on the `System error N` line; the process exits 1 (not N mod 256)."""
    status, out, err = rk(cluster_state, "cluster", "group", "Nope", "/moveto:N1")
    assert status == 5013 and "System error 5013 has occurred" in out + err
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "routekeeper",
            "--state",
            str(cluster_state),
            "cluster",
            "group",
            "Nope",
            "/moveto:N1",
        ],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": SRC},
    )
    assert proc.returncode == 1 and "System error 5013 has occurred" in proc.stdout + proc.stderr


@pytest.fixture
def lan_host(tmp_path: Path) -> Path:
    state = tmp_path / "state.db"
    rk(state, "host", "init", "--profile", "prehotfix")
    rk(state, "host", "add-interface", "index=11", "name=Local Area Connection 1")
    rk(
        state,
        "netsh",
        "interface",
        "ipv4",
        "add",
        "address",
        "Local Area Connection 1",
        "192.168.0.20",
        "255.255.255.0",
    )
    rk(state, "route", "-p", "add", "0.0.0.0", "mask", "0.0.0.0", "192.168.0.1")
    return state


def test_whatif_says_what_if_first_and_quotes_names_with_spaces(lan_host: Path) -> None:
    status, out, err = rk(
        lan_host, "whatif", "route", "-p", "add", "10.0.0.0", "mask", "255.0.0.0", "192.168.0.1"
    )
    lines = out.splitlines()
    assert status == 0 and err == ""
    assert lines[0] == "What if: route -p add 10.0.0.0 mask 255.0.0.0 192.168.0.1 (nothing was changed)"
    assert lines[1:3] == ["It would print:", "  |  OK!"]
    words = ["netsh", "interface", "ipv4", "delete", "address", "Local Area Connection 1", "192.168.0.20"]
    out = rk(lan_host, "whatif", *words)[1]
    assert out.splitlines()[0] == (
        'What if: netsh interface ipv4 delete address "Local Area Connection 1" 192.168.0.20'
        " (nothing was changed)"
    )


def test_whatif_reboot_shows_only_what_differs_after_it(lan_host: Path) -> None:
    out = rk(lan_host, "whatif", "host", "reboot")[1]
    assert "Active table:\n  unchanged\n" in out
    rk(
        lan_host,
        "netsh",
        "interface",
        "ipv4",
        "add",
        "address",
        "Local Area Connection 1",
        "192.168.0.21",
        "255.255.255.0",
    )
    rk(lan_host, "netsh", "interface", "ipv4", "delete", "address", "Local Area Connection 1", "192.168.0.21")
    out = rk(lan_host, "whatif", "host", "reboot")[1]
    active = out.split("Active table:\n", 1)[1].split("Persistent store:", 1)[0]
    assert active.splitlines() == [
        "  + 0.0.0.0/0 via 192.168.0.1 on interface 11:"
        " next hop 192.168.0.1 on-link on interface 11 (plumbed at boot)"
    ]


def test_a_cluster_whatif_quotes_a_group_name_with_spaces() -> None:
    from routekeeper.core.cluster.operations import MoveGroup, describe_operation

    assert describe_operation(MoveGroup("SQL Server", "N2")) == 'moving group "SQL Server" to N2'
    assert describe_operation(MoveGroup("SQL", "N2")) == "moving group SQL to N2"


def demo_text(columns: int) -> list[str]:
    from routekeeper.app.demo import run_demo

    out = io.StringIO()
    run_demo(out, columns)
    return out.getvalue().splitlines()


def test_the_demo_fits_80_columns_and_ends_with_its_verdict() -> None:
    lines = demo_text(80)
    assert max(len(line) for line in lines) <= 80
    assert lines[-1] == "Verdict: prehotfix lost 0.0.0.0/0; hotfix kept it; the keeper put it back"
    # stacked: the prehotfix table, then the hotfix one; the lost route is flagged where it is stored
    assert lines.index("prehotfix:") < lines.index("hotfix:")
    flagged = [line for line in lines if line.endswith("<- not active")]
    assert [line.split()[:3] for line in flagged] == [["0.0.0.0", "0.0.0.0", "192.168.0.1"]]
    assert lines.index(flagged[0]) < lines.index("hotfix:")


def test_the_demo_puts_the_tables_side_by_side_on_a_wide_terminal() -> None:
    lines = demo_text(200)
    assert "prehotfix:" not in lines
    assert lines[lines.index("Final tables, C:\\> route print -4 on each host:") + 2].split() == [
        "prehotfix",
        "hotfix",
    ]
    assert max(len(line) for line in lines) <= 156


def test_a_wrapped_command_keeps_a_quoted_name_whole() -> None:
    from routekeeper.app.demo import wrap_command

    lines = wrap_command(
        "Step 1  C:\\> ", 'netsh interface ipv4 add address "Local Area Connection 1" 10.0.0.1', 60
    )
    assert lines == [
        "Step 1  C:\\> netsh interface ipv4 add address",
        '             "Local Area Connection 1" 10.0.0.1',
    ]


def test_routes_json_is_streamed_as_the_same_text_as_one_document(lan_host: Path) -> None:
    """`routes --json` is written route by route; the text is what one json.dumps(indent=2) gives."""
    rk(lan_host, "netsh", "interface", "ipv4", "delete", "address", "Local Area Connection 1", "192.168.0.20")
    for state in (lan_host,):
        status, out, _ = rk(state, "routes", "--json")
        document = json.loads(out)
        assert status == 0 and out == json.dumps(document, indent=2) + "\n"
        assert document["active"] and document["persistent"]
    empty = lan_host.parent / "empty.db"
    rk(empty, "host", "init")
    out = rk(empty, "routes", "--json")[1]
    assert out == json.dumps(json.loads(out), indent=2) + "\n" and json.loads(out)["held"] == []
