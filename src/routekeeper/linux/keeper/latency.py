"""The daemon asks the scheduler to run it as soon as an event wakes it: a short slice.

Measured here (bench/linux_keeper.py, two vCPUs shared with other work): woken by an address
notification while other processes were running, the daemon waited for the running one's slice to
end (up to a 4 ms tick) before it could send a route back. Since Linux 6.12 a fair task may ask for
a shorter slice (`sched_attr.sched_runtime`); a waking task with a shorter slice than the running
one preempts it. This changes when the daemon runs, not how much CPU it gets. Kernels without the
feature take the value and ignore it; where the call fails the daemon runs as before.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct

SLICE_NS = 100_000  # 0.1 ms: the kernel's lower bound; the daemon's reaction to one event is shorter
SCHED_OTHER = 0
_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274}  # syscall numbers (no libc wrapper before glibc 2.41)
_ATTR = struct.Struct("=IIQiIQQQ")  # struct sched_attr, first version (48 bytes)


def request_short_slice(slice_ns: int = SLICE_NS) -> bool:
    """Ask for `slice_ns` slices for the calling thread, keeping its policy (SCHED_OTHER) and nice
    value; True when the kernel took it."""
    nr = _SCHED_SETATTR.get(platform.machine())
    if nr is None or os.sched_getscheduler(0) != SCHED_OTHER:
        return False
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    attr = ctypes.create_string_buffer(_ATTR.pack(_ATTR.size, SCHED_OTHER, 0, nice, 0, slice_ns, 0, 0))
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.syscall(nr, 0, attr, 0) == 0
