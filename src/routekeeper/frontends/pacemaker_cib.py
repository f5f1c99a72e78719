"""What routekeeper needs from a Pacemaker CIB (`cibadmin -Q`): floating addresses and where they run.

Pure: a string of XML in, values out. The configuration section says which `ocf:heartbeat:IPaddr2`
primitives there are (ip, cidr_netmask, nic) and which groups (and clones of them) hold them; the status
section says where each primitive is active, from its last recorded operation per node (a start or a
monitor that succeeded: active; a stop, or a probe that found it not running: inactive).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from routekeeper.core.values import IP

# OCF return codes in lrm_rsc_op's rc-code
OCF_SUCCESS = 0
OCF_NOT_RUNNING = 7


class CibError(ValueError):
    """The CIB could not be read or does not say what is asked; the message is one line."""


@dataclass(frozen=True, slots=True)
class FloatingAddress:
    """An IPaddr2 primitive: the address it adds, its prefix length and device when configured."""

    resource: str
    ip: IP
    length: int | None
    nic: str | None


@dataclass
class Cib:
    nodes: list[str] = field(default_factory=list)
    online: set[str] = field(default_factory=set)
    addresses: dict[str, FloatingAddress] = field(default_factory=dict)  # primitive id ->
    members: dict[str, list[str]] = field(default_factory=dict)  # group/clone id -> primitive ids
    active: dict[str, set[str]] = field(default_factory=dict)  # primitive id -> nodes

    def floating(self, resource: str) -> list[FloatingAddress]:
        """The addresses a resource (an IPaddr2 primitive, or a group holding some) brings along."""
        if resource in self.addresses:
            return [self.addresses[resource]]
        if resource in self.members:
            return [self.addresses[p] for p in self.members[resource] if p in self.addresses]
        raise CibError(f"the CIB has no resource {resource!r}")

    def running_on(self, resource: str) -> set[str]:
        """Nodes where every address of `resource` is active (a group runs where all of it runs)."""
        addresses = self.floating(resource)
        if not addresses:
            return set()
        nodes = [self.active.get(a.resource, set()) for a in addresses]
        return set.intersection(*nodes) & self.online


def parse(text: str) -> Cib:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise CibError(f"not a CIB: {exc}") from None
    if root.tag != "cib":
        raise CibError(f"not a CIB: the root element is <{root.tag}>")
    cib = Cib()
    cib.nodes = [n.get("uname") or n.get("id") or "" for n in root.iterfind("configuration/nodes/node")]
    for prim in root.iter("primitive"):
        if (prim.get("class"), prim.get("provider"), prim.get("type")) != ("ocf", "heartbeat", "IPaddr2"):
            continue
        params = {nv.get("name"): nv.get("value") for nv in prim.iterfind("instance_attributes/nvpair")}
        rid = prim.get("id") or ""
        try:
            ip = IP.parse(params.get("ip") or "")
        except ValueError:
            raise CibError(f"IPaddr2 resource {rid!r} has no valid ip parameter") from None
        mask = params.get("cidr_netmask")
        cib.addresses[rid] = FloatingAddress(
            rid, ip, int(mask) if mask and mask.isdigit() else None, params.get("nic")
        )
    for container in ("group", "clone"):
        for el in root.iter(container):
            cib.members[el.get("id") or ""] = [p.get("id") or "" for p in el.iter("primitive")]
    for state in root.iterfind("status/node_state"):
        node = state.get("uname") or ""
        if state.get("crmd") == "online" and state.get("in_ccm") not in (None, "false"):
            cib.online.add(node)
        for res in state.iterfind("lrm/lrm_resources/lrm_resource"):
            if _is_active(res):
                cib.active.setdefault(res.get("id") or "", set()).add(node)
    return cib


def _is_active(resource: ET.Element) -> bool:
    """From the newest recorded operation of a resource on one node."""
    ops = [op for op in resource.iterfind("lrm_rsc_op") if op.get("call-id", "-1").lstrip("-").isdigit()]
    ops = [op for op in ops if int(op.get("call-id", "-1")) >= 0]
    if not ops:
        return False
    last = max(ops, key=lambda op: int(op.get("call-id", "0")))
    rc = int(last.get("rc-code", "-1"))
    operation = last.get("operation")
    if operation == "stop":
        return rc != OCF_SUCCESS  # a failed stop leaves it (possibly) running
    if operation in ("start", "monitor", "promote", "demote", "migrate_from"):
        return rc == OCF_SUCCESS
    return False
