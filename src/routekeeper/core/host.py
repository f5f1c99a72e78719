"""One machine's stack: interfaces, addresses, the active table and the persistent store.

`Host.apply(operation)` validates first and mutates after, so a refused operation leaves the host
exactly as it was. Every mutation goes through one of the `_`-prefixed primitives below, each of which
records exactly one event. The profile (hotfix, prehotfix, linux) decides what an address or interface
change sets off; it sees the host only as a `HostView`, and asks for changes through the public
methods of the "behaviour helpers" section.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable
from dataclasses import replace

from routekeeper.core import operations as op
from routekeeper.core.events import Event, Kind
from routekeeper.core.operations import RefusalCode, Refused
from routekeeper.core.profiles import Profile, get_profile
from routekeeper.core.table.routes import RouteTable
from routekeeper.core.values import (
    IP,
    LOOPBACK_INDEX,
    Address,
    AddressStore,
    Interface,
    Origin,
    PersistentRoute,
    Prefix,
    Route,
    RouteKey,
    unspecified,
)

PKey = tuple[Prefix, IP, int | None]


def loopback_interface(profile: Profile) -> Interface:
    return Interface(
        index=LOOPBACK_INDEX,
        name=profile.loopback_name,
        description=profile.loopback_description,
        speed=1_000_000_000_000,
        loopback=True,
        mtu=profile.loopback_mtu,
    )


class Host:
    """A simulated host. Pure: no I/O, no clock; deterministic for a given operation sequence."""

    def __init__(self, profile: str | Profile = "hotfix", name: str = "host") -> None:
        self.name = name
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        self.interfaces: dict[int, Interface] = {}
        self.addresses: dict[int, list[Address]] = {}
        self.table = RouteTable()
        self.persistent: dict[PKey, PersistentRoute] = {}
        self.parked: set[PKey] = set()
        self._persistent_by_prefix: dict[Prefix, set[PKey]] = {}
        # Where an unbound persistent route last was: it goes back there if it can.
        self.last_placed: dict[PKey, int] = {}
        self.held: dict[RouteKey, Route] = {}
        self._plumbed: dict[PKey, RouteKey] = {}
        self._waiting: dict[IP, dict[PKey, PersistentRoute]] = {}
        self._held_by_nexthop: dict[IP, set[RouteKey]] = {}
        self._events: list[Event] = []
        # Manual routes without an interface binding, per interface (what the pre-hotfix stack
        # withdraws); built on first use so that restoring a full-table host does not pay for it.
        self._unbound: dict[int, set[RouteKey]] | None = None
        self.journal: list[Event] = []
        lo = loopback_interface(self.profile)
        self.interfaces[lo.index] = lo
        self.addresses[lo.index] = []
        for order, (ip, length) in enumerate(self.profile.loopback_addresses()):
            self.addresses[lo.index].append(Address(ip, length, lo.index, order=order))
        self.rederive(lo.index, reason="loopback")

    # ------------------------------------------------------------------ restoring stored state
    @classmethod
    def restore(
        cls,
        profile: str,
        name: str,
        interfaces: Iterable[Interface],
        addresses: Iterable[Address],
        active: Iterable[Route] | RouteTable,
        persistent: Iterable[tuple[PersistentRoute, bool, int | None]],
        held: Iterable[Route],
    ) -> Host:
        """Rebuild a host from what a backend stored, without re-deriving or emitting anything.

        `active` may be a ready table (a store builds it from columns); the host then owns it. Nothing
        here walks the whole table: the persistent routes come from a column mask, and the manual
        routes without an interface binding are indexed on first use (`unbound_routes`), so a
        full-table host restores in the time its table takes to build.
        """
        host = cls.__new__(cls)
        host.name = name
        host.profile = get_profile(profile)
        host.interfaces = {i.index: i for i in interfaces}
        by_interface: dict[int, list[Address]] = {i: [] for i in host.interfaces}
        for a in addresses:
            by_interface.setdefault(a.ifindex, []).append(a)
        host.addresses = {i: host.profile.arrange(lst) for i, lst in by_interface.items()}
        host.table = active if isinstance(active, RouteTable) else RouteTable(active)
        host.persistent, host.parked, host.last_placed = {}, set(), {}
        host._persistent_by_prefix = {}
        host.held, host._held_by_nexthop = {}, {}
        host._plumbed, host._waiting = {}, {}
        host._events = []
        host._unbound = None
        host.journal = []
        for p, parked, placed in persistent:
            host.persistent[p.key] = p
            host._persistent_by_prefix.setdefault(p.prefix, set()).add(p.key)
            if parked:
                host.parked.add(p.key)
            if placed is not None:
                host.last_placed[p.key] = placed
        for r in host.table.where(persistent=True, manual=True):
            pkey = host._pkey_of(r)
            if pkey is not None:
                host._plumbed[pkey] = r.key
        for pkey, p in host.persistent.items():
            if pkey not in host._plumbed and pkey not in host.parked:
                host._waiting.setdefault(p.nexthop, {})[pkey] = p
        for r in held:
            host._hold_index(r)
        return host

    def copy(self) -> Host:
        """An independent copy to try operations on (what-if, all-or-nothing commands, cluster
        rehearsals), rebuilt the way a store rebuilds a host; the journal is not copied."""
        persistent = [
            (p, p.key in self.parked, self.last_placed.get(p.key)) for p in self.persistent.values()
        ]
        return Host.restore(
            self.profile.name,
            self.name,
            self.interfaces.values(),
            self.all_addresses(),
            self.table.copy(),
            persistent,
            self.held.values(),
        )

    # ------------------------------------------------------------------ queries
    def interface(self, ifindex: int) -> Interface:
        try:
            return self.interfaces[ifindex]
        except KeyError:
            raise Refused(RefusalCode.NO_INTERFACE, f"no interface {ifindex}") from None

    def addresses_of(self, ifindex: int, version: int | None = None) -> list[Address]:
        return [a for a in self.addresses.get(ifindex, []) if version is None or a.ip.version == version]

    def all_addresses(self) -> list[Address]:
        return [a for lst in self.addresses.values() for a in lst]

    def is_local(self, ip: IP) -> bool:
        return any(a.ip == ip for a in self.all_addresses())

    def reachable(self, nexthop: IP, ifindex: int) -> bool:
        """Is `nexthop` (or on-link, when unspecified) usable on interface `ifindex`? The profile says."""
        if ifindex not in self.interfaces:
            return False
        return self.profile.reachable(self, nexthop, ifindex)

    def onlink_interfaces(self, nexthop: IP) -> list[int]:
        """Interfaces where `nexthop` is on-link, best (lowest interface metric, then index) first."""
        found = [i for i in self.interfaces if self.reachable(nexthop, i)]
        return sorted(found, key=lambda i: (self.interfaces[i].effective_metric, i))

    def cost(self, route: Route) -> int | None:
        iface = self.interfaces.get(route.ifindex)
        if iface is None or not iface.up:
            return None
        return route.metric + self.profile.interface_metric(iface)

    def lookup(self, ip: IP) -> Route | None:
        """Through the table's forwarding view: one winner kept per prefix, re-decided only where a
        route or an interface's cost changed (the same answers as `table.lookup(ip, self.cost)`)."""
        costs = {i: (self.profile.interface_metric(f) if f.up else None) for i, f in self.interfaces.items()}
        return self.table.forwarding(costs).lookup(ip)  # type: ignore[return-value]

    def source_address(self, route: Route) -> Address | None:
        """The address a route's traffic leaves from (the Interface column of `route print`)."""
        version = route.prefix.version
        if route.prefsrc is not None:
            for a in self.addresses_of(route.ifindex, version):
                if a.ip == route.prefsrc:
                    return a
        candidates = self.addresses_of(route.ifindex, version)
        if not candidates:
            return None
        for a in candidates:
            if route.prefix.length == route.prefix.bits and a.ip.value == route.prefix.network:
                return a
        if route.on_link:
            inside = [a for a in candidates if a.prefix.covers(route.prefix)]
            inside += [a for a in candidates if route.prefix.contains(a.ip)]
        else:
            inside = [a for a in candidates if a.prefix.contains(route.nexthop)]
        if version == 6:
            # A global destination prefers a global source; link-local only as a last resort.
            inside += [a for a in candidates if not a.ip.is_link_local] + candidates
        for pool in (inside, candidates):
            for a in pool:
                if not a.skipassource:
                    return a
        return (inside or candidates)[0]

    def manual_routes(self) -> list[Route]:
        return [r for r in self.table if r.manual]

    def has_manual(self, prefix: Prefix, nexthop: IP, ifindex: int | None) -> bool:
        """Is there a usable manual route for `prefix` via `nexthop` (on `ifindex`, if given)?

        Without `ifindex` (an unbound persistent route), a route that is the active copy of another,
        bound persistent route does not count: that one is a different route the administrator made.
        """
        for r in self.table.with_prefix(prefix):
            if not r.manual or r.nexthop != nexthop or not self.reachable(nexthop, r.ifindex):
                continue  # a stale route (the kernel keeps them) does not carry traffic
            if ifindex is not None:
                if r.ifindex == ifindex:
                    return True
            elif not (r.bound and (prefix, nexthop, r.ifindex) in self.persistent):
                return True
        return False

    def persistent_with_prefix(self, prefix: Prefix) -> list[PersistentRoute]:
        return [self.persistent[k] for k in self._persistent_by_prefix.get(prefix, ())]

    def waiting(self) -> list[PersistentRoute]:
        return [p for group in self._waiting.values() for p in group.values()]

    def is_plumbed(self, p: PersistentRoute) -> bool:
        return p.key in self._plumbed

    def plumbed_route(self, p: PersistentRoute) -> Route | None:
        key = self._plumbed.get(p.key)
        return self.table.get(key) if key is not None else None

    # ------------------------------------------------------------------ applying operations
    def apply(self, operation: op.Operation) -> list[Event]:
        """Carry out one operation; returns the events it caused (also appended to `journal`).

        Raises Refused, changing nothing.
        """
        self._events = []
        handler = getattr(self, "_op_" + type(operation).__name__)
        handler(operation)
        events, self._events = self._events, []
        self.journal.extend(events)
        return events

    def _op_AddInterface(self, o: op.AddInterface) -> None:
        iface = o.interface
        if iface.index in self.interfaces:
            raise Refused(RefusalCode.EXISTS, f"interface {iface.index} already exists")
        if any(i.name.lower() == iface.name.lower() for i in self.interfaces.values()):
            raise Refused(RefusalCode.EXISTS, f"interface name {iface.name!r} already in use")
        self.interfaces[iface.index] = iface
        self.addresses[iface.index] = []
        self._emit(Kind.INTERFACE_ADDED, "interface added", interface=iface)
        for ip, length in self.profile.initial_addresses(iface):
            self.add_address(ip, length, iface.index, "link-local address of the interface")
        self.rederive(iface.index, reason="interface added")

    def _op_SetInterface(self, o: op.SetInterface) -> None:
        old = self.interface(o.ifindex)
        changes: dict[str, object] = {}
        for name in ("connected", "enabled", "promote_secondaries", "mtu", "dhcp"):
            value = getattr(o, name)
            if value is not None:
                changes[name] = value
        if o.metric is not None:
            if not 1 <= o.metric <= 9999:
                raise Refused(RefusalCode.INVALID, f"interface metric {o.metric} out of range")
            changes["metric"] = o.metric
        if o.automatic_metric:
            changes["metric"] = None
        new = old.with_(**changes)
        if new == old:
            return
        self._set_interface(new, "interface settings changed")
        if old.enabled and not new.enabled:
            self.profile.on_admin_down(self, new)
        elif not old.enabled and new.enabled:
            self.profile.on_admin_up(self, new)
        if old.up and not new.up:
            self.profile.on_link_down(self, new)
        elif not old.up and new.up:
            self.profile.on_link_up(self, new)

    def _op_AddAddress(self, o: op.AddAddress) -> None:
        iface = self.interface(o.ifindex)
        bits = o.ip.bits
        if not 0 < o.length <= bits or o.ip.is_unspecified:
            raise Refused(RefusalCode.INVALID, f"invalid address {o.ip}/{o.length}")
        if any(a.ip == o.ip for a in self.addresses_of(iface.index)):
            raise Refused(RefusalCode.EXISTS, f"{o.ip} is already on interface {iface.index}")
        self.profile.validate_address(self, iface, o)
        order = self.profile.address_order(self, iface.index, o.ip, o.length)
        addr = Address(o.ip, o.length, iface.index, order, o.skipassource, o.store)
        self._add_address(addr, "added by administrator")
        self.rederive(iface.index, reason=f"address {addr} added")
        self.profile.on_address_added(self, iface, addr)

    def _op_DeleteAddress(self, o: op.DeleteAddress) -> None:
        iface = self.interface(o.ifindex)
        addr = next((a for a in self.addresses_of(iface.index) if a.ip == o.ip), None)
        if addr is None:
            raise Refused(RefusalCode.NOT_FOUND, f"{o.ip} is not on interface {iface.index}")
        self.profile.remove_address(self, iface, addr, "deleted by administrator")

    def _op_AddRoute(self, o: op.AddRoute) -> None:
        version = o.prefix.version
        if o.nexthop.version != version:
            raise Refused(RefusalCode.INVALID, "next hop family differs from destination")
        metric = o.metric if o.metric is not None else self.profile.default_metric(version)
        if not self.profile.metric_allowed(metric):
            raise Refused(RefusalCode.INVALID, f"metric {metric} out of range")
        if o.ifindex is not None:
            self.interface(o.ifindex)
        if o.nexthop.is_unspecified and o.ifindex is None:
            raise Refused(RefusalCode.INVALID, "an on-link route needs an interface")
        if not o.active:
            self._store_only(o, metric)
            return
        if o.ifindex is not None:
            ifindex = o.ifindex
            if not self.profile.accepts_nexthop(self, o.nexthop, ifindex, o.onlink):
                raise self.profile.unreachable(f"next hop {o.nexthop} is not on-link on interface {ifindex}")
        else:
            candidates = self.onlink_interfaces(o.nexthop)
            if not candidates:
                raise self.profile.unreachable(f"next hop {o.nexthop} is not on-link on any interface")
            ifindex = candidates[0]
        if o.prefsrc is not None and not self.is_local(o.prefsrc):
            raise Refused(RefusalCode.INVALID, f"preferred source {o.prefsrc} is not local")
        bound = o.ifindex is not None
        pkey: PKey = (o.prefix, o.nexthop, ifindex if bound else None)
        key: RouteKey = (o.prefix, ifindex, o.nexthop)
        if key in self.table:
            raise Refused(RefusalCode.EXISTS, f"{o.prefix} via {o.nexthop} already exists")
        if o.persistent and pkey in self.persistent:
            raise Refused(RefusalCode.EXISTS, f"{o.prefix} via {o.nexthop} is already persistent")
        route = Route(
            o.prefix,
            ifindex,
            o.nexthop,
            metric,
            o.origin,
            bound=bound,
            persistent=o.persistent or pkey in self.persistent,
            prefsrc=o.prefsrc,
            onlink_flag=o.onlink,
        )
        if o.persistent:
            self._persist(
                PersistentRoute(o.prefix, o.nexthop, metric, pkey[2], o.origin), "added by administrator"
            )
        self._release(key, "superseded by a new route")
        self._activate(route, Kind.ROUTE_ADDED, "added by administrator")

    def _store_only(self, o: op.AddRoute, metric: int) -> None:
        """A route for the persistent store alone (an imported registry entry): it waits there and is
        plumbed as soon as its next hop is on-link, now or later, like any persistent route."""
        if not o.persistent:
            raise Refused(RefusalCode.INVALID, "a route that is neither active nor persistent")
        p = PersistentRoute(o.prefix, o.nexthop, metric, o.ifindex, o.origin)
        if p.key in self.persistent:
            raise Refused(RefusalCode.EXISTS, f"{o.prefix} via {o.nexthop} is already persistent")
        self._persist(p, "stored by administrator")
        self.profile.plumb(self, None, "stored while its next hop is on-link")

    def _op_DeleteRoute(self, o: op.DeleteRoute) -> None:
        def matches(prefix: Prefix, nexthop: IP, ifindex: int | None) -> bool:
            return (
                prefix == o.prefix
                and (o.nexthop is None or nexthop == o.nexthop)
                and (o.ifindex is None or ifindex is None or ifindex == o.ifindex)
            )

        active = [
            r
            for r in self.table.with_prefix(o.prefix)
            if (r.manual or o.include_system) and matches(r.prefix, r.nexthop, r.ifindex)
        ]
        held = [r for r in self.held.values() if matches(r.prefix, r.nexthop, r.ifindex)]
        stored = [p for p in self.persistent_with_prefix(o.prefix) if matches(p.prefix, p.nexthop, p.ifindex)]
        if not ((o.active and (active or held)) or (o.persistent and stored)):
            raise Refused(RefusalCode.NOT_FOUND, f"no route {o.prefix} matches")
        if o.active:
            for r in active:
                self._deactivate(r, Kind.ROUTE_REMOVED, "deleted by administrator")
            for r in held:
                self._release(r.key, "deleted by administrator")
        if o.persistent:
            for p in stored:
                self._unpersist(p, "deleted by administrator")
        elif o.active:
            for p in stored:
                if p.key not in self.parked:
                    self._park(p, "deleted from the active table by administrator")

    def _op_ChangeRoute(self, o: op.ChangeRoute) -> None:
        found = [
            r
            for r in self.table.with_prefix(o.prefix)
            if r.manual
            and (o.ifindex is None or r.ifindex == o.ifindex)
            and (o.nexthop is None or r.nexthop == o.nexthop)
        ]
        if not found:
            raise Refused(RefusalCode.NOT_FOUND, f"no active route {o.prefix}")
        old = found[0]
        if o.new_metric is not None and not 0 <= o.new_metric <= 9999:
            raise Refused(RefusalCode.INVALID, f"metric {o.new_metric} out of range")
        nexthop = o.new_nexthop if o.new_nexthop is not None else old.nexthop
        metric = o.new_metric if o.new_metric is not None else old.metric
        if nexthop != old.nexthop:
            if nexthop.version != old.prefix.version or not self.reachable(nexthop, old.ifindex):
                raise Refused(RefusalCode.INVALID, f"next hop {nexthop} is not on-link")
            if (old.prefix, old.ifindex, nexthop) in self.table:
                raise Refused(RefusalCode.EXISTS, f"{old.prefix} via {nexthop} already exists")
        new = old.with_(nexthop=nexthop, metric=metric)
        old_pkey = self._pkey_of(old)
        if old.persistent and old_pkey in self.persistent:
            p = self.persistent[old_pkey]
            self._unpersist(p, "changed by administrator")
            self._persist(
                PersistentRoute(p.prefix, nexthop, metric, p.ifindex, p.origin),
                "changed by administrator",
            )
        if new.key != old.key:
            self._deactivate(old, Kind.ROUTE_REMOVED, "changed by administrator")
            self._activate(new, Kind.ROUTE_ADDED, "changed by administrator")
        else:
            self._replace(old, new, "changed by administrator")

    def _op_WithdrawRoute(self, o: op.WithdrawRoute) -> None:
        route = self.table.get((o.prefix, o.ifindex, o.nexthop))
        if route is None or not route.manual:
            raise Refused(RefusalCode.NOT_FOUND, f"no manual route {o.prefix} via {o.nexthop} on {o.ifindex}")
        self.withdraw(route, o.reason, hold=False)

    def _op_FlushGatewayRoutes(self, o: op.FlushGatewayRoutes) -> None:
        doomed = [
            r
            for r in list(self.table)
            if not r.on_link and (o.version is None or r.prefix.version == o.version)
        ]
        for r in doomed:
            self._deactivate(r, Kind.ROUTE_REMOVED, "flushed by route -f")
            pkey = self._pkey_of(r)
            if pkey is not None and pkey in self.persistent:
                self._park(self.persistent[pkey], "flushed by route -f until the next boot")
        for key in list(self.held):
            if o.version is None or key[0].version == o.version:
                self._release(key, "flushed by route -f")
        for group in list(self._waiting.values()):
            for p in list(group.values()):
                if not p.nexthop.is_unspecified and (o.version is None or p.prefix.version == o.version):
                    self._park(p, "flushed by route -f until the next boot")

    def _op_Reboot(self, o: op.Reboot) -> None:
        for key in list(self.held):
            self._release(key, "active-only routes do not survive a reboot")
        for r in list(self.table):
            self._deactivate(r, Kind.ROUTE_REMOVED, "reboot")
        self.last_placed.clear()  # a fresh boot places every route anew
        for ifindex in list(self.addresses):
            for a in list(self.addresses[ifindex]):
                if a.store is AddressStore.ACTIVE:
                    self._remove_address(a, "active-only addresses do not survive a reboot")
        for pkey in list(self.parked):
            self.parked.discard(pkey)
            p = self.persistent[pkey]
            self._waiting.setdefault(p.nexthop, {})[pkey] = p
        self._emit(Kind.REBOOTED, "host restarted")
        self.profile.on_reboot(self)
        for ifindex in sorted(self.interfaces):
            self.rederive(ifindex, reason="reboot")
        self.profile.plumb(self, None, "plumbed at boot")

    # ------------------------------------------------------------------ behaviour helpers
    def plumb_waiting(self, ifindex: int | None, cause: str) -> None:
        """Put back persistent routes whose next hop is reachable now.

        With `ifindex`, only routes that would land on that interface are considered.
        """
        for nexthop in list(self._waiting):
            for p in list(self._waiting.get(nexthop, {}).values()):
                if self.has_manual(p.prefix, p.nexthop, p.ifindex):
                    continue  # already there (e.g. put back bound by the keeper)
                target = self.placement(p)
                if target is None or (ifindex is not None and target != ifindex):
                    continue
                route = Route(
                    p.prefix,
                    target,
                    p.nexthop,
                    p.metric,
                    p.origin,
                    bound=p.ifindex is not None,
                    persistent=True,
                )
                self._activate(route, Kind.ROUTE_RESTORED, _restore_reason(route, cause))

    def restore_held(self, ifindex: int | None, cause: str) -> None:
        """Put back held active-only routes whose next hop is reachable again (on `ifindex`, if given)."""
        for nexthop in list(self._held_by_nexthop):
            for key in list(self._held_by_nexthop.get(nexthop, ())):
                r = self.held[key]
                if ifindex is not None and r.ifindex != ifindex:
                    continue
                if self.reachable(r.nexthop, r.ifindex) and key not in self.table:
                    self._release(key, "")
                    self._activate(r, Kind.ROUTE_RESTORED, _restore_reason(r, cause))

    def placement(self, p: PersistentRoute) -> int | None:
        """Where persistent route `p` belongs now: its bound interface if the next hop is reachable
        there, else where it last was if it can go back there, else the best interface where the next
        hop is on-link and the slot is free; None while it cannot be plumbed."""
        if p.ifindex is not None:
            candidates = [p.ifindex] if self.reachable(p.nexthop, p.ifindex) else []
        elif p.nexthop.is_unspecified:
            candidates = []
        else:
            candidates = self.onlink_interfaces(p.nexthop)
            last = self.last_placed.get(p.key)
            if last in candidates:
                candidates.remove(last)
                candidates.insert(0, last)
        for ifindex in candidates:
            if p.ifindex is None and (p.prefix, p.nexthop, ifindex) in self.persistent:
                continue  # a route bound to that interface by the administrator has the slot
            if (p.prefix, ifindex, p.nexthop) not in self.table:
                return ifindex
        return None

    def withdraw(self, route: Route, reason: str, hold: bool) -> None:
        """Take a manual route out of the active table, remembering it if `hold` and active-only."""
        self._deactivate(route, Kind.ROUTE_WITHDRAWN, reason)
        if hold and not route.persistent:
            self._hold(route, "kept to restore when its next hop is reachable again")

    def unreachable_routes(self, ifindex: int) -> list[Route]:
        """Manual routes on an interface whose next hop is no longer reachable there."""
        doomed = []
        for nexthop in self.table.nexthops_on(ifindex):
            if self.reachable(nexthop, ifindex):
                continue
            doomed.extend(r for r in self.table.via(nexthop, ifindex) if r.manual)
        return doomed

    def rederive(self, ifindex: int, reason: str) -> None:
        """Bring the system routes of one interface in line with its addresses (a diff, not a rebuild)."""
        iface = self.interfaces[ifindex]
        wanted = {r.key: r for r in self.profile.system_routes(self, iface)}
        # System routes are on-link: read them from the on-link index, never the whole interface.
        current_system = [
            r for version in (4, 6) for r in self.table.via(unspecified(version), ifindex) if not r.manual
        ]
        for r in current_system:
            if r.key not in wanted:
                self._deactivate(r, Kind.ROUTE_REMOVED, f"no longer derived: {reason}")
        for key, r in wanted.items():
            current = self.table.get(key)
            if current is None:
                self._activate(r, Kind.ROUTE_ADDED, f"derived: {reason}")
            elif current.origin is Origin.SYSTEM and current != r:
                self._replace(current, r, f"re-derived: {reason}")

    def remove_address(self, addr: Address, reason: str) -> None:
        """Take an address off its interface, and nothing else (the profile decides what follows)."""
        self._remove_address(addr, reason)

    def add_address(self, ip: IP, length: int, ifindex: int, reason: str) -> None:
        """Put an address the stack makes by itself (a link-local one) where the profile orders it."""
        order = self.profile.address_order(self, ifindex, ip, length)
        self._add_address(Address(ip, length, ifindex, order), reason)

    def renumber_address(self, addr: Address, order: int, reason: str) -> None:
        """Move an address within its interface's list (a secondary promoted to primary). Recorded as
        the address added again with its new order, as the kernel announces it (RTM_NEWADDR): a store
        applying the events writes the new order over the old."""
        self.addresses[addr.ifindex].remove(addr)
        self._add_address(replace(addr, order=order), reason)

    def add_system_route(self, route: Route, reason: str) -> None:
        """Add a route the stack derives outside `rederive` (Linux's ff00::/8 on an address add)."""
        self._activate(route, Kind.ROUTE_ADDED, reason)

    def drop_system_route(self, route: Route, reason: str) -> None:
        self._deactivate(route, Kind.ROUTE_REMOVED, reason)

    def replace_route(self, old: Route, new: Route, reason: str) -> None:
        self._replace(old, new, reason)

    # ------------------------------------------------------------------ primitives (one event each)
    def _emit(self, kind: Kind, reason: str, **payload: object) -> None:
        self._events.append(Event(kind, reason, **payload))  # type: ignore[arg-type]

    def _set_interface(self, new: Interface, reason: str) -> None:
        self.interfaces[new.index] = new
        self._emit(Kind.INTERFACE_CHANGED, reason, interface=new)

    def _add_address(self, addr: Address, reason: str) -> None:
        """Insert `addr` where its order puts it: each interface's list stays sorted by the profile's
        `address_key`, which is what `restore` rebuilds it with."""
        insort(self.addresses[addr.ifindex], addr, key=self.profile.address_key)
        self._emit(Kind.ADDRESS_ADDED, reason, address=addr)

    def _remove_address(self, addr: Address, reason: str) -> None:
        self.addresses[addr.ifindex].remove(addr)
        self._emit(Kind.ADDRESS_REMOVED, reason, address=addr)

    def unbound_routes(self, ifindex: int) -> list[Route]:
        """Active manual routes on an interface that were added without naming it (what the pre-hotfix
        stack withdraws). The index is built from the table's flags once, then kept up to date, so an
        address change costs what it affects, not the routes of the interface."""
        if self._unbound is None:
            self._unbound = {}
            for r in self.table.where(manual=True, bound=False):
                self._unbound.setdefault(r.ifindex, set()).add(r.key)
        return [r for k in self._unbound.get(ifindex, ()) if (r := self.table.get(k)) is not None]

    def _index_unbound(self, route: Route, present: bool) -> None:
        if self._unbound is None or not route.manual or route.bound:
            return
        group = self._unbound.setdefault(route.ifindex, set())
        if present:
            group.add(route.key)
        else:
            group.discard(route.key)
            if not group:
                del self._unbound[route.ifindex]

    def _activate(self, route: Route, kind: Kind, reason: str) -> None:
        self.table.add(route)
        self._index_unbound(route, True)
        pkey = self._pkey_of(route)
        if route.persistent and pkey is not None:
            self._plumbed[pkey] = route.key
            group = self._waiting.get(pkey[1])
            if group is not None:
                group.pop(pkey, None)
                if not group:
                    del self._waiting[pkey[1]]
        self._emit(kind, reason, route=route)

    def _deactivate(self, route: Route, kind: Kind, reason: str) -> None:
        self.table.remove(route.key)
        self._index_unbound(route, False)
        pkey = self._pkey_of(route)
        if route.persistent and pkey is not None and self._plumbed.get(pkey) == route.key:
            del self._plumbed[pkey]
            if not route.bound:
                self.last_placed[pkey] = route.ifindex
            if pkey in self.persistent and pkey not in self.parked:
                self._waiting.setdefault(pkey[1], {})[pkey] = self.persistent[pkey]
        self._emit(kind, reason, route=route)

    def _replace(self, old: Route, new: Route, reason: str) -> None:
        self.table.add(new)
        self._emit(Kind.ROUTE_CHANGED, reason, route=new, previous=old)

    def _persist(self, p: PersistentRoute, reason: str) -> None:
        self.persistent[p.key] = p
        self._persistent_by_prefix.setdefault(p.prefix, set()).add(p.key)
        self._waiting.setdefault(p.nexthop, {})[p.key] = p
        self._emit(Kind.PERSISTED, reason, persistent=p)

    def _unpersist(self, p: PersistentRoute, reason: str) -> None:
        del self.persistent[p.key]
        group = self._persistent_by_prefix[p.prefix]
        group.discard(p.key)
        if not group:
            del self._persistent_by_prefix[p.prefix]
        self.parked.discard(p.key)
        self.last_placed.pop(p.key, None)
        group = self._waiting.get(p.nexthop)
        if group is not None:
            group.pop(p.key, None)
            if not group:
                del self._waiting[p.nexthop]
        key = self._plumbed.pop(p.key, None)
        if key is not None and key in self.table:
            # The active copy stays (route delete removes it separately) but is no longer persistent.
            r = self.table.get(key)
            assert r is not None
            self._replace(r, r.with_(persistent=False), reason)
        self._emit(Kind.UNPERSISTED, reason, persistent=p)

    def _park(self, p: PersistentRoute, reason: str) -> None:
        self.parked.add(p.key)
        group = self._waiting.get(p.nexthop)
        if group is not None:
            group.pop(p.key, None)
            if not group:
                del self._waiting[p.nexthop]
        self._emit(Kind.PERSISTENT_PARKED, reason, persistent=p)

    def _hold(self, route: Route, reason: str) -> None:
        self._hold_index(route)
        self._emit(Kind.ROUTE_HELD, reason, route=route)

    def _hold_index(self, route: Route) -> None:
        self.held[route.key] = route
        self._held_by_nexthop.setdefault(route.nexthop, set()).add(route.key)

    def _release(self, key: RouteKey, reason: str) -> None:
        route = self.held.pop(key, None)
        if route is None:
            return
        group = self._held_by_nexthop[route.nexthop]
        group.discard(key)
        if not group:
            del self._held_by_nexthop[route.nexthop]
        self._emit(Kind.ROUTE_RELEASED, reason, route=route)

    @staticmethod
    def _pkey_of(route: Route) -> PKey | None:
        if not route.manual:
            return None
        return (route.prefix, route.nexthop, route.ifindex if route.bound else None)


def _restore_reason(route: Route, cause: str) -> str:
    if route.on_link:
        why = f"interface {route.ifindex} has an IPv{route.prefix.version} address"
    else:
        why = f"next hop {route.nexthop} on-link on interface {route.ifindex}"
    return f"{why} ({cause})"
