"""netsh's help (`/?`, `?`, `help`) in netsh's own layout, with routekeeper's wording.

A context's help lists its commands (`name - what it does`) as netsh does; a command's help is a usage
line built from the command's tags in their positional order, a table of the tags, and remarks. The
layout (the blank lines, the 7-space indent of the tag table, the column the dashes stand in) follows
Windows 7's netsh; every sentence is ours. Help never acts on the host.
"""

from __future__ import annotations

from collections.abc import Iterator
from textwrap import wrap

USAGE_TOP = (
    "Usage: netsh [-a AliasFile] [-c Context] [-r RemoteMachine] [-u [DomainName\\]UserName] "
    "[-p Password | *]\n             [Command | -f ScriptFile]"
)
FOOTER = "To view help for a command, type the command, followed by a space, and then\n type ?."
NOT_MODELLED = "(exists in Windows 7's netsh; not modelled by routekeeper)"

# What each command word does, in our words.
WORDS = {
    "?": "Shows the commands of this context.",
    "help": "Shows the commands of this context.",
    "add": "Adds an entry.",
    "delete": "Removes an entry.",
    "set": "Changes a setting.",
    "show": "Shows settings and tables.",
    "dump": "Prints a script of the configuration. " + NOT_MODELLED,
    "interface": "Enters the `netsh interface' context: addresses, routes and interface settings.",
    "ipv4": "Enters the `netsh interface ipv4' context.",
    "ipv6": "Enters the `netsh interface ipv6' context.",
    "install": "Installs the protocol. " + NOT_MODELLED,
    "uninstall": "Uninstalls the protocol. " + NOT_MODELLED,
    "reset": "Resets the protocol's configuration. " + NOT_MODELLED,
    "renew": "Renews the addresses of an interface. " + NOT_MODELLED,
}
# What each noun names, after "Adds", "Shows", ...
NOUN_WORDS = {
    "address": "an interface address (and its default gateway)",
    "addresses": "the addresses of each interface",
    "route": "a route of the routing table",
    "interface": "the settings of an interface (metric, MTU)",
    "interfaces": "the interface table",
    "config": "each interface's address, gateway and metric",
    "ipaddresses": "the address table of each interface",
}
NOUN_VERBS = {"add": "Adds", "delete": "Removes", "set": "Changes", "show": "Shows"}

# The value each tag takes, for the usage line, and what it means, for the tag table.
TAG_VALUES = {
    "name": ("<string>", "The interface: its name or its index."),
    "interface": ("<string>", "The interface: its name or its index."),
    "address": ("<IP address>[/<integer>]", "The address, optionally with its prefix length."),
    "mask": ("<IPv4 mask>", "The subnet mask of an IPv4 address given without a length."),
    "gateway": ("<IP address>|none", "The default gateway of the interface."),
    "gwmetric": ("<integer>", "The metric of the default gateway route (0-9999)."),
    "type": ("unicast|anycast", "The kind of address; only unicast is modelled."),
    "validlifetime": ("<integer>|infinite", "Checked but not modelled: addresses and routes live on."),
    "preferredlifetime": ("<integer>|infinite", "Checked but not modelled."),
    "store": ("active|persistent", "active: until the next reboot; persistent (default): also after it."),
    "skipassource": ("true|false", "Whether the address may be a source address (default false)."),
    "source": ("dhcp|static", "Where the addresses come from."),
    "subinterface": ("<string>", "A subinterface. Not modelled."),
    "prefix": ("<IP address>/<integer>", "The destination of the route."),
    "nexthop": ("<IP address>", "The gateway; on-link when left out. A zone must be the interface's."),
    "siteprefixlength": ("<integer>", "Checked but not modelled."),
    "metric": ("<integer>", "The metric (routes 0-9999, interfaces 1-9999)."),
    "publish": ("no|age|yes", "Only `no' is modelled."),
    "mtu": ("<integer>", "The link MTU (576-65535 in ipv4, 1280-65535 in ipv6)."),
    "level": ("normal|verbose", "Only `normal' is modelled."),
}


def text(
    path: list[str],
    top: tuple[str, ...],
    interface_context: tuple[str, ...],
    verbs: dict[int, tuple[str, ...]],
    nouns: dict[tuple[int, str], tuple[str, ...]],
    tags: dict[tuple[int, str, str], tuple[str, ...]],
) -> str:
    """The help of the context or command `path` names (its words already resolved)."""
    family = {"ipv4": 4, "ipv6": 6}.get(path[1]) if len(path) > 1 and path[0] == "interface" else None
    if not path:
        lines = ["", USAGE_TOP, "", *_context(top)]
    elif path == ["interface"]:
        lines = ["", *_context(interface_context)]
    elif family is not None and len(path) == 2:
        lines = ["", *_context(verbs[family])]
    elif family is not None and len(path) == 3 and (family, path[2]) in nouns:
        lines = ["", *_group(path[2], nouns[(family, path[2])])]
    elif family is not None and len(path) == 4:
        lines = ["", *_command(path[2], path[3], tags.get((family, path[2], path[3])))]
    else:
        lines = ["", f"Usage: {' '.join(path)}", "", f"Remarks: {NOT_MODELLED}"]
    return "\n".join(lines) + "\n\n"


def _context(commands: tuple[str, ...]) -> Iterator[str]:
    yield "The following commands are available:"
    yield ""
    yield "Commands in this context:"
    width = max(14, *(len(c) + 1 for c in commands))
    for c in commands:
        yield f"{c:<{width}} - {WORDS.get(c, NOT_MODELLED)}"
    yield ""
    yield FOOTER


def _group(verb: str, nouns: tuple[str, ...]) -> Iterator[str]:
    yield "The following commands are available:"
    yield ""
    yield "Commands in this context:"
    width = max(14, *(len(f"{verb} {n}") + 1 for n in nouns))
    for n in nouns:
        what = NOUN_WORDS.get(n)
        described = f"{NOUN_VERBS.get(verb, 'Acts on')} {what}." if what else NOT_MODELLED
        yield f"{verb + ' ' + n:<{width}} - {described}"
    yield ""
    yield FOOTER


def _command(verb: str, noun: str, tags: tuple[str, ...] | None) -> Iterator[str]:
    if tags is None:
        yield f"Usage: {verb} {noun}"
        yield ""
        yield f"Remarks: {NOT_MODELLED}"
        return
    parts = [f"[{t}=]{TAG_VALUES.get(t, ('<string>', ''))[0]}" for t in tags]
    usage = wrap(f"Usage: {verb} {noun} " + " ".join(parts), 79, subsequent_indent=" " * 13)
    yield from usage
    yield ""
    yield "Parameters:"
    yield ""
    width = max(12, *(len(t) for t in tags))
    yield f"       {'Tag':<{width + 3}}Value"
    for t in tags:
        yield f"       {t:<{width}} - {TAG_VALUES.get(t, ('', NOT_MODELLED))[1]}"
    yield ""
    yield "Remarks: Tags may be left out where the values come in this order; a tag may be"
    yield "         shortened to any prefix no other tag of the command shares."
