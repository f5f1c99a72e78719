"""The daemon's decisions, pure: given what it believes the kernel holds, what to do about an event.

`Decider.on(event)` takes one decoded event (`events.py`) and returns the actions it calls for now;
`Decider.settle()`, once the event socket is drained, returns what the whole batch calls for. Nothing
here touches a socket, the clock or the log: the loop (`loop.py`) carries the actions out and reports
back (`interface_dumped`, `remember`, `Tally.sent`).

Every decision about whether and where a persistent route belongs is made by the pure core,
`keeper.reconcile`, on the mirror's small view, once per `RouteGroup`; the exception is the hot path,
an address coming back, decided by `fastpath.address_added_targets` (that same decision, specialised
to one change and checked against `reconcile` by the tests).
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from routekeeper.core.host import Host
from routekeeper.core.keeper import reconcile
from routekeeper.core.values import IP, PersistentRoute
from routekeeper.linux import codec
from routekeeper.linux.codec import KAddr, KLink, KRoute
from routekeeper.linux.keeper.events import (
    AddressAdded,
    AddressDeleted,
    EventsLost,
    KernelEvent,
    LinkChanged,
    LinkRemoved,
    RouteDeleted,
)
from routekeeper.linux.keeper.fastpath import address_added_targets, new_onlink_prefix
from routekeeper.linux.keeper.index import NexthopIndex, RouteGroup, group_routes, key_prefix, prefix_key
from routekeeper.linux.keeper.mirror import Mirror
from routekeeper.linux.keeper.view import additions

SMALL = 16  # up to this many messages are packed one by one (NumPy's set-up costs more below it)


# ---------------------------------------------------------------------------------------------- actions
@dataclass(slots=True)
class Install:
    """Send the members of `group` (or just `members`) that are not in the kernel yet, through `oif`.

    `reason` is only needed for the log, after the messages are out, so it may be a callable."""

    group: RouteGroup
    oif: int
    reason: str | Callable[[], str]
    members: list[tuple[int, int]] | None = None


@dataclass(frozen=True, slots=True)
class Remember:
    """Record an added address in the mirror: bookkeeping, done after the routes it brought are sent.

    `covered` is how many groups the fast path placed (None when it placed none): the loop logs it
    with the number of routes those installs sent."""

    addr: KAddr
    covered: int | None


@dataclass(frozen=True, slots=True)
class PromoteSecondaries:
    """--manage-promote-secondaries: a link appeared, set promote_secondaries=1 where it is 0."""


@dataclass(frozen=True, slots=True)
class Resync:
    """Dump everything and reconcile every group; `overflowed`: events were lost (enlarge the buffer)."""

    why: str
    overflowed: bool = False


@dataclass(frozen=True, slots=True)
class Verify:
    """Re-read the routes through one interface (`Mirror.interface_dumped` takes the answer)."""

    ifindex: int
    why: str


@dataclass(frozen=True, slots=True)
class ReconcileAll:
    """Install whatever is missing and reachable, for every group (`Decider.reconcile`)."""

    why: str


@dataclass(frozen=True, slots=True)
class Repair:
    """Put back routes of ours deleted by others: (version, gateway, prefix key) of each."""

    deleted: frozenset[tuple[int, int, int]]
    why: str


@dataclass(frozen=True, slots=True)
class Forgotten:
    """An interface went away: what was kept through it is gone (the loop logs it)."""

    ifindex: int
    why: str


@dataclass(frozen=True, slots=True)
class Rebind:
    """A link with a name routes are bound to came, went or was renamed: resolve the names again."""

    why: str


DaemonAction = (
    Rebind | Install | Remember | PromoteSecondaries | Resync | Verify | ReconcileAll | Repair | Forgotten
)


@dataclass
class Pending:
    """What the events of one drain of the socket call for, acted on once by `Decider.settle`."""

    verify: dict[int, str] = field(default_factory=dict)  # ifindex -> why
    refresh: dict[int, str] = field(default_factory=dict)  # ifindex -> why (something may be reachable)
    repair: set[tuple[int, int, int]] = field(default_factory=set)  # (version, gateway, prefix key)
    overflow: bool = False
    rebind: str | None = None  # why the interface names must be resolved again
    resync: str | None = None  # why the mirror's presence is in doubt (dump everything again)


# ---------------------------------------------------------------------------------------------- install plans
@dataclass(slots=True)
class Plan:
    """Which members of an `Install` to send: `single` one by one, or (`vector`) the group's columns,
    all of them or the indexes in `pick`."""

    single: list[tuple[int, int]]
    vector: bool = False
    pick: list[int] | None = None


@dataclass(slots=True)
class Tally:
    """What the sends of one install did, recorded batch by batch into the presence set `target`."""

    target: set[int]
    done: int = 0
    errors: dict[int, int] = field(default_factory=dict)  # errno -> count
    installed: list[tuple[int, int]] = field(default_factory=list)  # for one log line per route
    conflicts: list[int] = field(default_factory=list)  # prefix keys refused with EEXIST

    def sent(self, keys: list[int], first_seq: int, fails: dict[int, int]) -> None:
        """Record a sent batch: all of it present, but for the refusals. EEXIST is a conflict:
        another route holds the kernel's slot (IPv4: same prefix and metric), so ours is not in; it
        is listed in `conflicts`, to be taken back when the other goes."""
        self.target.update(keys)
        self.done += len(keys)
        for seq, err in fails.items():
            self.done -= 1
            self.target.discard(keys[seq - first_seq])
            if err == errno.EEXIST:
                self.conflicts.append(keys[seq - first_seq])
            else:
                self.errors[err] = self.errors.get(err, 0) + 1


# ---------------------------------------------------------------------------------------------- decider
class Decider:
    """The daemon's state (the store's routes, grouped; the mirror of the kernel) and its decisions."""

    def __init__(self, netns: str | None, manage_promote: bool) -> None:
        self.mirror = Mirror(netns)
        self.manage_promote = manage_promote
        self.groups: dict[tuple, RouteGroup] = {}
        self.index = NexthopIndex(())
        self.pending = Pending()
        self.bound_names: set[str] = set()
        self.sources: set[tuple[int, int]] = set()  # (version, address) of kept routes' sources
        self.attributed = False  # some group has a preferred source or onlink

    def load(
        self,
        routes: Iterable[PersistentRoute],
        bound_names: Iterable[str] = (),
        attributes: dict[tuple, tuple[int | None, bool]] | None = None,
    ) -> None:
        """The persistent routes to keep (the store's, parked ones left out); `bound_names`: the
        interface names they are bound to (a link by such a name changing calls for `Rebind`)."""
        self.bound_names = set(bound_names)
        self.groups = group_routes(routes, attributes)
        self.sources = {(g.version, g.prefsrc) for g in self.groups.values() if g.prefsrc is not None}
        self.attributed = any(g.onlink or g.prefsrc is not None for g in self.groups.values())
        self.index = NexthopIndex(self.groups.values())
        self.mirror.wanted = {k for g in self.groups.values() for k in g.keys}
        for g in self.groups.values():
            if len(g.members) > SMALL:
                g.arrays()  # now, not when the address comes back

    def route_count(self) -> int:
        return sum(len(g.members) for g in self.groups.values())

    # ------------------------------------------------------------------ events
    def on(self, event: KernelEvent) -> list[DaemonAction]:
        """What `event` calls for now (only the hot path acts at once); the rest goes to `pending`."""
        if type(event) is AddressAdded:
            return self._address_added(event.addr)
        if type(event) is LinkChanged:
            return self._link_changed(event.link)
        if type(event) is LinkRemoved:
            self._link_removed(event.link)
        elif type(event) is AddressDeleted:
            self._address_deleted(event.addr)
        elif type(event) is RouteDeleted:
            self._route_deleted(event.route)
        elif type(event) is EventsLost:
            self.pending.overflow = True
        return []

    def _address_added(self, a: KAddr) -> list[DaemonAction]:
        if any(x.ip == a.ip and x.length == a.length and x.ifindex == a.ifindex for x in self.mirror.addrs):
            return []  # a flags update (e.g. DAD done): nothing new is reachable
        if (a.version, a.ip) in self.sources:  # a kept route's preferred source is back
            self.pending.refresh[a.ifindex] = f"source address {IP(a.version, a.ip)} added"
        elif self.attributed:  # routes with src / onlink are placed by the slow path (`fast_path`)
            self.pending.refresh.setdefault(a.ifindex, f"address {IP(a.version, a.ip)}/{a.length} added")
        if self.pending.overflow:
            return [Remember(a, None)]
        actions = self.fast_path(a)
        if actions is None:
            self.pending.refresh[a.ifindex] = f"address {IP(a.version, a.ip)}/{a.length} added"
            return [Remember(a, None)]
        return actions

    def fast_path(self, a: KAddr) -> list[DaemonAction] | None:
        """The hot path: an address came (back); the routes it makes reachable, then `Remember`.

        Decided on the mirror as it was before the address (nothing is updated before the messages
        go out), building no core object: only next hops inside the new on-link prefix are looked
        at, through the index. None when it cannot decide (an interface it has not seen yet): the
        batch then reconciles everything the slow way."""
        links = self.mirror.links
        if a.ifindex not in links:
            return None
        prefix = new_onlink_prefix(a, links[a.ifindex], self.mirror.addrs)
        if prefix is None or not self.index.covered(*prefix):
            return [Remember(a, None)]
        m = self.mirror
        targets = address_added_targets(prefix, a.ifindex, links, m.addrs, m.onlink, self.index)
        actions: list[DaemonAction] = []
        for g, target in targets:
            if g.onlink or g.prefsrc is not None:
                continue  # attributes the prepared batches do not carry: the slow path places it

            def reason(g: RouteGroup = g, target: int = target) -> str:
                return (
                    f"keeper: re-plumbed, next hop {IP(g.version, g.nexthop)} is on-link on interface"
                    f" {target} (address {IP(a.version, a.ip)}/{a.length} added)"
                )

            actions.append(Install(g, target, reason))
        actions.append(Remember(a, len(targets)))
        return actions

    def remember(self, a: KAddr) -> None:
        self.mirror.add_address(a)

    def _link_changed(self, link: KLink) -> list[DaemonAction]:
        m = self.mirror
        m.drop_view()
        old = m.links.get(link.index)
        m.links[link.index] = link
        if (old is None or old.name != link.name) and (
            link.name in self.bound_names or (old is not None and old.name in self.bound_names)
        ):
            renamed = (
                f"interface {old.name} renamed {link.name}" if old else f"interface {link.name} appeared"
            )
            self.pending.rebind = self.pending.rebind or renamed
        if old is None:
            self.pending.refresh[link.index] = f"interface {link.name} appeared"
            return [PromoteSecondaries()] if self.manage_promote else []
        was_admin, is_admin = bool(old.flags & codec.IFF_UP), bool(link.flags & codec.IFF_UP)
        if was_admin and not is_admin:
            # Admin-down flushes every route through the device, silently for IPv4.
            m.forget_interface(link.index)
            self.pending.verify.setdefault(link.index, f"interface {link.name} set down")
        elif is_admin and not was_admin:
            self.pending.refresh[link.index] = f"interface {link.name} set up"
        elif old.carrier and not link.carrier:
            self.pending.verify.setdefault(link.index, f"interface {link.name} lost carrier")
        elif link.carrier and not old.carrier:
            self.pending.refresh[link.index] = f"interface {link.name} has carrier"
        return []

    def _link_removed(self, link: KLink) -> None:
        m = self.mirror
        m.drop_view()
        m.links.pop(link.index, None)
        m.addrs = [x for x in m.addrs if x.ifindex != link.index]
        if link.name in self.bound_names:
            self.pending.rebind = self.pending.rebind or f"interface {link.name} removed"
        self.pending.verify.setdefault(link.index, f"interface {link.name} removed")

    def _address_deleted(self, a: KAddr) -> None:
        m = self.mirror
        m.drop_view()
        m.addrs = [
            x for x in m.addrs if not (x.ip == a.ip and x.length == a.length and x.ifindex == a.ifindex)
        ]
        self.pending.verify.setdefault(a.ifindex, f"address {IP(a.version, a.ip)}/{a.length} deleted")
        if a.version == 4 and not any(x.version == 4 and x.ifindex == a.ifindex for x in m.addrs):
            # The last IPv4 address went: the kernel flushes the device's IPv4 routes.
            m.forget_oif(a.ifindex, 4)
            m.onlink = [r for r in m.onlink if not (r.oif == a.ifindex and r.version == 4)]

    def _route_deleted(self, r: KRoute) -> None:
        m = self.mirror
        if r.gateway == 0 and r.type == codec.RTN_UNICAST:
            m.onlink = [o for o in m.onlink if o.key != r.key]
            if r.proto != codec.RTPROT_KERNEL:  # the kernel's own are derived in the view
                m.drop_view()
        k = ((r.dst << 8 | r.dst_len) << 1) | (r.version == 6)
        for version, gateway in m.blocked.pop(k, ()):  # the route that held our slot went
            self.pending.repair.add((version, gateway, k))
        by_oif = m.present.get((r.version, r.gateway))
        keys = by_oif.get(r.oif) if by_oif else None
        if keys and k in keys:
            keys.discard(k)
            self.pending.repair.add((r.version, r.gateway, k))
        elif k in m.wanted and r.proto != codec.RTPROT_KERNEL and self.pending.resync is None:
            # Another daemon's route with a prefix we keep went. It may have replaced ours first
            # (NLM_F_REPLACE, as FRR's zebra does at equal metric: no RTM_DELROUTE for ours, and
            # RTM_NEWROUTE is filtered out), so what the mirror believes present is in doubt.
            self.pending.resync = f"a route with a kept prefix (proto {r.proto}) deleted by another process"

    def settle(self) -> list[DaemonAction]:
        """What the drained batch of events calls for, in order: re-reads, then one reconcile."""
        batch, self.pending = self.pending, Pending()
        if batch.overflow:
            return [Resync("events lost", overflowed=True)]
        if batch.resync:
            return [Rebind(batch.rebind)] * bool(batch.rebind) + [Resync(batch.resync)]
        actions: list[DaemonAction] = [Rebind(batch.rebind)] if batch.rebind else []
        for ifindex, why in batch.verify.items():
            if ifindex in self.mirror.links:
                actions.append(Verify(ifindex, why))
            else:
                self.mirror.forget_interface(ifindex)
                actions.append(Forgotten(ifindex, why))
        if batch.refresh or batch.verify or batch.rebind:
            reasons = list(batch.refresh.values()) + list(batch.verify.values())
            if batch.rebind and not reasons:
                reasons.append(batch.rebind)
            if batch.repair:
                reasons.append(f"{len(batch.repair)} routes deleted by others")
            actions.append(ReconcileAll("; ".join(reasons)))
        elif batch.repair:
            n = len(batch.repair)
            why = "deleted by another process" if n == 1 else f"{n} routes deleted by others"
            actions.append(Repair(frozenset(batch.repair), why))
        return actions

    # ------------------------------------------------------------------ the slow path
    def reconcile(self, why: str) -> Iterator[Install]:
        """Every missing member of every group whose next hop is reachable, group by group.

        A generator, to be carried out as it goes: the first routes reach the kernel while the rest
        are decided, and each decision sees what the installs before it recorded. The decision is
        one `keeper.reconcile` per group, on a representative (the view holds no gateway routes, so
        it is never "present" there)."""
        host = self.mirror.view()
        for g in self.groups.values():
            if not g.members:
                continue
            if g.onlink or g.prefsrc is not None:
                placed = self.place_attributed(g, host)
                if placed is not None:
                    yield Install(g, placed[0], f"{placed[1]} ({why})")
                continue
            if g.nexthop == 0:
                # On-link routes: a representative could be present as an on-link route of the view.
                for (network, length), k in zip(g.members, g.keys, strict=True):
                    if self.mirror.is_present(g, k):
                        continue
                    for action in additions(reconcile([g.representative(network, length)], host)):
                        assert action.operation.ifindex is not None
                        yield Install(
                            g, action.operation.ifindex, f"{action.reason} ({why})", [(network, length)]
                        )
                continue
            actions = additions(reconcile([g.representative(*g.members[0])], host))
            if actions:
                target = actions[0].operation.ifindex
                assert target is not None
                yield Install(g, target, f"{actions[0].reason} ({why})")

    def repair(self, deleted: Iterable[tuple[int, int, int]], why: str) -> Iterator[Install]:
        """Put back routes of ours deleted by others. Only the groups with that next hop are looked
        at, so a repair costs the same with ten routes in the store as with a million."""
        host = self.mirror.view()
        for version, gateway, k in deleted:
            for g in self.index.groups(version, gateway):
                if k not in g.keyset() or self.mirror.is_present(g, k):
                    continue
                network, length = key_prefix(k)
                if g.onlink or g.prefsrc is not None:
                    placed = self.place_attributed(g, host)
                    if placed is not None:
                        yield Install(g, placed[0], f"{placed[1]} ({why})", [(network, length)])
                    continue
                for action in additions(reconcile([g.representative(network, length)], host))[:1]:
                    assert action.operation.ifindex is not None
                    yield Install(
                        g, action.operation.ifindex, f"{action.reason} ({why})", [(network, length)]
                    )

    def place_attributed(self, g: RouteGroup, host: Host) -> tuple[int, str] | None:
        """Where a group with a preferred source or `onlink` goes now, and why; None while it waits.

        `onlink`: on its bound interface as soon as that is up (the kernel takes the gateway as
        on-link there; the core's reachability rule does not apply). A preferred source: where the
        core places it, once the source is an address of this host (else the kernel refuses it)."""
        links = self.mirror.links
        if g.onlink:
            link = links.get(g.ifindex) if g.ifindex is not None else None
            if link is None or not link.flags & codec.IFF_UP:
                return None
            target, why = link.index, f"keeper: re-plumbed onlink, interface {link.name} is up"
        else:
            actions = additions(reconcile([g.representative(*g.members[0])], host))
            if not actions or actions[0].operation.ifindex is None:
                return None
            target, why = actions[0].operation.ifindex, actions[0].reason
        if g.prefsrc is not None and not self.is_local(g.version, g.prefsrc):
            return None
        return target, why

    def is_local(self, version: int, ip: int) -> bool:
        return any(a.version == version and a.ip == ip for a in self.mirror.addrs)

    # ------------------------------------------------------------------ installs
    def plan(self, install: Install) -> tuple[Plan, Tally] | None:
        """Which members of `install` are missing, read from the mirror just before it is carried
        out: all of them after a flush (the usual case), found by set lookups otherwise. None when
        none is."""
        g = install.group
        sets = self.mirror.present_sets(g)
        tally = Tally(self.mirror.presence(g, install.oif))
        if install.members is not None:
            single = [m for m in install.members if not any(prefix_key(g.version, *m) in s for s in sets)]
            return (Plan(single), tally) if single else None
        pick: list[int] | None = None
        if sets:
            pick = [i for i, k in enumerate(g.keys) if not any(k in s for s in sets)]
            if len(pick) == len(g.keys):
                pick = None
            elif not pick:
                return None
        count = len(g.keys) if pick is None else len(pick)
        if count <= SMALL:
            return Plan(g.members if pick is None else [g.members[i] for i in pick]), tally
        return Plan([], vector=True, pick=pick), tally
