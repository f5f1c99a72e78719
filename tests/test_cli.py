"""The native command line: hosts, operations, views, errors and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from routekeeper.cli import run

SRC = str(Path(__file__).resolve().parents[1] / "src")


def rk(state: Path, *words: str, env: dict | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(["--state", str(state), *words], out, err, env=env or {})
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    rk(path, "host", "init", "--profile", "prehotfix")
    rk(path, "host", "add-interface", "index=11", "name=Local Area Connection 1", "mac=00-15-5D-01-02-03")
    rk(path, "add-address", "11", "192.168.0.20/24")
    rk(path, "add-route", "0.0.0.0/0", "--via", "192.168.0.1", "--persistent")
    return path


def test_host_list_and_show(state):
    status, out, _ = rk(state, "host", "list")
    assert status == 0 and out == "default\tprehotfix\n"
    status, out, _ = rk(state, "host", "show")
    assert "[11] Local Area Connection 1" in out and "192.168.0.20/24" in out


def test_second_host_by_name(state):
    assert rk(state, "--host", "b", "host", "init", "--profile", "linux")[0] == 0
    assert rk(state, "host", "list")[1] == "b\tlinux\ndefault\tprehotfix\n"
    status, _, err = rk(state, "--host", "b", "host", "init")
    assert status == 1 and "already exists" in err


def test_defect_scenario_through_native_commands(state):
    rk(state, "add-address", "Local Area Connection 1", "192.168.0.21/24")
    status, out, _ = rk(state, "delete-address", "11", "192.168.0.21")
    assert status == 0 and "route-withdrawn: 0.0.0.0/0 via 192.168.0.1" in out
    data = json.loads(rk(state, "routes", "--json")[1])
    assert not [r for r in data["active"] if r["type"] == "manual"]
    assert data["persistent"] == [
        {
            "prefix": "0.0.0.0/0",
            "nexthop": "192.168.0.1",
            "metric": 1,
            "interface": None,
            "type": "manual",
            "state": "waiting",
        }
    ]
    why = rk(state, "why", "0.0.0.0/0")[1]
    assert "does not put it back by itself" in why and "route-withdrawn" in why
    rk(state, "add-address", "11", "192.168.0.22/24")
    assert "active on interface 11" in rk(state, "why", "0.0.0.0/0")[1]


def test_lookup_explains_choice(state):
    status, out, _ = rk(state, "lookup", "8.8.8.8")
    assert status == 0
    assert out.splitlines()[:4] == [
        "8.8.8.8: via route 0.0.0.0/0 (manual)",
        "  next hop:  192.168.0.1",
        "  interface: 11 (Local Area Connection 1)",
        "  source:    192.168.0.20",
    ]
    assert "metric:    11 (route 1 + interface 10)" in out
    assert rk(state, "lookup", "::2")[0] == 1


def test_log_lists_reasoned_events(state):
    out = rk(state, "log")[1]
    assert "persisted: 0.0.0.0/0 via 192.168.0.1: added by administrator" in out
    assert "[add-route 0.0.0.0/0 --via 192.168.0.1 --persistent]" in out
    everything = rk(state, "log", "--all")[1]
    assert "route-added: 192.168.0.0/24 on-link" in everything and "192.168.0.0/24" not in out


def test_reboot_and_interface_state(state):
    assert rk(state, "disconnect", "11")[0] == 0
    assert "inactive (interface disconnected)" in rk(state, "routes")[1]
    assert rk(state, "connect", "11")[0] == 0
    status, out, _ = rk(state, "host", "reboot")
    assert status == 0 and "1 persistent routes plumbed" in out
    assert rk(state, "set-metric", "11", "25")[0] == 0
    assert "metric 25 " in rk(state, "host", "show")[1]


@pytest.mark.parametrize(
    "words, status, message",
    [
        (["frobnicate"], 2, "routekeeper: unknown command 'frobnicate'"),
        (["add-route"], 2, "routekeeper: add-route: the following arguments are required"),
        (["add-route", "10.0.0.1/8", "--via", "192.168.0.1"], 2, "routekeeper: not a prefix"),
        (["add-route", "10.0.0.0/8", "--via", "192.0.2.1"], 1, "routekeeper: next hop 192.0.2.1 is not"),
        (["add-route", "10.0.0.0/8", "--via", "192.168.0.1", "--metric", "x"], 2, "routekeeper: "),
        (["delete-route", "10.0.0.0/8"], 1, "routekeeper: no route 10.0.0.0/8 matches"),
        (["add-address", "nic9", "10.0.0.1/8"], 1, "routekeeper: no interface 'nic9'"),
        (["add-address", "11", "10.0.0.1"], 2, "routekeeper: add-address: give the address"),
        (["host", "add-interface", "index=1", "name=x"], 2, "routekeeper: interface index must be"),
        (["host", "add-interface", "index=12", "name=x", "speed=fast"], 2, "routekeeper: not a link speed"),
        (["host", "init", "--profile", "xp"], 2, "routekeeper: host init: argument --profile"),
        (["--backend", "bsd", "routes"], 2, "routekeeper: unknown backend 'bsd'"),
        (["set-metric", "11", "0"], 1, "routekeeper: interface metric 0 out of range"),
        (["why", "nonsense"], 2, "routekeeper: not a prefix"),
    ],
)
def test_errors_are_one_line_with_exit_status(state, words, status, message):
    got, out, err = rk(state, *words)
    assert got == status
    assert err.startswith(message)
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_host_is_a_clear_error(tmp_path):
    status, _, err = rk(tmp_path / "new.db", "host", "init", "other")
    status, _, err = rk(tmp_path / "new.db", "routes")
    assert status == 1 and "no host 'default'" in err and "host init" in err


def test_missing_state_file_is_a_clear_error_and_stays_missing(tmp_path):
    status, _, err = rk(tmp_path / "new.db", "routes")
    assert status == 1 and "no state file" in err and "host init" in err
    assert not (tmp_path / "new.db").exists()


def test_state_from_environment(tmp_path):
    path = tmp_path / "env.db"
    out = io.StringIO()
    assert run(["host", "init"], out, out, env={"ROUTEKEEPER_STATE": str(path)}) == 0
    assert path.exists()


def test_help_and_module_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "routekeeper", "--help"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": SRC},
    )
    assert proc.returncode == 0 and "usage: routekeeper" in proc.stdout


def test_demo_runs_without_state(tmp_path):
    out = io.StringIO()
    status = run(["demo"], out, out, env={"ROUTEKEEPER_STATE": str(tmp_path / "never.db")})
    text = out.getvalue()
    assert status == 0
    assert "prehotfix  default route: withdrawn: address 192.168.0.21 removed from" in text
    assert "hotfix     default route: active (unchanged)" in text
    assert "prehotfix + keeper now matches hotfix: yes" in text
    assert not (tmp_path / "never.db").exists()


def test_reg_export_then_import_into_a_fresh_twin(state, tmp_path):
    rk(state, "add-route", "10.51.0.0/16", "--via", "192.168.0.1", "--persistent", "--metric", "5")
    reg = tmp_path / "routes.reg"
    assert rk(state, "reg", "export", str(reg))[0] == 0
    assert reg.read_bytes().startswith(b"\xff\xfe")  # regedit's UTF-16 with a byte-order mark
    twin = tmp_path / "twin.db"
    rk(twin, "host", "init", "--profile", "hotfix")
    rk(twin, "host", "add-interface", "index=11", "name=LAN", "mac=00-15-5D-01-02-03")
    status, out, _ = rk(twin, "reg", "import", str(reg))
    assert status == 0 and out == "imported 2 persistent routes (2 waiting for their next hop)\n"
    rk(twin, "add-address", "LAN", "192.168.0.9/24")  # the next hop becomes on-link: both plumbed
    data = json.loads(rk(twin, "routes", "--json")[1])
    assert sorted((p["prefix"], p["metric"], p["state"]) for p in data["persistent"]) == [
        ("0.0.0.0/0", 1, "active"),
        ("10.51.0.0/16", 5, "active"),
    ]
    status, _, err = rk(twin, "reg", "import", str(tmp_path / "missing.reg"))
    assert status == 1 and "cannot read" in err
