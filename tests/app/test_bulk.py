"""Bulk export and import (issue 13, finding 13): streamed records, all or nothing, progress on a TTY."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from routekeeper.app import bulk as bulk_app
from routekeeper.cli import run

LAN = "Local Area Connection 1"


def rk(state: Path, *words: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err or io.StringIO()
    status = run(["--state", str(state), *words], out, err, env={})
    return status, out.getvalue(), err.getvalue()


def fresh(path: Path) -> Path:
    rk(path, "host", "init", "--profile", "hotfix")
    rk(path, "host", "add-interface", "index=11", f"name={LAN}")
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    state = fresh(tmp_path / "source.db")
    rk(state, "add-address", "11", "192.168.0.20/24")
    rk(state, "add-address", "11", "2001:db8::5/64", "--skipassource")
    rk(state, "route", "-p", "add", "0.0.0.0", "mask", "0.0.0.0", "192.168.0.1", "metric", "5")
    rk(state, "route", "-p", "add", "172.16.0.0", "mask", "255.240.0.0", "192.168.0.7", "if", "11")
    rk(state, "add-route", "10.0.0.0/8", "--via", "192.168.0.9")
    return state


def test_export_lists_addresses_then_routes_as_json_lines(source: Path) -> None:
    status, out, err = rk(source, "export")
    records = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and err == ""
    assert [r["type"] for r in records] == ["address", "address", "route", "route", "route"]
    assert records[1] == {
        "type": "address",
        "interface": 11,
        "address": "2001:db8::5/64",
        "skipassource": True,
        "persistent": True,
    }
    assert {(r["prefix"], r["interface"], r["persistent"]) for r in records[2:]} == {
        ("0.0.0.0/0", None, True),
        ("172.16.0.0/12", 11, True),
        ("10.0.0.0/8", 11, False),
    }


@pytest.mark.parametrize("name", ["twin.jsonl", "twin.csv"])
def test_an_export_imported_into_a_fresh_twin_gives_the_same_export(
    source: Path, tmp_path: Path, name: str
) -> None:
    file = tmp_path / name
    status, out, _ = rk(source, "export", str(file))
    assert status == 0 and out == f"exported 5 records to {file}\n"
    if name.endswith(".csv"):
        assert file.read_text().startswith(
            "type,interface,address,prefix,nexthop,metric,persistent,skipassource\n"
        )
    twin = fresh(tmp_path / "twin.db")
    status, out, err = rk(twin, "import", str(file))
    assert (status, err) == (0, "")
    assert out == "imported 2 addresses and 3 routes (0 persistent routes waiting for their next hop)\n"
    assert rk(twin, "export")[1] == rk(source, "export")[1]
    assert rk(twin, "lookup", "8.8.8.8")[1] == rk(source, "lookup", "8.8.8.8")[1]


def test_a_refused_record_names_its_line_and_imports_nothing(source: Path, tmp_path: Path) -> None:
    file = tmp_path / "bad.jsonl"
    file.write_text(
        '{"type": "address", "interface": 11, "address": "10.1.1.1/24"}\n'
        "\n"
        '{"type": "route", "prefix": "0.0.0.0/0", "nexthop": "192.168.0.1", "metric": 99999}\n'
    )
    before = rk(source, "export")[1]
    status, out, err = rk(source, "import", str(file))
    assert status == 1 and out == ""
    assert err == (
        f"routekeeper: {file}:3: metric must be a whole number from 1 to 9999, not '99999'"
        " (nothing was imported)\n"
    )
    assert rk(source, "export")[1] == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json\n", ":1: not JSON"),
        ('["a"]\n', ":1: a record is a JSON object"),
        ('{"type": "tunnel"}\n', ":1: type must be 'address' or 'route'"),
        (
            '{"type": "route", "prefix": "10.0.0.0/8", "nexthop": "10.0.0.1", "colour": "red"}\n',
            "unknown field",
        ),
        ('{"type": "address", "address": "10.0.0.1/8"}\n', ":1: interface is required"),
        ('{"type": "address", "interface": 11, "address": "10.0.0.1/٨"}\n', "prefix length must be"),
        (
            '{"type": "route", "prefix": "10.0.0.0/8", "nexthop": "10.0.0.1", "persistent": "yes"}\n',
            "true or false",
        ),
    ],
)
def test_bad_records_are_one_line_each(source: Path, tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "bad.jsonl"
    file.write_text(text)
    status, _, err = rk(source, "import", str(file))
    assert status == 1 and message in err and err.count("\n") == 1


def test_a_missing_file_and_an_unknown_csv_column(source: Path, tmp_path: Path) -> None:
    status, _, err = rk(source, "import", str(tmp_path / "nope.jsonl"))
    assert (
        status == 1
        and err == f"routekeeper: cannot read {tmp_path / 'nope.jsonl'}: No such file or directory\n"
    )
    file = tmp_path / "x.csv"
    file.write_text("type,interface,colour\n")
    status, _, err = rk(source, "import", str(file))
    assert status == 1 and err == f"routekeeper: {file}:1: unknown column 'colour'\n"


def test_an_export_to_an_unwritable_place_leaves_nothing_behind(source: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir.jsonl"
    status, _, err = rk(source, "export", str(target))
    assert status == 73 and err.startswith(f"routekeeper: cannot write {target}: ")  # README: 73
    assert not (tmp_path / "no").exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_only(source: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(bulk_app, "PROGRESS_FROM", 1)
    file = tmp_path / "all.jsonl"
    rk(source, "export", str(file))
    quiet = fresh(tmp_path / "quiet.db")
    assert rk(quiet, "import", str(file))[2] == ""
    shown = fresh(tmp_path / "shown.db")
    status, _, err = rk(shown, "import", str(file), err=Terminal())
    assert status == 0 and "import" in err and "B/s" in err
