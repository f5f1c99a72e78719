"""The unit of work: a command's changes are saved when it ends normally, and nothing is saved when it
discards them or raises; a command run inside another's unit (what-if) joins it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from routekeeper.app.errors import CommandFailed
from routekeeper.app.session import Session
from routekeeper.app.unit import host_unit
from routekeeper.cli import COMMANDS, run
from routekeeper.core import operations as op
from routekeeper.core.values import Interface
from routekeeper.store.hosts import HostStore


@pytest.fixture
def store(tmp_path: Path) -> HostStore:
    state = tmp_path / "s.db"
    assert (
        run(["--state", str(state), "host", "init", "--profile", "hotfix"], io.StringIO(), io.StringIO()) == 0
    )
    s = HostStore(state)
    yield s
    s.close()


def interfaces(store: HostStore) -> list[int]:
    with store.transaction() as tx:
        host = tx.load("default")
        assert host is not None
        return sorted(host.interfaces)


def test_a_kept_unit_is_saved(store):
    with host_unit(store, "default", "test") as unit:
        unit.subject.apply(op.AddInterface(Interface(11, "LAN")))
    assert 11 in interfaces(store)


def test_a_discarded_unit_saves_nothing(store):
    with host_unit(store, "default", "test") as unit:
        unit.subject.apply(op.AddInterface(Interface(11, "LAN")))
        unit.discard()
    assert 11 not in interfaces(store)


def test_an_exception_saves_nothing(store):
    with pytest.raises(RuntimeError), host_unit(store, "default", "test") as unit:
        unit.subject.apply(op.AddInterface(Interface(11, "LAN")))
        raise RuntimeError("boom")
    assert 11 not in interfaces(store)


def test_a_missing_host_is_a_command_failure(store):
    with pytest.raises(CommandFailed, match="no host 'nope'"), host_unit(store, "nope", "test"):
        pass


def test_a_nested_command_joins_the_open_unit(store):
    session = Session(io.StringIO(), io.StringIO(), str(store.path), "default", COMMANDS)
    with session.host() as outer:
        inner_session = session.writing_to(io.StringIO(), io.StringIO())
        with inner_session.host(read_only=True) as inner:
            assert inner is outer
            inner.subject.apply(op.AddInterface(Interface(11, "LAN")))
        assert outer.kept  # only the unit's opener decides
        outer.discard()
    session.close()
    assert 11 not in interfaces(store)


def test_a_read_unit_is_discarded_and_does_not_take_the_write_lock(store):
    """A view's unit reads a snapshot: another connection holding the write lock does not stop it,
    and what the view did to the loaded host is never saved."""
    import sqlite3

    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with host_unit(store, "default", "test", write=False) as unit:
            assert not unit.kept
            unit.subject.apply(op.AddInterface(Interface(12, "WAN")))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert 12 not in interfaces(store)
