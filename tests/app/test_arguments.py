"""The argument layer as a user meets it: unknown options and extra words refused (exit 2, nothing
changed), help that never acts, only ASCII digits as numbers, every number in a range, non-UTF-8
arguments refused (issue 12 findings 4, 6, 7, 8; issue 13 findings 2, 8, 10, 11 and --json)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from routekeeper.cli import run

SYSTEMINFO = """
Host Name:                 LAB-W7-01
OS Name:                   Microsoft Windows 7 Enterprise
OS Version:                6.1.7601 Service Pack 1 Build 7601
System Type:               x64-based PC
"""
WMIC = """wmic datafile where name="C:\\\\Windows\\\\System32\\\\drivers\\\\tcpip.sys" get version
Version
6.1.7601.17514
"""


def rk(state: Path, *words: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(["--state", str(state), *words], out, err, env={})
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # a command that wrongly took a FILE writes it here, not in the checkout
    path = tmp_path / "state.db"
    for words in (
        ["host", "init", "--profile", "prehotfix"],
        ["host", "add-interface", "index=11", "name=LAN", "mac=00-15-5D-01-02-03"],
        ["add-address", "LAN", "192.168.0.20/24"],
        ["add-route", "0.0.0.0/0", "--via", "192.168.0.1", "--persistent"],
        ["cluster", "create", "C1"],
        ["cluster", "add-node", "N1"],
        ["--node", "N1", "host", "add-interface", "index=11", "name=LAN"],
    ):
        assert rk(path, *words)[0] == 0, words
    return path


def snapshot(state: Path) -> tuple[str, str, str]:
    """What a refused command must leave as it was: the host, its routes and the cluster."""
    return rk(state, "host", "show")[1], rk(state, "routes")[1], rk(state, "cluster", "show")[1]


def assert_usage_error(state: Path, words: list[str]) -> str:
    before = snapshot(state)
    status, out, err = rk(state, *words)
    assert status == 2, (words, status, out, err)
    assert err.startswith("routekeeper: ") and err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err
    assert snapshot(state) == before, words
    return err


# ---------------------------------------------------------------- issue 12.4 / 13.8: nothing ignored
@pytest.mark.parametrize(
    "words",
    [
        ["flush-gateways", "--dry-run"],
        ["flush-gateways", "now"],
        ["host", "reboot", "extra"],
        ["host", "reboot", "--now"],
        ["host", "show", "x"],
        ["host", "list", "x"],
        ["host", "apply-hotfix", "--yes"],
        ["demo", "x"],
        ["demo", "--fast"],
        ["connect", "11", "extra"],
        ["disable", "LAN", "--force"],
        ["set-metric", "LAN", "5", "extra"],
        ["set-promote", "LAN", "maybe"],
        ["add-route", "10.0.0.0/8", "--via", "192.168.0.1", "--dry-run"],
        ["delete-route", "0.0.0.0/0", "--al"],  # no abbreviations of --all... or anything
        ["routes", "--jsn"],
        ["log", "--al"],
        ["reg", "export", "a.reg", "b.reg"],
        ["reg", "import"],
        ["reg", "frobnicate"],
        ["scenario", "run"],
        ["scenario", "walk", "x"],
        ["whatif", "--dry", "host", "reboot"],
        ["cluster", "create", "C2", "extra"],
        ["cluster", "add-node", "N2", "--frob"],
        ["cluster", "add-adapter", "NET", "N1=11", "--remapp"],
        ["cluster", "fail", "N1", "N2"],
        ["cluster", "show", "extra"],
        ["--frobnicate", "routes"],
        ["-x", "routes"],
    ],
)
def test_unknown_options_and_extra_words_are_usage_errors_that_change_nothing(state, words):
    assert_usage_error(state, words)


def test_flush_gateways_dry_run_keeps_the_gateway_routes(state):
    assert_usage_error(state, ["flush-gateways", "--dry-run"])
    assert "0.0.0.0/0" in rk(state, "routes")[1]


@pytest.mark.parametrize(
    "options, message",
    [
        (["--host", ""], "--host needs a value"),
        (["--host="], "--host needs a value"),
        (["--node", " "], "--node needs a value"),
        (["--netns", "ns1"], "--netns names a network namespace of a real host"),
        (["--host", "a", "--host", "b"], "--host is given twice"),
    ],
)
def test_global_options_are_never_silently_defaulted(state, options, message):
    assert message in assert_usage_error(state, [*options, "host", "show"])


# ---------------------------------------------------------------- help never acts (13.2, 13.11, 12.4)
@pytest.mark.parametrize(
    "words, first",
    [
        (["--help"], "usage: routekeeper"),
        (["-h"], "usage: routekeeper"),
        (["help"], "usage: routekeeper"),
        (["host", "--help"], "usage: routekeeper host"),
        (["host", "reboot", "--help"], "usage: routekeeper host reboot"),
        (["host", "show", "--help"], "usage: routekeeper host show"),
        (["host", "add-interface", "--help"], "usage: routekeeper host add-interface"),
        (["host", "init", "-h"], "usage: routekeeper host init"),
        (["host", "delete", "default", "--help"], "usage: routekeeper host delete"),
        (["demo", "--help"], "usage: routekeeper demo"),
        (["scenario", "--help"], "usage: routekeeper scenario"),
        (["scenario", "run", "--help"], "usage: routekeeper scenario run"),
        (["reg", "--help"], "usage: routekeeper reg"),
        (["reg", "import", "--help"], "usage: routekeeper reg import"),
        (["whatif", "--help"], "usage: routekeeper whatif"),
        (["whatif", "host", "reboot", "--help"], "usage: routekeeper host reboot"),
        (["flush-gateways", "--help"], "usage: routekeeper flush-gateways"),
        (["add-route", "0.0.0.0/0", "--help"], "usage: routekeeper add-route"),
        (["delete-route", "0.0.0.0/0", "--help"], "usage: routekeeper delete-route"),
        (["disconnect", "11", "--help"], "usage: routekeeper disconnect"),
        (["set-metric", "--help"], "usage: routekeeper set-metric"),
        (["routes", "--help"], "usage: routekeeper routes"),
        (["lookup", "--help"], "usage: routekeeper lookup"),
        (["log", "--help"], "usage: routekeeper log"),
        (["why", "--help"], "usage: routekeeper why"),
        (["cluster", "--help"], "usage: routekeeper cluster"),
        (["cluster", "create", "--help"], "usage: routekeeper cluster create"),
        (["cluster", "delete", "C1", "--help"], "usage: routekeeper cluster delete"),
        (["cluster", "add-node", "N2", "--help"], "usage: routekeeper cluster add-node"),
        (["cluster", "fail", "N1", "--help"], "usage: routekeeper cluster fail"),
        (["cluster", "whatif", "--help"], "usage: routekeeper cluster whatif"),
        (["cluster", "log", "--help"], "usage: routekeeper cluster log"),
        (["hotfix", "--help"], "usage: routekeeper hotfix"),
        (["keep", "--help"], "usage: routekeeper keep"),
    ],
)
def test_help_prints_help_exits_0_and_never_acts(state, words, first):
    before = snapshot(state)
    history = rk(state, "log", "--all")[1]
    status, out, err = rk(state, *words)
    assert (status, err) == (0, "")
    assert out.startswith(first), out[:200]
    assert snapshot(state) == before and rk(state, "log", "--all")[1] == history


def test_whatif_help_is_whatifs_own(state):
    out = rk(state, "whatif", "--help")[1]
    assert "routekeeper whatif [--json] COMMAND" in out and "Windows tools" not in out


def test_cluster_help_needs_no_cluster(tmp_path):
    path = tmp_path / "s.db"
    rk(path, "host", "init")
    for words in (["cluster", "--help"], ["cluster", "create", "--help"], ["cluster", "add-node", "--help"]):
        status, out, err = rk(path, *words)
        assert status == 0 and out.startswith("usage:") and err == ""
    assert rk(path, "cluster", "list")[1] == ""  # no cluster named --help was made


def test_version(tmp_path):
    status, out, err = rk(tmp_path / "none.db", "--version")
    assert status == 0 and out.startswith("routekeeper ") and err == ""
    assert not (tmp_path / "none.db").exists()


# ---------------------------------------------------------------- 12.6: only ASCII digits are numbers
@pytest.mark.parametrize(
    "words",
    [
        ["set-metric", "LAN", "²"],
        ["set-metric", "LAN", "١٠"],
        ["add-address", "LAN", "10.9.9.9/²"],
        ["add-address", "LAN", "10.9.9.9/٢٤"],
        ["add-route", "10.0.0.0/8", "--via", "192.168.0.1", "--metric", "٥"],
        ["host", "add-interface", "index=١٢", "name=X"],
        ["host", "add-interface", "index=12", "name=X", "mtu=١٥٠٠"],
        ["host", "add-interface", "index=12", "name=X", "speed=١g"],
        ["cluster", "add-network", "N9", "10.70.0.0/24", "N1=²"],
        ["cluster", "add-network", "N9", "10.70.0.0/24", "N1=١١"],
    ],
)
def test_non_ascii_digits_are_not_numbers(state, words):
    status, _, err = rk(state, *words)
    assert status in (1, 2) and "internal error" not in err and err.count("\n") == 1, err


def test_arabic_indic_eleven_is_not_interface_11(state):
    before = snapshot(state)
    status, _, err = rk(state, "disconnect", "١١")
    assert status == 1 and "no interface '١١'" in err
    assert snapshot(state) == before


# ---------------------------------------------------------------- 12.8: every number has a range
@pytest.mark.parametrize(
    "words, message",
    [
        (["host", "add-interface", "index=12", "name=X", "speed=9223372036854775807"], "link speed must be"),
        (["host", "add-interface", "index=12", "name=X", "speed=1e400"], "not a link speed"),
        (["host", "add-interface", "index=12", "name=X", "speed=inf"], "not a link speed"),
        (["host", "add-interface", "index=99999999999999999999", "name=X"], "interface index must be"),
        (["host", "add-interface", "index=12", "name=X", "metric=99999999999999999999"], "metric must be"),
        (["add-address", "LAN", "10.9.9.9/" + "9" * 5000], "prefix length must be"),
        (["add-address", "LAN", "10.9.9.9/33"], "prefix length must be a whole number from 1 to 32"),
        (["add-route", "10.0.0.0/8", "--via", "192.168.0.1", "--metric", "9" * 30], "metric must be"),
        (["set-metric", "LAN", "9" * 5000], "metric must be"),
        (["host", "init", "x", "--sp", "99999999999999999999"], "--sp must be"),
    ],
)
def test_huge_numbers_are_refused_with_their_range(state, words, message):
    err = assert_usage_error(state, words)
    assert message in err and len(err) < 300


def test_cluster_dword_property_out_of_range(state):
    rk(state, "cluster", "add-network", "NET", "192.168.5.0/24", "N1=11")
    status, _, err = rk(state, "cluster", "resource", "R", "/priv", "EnableNetBIOS=" + "9" * 5000)
    assert status != 70 and "internal error" not in err


# ---------------------------------------------------------------- 12.7: non-UTF-8 arguments
@pytest.mark.parametrize(
    "words",
    [
        ["host", "add-interface", "index=30", os.fsdecode(b"name=\xff\xfe")],
        ["--host", os.fsdecode(b"\xff"), "host", "show"],
        ["host", "init", os.fsdecode(b"caf\xe9")],
        ["add-address", os.fsdecode(b"\xc3"), "10.0.0.1/8"],
        ["cluster", "create", os.fsdecode(b"\x80")],
        ["lookup", "\ud800"],
        ["host", "init", "a\0b"],
    ],
)
def test_non_utf8_arguments_are_a_usage_error(state, words):
    err = assert_usage_error(state, words)
    assert "not valid UTF-8" in err or "NUL" in err


def test_non_utf8_message_shows_the_bytes(state):
    err = assert_usage_error(state, ["--host", os.fsdecode(b"\xff"), "host", "show"])
    assert "b'\\xff'" in err


# ---------------------------------------------------------------- 13.10: host init and read-only queries
def test_from_inventory_takes_the_list_form_the_readme_shows(tmp_path):
    (tmp_path / "systeminfo.txt").write_text(SYSTEMINFO)
    (tmp_path / "files.txt").write_text(WMIC)
    files = [str(tmp_path / "systeminfo.txt"), str(tmp_path / "files.txt")]
    status, out, err = rk(tmp_path / "s.db", "host", "init", "--from-inventory", *files)
    assert status == 0, err
    assert "(profile prehotfix)" in out


def test_from_inventory_list_form_reads_every_file(tmp_path):
    missing = [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    status, _, err = rk(tmp_path / "s.db", "host", "init", "--from-inventory", *missing)
    assert status == 1 and "cannot read" in err and "a.txt" in err  # both taken, the first one read


def test_os_the_hotfix_is_not_for_needs_a_profile(tmp_path):
    status, _, err = rk(tmp_path / "s.db", "host", "init", "--os", "Windows XP")
    assert status == 1 and "not one of the products" in err
    assert not (tmp_path / "s.db").exists()
    status, out, _ = rk(tmp_path / "s.db", "host", "init", "--os", "Windows XP", "--profile", "prehotfix")
    assert status == 0 and "profile prehotfix" in out


@pytest.mark.parametrize(
    "words",
    [["host", "show"], ["host", "list"], ["routes"], ["lookup", "8.8.8.8"], ["log"], ["why", "0.0.0.0/0"]],
)
def test_read_only_query_creates_no_directory_or_file(tmp_path, words):
    path = tmp_path / "a" / "b" / "x.db"
    status, _, err = rk(path, *words)
    assert status == 1 and "no state file" in err
    assert not (tmp_path / "a").exists()


# ---------------------------------------------------------------- --json on every view
def test_json_views(state):
    host = json.loads(rk(state, "host", "show", "--json")[1])
    assert host["host"] == "default" and host["profile"] == "prehotfix"
    lan = next(i for i in host["interfaces"] if i["index"] == 11)
    assert lan["name"] == "LAN" and "192.168.0.20" in [a["address"] for a in lan["addresses"]]
    assert {"name": "default", "profile": "prehotfix"} in json.loads(rk(state, "host", "list", "--json")[1])[
        "hosts"
    ]
    found = json.loads(rk(state, "lookup", "--json", "8.8.8.8")[1])
    assert found["route"]["prefix"] == "0.0.0.0/0" and found["route"]["nexthop"] == "192.168.0.1"
    assert json.loads(rk(state, "lookup", "--json", "::2")[1])["route"] is None
    log = json.loads(rk(state, "log", "--json")[1])
    assert {"at", "command", "kind", "subject", "reason"} <= set(log["events"][0])
    why = json.loads(rk(state, "why", "--json", "0.0.0.0/0")[1])
    assert why["persistent"][0]["state"] == "active" and why["history"]
    what = json.loads(rk(state, "whatif", "--json", "delete-address", "LAN", "192.168.0.20")[1])
    assert what["exit"] == 0 and what["withdrawn"] == 1
    assert any(c["kind"] == "route-withdrawn" for c in what["changes"])
    cluster = json.loads(rk(state, "cluster", "show", "--json")[1])
    assert cluster["cluster"] == "C1" and cluster["nodes"][0]["name"] == "N1"
    events = json.loads(rk(state, "cluster", "log", "--json", "--all")[1])
    assert events["cluster"] == "C1" and isinstance(events["events"], list)
    assert json.loads(rk(state, "cluster", "list", "--json")[1]) == {"clusters": ["C1"]}


def test_node_command_help_needs_no_cluster(tmp_path):
    status, out, err = rk(tmp_path / "none.db", "--node", "N1", "host", "show", "--help")
    assert (status, err) == (0, "") and out.startswith("usage: routekeeper host show")
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize(
    "words",
    [
        ["route", "add", "10.0.0.0", "mask", "255.0.0.0", "192.168.0.1", "metric", "٥"],
        ["route", "add", "10.0.0.0", "mask", "255.0.0.0", "192.168.0.1", "metric", "9" * 5000],
        ["route", "add", "2001:db8::/٤٨", "fe80::1"],
        ["netsh", "interface", "ipv4", "add", "address", "LAN", "10.9.9.9/٢٤"],
        ["netsh", "interface", "ipv4", "add", "address", "LAN", "10.9.9.9/" + "9" * 5000],
        ["netsh", "interface", "ipv4", "add", "route", "10.0.0.0/8", "LAN", "192.168.0.1", "metric=٥"],
        ["netsh", "interface", "ipv4", "set", "interface", "LAN", "metric=" + "9" * 30],
    ],
)
def test_windows_tools_take_only_ascii_digits_in_range(state, words):
    before = snapshot(state)
    status, _, err = rk(state, *words)
    assert status not in (0, 70) and "internal error" not in err
    assert snapshot(state) == before
