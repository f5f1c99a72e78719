"""What the daemon believes the kernel holds: links, addresses, on-link routes, and which of the
wanted prefixes are present, by next hop and interface.

Kept up to date from dumps and events, never by asking the kernel per decision. The presence index is
shaped like the questions asked of it: "which members of this group are missing" is a set operation,
and forgetting what a flush took from one interface costs one dictionary entry per next hop, not one
per route.
"""

from __future__ import annotations

from collections.abc import Iterable

from routekeeper.core.host import Host
from routekeeper.core.operations import AddAddress, Refused
from routekeeper.core.values import IP
from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr, KLink, KRoute
from routekeeper.linux.keeper.index import RouteGroup
from routekeeper.linux.keeper.view import build_view


class Mirror:
    """The kernel as last seen, plus the core view decisions are made on (cached)."""

    def __init__(self, netns: str | None) -> None:
        self.netns = netns
        self.links: dict[int, KLink] = {}
        self.addrs: list[KAddr] = []
        self.onlink: list[KRoute] = []  # on-link unicast routes of the main table: reachability
        self.wanted: set[int] = set()  # prefix keys of persistent routes
        # (version, gateway) -> oif -> prefix keys of the wanted prefixes the kernel holds (any
        # protocol but the kernel's).
        self.present: dict[tuple[int, int], dict[int, set[int]]] = {}
        # oif -> prefix keys the kernel took from it since the loop last asked (`take_flushed`):
        # what the log and journal report as flushed.
        self.flushed: dict[int, set[int]] = {}
        # prefix key -> (version, gateway) of kept routes the kernel refused with EEXIST: another
        # route holds the slot; its RTM_DELROUTE calls for a repair.
        self.blocked: dict[int, set[tuple[int, int]]] = {}
        self._view: Host | None = None

    # ------------------------------------------------------------------ dumps
    def replace(self, links: Iterable[KLink], addrs: list[KAddr], routes: Iterable[KRoute]) -> None:
        """A full dump: everything is as the kernel says."""
        self.links = {link.index: link for link in links}
        self.addrs = addrs
        self.index_routes(routes)

    def index_routes(self, routes: Iterable[KRoute], oif: int | None = None) -> None:
        """Refresh the presence index and on-link list from a dump (of everything, or of one interface)."""
        self._view = None
        if oif is None:
            self.present = {}
            self.onlink = []
        else:
            self.onlink = [r for r in self.onlink if r.oif != oif]
            before = self.keys_on(oif)
            self.forget_oif(oif, counted=False)
        wanted, present = self.wanted, self.present
        for r in routes:
            if r.gateway == 0 and r.type == codec.RTN_UNICAST and r.table == codec.RT_TABLE_MAIN:
                self.onlink.append(r)
            if r.proto == codec.RTPROT_KERNEL:
                continue
            k = ((r.dst << 8 | r.dst_len) << 1) | (r.version == 6)
            if k in wanted:
                present.setdefault((r.version, r.gateway), {}).setdefault(r.oif, set()).add(k)
        if oif is not None:
            gone = before - self.keys_on(oif)
            if gone:
                self.flushed.setdefault(oif, set()).update(gone)

    def keys_on(self, oif: int) -> set[int]:
        """The wanted prefixes believed present through `oif` (any next hop)."""
        found: set[int] = set()
        for by_oif in self.present.values():
            found |= by_oif.get(oif, set())
        return found

    def take_flushed(self, oif: int) -> set[int]:
        """What the kernel took from `oif` since last asked, less what is back (for the log)."""
        gone = self.flushed.pop(oif, set())
        return gone - self.keys_on(oif) if gone else gone

    def interface_dumped(self, ifindex: int, routes: Iterable[KRoute]) -> None:
        """The routes through one interface, re-read because the kernel tells nothing about a flush.

        The dump may run while the kernel is still flushing (the address notification is sent
        before the flush), so what the kernel's rules say is gone stays gone whatever it shows."""
        link = self.links.get(ifindex)
        self.index_routes(routes, oif=ifindex)
        if link is None or not link.flags & codec.IFF_UP:
            self.forget_oif(ifindex)
        elif not any(a.version == 4 and a.ifindex == ifindex for a in self.addrs):
            self.forget_oif(ifindex, 4)

    # ------------------------------------------------------------------ what the kernel dropped
    def forget_oif(self, oif: int, version: int | None = None, counted: bool = True) -> None:
        """Drop what the mirror believes is present through `oif` (the kernel flushed it; `counted`:
        remember it in `flushed`, for the log)."""
        for (v, _gw), by_oif in self.present.items():
            if version is None or v == version:
                gone = by_oif.pop(oif, None)
                if gone and counted:
                    self.flushed.setdefault(oif, set()).update(gone)

    def forget_interface(self, oif: int) -> None:
        """The interface is gone or down: nothing goes through it any more."""
        self.forget_oif(oif)
        self.onlink = [r for r in self.onlink if r.oif != oif]

    # ------------------------------------------------------------------ presence
    def present_sets(self, g: RouteGroup) -> list[set[int]]:
        """The presence sets a member of `g` may be found in: its bound interface's, or any."""
        by_oif = self.present.get((g.version, g.nexthop))
        if not by_oif:
            return []
        if g.ifindex is not None:
            s = by_oif.get(g.ifindex)
            return [s] if s else []
        return [s for s in by_oif.values() if s]

    def is_present(self, g: RouteGroup, key: int) -> bool:
        return any(key in s for s in self.present_sets(g))

    def presence(self, g: RouteGroup, oif: int) -> set[int]:
        """The set that members of `g` sent through `oif` are recorded in."""
        return self.present.setdefault((g.version, g.nexthop), {}).setdefault(oif, set())

    # ------------------------------------------------------------------ the core view
    def view(self) -> Host:
        """The small core Host the slow path decides on (see `view.build_view`).

        Cached: an added address is applied to it as a core operation, after the routes it brought
        back are sent; anything else that changes links, addresses or on-link routes drops it, and it
        is rebuilt while idle, after the events are handled."""
        if self._view is None:
            self._view = build_view(self.links.values(), self.addrs, self.onlink, self.netns)
        return self._view

    def drop_view(self) -> None:
        self._view = None

    def warm_view(self) -> None:
        """Build the view now, while idle: the next address event then costs no rebuild."""
        if self._view is None:
            self.view()

    def add_address(self, a: KAddr) -> None:
        """Record an added address, and apply it to the cached view as the core operation it is."""
        self.addrs.append(a)
        if self._view is None:
            return
        try:
            self._view.apply(AddAddress(a.ifindex, IP(a.version, a.ip), a.length))
        except Refused:
            self._view = None
