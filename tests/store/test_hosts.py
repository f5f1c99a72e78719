"""The SQLite store: event-driven writes equal the host, rejected commands change nothing, schema checks,
and two processes writing at once."""

from __future__ import annotations

import io
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from routekeeper.cli import run
from routekeeper.core import operations as op
from routekeeper.core.host import Host
from routekeeper.core.operations import Refused
from routekeeper.core.values import IP, Interface, Prefix
from routekeeper.store.errors import StoreError
from routekeeper.store.hosts import HostStore
from routekeeper.store.schema import SCHEMA_VERSION

ip, pfx = IP.parse, Prefix.parse
SRC = str(Path(__file__).resolve().parents[2] / "src")


def rk(state: Path, *words: str) -> tuple[int, str]:
    buffer = io.StringIO()
    status = run(["--state", str(state), *words], buffer, buffer, env={})
    return status, buffer.getvalue()


def dump(state: Path) -> list[str]:
    conn = sqlite3.connect(state)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def snapshot(host: Host) -> tuple:
    return (
        sorted(host.interfaces.items()),
        sorted((a.ifindex, a.order, str(a)) for a in host.all_addresses()),
        sorted((r.key, r) for r in host.table),
        sorted((p.key_sort, p) for p in host.persistent.values()),
        sorted(p.key_sort for k, p in host.persistent.items() if k in host.parked),
        sorted((str(k[0]), str(k[1]), k[2], v) for k, v in host.last_placed.items()),
        sorted((r.key, r) for r in host.held.values()),
    )


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    assert rk(path, "host", "init", "--profile", "prehotfix")[0] == 0
    assert rk(path, "host", "add-interface", "index=11", "name=LAN", "mac=00-15-5D-01-02-03")[0] == 0
    assert rk(path, "add-address", "LAN", "192.168.0.20/24")[0] == 0
    return path


@pytest.mark.parametrize("profile", ["hotfix", "prehotfix", "linux"])
def test_event_writes_reproduce_the_host_exactly(tmp_path, profile):
    """Random operations saved event by event load back as exactly the host in memory."""
    store = HostStore(tmp_path / "s.db")
    host = Host(profile, name="h")
    with store.transaction() as tx:
        tx.create_host(host)
    rng = random.Random(7)
    nics = [Interface(11, "a", "", "00-15-5D-01-02-03"), Interface(12, "b", "", "00-15-5D-01-02-04")]
    for nic in nics:
        host.apply(op.AddInterface(nic))
    with store.transaction() as tx:
        tx.save(host, host.journal, "setup")
    host.journal.clear()
    addresses = ["10.0.0.5/24", "10.0.0.6/24", "10.1.0.5/16", "2001:db8::5/64"]
    for step in range(400):
        a, length = rng.choice(addresses).split("/")
        idx = rng.choice([11, 12])
        choice = rng.random()
        if choice < 0.4:
            o = op.AddAddress(idx, ip(a), int(length)) if rng.random() < 0.6 else op.DeleteAddress(idx, ip(a))
        elif choice < 0.75:
            v6 = ":" in a
            prefix = pfx(rng.choice(["::/0", "2001:db8:9::/48"] if v6 else ["0.0.0.0/0", "172.16.0.0/12"]))
            hop = ip(rng.choice(["2001:db8::1"] if v6 else ["10.0.0.1", "10.1.0.1"]))
            o = op.AddRoute(
                prefix, hop, idx if rng.random() < 0.3 else None, rng.randint(1, 5), rng.random() < 0.6
            )
        elif choice < 0.85:
            o = op.DeleteRoute(pfx(rng.choice(["0.0.0.0/0", "172.16.0.0/12", "::/0"])))
        elif choice < 0.9:
            o = op.FlushGatewayRoutes()
        elif choice < 0.97:
            o = op.SetInterface(idx, connected=rng.random() < 0.6, enabled=rng.random() < 0.9)
        else:
            o = op.Reboot()
        try:
            host.apply(o)
        except Refused:
            pass
        with store.transaction() as tx:
            tx.save(host, host.journal, f"step {step}")
            loaded = tx.load("h")
        host.journal.clear()
        assert loaded is not None
        assert snapshot(loaded) == snapshot(host), f"diverged after step {step}: {o}"
    assert store.integrity_ok()


def test_refused_native_command_leaves_file_identical(state):
    before = dump(state)
    status, out = rk(state, "add-route", "10.0.0.0/8", "--via", "192.0.2.1", "--persistent")
    assert status == 1 and out.startswith("routekeeper: ")
    status, _ = rk(state, "delete-address", "LAN", "10.9.9.9")
    assert status == 1
    status, _ = rk(state, "add-address", "LAN", "not-an-address/24")
    assert status == 2
    assert dump(state) == before


def test_whatif_changes_nothing(state):
    rk(state, "add-route", "0.0.0.0/0", "--via", "192.168.0.1", "--persistent")
    rk(state, "add-address", "LAN", "192.168.0.21/24")
    before = dump(state)
    status, out = rk(state, "whatif", "delete-address", "LAN", "192.168.0.21")
    assert status == 0
    assert "- 0.0.0.0/0 via 192.168.0.1 on interface 11" in out
    assert "1 manual route(s) would leave the active table." in out
    assert dump(state) == before


def test_newer_schema_is_refused_with_a_clear_message(state):
    conn = sqlite3.connect(state)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    status, out = rk(state, "routes")
    assert status == 1
    assert "newer routekeeper" in out and out.count("\n") == 1


def test_older_schema_is_refused_with_a_clear_message(state):
    conn = sqlite3.connect(state)
    conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="cannot migrate"):
        HostStore(state)


def test_foreign_file_is_refused(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE x (y)")
    conn.commit()
    conn.close()
    status, out = rk(other, "routes")
    assert status == 1 and "not a routekeeper state file" in out
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    status, out = rk(garbage, "routes")
    assert status == 1 and out.startswith("routekeeper: ")


WRITER = """
import sys
from routekeeper.cli import main
state, base = sys.argv[1], int(sys.argv[2])
for i in range(25):
    prefix = f"10.{base}.{i}.0/24"
    code = main(["--state", state, "add-route", prefix, "--via", "192.168.0.1", "--persistent"])
    if code != 0:
        sys.exit(code)
"""


def test_two_processes_writing_at_once_both_succeed(state):
    env = {"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(state), str(n)], env=env, stdout=subprocess.DEVNULL
        )
        for n in (1, 2)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    store = HostStore(state)
    with store.transaction() as tx:
        host = tx.load("default")
    assert host is not None and len(host.persistent) == 50
    assert len([r for r in host.table if r.manual]) == 50
    assert store.integrity_ok()
