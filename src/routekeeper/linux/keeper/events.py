"""What the event socket tells the daemon, decoded: one small value per notification it acts on.

The decision (`decide.Decider.on`) takes these, not raw netlink, so that it can be tested by feeding
values; `decode` is the only place that knows which message types matter and how they parse.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr, KLink, KRoute


@dataclass(frozen=True, slots=True)
class AddressAdded:
    """RTM_NEWADDR: an address appeared (or its flags changed, e.g. DAD done)."""

    addr: KAddr


@dataclass(frozen=True, slots=True)
class AddressDeleted:
    """RTM_DELADDR."""

    addr: KAddr


@dataclass(frozen=True, slots=True)
class LinkChanged:
    """RTM_NEWLINK: a link appeared or changed (admin state, carrier, ...)."""

    link: KLink


@dataclass(frozen=True, slots=True)
class LinkRemoved:
    """RTM_DELLINK."""

    link: KLink


@dataclass(frozen=True, slots=True)
class RouteDeleted:
    """RTM_DELROUTE of a main-table route (any protocol: only ours lead to a repair)."""

    route: KRoute


@dataclass(frozen=True, slots=True)
class EventsLost:
    """ENOBUFS on the event socket: notifications were dropped, so the mirror cannot be trusted."""


KernelEvent = AddressAdded | AddressDeleted | LinkChanged | LinkRemoved | RouteDeleted | EventsLost


def decode(data: memoryview) -> Iterator[KernelEvent]:
    """The events in one datagram of the event socket, in order (messages that do not matter skipped)."""
    for mtype, _flags, _seq, start, end in codec.iter_messages(data):
        if mtype == codec.RTM_NEWADDR or mtype == codec.RTM_DELADDR:
            a = codec.parse_addr(data, start, end)
            if a is not None:
                yield AddressAdded(a) if mtype == codec.RTM_NEWADDR else AddressDeleted(a)
        elif mtype == codec.RTM_NEWLINK:
            yield LinkChanged(codec.parse_link(data, start, end))
        elif mtype == codec.RTM_DELLINK:
            yield LinkRemoved(codec.parse_link(data, start, end))
        elif mtype == codec.RTM_DELROUTE:
            r = codec.parse_route(data, start, end)
            if r is not None and r.table == codec.RT_TABLE_MAIN:
                yield RouteDeleted(r)
