"""Carrying out on the kernel what a command did to a (linux-profile) host: its journal, in order.

The journal mixes what the administrator asked for with what the stack did in consequence (a
primary's secondaries going, a flush after the last address, the kernel's own prefix routes). The
kernel does the consequences by itself, so only requests are replayed:

- manual routes added / removed / changed (metric) -> RTM_NEWROUTE / RTM_DELROUTE with our proto;
- system routes only when the administrator deleted one explicitly;
- addresses added / removed -> pyroute2; an address the kernel already took away with its primary,
  or an IPv6 link-local the kernel already made on link-up, is not an error (idempotent replay);
- interface changes: admin state and MTU via pyroute2, promote_secondaries via its sysctl. Carrier
  and Windows-only settings (metric, DHCP) cannot be set on a real device and are skipped.

Store events (persisted, unpersisted, parked) are the session's business, not the kernel's.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass

from routekeeper.core.events import Event, Kind
from routekeeper.core.values import Interface, Route
from routekeeper.linux import codec
from routekeeper.linux.netns import inside, write_sysctl
from routekeeper.linux.nlsock import RtnlSocket
from routekeeper.linux.observe import PROTO_ROUTEKEEPER

log = logging.getLogger("routekeeper.linux")

ADMIN_DELETE = "deleted by administrator"
TOLERATED = {
    Kind.ADDRESS_ADDED: {errno.EEXIST},
    Kind.ADDRESS_REMOVED: {errno.EADDRNOTAVAIL, errno.ENOENT, errno.ENODEV},
    Kind.ROUTE_REMOVED: {errno.ESRCH, errno.ENOENT},
}


@dataclass(frozen=True, slots=True)
class KernelFailure:
    """An event the kernel refused, with its errno."""

    event: Event
    errno: int

    def __str__(self) -> str:
        return f"kernel refused {self.event.kind.value} {self.event.subject}: {os.strerror(self.errno)}"


def route_message(msg_type: int, r: Route, proto: int = PROTO_ROUTEKEEPER) -> bytes:
    """The request adding or deleting `r` exactly (table main; local-kind routes go to table local)."""
    table = codec.RT_TABLE_LOCAL if r.kind in ("local", "broadcast", "anycast") else codec.RT_TABLE_MAIN
    rtype = {v: k for k, v in codec.TYPE_NAMES.items()}.get(r.kind, codec.RTN_UNICAST)
    scope = None
    if r.kind == "local":
        scope = codec.RT_SCOPE_HOST
    return codec.encode_route(
        msg_type,
        r.prefix.version,
        r.prefix.network,
        r.prefix.length,
        gateway=r.nexthop.value,
        oif=r.ifindex,
        priority=r.metric,
        proto=proto,
        table=table,
        rtype=rtype,
        scope=scope,
        prefsrc=r.prefsrc.value if r.prefsrc is not None and msg_type == codec.RTM_NEWROUTE else None,
        rtm_flags=codec.RTNH_F_ONLINK if r.onlink_flag and msg_type == codec.RTM_NEWROUTE else 0,
    )


class Applier:
    """Replays journal events on one namespace. Holds its sockets for the whole replay."""

    def __init__(self, netns: str | None, interfaces: dict[int, Interface]) -> None:
        self.netns = netns
        self.interfaces = dict(interfaces)
        self.sock = RtnlSocket(netns)
        self._ipr = None

    @property
    def ipr(self):  # type: ignore[no-untyped-def]
        """pyroute2 for addresses and links: few messages, so its convenience costs nothing.

        Opened with `netns=` (never inside a thread-local setns): pyroute2 0.9 makes one socket per
        thread, and a socket made later in another thread must still land in the right namespace."""
        if self._ipr is None:
            self._ipr = ipr_for(self.netns)
        return self._ipr

    def close(self) -> None:
        self.sock.close()
        if self._ipr is not None:
            self._ipr.close()

    def apply(self, events: Iterable[Event]) -> list[KernelFailure]:
        failures = []
        for event in events:
            err = self.one(event)
            if err and err not in TOLERATED.get(event.kind, ()):
                failures.append(KernelFailure(event, err))
        return failures

    def one(self, e: Event) -> int:
        k = e.kind
        if k is Kind.ROUTE_ADDED and e.route is not None and e.route.manual:
            err = self.sock.request(route_message(codec.RTM_NEWROUTE, e.route))
            if err == errno.EEXIST and self.ours_present(e.route):
                return 0  # the keeper, told of the new persistent route first, already put it in
            return err
        if k is Kind.ROUTE_RESTORED and e.route is not None:
            return self.sock.request(route_message(codec.RTM_NEWROUTE, e.route))
        if k is Kind.ROUTE_REMOVED and e.route is not None:
            if e.route.manual or e.reason == ADMIN_DELETE:
                return self.sock.request(route_message(codec.RTM_DELROUTE, e.route, proto=0))
            return 0
        if k is Kind.ROUTE_CHANGED and e.route is not None and e.previous is not None and e.route.manual:
            if e.route.metric != e.previous.metric:
                err = self.sock.request(route_message(codec.RTM_DELROUTE, e.previous, proto=0))
                if err and err not in (errno.ESRCH, errno.ENOENT):
                    return err
                err = self.sock.request(route_message(codec.RTM_NEWROUTE, e.route))
                if err == errno.EEXIST and self.ours_present(e.route):
                    return 0  # the keeper, told first, already holds the new metric
                return err
            return 0
        if k is Kind.ADDRESS_ADDED and e.address is not None:
            a = e.address
            return self._pyroute2(
                "addr",
                "add",
                index=a.ifindex,
                address=str(a.ip),
                prefixlen=a.length,
                **_v6_nodad(a.ip.version),
            )
        if k is Kind.ADDRESS_REMOVED and e.address is not None:
            a = e.address
            return self._pyroute2("addr", "del", index=a.ifindex, address=str(a.ip), prefixlen=a.length)
        if k is Kind.INTERFACE_CHANGED and e.interface is not None:
            return self._interface(e.interface)
        return 0

    def ours_present(self, r: Route) -> bool:
        """The kernel holds exactly `r`, installed by routekeeper (proto 199)."""
        p = r.prefix
        return any(
            k.dst == p.network
            and k.dst_len == p.length
            and k.gateway == r.nexthop.value
            and k.priority == r.metric
            and k.proto == PROTO_ROUTEKEEPER
            for k in self.sock.routes(version=p.version, table=codec.RT_TABLE_MAIN, oif=r.ifindex)
        )

    def _interface(self, new: Interface) -> int:
        old = self.interfaces.get(new.index)
        self.interfaces[new.index] = new
        if old is None:
            return 0
        if old.promote_secondaries != new.promote_secondaries:
            with inside(self.netns):
                write_sysctl("ipv4", new.name, "promote_secondaries", "1" if new.promote_secondaries else "0")
        if old.mtu != new.mtu:
            err = self._pyroute2("link", "set", index=new.index, mtu=new.mtu)
            if err:
                return err
        if old.enabled != new.enabled:
            return self._pyroute2("link", "set", index=new.index, state="up" if new.enabled else "down")
        if old.connected != new.connected:
            log.warning("interface %s: carrier cannot be set on a real device; skipped", new.name)
        return 0

    def _pyroute2(self, method: str, *args: object, **kwargs: object) -> int:
        from pyroute2.netlink.exceptions import NetlinkError

        try:
            getattr(self.ipr, method)(*args, **kwargs)
        except NetlinkError as exc:
            return exc.code
        return 0


def ipr_for(netns: str | None):  # type: ignore[no-untyped-def]
    """A pyroute2 IPRoute bound to `netns` (flags=0: never create a namespace by accident)."""
    from pyroute2 import IPRoute

    return IPRoute(netns=netns, flags=0) if netns else IPRoute()


def _v6_nodad(version: int) -> dict[str, int]:
    """IPv6 addresses we add skip duplicate address detection, like an administrator's `nodad`:
    the command has already decided the address is ours, and a tentative address has no local route."""
    return {"flags": 0x02} if version == 6 else {}  # IFA_F_NODAD


def apply(
    events: Iterable[Event], netns: str | None = None, interfaces: dict[int, Interface] | None = None
) -> list[KernelFailure]:
    """Carry out `events` (a host's journal) on the kernel; returns what the kernel refused."""
    applier = Applier(netns, interfaces or {})
    try:
        return applier.apply(events)
    finally:
        applier.close()
