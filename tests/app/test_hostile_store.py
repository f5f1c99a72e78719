"""Damaged and contended state files, through the real command line: each class of storage failure is
one `routekeeper:` line naming the file (and the row, where it is a row), its own exit status (the
README's table), and no write.

Fixtures: a small host made through the CLI, then damaged with sqlite3 the way a crash, a bad restore
or a hand edit would (a bogus value, a dropped table, overwritten pages, a zero-length file), and a
second connection holding the write lock. Full disks and read-only mounts need a mount namespace:
tests/app/test_hostile_mounts.py.
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from routekeeper.app.commands import execute
from routekeeper.app.errors import report
from routekeeper.app.session import Session, command_text
from routekeeper.cli import COMMANDS, run
from routekeeper.store.hosts import HostStore

DAMAGED, BUSY, CORRUPT = 65, 75, 76
ADD = ["route", "-p", "add", "10.9.0.0", "mask", "255.255.0.0", "192.168.0.1"]


def rk(state: Path, *words: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(["--state", str(state), *words], out, err, env={})
    return status, out.getvalue(), err.getvalue()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A host with an interface, an address, a persistent route and enough routes for several pages."""
    path = tmp_path / "state.db"
    assert rk(path, "host", "init", "--profile", "hotfix")[0] == 0
    assert rk(path, "host", "add-interface", "index=11", "name=LAN", "mac=00-15-5D-01-02-03")[0] == 0
    assert rk(path, "add-address", "LAN", "192.168.0.2/24")[0] == 0
    assert rk(path, "route", "-p", "add", "10.0.0.0", "mask", "255.0.0.0", "192.168.0.1")[0] == 0
    for n in range(60):
        assert rk(path, "route", "add", f"172.16.{n}.0", "mask", "255.255.255.0", "192.168.0.1")[0] == 0
    return path


def damage(path: Path, statement: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(statement)
    conn.commit()
    conn.close()


def assert_one_line(err: str, *fragments: str) -> None:
    assert err.count("\n") == 1 and err.startswith("routekeeper: "), err
    assert "internal error" not in err and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


DAMAGED_ROWS = [
    ("UPDATE routes SET origin = 'bogus' WHERE length = 8", "table routes", "origin='bogus'"),
    ("UPDATE persistent SET origin = 'bogus'", "table persistent", "origin='bogus'"),
    ("UPDATE addresses SET store = 'bogus' WHERE version = 4", "table addresses", "store='bogus'"),
    ("UPDATE hosts SET profile = 'nope'", "table hosts", "profile='nope'"),
    ("UPDATE routes SET length = 99 WHERE length = 8", "table routes", "length=99"),
    ("UPDATE persistent SET length = -1", "table persistent", "length=-1"),
    ("UPDATE routes SET kind = 99 WHERE length = 8", "table routes", "kind=99"),
    ("UPDATE meta SET value = 'x' WHERE key = 'schema_version'", "table meta", "schema_version='x'"),
    ("DROP TABLE persistent", "table persistent is missing", ""),
]


@pytest.mark.parametrize("statement, where, value", DAMAGED_ROWS, ids=[d[0][:40] for d in DAMAGED_ROWS])
def test_a_damaged_row_is_one_line_naming_file_and_row_and_nothing_is_written(state, statement, where, value):
    damage(state, statement)
    before = digest(state)
    for words in (["route", "print"], ADD, ["host", "show"], ["reg", "export"]):
        status, out, err = rk(state, *words)
        if status == 0 and words[0] in ("host", "reg") and statement.startswith("UPDATE routes"):
            # A view that never reads the active table (a host loads its routes lazily) answers what
            # it was asked; every write, and every read of the damaged rows, refuses.
            assert err == ""
            continue
        assert status == DAMAGED, (words, err)
        assert_one_line(err, str(state), where, value, "damaged")
        assert " OK!" not in out
    assert digest(state) == before


def corrupt_pages(path: Path) -> None:
    """Overwrite every page after the first two (the schema's) with bytes no b-tree page starts with."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    assert len(data) >= 4 * page, "the fixture needs several pages"
    for start in range(2 * page, len(data), page):
        data[start : start + page] = bytes([0x7F]) * page
    path.write_bytes(bytes(data))


def test_malformed_pages_refuse_reads_and_writes_with_their_own_status(state):
    corrupt_pages(state)
    before = digest(state)
    for words in (ADD, ["route", "print"]):
        status, out, err = rk(state, *words)
        assert status == CORRUPT, (words, status, err)
        assert_one_line(err, str(state), "damaged", "backup")
        assert " OK!" not in out
    assert digest(state) == before


def test_quick_check_refuses_a_write_into_a_file_whose_untouched_pages_are_damaged(state):
    """A damaged page the write would never read (the log's) still stops the write: the file is checked
    before anything is written into it."""
    conn = sqlite3.connect(state)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'log'").fetchone()[0]
    conn.close()
    data = bytearray(state.read_bytes())
    data[(root - 1) * page : root * page] = bytes([0x7F]) * page
    state.write_bytes(bytes(data))
    before = digest(state)
    status, out, err = rk(state, *ADD)
    assert status == CORRUPT, err
    assert_one_line(err, str(state), "damaged")
    assert out == ""
    assert digest(state) == before


def test_a_zero_length_state_file_is_not_initialised_by_a_read(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    for words in (["route", "print"], ["host", "show"], ["host", "list"], ["routes"]):
        status, _, err = rk(path, *words)
        assert status in (0, 1), (words, err)
        assert "internal error" not in err
        assert path.stat().st_size == 0, words
    assert rk(path, "host", "init", "--profile", "hotfix")[0] == 0  # a write creates it
    assert path.stat().st_size > 0 or Path(f"{path}-wal").stat().st_size > 0


def test_a_read_of_a_missing_state_file_creates_nothing(tmp_path):
    path = tmp_path / "a" / "b" / "state.db"
    status, _, err = rk(path, "route", "print")
    assert status == 1 and f"no state file {path}" in err
    assert not (tmp_path / "a").exists()


class WriteLock:
    """A second connection holding the state file's write lock (an uncommitted write) until closed."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO log (host_id, at, command, kind, subject, reason, manual) "
                          "VALUES (1, 'now', 'held', 'x', 'x', 'x', 0)")  # fmt: skip

    def close(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


@pytest.fixture
def locked(state: Path) -> Iterator[Path]:
    lock = WriteLock(state)
    try:
        yield state
    finally:
        lock.close()


def test_route_print_reads_while_another_process_holds_the_write_lock(locked):
    """Before: every command opened BEGIN IMMEDIATE, so this waited 60 s and failed 'database is
    locked'. A read now reads its snapshot; run in a thread with a deadline so a regression fails
    fast instead of hanging the suite."""
    result: list[tuple[int, str, str]] = []
    worker = threading.Thread(target=lambda: result.append(rk(locked, "route", "print", "10.*")), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert result, "route print waited for the write lock"
    status, out, err = result[0]
    assert status == 0, err
    assert "10.0.0.0" in out
    views = (["host", "show"], ["routes", "--json"], ["lookup", "10.1.2.3"], ["reg", "export"])
    views += (["ipconfig", "/all"], ["log"], ["why", "10.0.0.0/8"])
    for words in views:
        assert rk(locked, *words)[0] == 0, words


def session_with_store(store: HostStore, words: list[str]) -> tuple[Session, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    session = Session(out, err, str(store.path), "default", COMMANDS, command_text=command_text(words))
    session._shared.store = store  # the store as the CLI opens it, with a short busy timeout
    return session, out, err


def test_a_write_lock_held_too_long_is_its_own_status_and_prints_no_success(locked):
    store = HostStore(locked, timeout=0.2)
    session, out, err = session_with_store(store, ADD)
    status = execute(session, ADD)
    assert status == BUSY
    assert out.getvalue() == ""  # no ' OK!' for a route that was not stored
    assert_one_line(err.getvalue(), str(locked), "locked")


def test_busy_maps_to_a_one_line_message_and_status():
    from routekeeper.store.errors import StoreBusy  # (inside: main before the fix has no such class)

    err = io.StringIO()
    assert report(StoreBusy("state file s.db is locked by another process"), err) == BUSY
    assert err.getvalue() == "routekeeper: state file s.db is locked by another process\n"


def test_nothing_is_printed_before_a_commit_that_fails(state, monkeypatch):
    """The route is applied and ' OK!' rendered, then COMMIT fails (as on a full disk): the user sees
    only the failure, never the success."""
    store = HostStore(state)
    real = store.conn

    class FailingCommit:
        def __getattr__(self, name: str):
            return getattr(real, name)

        def execute(self, sql: str, *args):
            if sql == "COMMIT":
                full = sqlite3.OperationalError("database or disk is full")
                full.sqlite_errorcode = sqlite3.SQLITE_FULL  # as SQLite sets it
                raise full
            return real.execute(sql, *args)

    store.conn = FailingCommit()  # type: ignore[assignment]
    session, out, err = session_with_store(store, ADD)
    status = execute(session, ADD)
    assert status == 74
    assert out.getvalue() == ""
    assert_one_line(err.getvalue(), str(state), "full")
    status, out_after, _ = rk(state, "route", "print", "10.9.*")
    assert status == 0 and "10.9.0.0" not in out_after
