"""Entering a network namespace for the current thread only, with the stdlib (ctypes + setns(2)).

Why not pyroute2's NetNS: it forks a helper process per socket. A thread-local setns is cheaper and
also makes /proc/sys/net (promote_secondaries) show the namespace's values. Sockets keep the
namespace they were created in, so a socket made inside `inside()` stays there after we leave.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager

CLONE_NEWNET = 0x40000000
NETNS_RUN_DIR = "/run/netns"
CAP_NET_ADMIN = 12

# The C library already loaded in this process (setns is libc's): `ctypes.util.find_library` would
# run `ldconfig -p` in a subprocess at every start of every command.
_libc = ctypes.CDLL(None, use_errno=True)


class NamespaceError(OSError):
    """The named network namespace does not exist or cannot be entered."""


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise NamespaceError(err, f"setns: {os.strerror(err)}")


def netns_path(name: str) -> str:
    return name if "/" in name else os.path.join(NETNS_RUN_DIR, name)


@contextmanager
def inside(netns: str | None) -> Iterator[None]:
    """Run the body in network namespace `netns` (None: stay where we are), then come back."""
    if netns is None:
        yield
        return
    try:
        target = os.open(netns_path(netns), os.O_RDONLY)
    except FileNotFoundError:
        raise NamespaceError(2, f"no network namespace named {netns!r}") from None
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(own)
    finally:
        os.close(target)
        os.close(own)


def enter(netns: str) -> None:
    """Move the calling thread for good (the daemon does this once, at start)."""
    try:
        fd = os.open(netns_path(netns), os.O_RDONLY)
    except FileNotFoundError:
        raise NamespaceError(2, f"no network namespace named {netns!r}") from None
    try:
        _setns(fd)
    finally:
        os.close(fd)


def has_net_admin() -> bool:
    """CAP_NET_ADMIN in the effective set (what rtnetlink checks for every change)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> CAP_NET_ADMIN & 1)
    except OSError:
        pass
    return os.geteuid() == 0


def sysctl_path(family: str, ifname: str, key: str) -> str:
    return f"/proc/sys/net/{family}/conf/{ifname}/{key}"


def read_sysctl(family: str, ifname: str, key: str) -> str | None:
    try:
        with open(sysctl_path(family, ifname, key)) as f:
            return f.read().strip()
    except OSError:
        return None


def write_sysctl(family: str, ifname: str, key: str, value: str) -> None:
    with open(sysctl_path(family, ifname, key), "w") as f:
        f.write(value)
