"""The three behaviours a host can have when its addresses and links change.

- `hotfix` (default): Windows with the tcpip.sys fix. Only what depended on a removed address goes; a
  manual route leaves the active table only when its next hop stops being on-link, and comes back when
  it is on-link again.
- `prehotfix`: Windows before the fix. Removing any address from an interface withdraws every manual
  route on it that was added without an interface binding; persistent copies return when an address
  is added again, active-only ones are lost.
- `linux`: the kernel's rules (spec/linux.md): primary and secondary addresses, flush of a device's
  routes when it loses its last IPv4 address or goes admin-down, prefsrc routes, no re-validation of
  gateways and nothing ever put back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from routekeeper.core.events import Kind
from routekeeper.core.operations import RefusalCode
from routekeeper.core.values import IP, Address, Interface, Origin, Prefix, Route, unspecified

if TYPE_CHECKING:
    from routekeeper.core.host import Host
    from routekeeper.core.operations import AddAddress

SYSTEM_METRIC = 256
MULTICAST_V4 = Prefix(4, 0xE0000000, 4)
LIMITED_BROADCAST = Prefix(4, 0xFFFFFFFF, 32)
MULTICAST_V6 = Prefix(6, 0xFF << 120, 8)
LINK_LOCAL_V6 = Prefix(6, 0xFE80 << 112, 64)


class Profile:
    """Windows behaviour shared by `hotfix` and `prehotfix`; subclasses override what differs."""

    name = "windows"
    loopback_name = "Loopback Pseudo-Interface 1"
    loopback_description = "Software Loopback Interface 1"
    loopback_mtu = 4294967295
    restores_held = False
    honours_onlink = False
    unreachable_code = RefusalCode.INVALID
    wide_metrics = False

    def loopback_addresses(self) -> list[tuple[IP, int]]:
        return [(IP.parse("127.0.0.1"), 8), (IP.parse("::1"), 128)]

    def initial_addresses(self, iface: Interface) -> list[tuple[IP, int]]:
        """Addresses an interface gets by itself: the IPv6 link-local one from its MAC."""
        ll = iface.link_local()
        return [(ll, 64)] if ll is not None and not iface.loopback else []

    def default_metric(self, version: int) -> int:
        return 1

    def interface_metric(self, iface: Interface) -> int:
        return iface.effective_metric

    def validate_address(self, host: Host, iface: Interface, o: AddAddress) -> None:
        return None

    # -- derived routes ---------------------------------------------------------------------
    def system_routes(self, host: Host, iface: Interface) -> list[Route]:
        """On-link routes an interface's addresses imply (Windows rules, spec §2)."""
        routes: dict[tuple, Route] = {}

        def add(prefix: Prefix) -> None:
            r = Route(prefix, iface.index, unspecified(prefix.version), SYSTEM_METRIC, Origin.SYSTEM)
            routes.setdefault(r.key, r)

        for version in (4, 6):
            addrs = host.addresses_of(iface.index, version)
            for a in addrs:
                if a.length < a.ip.bits:
                    add(a.prefix)
                add(Prefix.host(a.ip))
                if version == 4 and a.length < 31:
                    add(Prefix.host(a.prefix.broadcast))
            if addrs:
                if version == 4:
                    add(MULTICAST_V4)
                    add(LIMITED_BROADCAST)
                else:
                    add(MULTICAST_V6)
        return list(routes.values())

    # -- reachability ----------------------------------------------------------------------
    def reachable(self, host: Host, nexthop: IP, ifindex: int) -> bool:
        addrs = host.addresses_of(ifindex, nexthop.version)
        if nexthop.is_unspecified:
            return bool(addrs)
        if nexthop.version == 6 and nexthop.is_link_local:
            return any(a.ip.is_link_local for a in addrs)
        return any(a.prefix.contains(nexthop) for a in addrs)

    # -- events ----------------------------------------------------------------------------
    def remove_address(self, host: Host, iface: Interface, addr: Address, reason: str) -> None:
        host.remove_address_plain(addr, reason)
        host.rederive(iface.index, f"address {addr} removed")
        self.after_address_removed(host, iface, addr)

    def after_address_removed(self, host: Host, iface: Interface, addr: Address) -> None:
        raise NotImplementedError

    def on_address_added(self, host: Host, iface: Interface, addr: Address) -> None:
        host.plumb_waiting(iface.index, f"address {addr} added on interface {iface.index}")

    def on_admin_down(self, host: Host, iface: Interface) -> None:
        return None

    def on_admin_up(self, host: Host, iface: Interface) -> None:
        return None

    def on_link_down(self, host: Host, iface: Interface) -> None:
        return None

    def on_link_up(self, host: Host, iface: Interface) -> None:
        return None

    def on_reboot(self, host: Host) -> None:
        return None


def _withdraw_unreachable(host: Host, iface: Interface, hold: bool) -> None:
    for r in host.unreachable_routes(iface.index):
        if r.on_link:
            why = f"interface {iface.index} has no IPv{r.prefix.version} address left"
        else:
            why = f"next hop {r.nexthop} no longer on-link on interface {iface.index}"
        host.withdraw(r, why, hold=hold)


class HotfixProfile(Profile):
    name = "hotfix"
    restores_held = True

    def after_address_removed(self, host: Host, iface: Interface, addr: Address) -> None:
        _withdraw_unreachable(host, iface, hold=True)
        # A persistent route not bound to an interface may still be reachable through another one.
        host.plumb_waiting(None, f"address {addr} removed from interface {iface.index}")


class PrehotfixProfile(Profile):
    name = "prehotfix"

    def after_address_removed(self, host: Host, iface: Interface, addr: Address) -> None:
        why = (
            f"address {addr.ip} removed from interface {iface.index}: the pre-hotfix stack "
            "withdraws every route not bound to an interface"
        )
        for r in sorted(host.unbound_routes(iface.index), key=lambda r: r.key):
            host.withdraw(r, why, hold=False)
        _withdraw_unreachable(host, iface, hold=False)


class LinuxProfile(Profile):
    """The Linux kernel (spec/linux.md). Interface metrics do not exist: route metric is all.

    Checked against a real kernel by tests/kernel/test_kernel_differential.py; the comments name the
    kernel functions each rule comes from (net/ipv4/devinet.c, fib_frontend.c, net/ipv6/addrconf.c).
    """

    name = "linux"
    loopback_name = "lo"
    loopback_description = "lo"
    loopback_mtu = 65536
    honours_onlink = True
    unreachable_code = RefusalCode.UNREACHABLE
    wide_metrics = True

    def default_metric(self, version: int) -> int:
        return 0 if version == 4 else 1024

    def interface_metric(self, iface: Interface) -> int:
        return 0

    def system_routes(self, host: Host, iface: Interface) -> list[Route]:
        routes: dict[tuple, Route] = {}
        idx = iface.index

        def add(prefix: Prefix, metric: int, kind: str, src: IP | None) -> None:
            r = Route(
                prefix, idx, unspecified(prefix.version), metric, Origin.SYSTEM,
                prefsrc=src, kind=kind,
            )  # fmt: skip
            routes.setdefault(r.key, r)

        # IPv4 (fib_add_ifaddr): every route an address implies names the subnet's primary as source,
        # the local route included; the local route exists even while the device is down.
        for a in host.addresses_of(idx, 4):
            primary = primary_of(host, a)
            add(Prefix.host(a.ip), 0, "local", primary.ip)
            if not iface.enabled:
                continue
            if iface.loopback and a.length < 32 and a is primary:
                add(a.prefix, 0, "local", a.ip)
            if a is primary and a.length < 31:
                add(Prefix.host(a.prefix.broadcast), 0, "broadcast", a.ip)
            if a is primary and a.length < 32 and not iface.loopback:
                add(a.prefix, 0, "unicast", a.ip)
        # IPv6 (addrconf): an address's local route exists as soon as the address is usable (no DAD
        # here), even on a down device; prefix routes need the device up; ff00::/8 is added when the
        # link becomes ready or an address is added on an up device, and stays until admin-down.
        v6 = host.addresses_of(idx, 6)
        for a in v6:
            add(Prefix.host(a.ip), 0, "local", None)
            if iface.enabled and a.length < 128:
                add(a.prefix, 256, "unicast", None)
        if iface.enabled and not iface.loopback and (iface.connected or _has_mroute(host, idx)):
            add(MULTICAST_V6, 256, "multicast", None)
        return list(routes.values())

    def reachable(self, host: Host, nexthop: IP, ifindex: int) -> bool:
        iface = host.interfaces[ifindex]
        if not iface.enabled:
            return False
        if nexthop.is_unspecified:
            return True
        if nexthop.version == 6 and nexthop.is_link_local:
            return True
        for r in host.table.via(unspecified(nexthop.version), ifindex):
            if r.kind == "unicast" and r.prefix.contains(nexthop):
                return True
        return False

    def remove_address(self, host: Host, iface: Interface, addr: Address, reason: str) -> None:
        removed = [addr]
        if addr.ip.version == 4:
            order, gone = _delete_order(host.addresses_of(iface.index, 4), addr, iface.promote_secondaries)
            removed += gone
        host.remove_address_plain(addr, reason)
        for a in removed[1:]:
            host.remove_address_plain(a, f"secondary of deleted primary {addr.ip} (promote_secondaries=0)")
        if addr.ip.version == 4:
            _set_order(host, iface.index, 4, order)
        host.rederive(iface.index, f"address {addr} removed")
        for a in removed:
            if not host.is_local(a.ip):
                _drop_prefsrc(host, a.ip)
        if addr.ip.version == 4 and not host.addresses_of(iface.index, 4):
            _flush(host, iface, 4, f"interface {iface.index} lost its last IPv4 address")

    def on_address_added(self, host: Host, iface: Interface, addr: Address) -> None:
        # The kernel never puts a flushed route back. It does keep its address list in an order of
        # its own (inet_insert_ifa: new primaries after the last primary, secondaries at the tail;
        # ipv6_link_dev_addr: by scope, global first, newest first), which decides the primary.
        lst = host.addresses_of(iface.index, addr.ip.version)
        lst.remove(addr)
        if addr.ip.version == 4:
            if any(a.prefix == addr.prefix for a in lst):
                lst.append(addr)
            else:
                primaries = [n for n, a in enumerate(lst) if primary_of(host, a) is a]
                lst.insert(primaries[-1] + 1 if primaries else 0, addr)
        else:
            scope = _v6_scope(addr.ip)
            at = next((n for n, a in enumerate(lst) if scope >= _v6_scope(a.ip)), len(lst))
            lst.insert(at, addr)
        _set_order(host, iface.index, addr.ip.version, lst)
        if (
            addr.ip.version == 6
            and iface.enabled
            and not iface.loopback
            and not _has_mroute(host, iface.index)
        ):
            # addrconf_add_dev: adding an address on an up device installs the multicast route.
            # Host offers no public "add a system route" primitive; _activate is the one that records
            # the event, exactly as _rederive would.
            host._activate(
                Route(MULTICAST_V6, iface.index, unspecified(6), 256, Origin.SYSTEM, kind="multicast"),
                Kind.ROUTE_ADDED,
                f"derived: address {addr} added",
            )

    def on_admin_down(self, host: Host, iface: Interface) -> None:
        _flush(host, iface, 4, f"interface {iface.index} set administratively down")
        for a in host.addresses_of(iface.index, 6):
            host.remove_address_plain(a, f"interface {iface.index} set administratively down")
        _flush(host, iface, 6, f"interface {iface.index} set administratively down")
        host.rederive(iface.index, "interface down")

    def on_admin_up(self, host: Host, iface: Interface) -> None:
        host.rederive(iface.index, "interface up")

    def on_link_up(self, host: Host, iface: Interface) -> None:
        # addrconf_dev_config runs when the link becomes ready (up and with carrier): the link-local
        # address and ff00::/8 appear then, not at admin-up on a link without carrier.
        for ip, length in self.initial_addresses(iface):
            if not any(a.ip == ip for a in host.addresses_of(iface.index, 6)):
                host.add_address_plain(ip, length, iface.index, "link-local address on link up")
                lst = host.addresses_of(iface.index, 6)
                added = lst.pop()
                at = next((n for n, a in enumerate(lst) if _v6_scope(added.ip) >= _v6_scope(a.ip)), len(lst))
                lst.insert(at, added)
                _set_order(host, iface.index, 6, lst)
        host.rederive(iface.index, "link ready")


def _v6_scope(ip: IP) -> int:
    """ipv6_addr_src_scope, as far as the order of a device's addresses needs it."""
    if ip.value == 1:
        return 0x1
    return 0x2 if ip.is_link_local else 0xE


def _has_mroute(host: Host, ifindex: int) -> bool:
    return (MULTICAST_V6, ifindex, unspecified(6)) in host.table


def _set_order(host: Host, ifindex: int, version: int, ordered: list[Address]) -> None:
    """Rewrite one family's part of an interface's address list in the given order (IPv4 first)."""
    others = [a for a in host.addresses[ifindex] if a.ip.version != version]
    host.addresses[ifindex][:] = ordered + others if version == 4 else others + ordered


def _delete_order(v4: list[Address], addr: Address, promote: bool) -> tuple[list[Address], list[Address]]:
    """__inet_del_ifa: the IPv4 list after deleting `addr`, and the secondaries that go with it.

    Deleting a primary takes its secondaries (same prefix) unless promote_secondaries is set; then
    the first of them becomes primary and moves to just after the last primary met on the way.
    """
    gone: list[Address] = []
    prefix = addr.prefix
    is_primary = next(a for a in v4 if a.prefix == prefix) is addr
    promoted: Address | None = None
    last_primary: Address | None = None
    skipped: Address | None = None
    seen: set[Prefix] = {a.prefix for a in v4[: v4.index(addr) + 1]}
    if is_primary:
        for a in v4[v4.index(addr) + 1 :]:
            primary = a.prefix not in seen
            seen.add(a.prefix)
            if primary:
                last_primary = a
            if primary or a.prefix != prefix:
                skipped = a
                continue
            if not promote:
                gone.append(a)
            else:
                promoted = a
                break
    position = v4.index(addr)
    order = [a for a in v4 if a is not addr and a not in gone]
    if promoted is not None and skipped is not None:
        order.remove(promoted)
        at = order.index(last_primary) + 1 if last_primary is not None else position
        order.insert(at, promoted)
    return order, gone


def primary_of(host: Host, addr: Address) -> Address:
    """The kernel's primary for `addr`: the first IPv4 address of its subnet on its interface."""
    for a in host.addresses_of(addr.ifindex, 4):
        if a.prefix == addr.prefix:
            return a
    return addr


def _flush(host: Host, iface: Interface, version: int, why: str) -> None:
    """The kernel's silent flush: every route of a family through the device goes (IPv4 keeps its
    host-scope local routes: fib_sync_down_dev spares RT_SCOPE_NOWHERE next hops unless forced, and
    when forced no address, hence no local route, is left)."""
    for r in host.table.on_interface(iface.index):
        if r.prefix.version != version or (version == 4 and r.kind == "local"):
            continue
        if r.manual:
            host.withdraw(r, f"kernel flush: {why}", hold=False)
        elif version == 6:
            host.drop_system_route(r, f"kernel flush: {why}")


def _drop_prefsrc(host: Host, ip: IP) -> None:
    """An IPv4 route whose preferred source is no longer local anywhere is deleted (fib_sync_down_addr);
    an IPv6 one keeps existing with its source cleared."""
    for r in host.table.with_prefsrc(ip):
        if not r.manual:
            continue
        if ip.version == 4:
            host.withdraw(r, f"preferred source {ip} is no longer a local address", hold=False)
        else:
            host.replace_route(r, r.with_(prefsrc=None), f"preferred source {ip} deleted: cleared")


PROFILES: dict[str, type[Profile]] = {
    "hotfix": HotfixProfile,
    "prehotfix": PrehotfixProfile,
    "linux": LinuxProfile,
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]()
    except KeyError:
        raise ValueError(f"unknown profile {name!r} (choose hotfix, prehotfix or linux)") from None
