"""Linux: the kernel's rules (spec/linux.md).

Primary and secondary addresses, flush of a device's routes when it loses its last IPv4 address or
goes admin-down, prefsrc routes, no re-validation of gateways and nothing ever put back. Interface
metrics do not exist: route metric is all.

Checked against a real kernel by tests/linux/test_differential.py; the comments name the kernel
functions each rule comes from (net/ipv4/devinet.c, fib_frontend.c, net/ipv6/addrconf.c).
"""

from __future__ import annotations

from dataclasses import replace

from routekeeper.core.operations import RefusalCode, Refused
from routekeeper.core.profiles.base import MULTICAST_V6, HostView, Profile
from routekeeper.core.values import IP, Address, Interface, Origin, Prefix, Route, unspecified

# The kernel keeps a device's IPv4 addresses as its primaries (in the order each became primary) and
# then its secondaries (in the order they were added). A secondary's `order` is at least this, a
# primary's below it, so that sorting by `order` gives that list; see `LinuxProfile.address_order`.
SECONDARY_ORDER = 1 << 32


class LinuxProfile(Profile):
    """The Linux kernel (spec/linux.md)."""

    name = "linux"
    loopback_name = "lo"
    loopback_description = "lo"
    loopback_mtu = 65536

    def default_metric(self, version: int) -> int:
        return 0 if version == 4 else 1024

    def metric_allowed(self, metric: int) -> bool:
        return True  # a 32-bit priority; nothing a command can give is out of range

    def interface_metric(self, iface: Interface) -> int:
        return 0

    def unreachable(self, message: str) -> Refused:
        return Refused(RefusalCode.UNREACHABLE, message)

    # -- the kernel's address order ------------------------------------------------------------
    def address_order(self, host: HostView, ifindex: int, ip: IP, length: int) -> int:
        """inet_insert_ifa: a new primary goes after the last primary, a secondary at the tail;
        ipv6_link_dev_addr: by scope (global first), newest first within a scope."""
        if ip.version == 4:
            v4 = host.addresses_of(ifindex, 4)
            if any(a.prefix == Prefix.of(ip, length) for a in v4):
                return 1 + max(SECONDARY_ORDER - 1, *(a.order for a in v4))
            return _next_primary_order(host, ifindex)
        scope = _v6_scope(ip)
        same = [a.order for a in host.addresses_of(ifindex, 6) if _v6_scope(a.ip) == scope]
        return min(same) - 1 if same else 0

    def address_key(self, addr: Address) -> tuple[int, ...]:
        if addr.ip.version == 4:
            return (4, addr.order)
        return (6, -_v6_scope(addr.ip), addr.order)

    def arrange(self, addresses: list[Address]) -> list[Address]:
        """Also takes addresses numbered in list order alone (a kernel dump, an older state file):
        an IPv4 address that is not the first of its subnet is a secondary and is numbered as one."""
        seen: set[Prefix] = set()
        v4 = []
        for a in sorted((a for a in addresses if a.ip.version == 4), key=lambda a: a.order):
            if a.prefix in seen and a.order < SECONDARY_ORDER:
                a = replace(a, order=a.order + SECONDARY_ORDER)
            seen.add(a.prefix)
            v4.append(a)
        return sorted(v4 + [a for a in addresses if a.ip.version == 6], key=self.address_key)

    # -- derived routes ---------------------------------------------------------------------
    def system_routes(self, host: HostView, iface: Interface) -> list[Route]:
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

    # -- reachability ----------------------------------------------------------------------
    def reachable(self, host: HostView, nexthop: IP, ifindex: int) -> bool:
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

    def accepts_nexthop(self, host: HostView, nexthop: IP, ifindex: int, onlink: bool) -> bool:
        """`onlink` (RTNH_F_ONLINK) is taken at its word on an up device."""
        if onlink and host.interfaces[ifindex].enabled:
            return True
        return self.reachable(host, nexthop, ifindex)

    # -- events ----------------------------------------------------------------------------
    def remove_address(self, host: HostView, iface: Interface, addr: Address, reason: str) -> None:
        """__inet_del_ifa: deleting a primary takes its secondaries, unless promote_secondaries is set;
        then the first of them becomes primary, after the last primary."""
        removed = [addr]
        promoted: Address | None = None
        if addr.ip.version == 4 and primary_of(host, addr) is addr:
            mates = [
                a for a in host.addresses_of(iface.index, 4) if a.prefix == addr.prefix and a is not addr
            ]
            if iface.promote_secondaries:
                promoted = mates[0] if mates else None
            else:
                removed += mates
        host.remove_address(addr, reason)
        for a in removed[1:]:
            host.remove_address(a, f"secondary of deleted primary {addr.ip} (promote_secondaries=0)")
        if promoted is not None:
            host.renumber_address(
                promoted,
                _next_primary_order(host, iface.index, without=promoted),
                f"promoted to primary: primary {addr.ip} deleted (promote_secondaries=1)",
            )
        host.rederive(iface.index, f"address {addr} removed")
        for a in removed:
            if not host.is_local(a.ip):
                _drop_prefsrc(host, a.ip)
        if addr.ip.version == 4 and not host.addresses_of(iface.index, 4):
            _flush(host, iface, 4, f"interface {iface.index} lost its last IPv4 address")

    def on_address_added(self, host: HostView, iface: Interface, addr: Address) -> None:
        # The kernel never puts a flushed route back.
        if (
            addr.ip.version == 6
            and iface.enabled
            and not iface.loopback
            and not _has_mroute(host, iface.index)
        ):
            # addrconf_add_dev: adding an address on an up device installs the multicast route.
            host.add_system_route(
                Route(MULTICAST_V6, iface.index, unspecified(6), 256, Origin.SYSTEM, kind="multicast"),
                f"derived: address {addr} added",
            )

    def on_admin_down(self, host: HostView, iface: Interface) -> None:
        _flush(host, iface, 4, f"interface {iface.index} set administratively down")
        for a in host.addresses_of(iface.index, 6):
            host.remove_address(a, f"interface {iface.index} set administratively down")
        _flush(host, iface, 6, f"interface {iface.index} set administratively down")
        host.rederive(iface.index, "interface down")

    def on_admin_up(self, host: HostView, iface: Interface) -> None:
        host.rederive(iface.index, "interface up")

    def on_link_up(self, host: HostView, iface: Interface) -> None:
        # addrconf_dev_config runs when the link becomes ready (up and with carrier): the link-local
        # address and ff00::/8 appear then, not at admin-up on a link without carrier.
        for ip, length in self.initial_addresses(iface):
            if not any(a.ip == ip for a in host.addresses_of(iface.index, 6)):
                host.add_address(ip, length, iface.index, "link-local address on link up")
        host.rederive(iface.index, "link ready")


def primary_of(host: HostView, addr: Address) -> Address:
    """The kernel's primary for `addr`: the first IPv4 address of its subnet on its interface."""
    for a in host.addresses_of(addr.ifindex, 4):
        if a.prefix == addr.prefix:
            return a
    return addr


def _next_primary_order(host: HostView, ifindex: int, without: Address | None = None) -> int:
    """The order that puts an address after every primary of the interface (and before its
    secondaries, which are numbered from SECONDARY_ORDER)."""
    primaries = [
        a.order for a in host.addresses_of(ifindex, 4) if a is not without and primary_of(host, a) is a
    ]
    return 1 + max(primaries, default=0)


def _v6_scope(ip: IP) -> int:
    """ipv6_addr_src_scope, as far as the order of a device's addresses needs it."""
    if ip.value == 1:
        return 0x1
    return 0x2 if ip.is_link_local else 0xE


def _has_mroute(host: HostView, ifindex: int) -> bool:
    return (MULTICAST_V6, ifindex, unspecified(6)) in host.table


def _flush(host: HostView, iface: Interface, version: int, why: str) -> None:
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


def _drop_prefsrc(host: HostView, ip: IP) -> None:
    """An IPv4 route whose preferred source is no longer local anywhere is deleted (fib_sync_down_addr);
    an IPv6 one keeps existing with its source cleared."""
    for r in host.table.with_prefsrc(ip):
        if not r.manual:
            continue
        if ip.version == 4:
            host.withdraw(r, f"preferred source {ip} is no longer a local address", hold=False)
        else:
            host.replace_route(r, r.with_(prefsrc=None), f"preferred source {ip} deleted: cleared")
