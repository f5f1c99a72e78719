"""The daemon's short scheduler slice (`keeper.latency`): taken by the kernel, policy and nice kept."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "src")

CHILD = """
import ctypes, os, struct
from routekeeper.linux.keeper.latency import SLICE_NS, request_short_slice
os.nice(3)
if not request_short_slice():
    print("refused", ctypes.get_errno())
    raise SystemExit(0)
buf = ctypes.create_string_buffer(56)
assert ctypes.CDLL(None).syscall({getattr_nr}, 0, buf, 56, 0) == 0
size, policy, flags, nice, prio, runtime = struct.unpack_from("=IIQiIQ", buf)
print(policy, nice, runtime, SLICE_NS)
"""


@pytest.mark.no_kernel
def test_short_slice_keeps_policy_and_nice() -> None:
    getattr_nr = {"x86_64": 315, "aarch64": 275}.get(os.uname().machine)
    if getattr_nr is None:
        pytest.skip(f"no sched_getattr number known for {os.uname().machine}")
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC))
    r = subprocess.run(
        [sys.executable, "-c", CHILD.format(getattr_nr=getattr_nr)], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    if r.stdout.startswith("refused"):
        err = int(r.stdout.split()[1])
        if err in (errno.EPERM, errno.ENOSYS):  # a seccomp profile or an old kernel: the daemon runs on
            pytest.skip(f"sched_setattr refused here ({os.strerror(err)}): the daemon runs without it")
        pytest.fail(f"sched_setattr failed: {os.strerror(err)}")
    policy, nice, runtime, want = (int(x) for x in r.stdout.split())
    assert (policy, nice) == (0, 3), "still SCHED_OTHER, nice value untouched"
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    if (major, minor) >= (6, 12):
        assert runtime == want, "custom slices exist since 6.12: the kernel keeps the value"
