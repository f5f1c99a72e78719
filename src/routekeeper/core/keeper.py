"""The fix as a policy: given the routes that must persist and a host as observed, what to re-plumb.

`reconcile` is a pure function so that the same decision serves the simulated `prehotfix` and `linux`
hosts and the daemon on a real kernel. It binds every route it installs to the interface where its
next hop is on-link: a bound route is exactly what survives the pre-hotfix withdrawal (the documented
workaround `route -p add ... IF n`), and it is what a kernel route always is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from routekeeper.core.host import Host
from routekeeper.core.operations import AddRoute, WithdrawRoute
from routekeeper.core.values import PersistentRoute


@dataclass(frozen=True, slots=True)
class Action:
    """One route to install, with the reason a user will read in the log."""

    operation: AddRoute | WithdrawRoute
    reason: str
    wanted: PersistentRoute


def reconcile(persistent: Iterable[PersistentRoute], host: Host) -> list[Action]:
    """Actions that make the host hold its persistent routes as the fixed stack would.

    - a persistent route whose next hop is reachable and that is missing is put back;
    - a copy whose next hop is no longer on-link on its interface is taken out (the kernel keeps such
      stale routes; the fixed Windows stack withdraws them), once per copy.
    """
    actions = []
    withdrawn: set[tuple] = set()
    planned: set[tuple] = set()
    for p in persistent:
        for r in host.table.with_prefix(p.prefix):
            stale = (
                r.manual
                and r.nexthop == p.nexthop
                and (p.ifindex is None or r.ifindex == p.ifindex)
                and not r.onlink_flag
                and not host.reachable(r.nexthop, r.ifindex)
            )
            if stale and r.key not in withdrawn:
                withdrawn.add(r.key)
                why = f"keeper: withdrawn, next hop {r.nexthop} no longer on-link on interface {r.ifindex}"
                withdraw = WithdrawRoute(r.prefix, r.ifindex, r.nexthop, why)
                actions.append(Action(withdraw, why, p))
        if host.has_manual(p.prefix, p.nexthop, p.ifindex):
            continue
        target = host.placement(p)
        if target is None or (p.prefix, target, p.nexthop) in planned:
            continue
        planned.add((p.prefix, target, p.nexthop))
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
