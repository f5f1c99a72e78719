"""What a cluster is made of: nodes (each a full `Host`), cluster networks, groups, and IP Address
resources with their private properties and states. Plain records; `Cluster` keeps them consistent."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from routekeeper.core.host import Host
from routekeeper.core.values import IP, Prefix, mask_length


class NodeState(Enum):
    """A node's membership state, printed as cluster.exe prints it."""

    UP = "Up"
    PAUSED = "Paused"
    DOWN = "Down"


class ResourceState(Enum):
    ONLINE = "Online"
    OFFLINE = "Offline"
    FAILED = "Failed"


PROPERTY_NAMES = ("Network", "Address", "SubnetMask", "EnableNetBIOS", "OverrideAddressMatch", "EnableDhcp")


@dataclass(frozen=True, slots=True)
class IPProperties:
    """The private properties of an IP Address resource (what `cluster res R /priv` shows).

    EnableNetBIOS: 0 disabled, 1 enabled (default), 2 enabled without registering the name in WINS
    (routekeeper stores it; it changes no route). OverrideAddressMatch 0 (default): the address must lie
    in the cluster network's subnet, with its mask; 1 lets an address outside it through.
    """

    address: IP
    subnet_mask: IP
    network: str
    enable_dhcp: int = 0
    enable_netbios: int = 1
    override_address_match: int = 0

    @property
    def length(self) -> int:
        return mask_length(self.subnet_mask)

    def as_pairs(self) -> list[tuple[str, str | int]]:
        """(name, value) in cluster.exe's listing order; strings are `S`, numbers `D` typed."""
        return [
            ("Network", self.network),
            ("Address", str(self.address)),
            ("SubnetMask", str(self.subnet_mask)),
            ("EnableNetBIOS", self.enable_netbios),
            ("OverrideAddressMatch", self.override_address_match),
            ("EnableDhcp", self.enable_dhcp),
        ]


@dataclass
class Node:
    name: str
    host: Host
    node_id: int
    state: NodeState = NodeState.UP


@dataclass
class Network:
    """A cluster network: one subnet, reached on each node through one adapter (interface index)."""

    name: str
    prefix: Prefix
    adapters: dict[str, int] = field(default_factory=dict)


@dataclass
class Group:
    """A resource group. `preferred` is the failover order; `possible` None means every node.

    `online` is the group's intended state, which only matters while it holds no resources.
    """

    name: str
    preferred: list[str]
    owner: str | None
    possible: list[str] | None = None
    online: bool = False


@dataclass(frozen=True, slots=True)
class Plumbed:
    """Where an online resource's address actually is (it may differ from stored properties that
    were changed while it was online: those take effect at the next online)."""

    node: str
    ifindex: int
    ip: IP
    length: int


@dataclass
class IPResource:
    name: str
    group: str
    properties: IPProperties
    state: ResourceState = ResourceState.OFFLINE
    possible: list[str] | None = None
    plumbed: Plumbed | None = None

    def address_on(self, node: str) -> IP:
        """The address this resource has (or is getting) on `node`: plumbed there, else configured."""
        if self.plumbed is not None and self.plumbed.node == node:
            return self.plumbed.ip
        return self.properties.address
