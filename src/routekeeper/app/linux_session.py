"""`session()`: a core Host for one command on a real Linux host, and the kernel changed to match.

The command runs against a pure `Host` read from the kernel (profile linux) and the persistent store
from SQLite; nothing touches the kernel while it runs. On a clean exit the host's journal is carried
out on the kernel and the store is saved, in one store transaction: a command that raises changes
neither. Concurrent sessions serialise on the store's write lock, taken before the kernel is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from routekeeper.linux.apply import KernelFailure, apply
from routekeeper.linux.netns import has_net_admin
from routekeeper.linux.observe import KernelHost, build_host, dump
from routekeeper.store.linux import LinuxRouteStore, StoredRoute


class NotPermitted(PermissionError):
    """The caller lacks CAP_NET_ADMIN (or cannot open the root-only store). The message is one line."""


class KernelRefused(RuntimeError):
    """The kernel refused part of a command's changes; `failures` says which."""

    def __init__(self, failures: list[KernelFailure]) -> None:
        super().__init__("; ".join(str(f) for f in failures))
        self.failures = failures


NOT_PERMITTED = "routekeeper: the linux backend needs CAP_NET_ADMIN (run as root)"


@contextmanager
def session(netns: str | None = None, state_path: str | None = None) -> Iterator[KernelHost]:
    """Yield the kernel's state as a Host; on clean exit apply its journal and save persistent routes."""
    if not has_net_admin():
        raise NotPermitted(NOT_PERMITTED)
    try:
        store = LinuxRouteStore(state_path, netns)
    except PermissionError:
        raise NotPermitted(
            f"routekeeper: cannot open the state file {state_path or 'default'} (run as root)"
        ) from None
    try:
        store.begin()
        links, promote, addrs, routes = dump(netns)
        names = {link.name: link.index for link in links}
        stored = store.load(names)
        host = build_host(
            links,
            promote,
            addrs,
            routes,
            [(s.route, s.parked) for s in stored],
            netns=netns,
            name=netns or "linux",
        )
        before = (dict(host.persistent), set(host.parked))
        interfaces = dict(host.interfaces)
        yield host
        failures = apply(host.journal, netns, interfaces)
        if (dict(host.persistent), set(host.parked)) != before:
            by_key = {s.route.key: s.ifname for s in stored}
            store.replace_all(
                StoredRoute(
                    p,
                    by_key.get(key)
                    or (host.interfaces[p.ifindex].name if p.ifindex in host.interfaces else None),
                    key in host.parked,
                )
                for key, p in host.persistent.items()
            )
        if failures:
            # The kernel has already done the rest; keep the store consistent with the command anyway.
            store.commit()
            raise KernelRefused(failures)
        store.commit()
    except BaseException:
        store.rollback()
        raise
    finally:
        store.close()
