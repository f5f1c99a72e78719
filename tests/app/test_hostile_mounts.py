"""A full disk and a read-only mount, through the real command line: one line naming the file, the
class's own exit status, nothing printed that claims success, and the state file as it was.

Each scenario runs in a private mount namespace (`unshare --mount`) on a small tmpfs of its own, so
nothing outside the test sees the mount. That needs root (CI runs as root); elsewhere the tests skip
and say why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import routekeeper

SRC = Path(routekeeper.__file__).resolve().parents[1]
FULL, READ_ONLY, CANNOT_WRITE = 74, 77, 73


def namespace_problem() -> str | None:
    if os.geteuid() != 0:
        return "needs root to mount a tmpfs in a private mount namespace"
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "needs unshare(1) and mount(8) (util-linux)"
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return f"cannot make a mount namespace here: {probe.stderr.strip()}"
    return None


PROBLEM = namespace_problem()
pytestmark = pytest.mark.skipif(PROBLEM is not None, reason=PROBLEM or "")

# Runs inside the namespace: mounts the tmpfs, then calls STEPS (a list of ["rk", words] / ["fill"] /
# ["unfill"] / ["remount-ro"] / ["exists", name]) in-process and prints their results as JSON.
DRIVER = textwrap.dedent(
    """
    import io, json, os, subprocess, sys
    from routekeeper.cli import run

    top, size, steps = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", top], check=True)
    results = []
    for step in steps:
        if step[0] == "rk":
            out, err = io.StringIO(), io.StringIO()
            status = run(["--state", os.path.join(top, step[1]), *step[2:]], out, err, env={})
            results.append([status, out.getvalue(), err.getvalue()])
        elif step[0] == "fill":
            fd = os.open(os.path.join(top, "fill"), os.O_WRONLY | os.O_CREAT)
            try:
                while os.write(fd, b"\\0" * 4096):
                    pass
            except OSError:
                pass
            os.close(fd)
            results.append(None)
        elif step[0] == "unfill":
            os.unlink(os.path.join(top, "fill"))
            results.append(None)
        elif step[0] == "remount-ro":
            subprocess.run(["mount", "-o", "remount,ro", top], check=True)
            results.append(None)
        elif step[0] == "exists":
            results.append(os.path.exists(os.path.join(top, step[1])))
    subprocess.run(["umount", top], check=True)
    print(json.dumps(results))
    """
)


def in_namespace(tmp_path: Path, steps: list[list[str]], size: str = "2m") -> list:
    top = tmp_path / "mnt"
    top.mkdir()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", DRIVER, str(top), size,
         json.dumps(steps)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


SETUP = [
    ["rk", "state.db", "host", "init", "--profile", "hotfix"],
    ["rk", "state.db", "host", "add-interface", "index=11", "name=LAN", "mac=00-15-5D-01-02-03"],
    ["rk", "state.db", "add-address", "LAN", "192.168.0.2/24"],
    ["rk", "state.db", "route", "-p", "add", "10.0.0.0", "mask", "255.0.0.0", "192.168.0.1"],
]
ADD = ["route", "-p", "add", "10.9.0.0", "mask", "255.255.0.0", "192.168.0.1"]


def one_line(err: str, *fragments: str) -> None:
    assert err.count("\n") == 1 and err.startswith("routekeeper: "), err
    assert "internal error" not in err and "not a routekeeper state file" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def test_full_disk(tmp_path):
    steps = [
        *SETUP,
        ["rk", "state.db", "route", "print"],
        ["fill"],
        ["rk", "state.db", *ADD],
        ["rk", "state.db", "route", "print"],
        ["rk", "new.db", "host", "init", "--profile", "hotfix"],
        ["exists", "new.db"],
        ["unfill"],
        ["rk", "state.db", "route", "print"],
    ]
    results = in_namespace(tmp_path, steps)
    assert [r[0] for r in results[: len(SETUP)]] == [0] * len(SETUP)
    before = results[len(SETUP)]
    added, printed, init, created, _, after = results[len(SETUP) + 2 :]
    # the write fails as a full disk, not as a damaged or foreign file, and says nothing of success
    status, out, err = added
    assert status == FULL, err
    assert " OK!" not in out
    one_line(err, "state.db")
    # a read still works on the full disk, and shows the file as it was
    assert printed[0] == 0, printed[2]
    assert printed[1] == before[1]
    # a new state file on the full disk: refused, and no empty file left behind
    assert init[0] == FULL, init[2]
    one_line(init[2], "new.db")
    assert created is False
    # with the space back, the file is exactly as before the failed write
    assert after[0] == 0 and after[1] == before[1]


def test_read_only_mount(tmp_path):
    steps = [
        *SETUP,
        ["rk", "state.db", "route", "print"],
        ["remount-ro"],
        ["rk", "state.db", "route", "print"],
        ["rk", "state.db", *ADD],
        ["rk", "state.db", "host", "show"],
        ["rk", "state.db", "reg", "export"],
        ["rk", "state.db", "reg", "export", os.path.join(str(tmp_path / "mnt"), "out.reg")],
        ["rk", "new.db", "host", "init", "--profile", "hotfix"],
        ["exists", "new.db"],
    ]
    results = in_namespace(tmp_path, steps)
    assert [r[0] for r in results[: len(SETUP)]] == [0] * len(SETUP)
    before, _, printed, added, shown, exported, export_file, init, created = results[len(SETUP) :]
    assert printed[0] == 0, printed[2]
    assert printed[1] == before[1] and "10.0.0.0" in printed[1]
    status, out, err = added
    assert status == READ_ONLY, err
    assert out == ""
    one_line(err, "state.db", "read-only")
    assert shown[0] == 0 and exported[0] == 0 and "10.0.0.0,255.0.0.0" in exported[1]
    assert export_file[0] == CANNOT_WRITE
    one_line(export_file[2], "out.reg")
    assert init[0] == READ_ONLY, init[2]
    one_line(init[2], "new.db")
    assert created is False
