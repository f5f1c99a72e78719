"""Checks on what an administrator gives a cluster: names, adapters, IP Address resource properties.

Each check raises ClusterRefused with a clear reason, before anything is changed; none reads more
of the cluster than it is handed.
"""

from __future__ import annotations

from collections.abc import Iterable

from routekeeper.core.cluster.errors import ClusterError, ClusterRefused
from routekeeper.core.cluster.members import IPProperties, IPResource, Network, Node
from routekeeper.core.numbers import ascii_int
from routekeeper.core.values import Prefix, mask_length

NAME_FORBIDDEN = set('/,=\\"')


def check_name(name: str, what: str) -> None:
    """Cluster and node names are single words that cluster.exe's own syntax cannot misread."""
    if not name or name != name.strip() or any(c in NAME_FORBIDDEN or c.isspace() for c in name):
        raise ClusterRefused(
            ClusterError.INVALID_PARAMETER,
            f'invalid {what} name {name!r}: no spaces, and none of / , = \\ "',
        )


def resolve_adapter(node: Node, adapter: int | str) -> int:
    """The interface index of `adapter` (an index, or an interface name, any case) on `node`'s host."""
    host = node.host
    index = adapter if isinstance(adapter, int) else ascii_int(adapter, 2**32 - 1)
    if index is not None:  # only ASCII digits make an index ('²' and '١١' are names, and not found)
        if index not in host.interfaces:
            raise ClusterRefused(ClusterError.INVALID_PARAMETER, f"node {node.name} has no interface {index}")
        return index
    for iface in host.interfaces.values():
        if iface.name.lower() == adapter.lower():
            return iface.index
    raise ClusterRefused(
        ClusterError.INVALID_PARAMETER, f"node {node.name} has no interface named {adapter!r}"
    )


def validate_properties(
    p: IPProperties, net: Network, resources: Iterable[IPResource], resource: str | None
) -> None:
    """Clear errors for private properties that cannot work on network `net`, given the cluster's
    `resources` (`resource` names the one being changed, None for a new one)."""
    bad = ClusterError.INVALID_PARAMETER
    if p.enable_dhcp not in (0, 1):
        raise ClusterRefused(bad, f"EnableDhcp must be 0 or 1, not {p.enable_dhcp}")
    if p.enable_dhcp == 1:
        raise ClusterRefused(
            bad,
            "EnableDhcp=1 (an address leased from DHCP) is not simulated: give Address and SubnetMask",
        )
    if p.enable_netbios not in (0, 1, 2):
        raise ClusterRefused(bad, f"EnableNetBIOS must be 0, 1 or 2, not {p.enable_netbios}")
    if p.override_address_match not in (0, 1):
        raise ClusterRefused(bad, f"OverrideAddressMatch must be 0 or 1, not {p.override_address_match}")
    if p.address.version != 4 or p.subnet_mask.version != 4:
        raise ClusterRefused(bad, "Address and SubnetMask must be IPv4")
    try:
        length = mask_length(p.subnet_mask)
    except ValueError:
        raise ClusterRefused(bad, f"SubnetMask {p.subnet_mask} is not a contiguous mask") from None
    if length == 0:
        raise ClusterRefused(bad, "SubnetMask 0.0.0.0 is not a usable mask")
    first = p.address.value >> 24
    if p.address.is_unspecified or first == 127 or first >= 224:
        raise ClusterRefused(bad, f"Address {p.address} is not a unicast address")
    prefix = Prefix.of(p.address, length)
    if length < 31 and p.address in (prefix.address, prefix.broadcast):
        what = "network" if p.address == prefix.address else "broadcast"
        raise ClusterRefused(bad, f"Address {p.address} is the {what} address of {prefix}")
    if p.override_address_match == 0:
        if not net.prefix.contains(p.address):
            raise ClusterRefused(
                bad,
                f"Address {p.address} is not in the subnet of network {net.name!r} ({net.prefix}); "
                "set OverrideAddressMatch=1 to use it anyway",
            )
        if length != net.prefix.length:
            raise ClusterRefused(
                bad,
                f"SubnetMask {p.subnet_mask} does not match network {net.name!r} ({net.prefix}); "
                "set OverrideAddressMatch=1 to use it anyway",
            )
    for other in resources:
        if other.name != resource and other.properties.address == p.address:
            raise ClusterRefused(
                ClusterError.ADDRESS_IN_USE,
                f"Address {p.address} is already used by resource {other.name!r}",
            )
