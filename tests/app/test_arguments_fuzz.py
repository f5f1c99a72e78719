"""Hostile command lines, generated: whatever the words (unknown options, help in odd places,
non-ASCII digits, bytes that are not UTF-8, numbers of any size), the in-process CLI answers with
its own message and a documented exit status. `internal error`, a traceback or exit 70 is a failure.

Never generated: `keep` and `--backend linux` (they reach a real kernel), and paths outside the
test's own directory (every run works in a fresh copy of one prepared state file, from a temporary
working directory, so `reg export FILE` writes there)."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routekeeper.cli import run

COMMANDS = [
    ["host"],
    ["host", "init"],
    ["host", "add-interface"],
    ["host", "show"],
    ["host", "list"],
    ["host", "reboot"],
    ["host", "delete"],
    ["host", "apply-hotfix"],
    ["add-address", "LAN"],
    ["delete-address", "LAN"],
    ["add-route"],
    ["delete-route"],
    ["change-route"],
    ["connect"],
    ["disconnect"],
    ["enable"],
    ["disable"],
    ["set-metric", "LAN"],
    ["set-promote", "LAN"],
    ["flush-gateways"],
    ["routes"],
    ["lookup"],
    ["log"],
    ["why"],
    ["whatif"],
    ["whatif", "host", "reboot"],
    ["whatif", "add-route"],
    ["demo"],
    ["scenario"],
    ["scenario", "run"],
    ["reg"],
    ["reg", "export"],
    ["reg", "import"],
    ["hotfix"],
    ["hotfix", "check"],
    ["cluster"],
    ["cluster", "create"],
    ["cluster", "list"],
    ["cluster", "delete"],
    ["cluster", "add-node"],
    ["cluster", "add-network"],
    ["cluster", "add-adapter", "NET"],
    ["cluster", "add-group"],
    ["cluster", "add-ip-resource"],
    ["cluster", "fail"],
    ["cluster", "restore"],
    ["cluster", "show"],
    ["cluster", "log"],
    ["cluster", "whatif"],
    ["cluster", "group"],
    ["cluster", "resource", "R", "/priv"],
    ["route", "print"],
    ["route", "add"],
    ["netsh", "interface", "ipv4", "add", "address"],
    ["netsh", "interface", "ipv4", "set", "interface"],
    ["ipconfig"],
    [],
]
OPTIONS = [
    "--help", "-h", "help", "--version", "--json", "--via", "--metric", "--persistent", "--interface",
    "--profile", "--sp", "--os", "--arch", "--from-inventory", "--force", "--remap", "--all", "--new-via",
    "--active-only", "--skipassource", "--preferred", "--group", "--network", "--address", "--mask",
    "--dry-run", "--frob", "-x", "--", "/?", "-p", "mask", "metric", "if",
]  # fmt: skip
VALUES = [
    "LAN", "11", "1", "0", "192.168.0.1", "192.168.0.20", "0.0.0.0/0", "10.0.0.0/8", "::/0", "fe80::1%11",
    "index=12", "name=X", "speed=1g", "metric=5", "mtu=1500", "N1=11", "N1=LAN", "N1", "C1", "NET",
    "hotfix", "prehotfix", "auto", "on", "off", "Windows 7", "x64", "", " ", "default",
]  # fmt: skip
KEYS = ["index", "speed", "metric", "mtu", "N1", "EnableNetBIOS", "OverrideAddressMatch", "name"]

numbers = st.one_of(
    st.integers(min_value=0, max_value=10**40).map(str),
    st.integers(min_value=-(10**20), max_value=-1).map(str),
    st.sampled_from(["9" * 5000, "1e400", "inf", "nan", "0x7fffffffffffffffff", "1_000", "+5", " 7"]),
    st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=4),
)
not_utf8 = st.binary(min_size=1, max_size=6).map(os.fsdecode)
token = st.one_of(
    st.sampled_from(OPTIONS),
    st.sampled_from(VALUES),
    numbers,
    st.tuples(st.sampled_from(KEYS), numbers).map("=".join),
    st.tuples(st.sampled_from(["10.9.9.9", "2001:db8::1", "192.168.0.1"]), numbers).map("/".join),
    not_utf8,
    st.text(max_size=8),
)
global_options = st.sampled_from(
    [[], ["--host", "default"], ["--node", "N1"], ["--netns", "x"], ["--frob"], ["--host", ""], ["-h"]]
) | st.tuples(st.sampled_from(["--host", "--node", "--cluster"]), token).map(list)
argv = st.tuples(global_options, st.sampled_from(COMMANDS), st.lists(token, max_size=6)).map(
    lambda parts: [*parts[0], *parts[1], *parts[2]]
)


def _rk(state: Path, *words: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(["--state", str(state), *words], out, err, env={})
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state file with a host (an interface, an address, a persistent route) and a cluster."""
    path = tmp_path_factory.mktemp("fuzz") / "template.db"
    for words in (
        ["host", "init", "--profile", "prehotfix"],
        ["host", "add-interface", "index=11", "name=LAN"],
        ["add-address", "LAN", "192.168.0.20/24"],
        ["add-route", "0.0.0.0/0", "--via", "192.168.0.1", "--persistent"],
        ["cluster", "create", "C1"],
        ["cluster", "add-node", "N1"],
        ["--node", "N1", "host", "add-interface", "index=11", "name=LAN"],
        ["cluster", "add-network", "NET", "192.168.5.0/24", "N1=11"],
        ["cluster", "add-group", "G0", "--preferred", "N1"],
        ["cluster", "add-ip-resource", "R", "--group", "G0", "--network", "NET"]
        + ["--address", "192.168.5.50", "--mask", "255.255.255.0"],
    ):
        assert _rk(path, *words)[0] == 0, words
    return path


@settings(
    max_examples=int(os.environ.get("RK_FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(words=argv)
def test_no_command_line_is_an_internal_error(template, tmp_path, monkeypatch, words):
    monkeypatch.chdir(tmp_path)
    answers_in_its_own_words(template, tmp_path, words)


def answers_in_its_own_words(template: Path, tmp_path: Path, words: list[str]) -> None:
    """Run `words` on a fresh copy of the template; no internal error, traceback or exit 70."""
    state = tmp_path / "state.db"
    shutil.copyfile(template, state)
    status, out, err = _rk(state, *words)
    assert status != 70 and "internal error" not in err, (words, err)
    assert "Traceback" not in out + err, (words, err)
    if status == 2 and err.startswith("routekeeper: "):
        assert err.count("\n") == 1, (words, err)  # a usage error is one line


VALID = [
    ["add-route", "10.0.0.0/8", "--via", "192.168.0.1", "--metric", "5", "--persistent"],
    ["change-route", "0.0.0.0/0", "--via", "192.168.0.1", "--metric", "7"],
    ["add-address", "LAN", "10.9.9.9/24"],
    ["set-metric", "LAN", "5"],
    ["host", "add-interface", "index=12", "name=X", "speed=1g", "mtu=1500", "metric=5"],
    ["host", "init", "X", "--os", "Windows 7", "--sp", "1", "--arch", "x64"],
    ["lookup", "8.8.8.8", "--json"],
    ["log", "0.0.0.0/0", "--all"],
    ["whatif", "add-route", "10.0.0.0/8", "--via", "192.168.0.1"],
    ["cluster", "add-network", "N9", "10.70.0.0/24", "N1=11"],
    ["cluster", "add-group", "G", "--preferred", "N1"],
    ["cluster", "resource", "R", "/priv", "EnableNetBIOS=1"],
    ["route", "add", "10.0.0.0", "mask", "255.0.0.0", "192.168.0.1", "metric", "5", "if", "11"],
    ["route", "-p", "add", "10.1.0.0", "mask", "255.255.0.0", "192.168.0.1"],
    ["netsh", "interface", "ipv4", "add", "address", "LAN", "10.9.9.9", "255.255.255.0"],
    ["netsh", "interface", "ipv4", "set", "interface", "LAN", "metric=5"],
    ["netsh", "interface", "ipv4", "add", "route", "10.0.0.0/8", "LAN", "192.168.0.1", "metric=5"],
    [
        "hotfix",
        "check",
        "--os",
        "Windows 7",
        "--sp",
        "1",
        "--arch",
        "x64",
        "--file",
        "tcpip.sys=6.1.7601.21734",
    ],
]


@st.composite
def nearly_valid(draw: st.DrawFn) -> list[str]:
    """A command that works, with one word replaced by (or one `key=` given) a hostile value, or a
    hostile word added: the paths past the parser get the bad values too."""
    words = list(draw(st.sampled_from(VALID)))
    i = draw(st.integers(min_value=1, max_value=len(words)))
    bad = draw(token)
    if i == len(words):
        return [*words, bad]
    key, sep, _ = words[i].partition("=")
    words[i] = f"{key}={bad}" if sep and draw(st.booleans()) else bad
    return words


@settings(
    max_examples=int(os.environ.get("RK_FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(words=nearly_valid())
def test_no_nearly_valid_command_line_is_an_internal_error(template, tmp_path, monkeypatch, words):
    monkeypatch.chdir(tmp_path)
    answers_in_its_own_words(template, tmp_path, words)


@pytest.mark.parametrize("words", VALID, ids=" ".join)
def test_the_commands_the_fuzz_starts_from_work(template, tmp_path, monkeypatch, words):
    """Guards the fuzz: a template that failed anyway would test only the parser."""
    monkeypatch.chdir(tmp_path)
    state = tmp_path / "state.db"
    shutil.copyfile(template, state)
    status, _, err = _rk(state, *words)
    assert status == 0, err
