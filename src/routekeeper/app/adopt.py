"""`adopt` and `release` on the linux backend: take a route that is already in the kernel under the
keeper's care without removing it, and the reverse, without touching the kernel at all.

An operator with a route made by hand or by ifupdown should not have to delete it (a window without
the route) to make it persistent. `adopt` stores it as it is - prefix, next hop, metric, and its
interface when that is part of its meaning (an on-link route, a link-local next hop, or `--interface`
given) - then tells a running daemon (the same control socket a command uses), which finds it present
and leaves it alone until the kernel drops it. `release` forgets a kept route and leaves it in the
kernel. Routes carrying what the keeper cannot restore yet (a preferred source, onlink, multipath)
are refused rather than adopted and later restored without it.
"""

from __future__ import annotations

import os
import time

from routekeeper.app.arguments import ip, parse, parser
from routekeeper.app.errors import CommandFailed
from routekeeper.app.linux_session import NOT_PERMITTED, tell_daemon
from routekeeper.app.session import Session
from routekeeper.core.values import IP, PersistentRoute, Prefix
from routekeeper.linux import codec
from routekeeper.linux.keeper.status import describe
from routekeeper.linux.netns import NamespaceError, has_net_admin
from routekeeper.linux.nlsock import RtnlSocket
from routekeeper.store.linux import LinuxRouteStore, StoredRoute, state_file


def _args(name: str, args: list[str]):  # type: ignore[no-untyped-def]
    p = parser(name)
    p.add_argument("prefix", type=Prefix.parse)
    p.add_argument("--via", type=ip, help="the next hop (when several routes have the prefix)")
    p.add_argument("--interface", help="the interface (by name)")
    if name == "adopt":
        p.add_argument("--metric", type=int, help="the metric (when several routes have the prefix)")
    return parse(p, args)


def _require_linux(session: Session, name: str) -> None:
    if session.backend != "linux":
        raise CommandFailed(f"{name} acts on a real kernel: use --backend linux")
    if not has_net_admin():
        raise CommandFailed(NOT_PERMITTED.removeprefix("routekeeper: "))


def cmd_adopt(session: Session, args: list[str]) -> int:
    ns = _args("adopt", args)
    _require_linux(session, "adopt")
    prefix: Prefix = ns.prefix
    try:
        with RtnlSocket(session.netns) as sock:
            links = {link.index: link for link in sock.links()}
            kernel = sock.routes(version=prefix.version, table=codec.RT_TABLE_MAIN)
    except NamespaceError as exc:
        raise CommandFailed(str(exc.strerror)) from None
    names = {link.name: index for index, link in links.items()}
    if ns.interface is not None and ns.interface not in names:
        raise CommandFailed(f"no interface named {ns.interface!r}")
    found = [
        r
        for r in kernel
        if (r.dst, r.dst_len) == (prefix.network, prefix.length)
        and r.proto != codec.RTPROT_KERNEL
        and (ns.via is None or r.gateway == ns.via.value)
        and (ns.interface is None or r.oif == names[ns.interface])
        and (ns.metric is None or r.priority == ns.metric)
    ]
    if not found:
        raise CommandFailed(
            f"no route {prefix} in the kernel matches (the kernel's own routes cannot be adopted)"
        )
    if len(found) > 1:
        choices = "; ".join(describe(r, links) for r in found)
        raise CommandFailed(
            f"{len(found)} routes {prefix} match ({choices}): give --via, --interface or --metric"
        )
    (r,) = found
    if r.type != codec.RTN_UNICAST or r.multipath or r.prefsrc is not None or r.flags & codec.RTNH_F_ONLINK:
        raise CommandFailed(
            f"{prefix} ({describe(r, links)}) carries a type, source, onlink or multipath the keeper"
            " cannot restore yet: not adopted"
        )
    nexthop = IP(prefix.version, r.gateway)
    bind = ns.interface is not None or r.gateway == 0 or nexthop.is_link_local
    ifname = links[r.oif].name if bind and r.oif in links else None
    route = PersistentRoute(prefix, nexthop, r.priority, r.oif if ifname else None)
    with LinuxRouteStore(session.state_override, session.netns) as store:
        with store.writing():
            stored = store.load(names)
            if any(
                s.route.key == route.key or (s.route.prefix, s.route.nexthop) == (prefix, nexthop)
                for s in stored
            ):
                raise CommandFailed(f"{prefix} via {nexthop} is already kept")
            store.replace_all([*stored, StoredRoute(route, ifname, False)])
            store.record(
                [(time.time(), str(prefix), "adopted", f"{describe(r, links)}: adopted by a command")]
            )
        tell_daemon(store.path, session.netns)
    session.out.write(f"adopted: {prefix} {describe(r, links)}: kept from now on; the route stays as it is\n")
    return 0


def cmd_release(session: Session, args: list[str]) -> int:
    ns = _args("release", args)
    _require_linux(session, "release")
    prefix: Prefix = ns.prefix
    if not os.path.exists(state_file(session.state_override)):
        raise CommandFailed(f"{prefix} is not kept: no linux state file {state_file(session.state_override)}")
    with LinuxRouteStore(session.state_override, session.netns) as store:
        with store.writing():
            stored = store.load()
            gone = [
                s
                for s in stored
                if s.route.prefix == prefix
                and (ns.via is None or s.route.nexthop == ns.via)
                and (ns.interface is None or s.ifname == ns.interface)
            ]
            if not gone:
                raise CommandFailed(f"{prefix} is not kept in {store.path}")
            if len(gone) > 1:
                raise CommandFailed(f"{len(gone)} kept routes {prefix}: give --via or --interface")
            (s,) = gone
            store.replace_all([x for x in stored if x is not s])
            store.record(
                [
                    (
                        time.time(),
                        str(prefix),
                        "released",
                        f"via {s.route.nexthop}: released, left in the kernel",
                    )
                ]
            )
        tell_daemon(store.path, session.netns)
    session.out.write(f"released: {prefix} via {s.route.nexthop}: no longer kept; the kernel route stays\n")
    return 0
