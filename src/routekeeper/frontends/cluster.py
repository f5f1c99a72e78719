"""cluster.exe (Windows Server 2008 form) over a core `Cluster`, plus routekeeper's cluster setup commands.

`run(cluster, args) -> Output` works on a cluster in memory, like the route/netsh front ends work on a
host: `group`, `resource`, `node` and `network` in cluster.exe syntax (case-insensitive, options with
`/` or `-` and their documented abbreviations), and the native commands `add-node`, `add-network`,
`add-adapter`, `add-group`, `add-ip-resource`, `fail`, `restore`, `log`, `whatif`, `show`.
`select_cluster` reads which cluster a command line names. Loading and saving clusters (and `create`,
`list`, `delete`, which make or remove clusters rather than use one) is `routekeeper.app.cluster`.

cluster.exe failures print `System error N has occurred (0xN).` and the system message, then a line
`routekeeper: ...` that says what exactly was wrong, and exit with the Win32 error code N (as cluster.exe
sets ERRORLEVEL; a POSIX shell sees N mod 256). The layouts (headers, column widths, `S`/`D` typed
property rows) follow cluster.exe's own message templates; the wording of routekeeper's lines is ours.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from routekeeper.core.cluster.errors import ClusterError, ClusterRefused
from routekeeper.core.cluster.events import ClusterEvent
from routekeeper.core.cluster.members import PROPERTY_NAMES, IPProperties
from routekeeper.core.cluster.model import Cluster
from routekeeper.core.cluster.operations import (
    ClusterOperation,
    FailNode,
    MoveGroup,
    OfflineGroup,
    OfflineResource,
    OnlineGroup,
    OnlineResource,
    PauseNode,
    RestoreNode,
    ResumeNode,
    SetPossibleOwners,
    SetPreferredOwners,
    SetResourceProperties,
)
from routekeeper.core.host import Host
from routekeeper.core.numbers import parse_int
from routekeeper.core.profiles import PROFILES
from routekeeper.core.values import IP, Prefix, ValueParseError
from routekeeper.frontends.base import HelpRequested, Output, UsageError, printable

# Win32 error codes and their system messages (winerror.h), for the refusals the core can make.
WIN32 = {
    ClusterError.EXISTS: (5010, "The object already exists."),
    ClusterError.NODE_NOT_FOUND: (5042, "The cluster node was not found."),
    ClusterError.GROUP_NOT_FOUND: (5013, "The cluster group could not be found."),
    ClusterError.RESOURCE_NOT_FOUND: (5007, "The cluster resource could not be found."),
    ClusterError.NETWORK_NOT_FOUND: (5045, "The cluster network was not found."),
    ClusterError.NODE_DOWN: (5050, "The cluster node is down."),
    ClusterError.NODE_PAUSED: (5070, "The cluster node is paused."),
    ClusterError.NODE_NOT_PAUSED: (5058, "The cluster node is not paused."),
    ClusterError.NODE_ALREADY_UP: (5061, "The cluster node is already up."),
    ClusterError.NODE_ALREADY_DOWN: (5062, "The cluster node is already down."),
    ClusterError.NOT_POSSIBLE_OWNER: (
        5016,
        "The operation failed because either the specified cluster node is not the owner of the group, "
        "or the node is not a possible owner of the group.",
    ),
    ClusterError.RESOURCE_ONLINE: (
        5019,
        "The operation could not be completed because the cluster resource is online.",
    ),
    ClusterError.CANT_HOST: (
        5071,
        "The cluster resource cannot be brought online. The owner node cannot run this resource.",
    ),
    ClusterError.NO_NODE_AVAILABLE: (5005, "A cluster node is not available for this operation."),
    ClusterError.ADDRESS_IN_USE: (5057, "The cluster IP address is already in use."),
    ClusterError.INVALID_PARAMETER: (87, "The parameter is incorrect."),
    ClusterError.NODE_REFUSED: (
        5023,
        "The group or resource is not in the correct state to perform the requested operation.",
    ),
}
INVALID_PARAMETER = 87
PROPERTIES_STORED = (
    "System warning 5024 (0x000013a0).",
    "The properties were stored but not all changes will take effect until the next time the resource "
    "is brought online.",
)

GROUP_HEADER = ["Group                Node            Status", "-------------------- --------------- ------"]
RESOURCE_HEADER = [
    "Resource             Group                Node            Status",
    "-------------------- -------------------- --------------- ------",
]
NODE_HEADER = ["Node           Node ID Status", "-------------- ------- ---------------------"]
NETWORK_HEADER = [
    "Network                                  Status",
    "---------------------------------------- -----------",
]
PRIV_HEADER = [
    "T  Resource             Name                           Value",
    "-- -------------------- ------------------------------ -----------------------",
]

OBJECTS = {"group": "group", "res": "resource", "resource": "resource", "node": "node"}
OBJECTS.update({"net": "network", "network": "network"})
# (full name, shortest accepted form): cluster.exe's documented abbreviations, e.g. /stat[us].
OPTIONS = [
    ("status", "stat"),
    ("moveto", "move"),
    ("online", "on"),
    ("offline", "off"),
    ("privproperties", "priv"),
    ("properties", "prop"),
    ("listowners", "listowners"),
    ("setowners", "setowners"),
    ("addowner", "addowner"),
    ("removeowner", "removeowner"),
    ("pause", "pause"),
    ("resume", "resume"),
    ("node", "node"),
    ("wait", "wait"),
]
NATIVE = (
    "add-node",
    "add-network",
    "add-adapter",
    "add-group",
    "add-ip-resource",
    "fail",
    "restore",
    "log",
    "whatif",
    "show",
)
CLI_ONLY = ("create", "list", "delete")


class ClusterSyntax(Exception):
    """A cluster.exe command line it would reject: the message line, exit 87."""


# ---------------------------------------------------------------------- the in-memory front end
def run(cluster: Cluster, args: list[str]) -> Output:
    """Run one `cluster ...` command (the words after `cluster` and the cluster name) on `cluster`.

    `Output.commit` False means: discard every change (a failed command, or a what-if)."""
    if not args:
        return Output(stderr="A command must be specified.\n", exit=INVALID_PARAMETER)
    word = args[0].lower()
    if word in NATIVE:
        try:
            return NATIVE_COMMANDS[word](cluster, args[1:])
        except (UsageError, ClusterSyntax, ValueParseError) as exc:
            return Output(stderr=f"routekeeper: cluster {word}: {exc}\n", exit=2)
        except ClusterRefused as exc:
            return Output(stderr=f"routekeeper: cluster {word}: {exc.detail}\n", exit=1)
    try:
        return run_exe(cluster, args)
    except ClusterSyntax as exc:
        return Output(stderr=f"{exc}\n", exit=INVALID_PARAMETER)
    except ClusterRefused as exc:
        return system_error(exc)


def system_error(exc: ClusterRefused) -> Output:
    code, message = WIN32[exc.code]
    text = f"System error {code} has occurred (0x{code:08x}).\n{message}\nroutekeeper: {exc.detail}\n"
    return Output(stderr=text, exit=code)


def run_exe(cluster: Cluster, args: list[str]) -> Output:
    """cluster.exe syntax: OBJECT [NAME] [/OPTION[:VALUE] [VALUES...]]."""
    obj = OBJECTS.get(args[0].lower())
    if obj is None:
        if args[0].startswith(("/", "-")):
            raise ClusterSyntax(f"Invalid option '{args[0]}'.")
        raise ClusterSyntax(f"Unrecognized object type '{args[0]}'.")
    name: str | None = None
    rest = args[1:]
    if rest and not rest[0].startswith(("/", "-")):
        name, rest = rest[0], rest[1:]
    option, value, values = "status", None, []
    if rest:
        option, value = parse_option(rest[0])
        values = rest[1:]
        # /wait[:seconds] may follow any option; nothing here takes time, so it is accepted and ignored.
        values = [v for v in values if not (v.startswith(("/", "-")) and parse_option(v)[0] == "wait")]
    handler = EXE.get((obj, option))
    if handler is None:
        raise ClusterSyntax(f"Invalid option '{rest[0]}'.")
    return handler(cluster, name, value, values)


def parse_option(word: str) -> tuple[str, str | None]:
    if not word.startswith(("/", "-")):
        raise ClusterSyntax(f"Invalid option '{word}'.")
    body, sep, value = word[1:].partition(":")
    body = body.lower()
    for full, shortest in OPTIONS:
        if body.startswith(shortest) and full.startswith(body):
            return full, (value if sep else None)
    raise ClusterSyntax(f"Invalid option '{word}'.")


def _no_values(option: str, values: list[str]) -> None:
    if values:
        raise ClusterSyntax(f"The '{option}' option does not require any values to be specified.")


def _need_name(name: str | None, what: str) -> str:
    if name is None:
        raise ClusterSyntax(f"A {what} name must be specified.")
    return name


def _lines(*blocks: list[str]) -> str:
    return "".join(line + "\n" for block in blocks for line in block)


# -- rows
def group_row(cluster: Cluster, name: str) -> str:
    g = cluster.group(name)
    return f"{g.name:<20} {g.owner or '':<15} {cluster.group_status(g.name)}"


def resource_row(cluster: Cluster, name: str) -> str:
    r = cluster.resource(name)
    owner = cluster.groups[r.group].owner or ""
    return f"{r.name:<20} {r.group:<20} {owner:<15} {r.state.value}"


def node_row(cluster: Cluster, name: str) -> str:
    n = cluster.node(name)
    return f"{n.name:<15} {n.node_id:>6} {n.state.value}"


def priv_rows(cluster: Cluster, name: str) -> list[str]:
    r = cluster.resource(name)
    rows = []
    for key, value in r.properties.as_pairs():
        if isinstance(value, int):
            rows.append(f"D  {r.name:<20} {key:<30} {value} (0x{value:x})")
        else:
            rows.append(f"S  {r.name:<20} {key:<30} {value}")
    return rows


# -- group
def group_status(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    _no_values("status", values)
    if name is None:
        rows = [group_row(cluster, g) for g in cluster.groups]
        return Output(_lines(["Listing status for all available resource groups:", ""], GROUP_HEADER, rows))
    row = group_row(cluster, name)
    g = cluster.group(name)
    return Output(_lines([f"Listing status for resource group '{g.name}':", ""], GROUP_HEADER, [row]))


def group_on_node(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    if name is not None or not value:
        raise ClusterSyntax("A node name must be specified.")
    node = cluster.node(value).name
    rows = [group_row(cluster, g.name) for g in cluster.groups.values() if g.owner == node]
    return Output(_lines([f"Listing status of resource group for node '{node}':", ""], GROUP_HEADER, rows))


def group_move(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    g = cluster.group(_need_name(name, "group"))
    _no_values("moveto", values)
    cluster.apply(MoveGroup(g.name, value or None))
    return Output(
        _lines([f"Moving resource group '{g.name}'...", ""], GROUP_HEADER, [group_row(cluster, g.name)])
    )


def group_online(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    g = cluster.group(_need_name(name, "group"))
    _no_values("online", values)
    cluster.apply(OnlineGroup(g.name, value or None))
    head = [f"Bringing resource group '{g.name}' online...", ""]
    return Output(_lines(head, GROUP_HEADER, [group_row(cluster, g.name)]))


def group_offline(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    g = cluster.group(_need_name(name, "group"))
    _no_values("offline", values)
    cluster.apply(OfflineGroup(g.name))
    head = [f"Bringing resource group '{g.name}' offline...", ""]
    return Output(_lines(head, GROUP_HEADER, [group_row(cluster, g.name)]))


def group_listowners(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    g = cluster.group(_need_name(name, "group"))
    _no_values("listowners", values)
    head = [f"Listing preferred owners for resource group '{g.name}':", ""]
    return Output(_lines(head, ["Preferred Owner Nodes", "---------------------"], g.preferred))


def group_setowners(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    g = cluster.group(_need_name(name, "group"))
    nodes = [n for n in (value or "").split(",") if n] + [n for v in values for n in v.split(",") if n]
    cluster.apply(SetPreferredOwners(g.name, tuple(nodes)))
    return Output()


# -- resource
def resource_status(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    _no_values("status", values)
    if name is None:
        rows = [resource_row(cluster, r) for r in cluster.resources]
        return Output(_lines(["Listing status for all available resources:", ""], RESOURCE_HEADER, rows))
    r = cluster.resource(name)
    head = [f"Listing status for resource '{r.name}':", ""]
    return Output(_lines(head, RESOURCE_HEADER, [resource_row(cluster, r.name)]))


def resource_on_node(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    if name is not None or not value:
        raise ClusterSyntax("A node name must be specified.")
    node = cluster.node(value).name
    rows = [
        resource_row(cluster, r.name)
        for r in cluster.resources.values()
        if cluster.groups[r.group].owner == node
    ]
    return Output(_lines([f"Listing status of resource for node '{node}':", ""], RESOURCE_HEADER, rows))


def resource_online(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    r = cluster.resource(_need_name(name, "resource"))
    _no_values("online", values)
    cluster.apply(OnlineResource(r.name))
    head = [f"Bringing resource '{r.name}' online...", ""]
    return Output(_lines(head, RESOURCE_HEADER, [resource_row(cluster, r.name)]))


def resource_offline(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    r = cluster.resource(_need_name(name, "resource"))
    _no_values("offline", values)
    cluster.apply(OfflineResource(r.name))
    head = [f"Taking resource '{r.name}' offline...", ""]
    return Output(_lines(head, RESOURCE_HEADER, [resource_row(cluster, r.name)]))


def resource_priv(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    if value is not None:
        raise ClusterSyntax(
            "Resetting properties to their defaults (/priv:NAME /usedefault) is not supported."
        )
    if not values:
        if name is None:
            rows = [row for r in cluster.resources for row in priv_rows(cluster, r)]
            return Output(_lines(["Listing private properties for all resources:", ""], PRIV_HEADER, rows))
        r = cluster.resource(name)
        head = [f"Listing private properties for '{r.name}':", ""]
        return Output(_lines(head, PRIV_HEADER, priv_rows(cluster, r.name)))
    r = cluster.resource(_need_name(name, "resource"))
    props = set_properties(r.properties, values)
    events = cluster.apply(SetResourceProperties(r.name, props))
    if r.plumbed is not None and events:
        return Output(_lines(list(PROPERTIES_STORED)))
    return Output()


def set_properties(current: IPProperties, values: list[str]) -> IPProperties:
    """Apply `Name=Value[:format]` words to IP Address private properties (unknown names and malformed
    values are refused with the parameter error, as the resource DLL refuses them)."""
    fields: dict[str, Any] = {}
    canonical = {n.lower(): n for n in PROPERTY_NAMES}
    attr = {
        "Network": "network",
        "Address": "address",
        "SubnetMask": "subnet_mask",
        "EnableNetBIOS": "enable_netbios",
        "OverrideAddressMatch": "override_address_match",
        "EnableDhcp": "enable_dhcp",
    }
    for word in values:
        key, sep, raw = word.partition("=")
        if not sep:
            raise ClusterSyntax(f"Value expected after '{word}' (Column {len(word) + 1}).")
        name = canonical.get(key.strip().lower())
        if name is None:
            raise ClusterRefused(
                ClusterError.INVALID_PARAMETER,
                f"IP Address resources have no private property {key!r} "
                f"(they have {', '.join(PROPERTY_NAMES)})",
            )
        text = raw
        for suffix in (":dword", ":string", ":str"):  # an explicit format, as cluster.exe accepts one
            if raw.lower().endswith(suffix):
                text = raw[: -len(suffix)]
                break
        try:
            if name in ("Address", "SubnetMask"):
                fields[attr[name]] = IP.v4(text)
            elif name == "Network":
                fields[attr[name]] = text
            else:  # a DWORD, decimal or 0x-hex; the resource checks what each property takes
                fields[attr[name]] = parse_int(text, name, 0, 2**32 - 1, hex_ok=True)
        except (ValueParseError, ValueError):
            raise ClusterRefused(
                ClusterError.INVALID_PARAMETER, f"{name}={text!r} is not a valid value"
            ) from None
    return replace(current, **fields)


def resource_listowners(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    r = cluster.resource(_need_name(name, "resource"))
    _no_values("listowners", values)
    owners = r.possible if r.possible is not None else list(cluster.nodes)
    head = [f"Listing possible owners for resource '{r.name}':"]
    return Output(_lines(head, ["Possible Owner Nodes", "--------------------"], owners))


def resource_owner_change(add: bool) -> Callable[[Cluster, str | None, str | None, list[str]], Output]:
    def handler(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
        r = cluster.resource(_need_name(name, "resource"))
        if not value:
            raise ClusterSyntax("A node name must be specified.")
        node = cluster.node(value).name
        owners = list(r.possible) if r.possible is not None else list(cluster.nodes)
        if add and node not in owners:
            owners.append(node)
        elif not add and node in owners:
            owners.remove(node)
        everyone = set(owners) == set(cluster.nodes)
        cluster.apply(SetPossibleOwners(r.name, None if everyone else tuple(owners)))
        verb = f"Adding '{node}' to" if add else f"Removing '{node}' from"
        return Output(_lines([f"{verb} possible owners of '{r.name}'...", ""]))

    return handler


# -- node
def node_status(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    _no_values("status", values)
    if name is None:
        rows = [node_row(cluster, n) for n in cluster.nodes]
        return Output(_lines(["Listing status for all available nodes:", ""], NODE_HEADER, rows))
    n = cluster.node(name)
    return Output(
        _lines([f"Listing status for node '{n.name}':", ""], NODE_HEADER, [node_row(cluster, n.name)])
    )


def node_pause(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    n = cluster.node(_need_name(name, "node"))
    _no_values("pause", values)
    cluster.apply(PauseNode(n.name))
    return Output(_lines([f"Pausing node '{n.name}'...", ""], NODE_HEADER, [node_row(cluster, n.name)]))


def node_resume(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    n = cluster.node(_need_name(name, "node"))
    _no_values("resume", values)
    cluster.apply(ResumeNode(n.name))
    return Output(_lines([f"Resuming node '{n.name}'...", ""], NODE_HEADER, [node_row(cluster, n.name)]))


# -- network
def network_status(cluster: Cluster, name: str | None, value: str | None, values: list[str]) -> Output:
    _no_values("status", values)
    names = [cluster.network(name).name] if name is not None else list(cluster.networks)
    if name is not None:
        head = f"Listing status for network '{names[0]}':"
    else:
        head = "Listing status for all available networks:"
    rows = [f"{n:<40} {'Up':<10}".rstrip() for n in names]
    return Output(_lines([head, ""], NETWORK_HEADER, rows))


Handler = Callable[[Cluster, str | None, str | None, list[str]], Output]
EXE: dict[tuple[str, str], Handler] = {
    ("group", "status"): group_status,
    ("group", "node"): group_on_node,
    ("group", "moveto"): group_move,
    ("group", "online"): group_online,
    ("group", "offline"): group_offline,
    ("group", "listowners"): group_listowners,
    ("group", "setowners"): group_setowners,
    ("resource", "status"): resource_status,
    ("resource", "node"): resource_on_node,
    ("resource", "online"): resource_online,
    ("resource", "offline"): resource_offline,
    ("resource", "privproperties"): resource_priv,
    ("resource", "listowners"): resource_listowners,
    ("resource", "addowner"): resource_owner_change(True),
    ("resource", "removeowner"): resource_owner_change(False),
    ("node", "status"): node_status,
    ("node", "pause"): node_pause,
    ("node", "resume"): node_resume,
    ("network", "status"): network_status,
}


# ---------------------------------------------------------------------- native setup commands
class _Parser(argparse.ArgumentParser):
    """argparse that raises: a complaint is a UsageError, `--help` is HelpRequested (nothing runs)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(printable(message))

    def print_help(self, file: object = None) -> None:
        raise HelpRequested(self.format_help())


def _parser(name: str, description: str) -> _Parser:
    return _Parser(
        prog=f"routekeeper cluster {name}",
        description=description,
        allow_abbrev=False,
        exit_on_error=False,
    )


def native_help(args: list[str]) -> None:
    """Raise HelpRequested when `args` (a native command) asks for its help: called before a cluster
    is loaded, so help needs no cluster and does nothing."""
    if args and args[0].lower() == "whatif" and args[1:2] in (["-h"], ["--help"]):
        raise HelpRequested(WHATIF_HELP)
    if args and args[0].lower() in NATIVE_PARSERS and any(a in ("-h", "--help") for a in args[1:]):
        _parse(NATIVE_PARSERS[args[0].lower()](), args[1:])


def _parse(p: _Parser, args: list[str]) -> argparse.Namespace:
    try:
        return p.parse_args(args)
    except argparse.ArgumentError as exc:
        raise UsageError(printable(str(exc))) from None


def _node_names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [n.strip() for n in text.split(",") if n.strip()]


def _events_text(events: list[ClusterEvent], everything: bool = False) -> str:
    return "".join(f"{e}\n" for e in events if everything or e.manual)


def _add_node_parser() -> _Parser:
    p = _parser("add-node", "add a node: a simulated host of its own")
    p.add_argument("node")
    p.add_argument("--profile", default="hotfix", choices=sorted(PROFILES))
    return p


def native_add_node(cluster: Cluster, args: list[str]) -> Output:
    ns = _parse(_add_node_parser(), args)
    host = Host(ns.profile, name=f"{cluster.name}/{ns.node}")
    cluster.add_node(ns.node, host)
    return Output(f"added node {ns.node} (profile {ns.profile}); its stack is host {host.name}\n")


def _add_network_parser() -> _Parser:
    p = _parser("add-network", "add a network: a subnet, and the interface each node reaches it through")
    p.add_argument("name")
    p.add_argument("subnet", metavar="SUBNET/LEN")
    p.add_argument("mappings", nargs="*", metavar="NODE=INTERFACE", help="interface index or name")
    return p


def native_add_network(cluster: Cluster, args: list[str]) -> Output:
    ns = _parse(_add_network_parser(), args)
    name, subnet, mappings = ns.name, ns.subnet, ns.mappings
    try:
        prefix = Prefix.parse(subnet)
    except ValueParseError as exc:
        raise UsageError(f"{exc} (give the subnet as ADDRESS/LENGTH with the host bits clear)") from None
    adapters: dict[str, int | str] = {}
    for m in mappings:
        node, sep, adapter = m.partition("=")
        if not sep or not node or not adapter:
            raise UsageError(f"expected NODE=INTERFACE (index or name), not {m!r}")
        adapters[node] = adapter
    cluster.add_network(name, prefix, adapters)
    net = cluster.network(name)
    where = ", ".join(f"{n} interface {i}" for n, i in net.adapters.items()) or "no node yet"
    return Output(f"added network {net.name} ({net.prefix}) on {where}\n")


def _mappings(mappings: list[str]) -> dict[str, int | str]:
    adapters: dict[str, int | str] = {}
    for m in mappings:
        node, sep, adapter = m.partition("=")
        if not sep or not node or not adapter:
            raise UsageError(f"expected NODE=INTERFACE (index or name), not {m!r}")
        if any(n.lower() == node.lower() for n in adapters):
            raise UsageError(f"node {node} is given twice")
        adapters[node] = adapter
    return adapters


def _add_adapter_parser() -> _Parser:
    p = _parser("add-adapter", "a node reaches an existing network through an interface")
    p.add_argument("network")
    p.add_argument("mappings", nargs="+", metavar="NODE=INTERFACE", help="interface index or name")
    p.add_argument("--remap", action="store_true", help="move a node that is already on the network")
    return p


def native_add_adapter(cluster: Cluster, args: list[str]) -> Output:
    """`add-adapter NETWORK NODE=IFINDEX|IFNAME... [--remap]`: a node (one that joined after the
    network was added, typically) reaches an existing network through that interface."""
    ns = _parse(_add_adapter_parser(), args)
    remap = ns.remap
    adapters = _mappings(ns.mappings)
    net = cluster.network(ns.network)
    before = dict(net.adapters)
    cluster.add_adapters(net.name, adapters, remap=remap)
    out = []
    for node in adapters:
        name = cluster.node(node).name
        index = net.adapters[name]
        iface = cluster.nodes[name].host.interfaces[index]
        if before.get(name) == index:
            out.append(f"network {net.name}: {name} already on interface {index} ({iface.name}); unchanged")
        elif name in before:
            out.append(
                f"network {net.name}: {name} remapped to interface {index} ({iface.name}), "
                f"was interface {before[name]}"
            )
        else:
            out.append(
                f"added adapter: network {net.name} ({net.prefix}) on {name} interface {index} ({iface.name})"
            )
    return Output(_lines(out))


def _add_group_parser() -> _Parser:
    p = _parser("add-group", "add a group (its owner is the first preferred node that is up)")
    p.add_argument("group")
    p.add_argument("--preferred", default="", metavar="N1,N2")
    p.add_argument("--possible", metavar="N1,N2")
    return p


def native_add_group(cluster: Cluster, args: list[str]) -> Output:
    ns = _parse(_add_group_parser(), args)
    cluster.add_group(ns.group, _node_names(ns.preferred) or [], _node_names(ns.possible))
    g = cluster.group(ns.group)
    return Output(f"added group {g.name}, owned by {g.owner}\n")


def _add_ip_resource_parser() -> _Parser:
    p = _parser("add-ip-resource", "add an IP Address resource to a group")
    p.add_argument("resource")
    p.add_argument("--group", required=True)
    p.add_argument("--network", required=True)
    p.add_argument("--address", required=True)
    p.add_argument("--mask", required=True)
    p.add_argument("--override-address-match", action="store_true")
    p.add_argument("--netbios", type=int, default=1, choices=(0, 1, 2))
    p.add_argument("--possible")
    return p


def native_add_ip_resource(cluster: Cluster, args: list[str]) -> Output:
    ns = _parse(_add_ip_resource_parser(), args)
    try:
        props = IPProperties(
            IP.v4(ns.address), IP.v4(ns.mask), ns.network, 0, ns.netbios, int(ns.override_address_match)
        )
    except ValueParseError as exc:
        raise UsageError(str(exc)) from None
    cluster.add_ip_resource(ns.resource, ns.group, props, _node_names(ns.possible))
    r = cluster.resource(ns.resource)
    return Output(f"added IP Address resource {r.name} ({props.address}/{props.length}) to group {r.group}\n")


def _node_parser(name: str, description: str) -> Callable[[], _Parser]:
    def build() -> _Parser:
        p = _parser(name, description)
        p.add_argument("node")
        return p

    return build


def native_fail(cluster: Cluster, args: list[str]) -> Output:
    ns = _parse(NATIVE_PARSERS["fail"](), args)
    return Output(_events_text(cluster.apply(FailNode(ns.node))))


def native_restore(cluster: Cluster, args: list[str]) -> Output:
    ns = _parse(NATIVE_PARSERS["restore"](), args)
    return Output(_events_text(cluster.apply(RestoreNode(ns.node))))


def _log_parser() -> _Parser:
    p = _parser("log", "the cluster's reasoned event history")
    p.add_argument("--all", action="store_true", help="include system route changes")
    p.add_argument("--node")
    p.add_argument("--address")
    p.add_argument("--times", action="store_true", help="show when, and by which command")
    p.add_argument("--json", action="store_true", help="as JSON (docs/json.md)")
    return p


def native_log(cluster: Cluster, args: list[str]) -> Output:
    ns = _parse(_log_parser(), args)
    node = cluster.node(ns.node).name if ns.node else None
    ip = IP.v4(ns.address) if ns.address else None
    lines = []
    chosen = []
    for e in cluster.history:
        if not (ns.all or e.manual) or (node and e.node != node):
            continue
        if ip is not None and str(ip) not in e.subject.split("/")[0].split():
            continue
        chosen.append(e)
        stamp = f"{e.at}  " if ns.times and e.at else ""
        command = f"  [{e.command}]" if ns.times and e.command else ""
        lines.append(f"{stamp}[{e.step}] {e}{command}")
    if ns.json:
        return Output(_json({"cluster": cluster.name, "events": [cluster_event_dict(e) for e in chosen]}))
    return Output(_lines(lines))


def cluster_event_dict(e: ClusterEvent) -> dict[str, object]:
    return {
        "seq": e.seq,
        "step": e.step,
        "kind": e.kind.value,
        "at": e.at or None,
        "command": e.command or None,
        "node": e.node,
        "text": str(e),
        "subject": e.subject,
        "reason": e.reason,
        "manual": e.manual,
    }


def _json(data: dict[str, object]) -> str:
    return json.dumps(data, indent=2) + "\n"


def _show_parser() -> _Parser:
    p = _parser("show", "the cluster: nodes, networks, groups and their resources")
    p.add_argument("--json", action="store_true", help="as JSON (docs/json.md)")
    return p


def native_show(cluster: Cluster, args: list[str]) -> Output:
    if _parse(_show_parser(), args).json:
        return Output(_json(cluster_dict(cluster)))
    out = [f"Cluster {cluster.name}"]
    for n in cluster.nodes.values():
        out.append(
            f"  node {n.name} (id {n.node_id}): {n.state.value}, "
            f"profile {n.host.profile.name}, host {n.host.name}"
        )
    for net in cluster.networks.values():
        where = ", ".join(f"{n}={i}" for n, i in net.adapters.items())
        out.append(f"  network {net.name}: {net.prefix} [{where}]")
    for g in cluster.groups.values():
        possible = ",".join(g.possible) if g.possible is not None else "every node"
        out.append(
            f"  group {g.name}: {cluster.group_status(g.name)} on {g.owner}; preferred "
            f"{','.join(g.preferred) or '(none)'}; possible {possible}"
        )
        for r in cluster.resources_of(g.name):
            p = r.properties
            where = f" on {r.plumbed.node} interface {r.plumbed.ifindex}" if r.plumbed else ""
            out.append(
                f"    resource {r.name}: {r.state.value}{where}; {p.address}/{p.length} on {p.network}"
            )
    return Output(_lines(out))


def cluster_dict(cluster: Cluster) -> dict[str, object]:
    """`cluster show --json`: what `cluster show` prints, as data."""
    groups = []
    for g in cluster.groups.values():
        resources = []
        for r in cluster.resources_of(g.name):
            p = r.properties
            resources.append(
                {
                    "name": r.name,
                    "state": r.state.value,
                    "address": f"{p.address}/{p.length}",
                    "network": p.network,
                    "node": r.plumbed.node if r.plumbed else None,
                    "interface": r.plumbed.ifindex if r.plumbed else None,
                }
            )
        groups.append(
            {
                "name": g.name,
                "status": cluster.group_status(g.name),
                "owner": g.owner,
                "preferred": list(g.preferred),
                "possible": list(g.possible) if g.possible is not None else None,
                "resources": resources,
            }
        )
    return {
        "cluster": cluster.name,
        "nodes": [
            {
                "name": n.name,
                "id": n.node_id,
                "state": n.state.value,
                "profile": n.host.profile.name,
                "host": n.host.name,
            }
            for n in cluster.nodes.values()
        ],
        "networks": [
            {"name": net.name, "prefix": str(net.prefix), "adapters": dict(net.adapters)}
            for net in cluster.networks.values()
        ],
        "groups": groups,
    }


WHATIF_HELP = """\
usage: routekeeper cluster whatif CLUSTER-COMMAND ...

What a cluster command (group /moveto /online /offline, resource /online /offline /priv, node /pause
/resume, fail, restore) would change, on every node; nothing is kept.
"""


def native_whatif(cluster: Cluster, args: list[str]) -> Output:
    if args and args[0] in ("-h", "--help"):
        raise HelpRequested(WHATIF_HELP)
    if not args:
        raise UsageError('expected a cluster command, e.g. whatif group "SQL" /moveto:NODE2')
    operation = parse_operation(cluster, args)
    report = cluster.whatif(operation)
    return Output(_lines(report.lines()), commit=False)


def parse_operation(cluster: Cluster, args: list[str]) -> ClusterOperation:
    """The operation a (changing) cluster command stands for; what-if previews it."""
    word = args[0].lower()
    if word in ("fail", "restore") and len(args) == 2:
        return FailNode(args[1]) if word == "fail" else RestoreNode(args[1])
    obj = OBJECTS.get(word)
    if obj is None or len(args) < 3:
        raise UsageError(f"cannot preview {' '.join(args)!r}: give a command that changes something")
    name = args[1]
    option, value = parse_option(args[2])
    if obj == "group" and option == "moveto":
        return MoveGroup(cluster.group(name).name, value or None)
    if obj == "group" and option == "online":
        return OnlineGroup(cluster.group(name).name, value or None)
    if obj == "group" and option == "offline":
        return OfflineGroup(cluster.group(name).name)
    if obj == "resource" and option == "online":
        return OnlineResource(cluster.resource(name).name)
    if obj == "resource" and option == "offline":
        return OfflineResource(cluster.resource(name).name)
    if obj == "resource" and option == "privproperties" and args[3:]:
        r = cluster.resource(name)
        return SetResourceProperties(r.name, set_properties(r.properties, args[3:]))
    if obj == "node" and option in ("pause", "resume"):
        return PauseNode(name) if option == "pause" else ResumeNode(name)
    raise UsageError(f"cannot preview {' '.join(args)!r}: give a command that changes something")


NATIVE_COMMANDS: dict[str, Callable[[Cluster, list[str]], Output]] = {
    "add-node": native_add_node,
    "add-network": native_add_network,
    "add-adapter": native_add_adapter,
    "add-group": native_add_group,
    "add-ip-resource": native_add_ip_resource,
    "fail": native_fail,
    "restore": native_restore,
    "log": native_log,
    "whatif": native_whatif,
    "show": native_show,
}
READ_ONLY_NATIVE = ("log", "show", "whatif")
NATIVE_PARSERS: dict[str, Callable[[], _Parser]] = {
    "add-node": _add_node_parser,
    "add-network": _add_network_parser,
    "add-adapter": _add_adapter_parser,
    "add-group": _add_group_parser,
    "add-ip-resource": _add_ip_resource_parser,
    "fail": _node_parser("fail", "a node fails: its groups move to the next preferred node that is up"),
    "restore": _node_parser("restore", "a failed node comes back"),
    "log": _log_parser,
    "show": _show_parser,
}


# ---------------------------------------------------------------------- choosing the cluster
@dataclass
class Selection:
    """The cluster a command line names (None: the only one there is) and the command's words."""

    name: str | None
    args: list[str]


def select_cluster(args: list[str]) -> Selection:
    """cluster.exe's `[[/cluster:]NAME]` before the command; without it, None (the only cluster)."""
    if args and args[0].lower().startswith("/cluster:"):
        return Selection(args[0].split(":", 1)[1], args[1:])
    if args and args[0].lower() not in OBJECTS and args[0].lower() not in NATIVE + CLI_ONLY:
        if not args[0].startswith(("/", "-")) and len(args) > 1:
            return Selection(args[0], args[1:])
    return Selection(None, args)
