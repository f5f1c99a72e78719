"""`session()`: a core Host for one command on a real Linux host, and the kernel changed to match.

The command runs against a pure `Host` read from the kernel (profile linux) and the persistent store
from SQLite; nothing touches the kernel while it runs. On a clean exit, in this order:
1. the store is saved (one transaction) - the one source of truth for the CLI and the daemon;
2. a running `routekeeper keep` for this state file and namespace is told over its control socket,
   and the command waits for its answer (it has reloaded);
3. only then is the host's journal carried out on the kernel.
So the daemon never sees the kernel lose a route it still keeps because a command deleted or changed
it, and never puts such a route back; and a route a command adds is kept from that moment. A command
that raises changes neither store nor kernel. Concurrent sessions serialise on the store's write
lock, taken before the kernel is read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from routekeeper.core.operations import RefusalCode, Refused
from routekeeper.core.values import PersistentRoute
from routekeeper.linux.apply import KernelFailure, apply
from routekeeper.linux.keeper.control import ask, control_path
from routekeeper.linux.netns import NamespaceError, has_net_admin
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


def stored_route(host: KernelHost, key: object, p: PersistentRoute, old: StoredRoute | None) -> StoredRoute:
    """A persistent route as the store keeps it: bound by name, with the kernel attributes of the
    route the command made (src, onlink) - or, for a route the command did not touch, as stored."""
    parked = key in host.parked
    if old is not None and old.route == p:
        return StoredRoute(p, old.ifname, parked, old.prefsrc, old.onlink)
    ifname = host.interfaces[p.ifindex].name if p.ifindex in host.interfaces else None
    if old is not None:
        ifname = old.ifname or ifname
    made = [
        r
        for r in host.table.with_prefix(p.prefix)
        if r.manual and r.nexthop == p.nexthop and (p.ifindex is None or r.ifindex == p.ifindex)
    ]
    if made:
        return StoredRoute(p, ifname, parked, made[0].prefsrc, bool(made[0].onlink_flag))
    return StoredRoute(p, ifname, parked, old.prefsrc if old else None, old.onlink if old else False)


def refuse_unbound_link_local(before: dict, after: dict) -> None:
    """An IPv6 link-local next hop means nothing without its link: a new persistent route through
    one must name its interface (else the kernel would be given whichever link came first)."""
    for key, p in after.items():
        if key not in before and p.ifindex is None and p.nexthop.is_link_local:
            raise Refused(
                RefusalCode.INVALID,
                f"the link-local next hop {p.nexthop} needs its interface: add --interface IF",
            )


def journal_rows(
    before: dict[object, PersistentRoute], after: dict[object, PersistentRoute], at: float
) -> list[tuple[float, str, str, str]]:
    """What a command did to the kept routes, for the keeper's journal (`why`, `log`)."""
    rows = []
    for key, p in after.items():
        old = before.get(key)
        if old is None:
            rows.append((at, str(p.prefix), "kept", f"via {p.nexthop} metric {p.metric}: added by a command"))
        elif old != p:
            rows.append(
                (at, str(p.prefix), "changed", f"via {p.nexthop} metric {p.metric}: changed by a command")
            )
    for key, p in before.items():
        if key not in after:
            rows.append((at, str(p.prefix), "released", f"via {p.nexthop}: deleted by a command"))
    return rows


class SessionFailed(KernelRefused):
    """The command could not be carried out for a reason of its own (reported like a refusal: one
    line, exit 1): no such namespace, a daemon that did not take the change."""

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)
        self.failures = []


class DaemonSilent(SessionFailed):
    """A daemon listens on the control socket but did not take the change: the kernel was left
    untouched."""


def tell_daemon(state_path: str, netns: str | None) -> None:
    """Make a running daemon reload the store now, and wait until it has (nothing if none runs)."""
    try:
        answer = ask(control_path(state_path, netns), {"op": "reload", "why": "a command changed the store"})
    except (TimeoutError, OSError) as exc:
        raise DaemonSilent(
            f"routekeeper: the store is saved but routekeeper keep did not take it ({exc}); the kernel"
            " was not changed: run the command again"
        ) from None
    if answer is not None and not answer.get("ok"):
        raise DaemonSilent(f"routekeeper: routekeeper keep refused the reload: {answer.get('error')}")


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
        try:
            links, promote, addrs, routes = dump(netns)
        except NamespaceError as exc:
            raise SessionFailed(f"routekeeper: {exc.strerror}") from None
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
        refuse_unbound_link_local(before[0], host.persistent)
        changed = (dict(host.persistent), set(host.parked)) != before
        if changed:
            by_key = {s.route.key: s for s in stored}
            store.replace_all(
                stored_route(host, key, p, by_key.get(key)) for key, p in host.persistent.items()
            )
            store.record(journal_rows(before[0], dict(host.persistent), time.time()))
        store.commit()
        if changed:
            tell_daemon(store.path, netns)
        failures = apply(host.journal, netns, interfaces)
        if failures:
            # The kernel did the rest, and the store holds what the command asked for.
            raise KernelRefused(failures)
    except BaseException:
        store.rollback()
        raise
    finally:
        store.close()
