"""The fix as a policy: given the routes that must persist and a host as observed, what to re-plumb.

`reconcile` is a pure function so that the same decision serves the simulated `prehotfix` and `linux`
hosts and the daemon on a real kernel. It binds every route it installs to the interface where its
next hop is on-link: a bound route is exactly what survives the pre-hotfix withdrawal (the documented
workaround `route -p add ... IF n`), and it is what a kernel route always is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .host import Host
from .operations import AddRoute
from .values import PersistentRoute


@dataclass(frozen=True, slots=True)
class Action:
    """One route to install, with the reason a user will read in the log."""

    operation: AddRoute
    reason: str
    wanted: PersistentRoute


def target_interface(host: Host, p: PersistentRoute) -> int | None:
    """Where `p` belongs now: its bound interface if the next hop is reachable there, else the best
    interface where the next hop is on-link; None while it is unreachable."""
    if p.ifindex is not None:
        return p.ifindex if host.reachable(p.nexthop, p.ifindex) else None
    if p.nexthop.is_unspecified:
        return None
    found = host.onlink_interfaces(p.nexthop)
    return found[0] if found else None


def is_present(host: Host, p: PersistentRoute) -> bool:
    for r in host.table.with_prefix(p.prefix):
        if r.manual and r.nexthop == p.nexthop and (p.ifindex is None or r.ifindex == p.ifindex):
            return True
    return False


def reconcile(persistent: Iterable[PersistentRoute], host: Host) -> list[Action]:
    """Actions that put back every persistent route whose next hop is reachable and that is missing."""
    actions = []
    for p in persistent:
        if is_present(host, p):
            continue
        target = target_interface(host, p)
        if target is None:
            continue
        if p.nexthop.is_unspecified:
            why = f"interface {target} has an IPv{p.prefix.version} address"
        else:
            why = f"next hop {p.nexthop} is on-link on interface {target}"
        operation = AddRoute(p.prefix, p.nexthop, ifindex=target, metric=p.metric, origin=p.origin)
        actions.append(Action(operation, f"keeper: re-plumbed, {why}", p))
    return actions


def keep(host: Host) -> list[Action]:
    """Reconcile a simulated host against its own persistent store and apply the actions."""
    wanted = [p for key, p in host.persistent.items() if key not in host.parked]
    actions = reconcile(wanted, host)
    for action in actions:
        host.apply(action.operation)
    return actions
