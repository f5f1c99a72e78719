"""Checks a cluster node's host must satisfy, used to test the cluster against the defect report."""

from __future__ import annotations

from routekeeper.core.host import Host
from routekeeper.core.values import PersistentRoute


def persistent_missing(host: Host) -> list[PersistentRoute]:
    """Persistent routes (not parked) that are absent from the active table although their next hop
    is reachable where they belong: what the `hotfix` invariant says never happens."""
    missing = []
    for key, p in host.persistent.items():
        if key in host.parked or host.has_manual(p.prefix, p.nexthop, p.ifindex):
            continue
        if p.ifindex is not None:
            iface = host.interfaces.get(p.ifindex)
            if iface is None or not iface.up:
                continue
            ok = host.reachable(p.nexthop, p.ifindex)
        else:
            ok = any(host.interfaces[i].up for i in host.onlink_interfaces(p.nexthop))
        if ok:
            missing.append(p)
    return missing
