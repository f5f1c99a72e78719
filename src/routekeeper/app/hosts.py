"""`routekeeper host ...`: make, list, inspect, reboot and delete simulated hosts."""

from __future__ import annotations

from dataclasses import replace

from routekeeper.app import hotfix
from routekeeper.app.arguments import no_arguments, parse, parser, subcommand
from routekeeper.app.errors import CommandFailed
from routekeeper.app.session import Session
from routekeeper.core import operations as op
from routekeeper.core.events import Kind
from routekeeper.core.host import Host
from routekeeper.core.profiles import PROFILES, get_profile
from routekeeper.frontends import native
from routekeeper.store import clusters as cluster_store
from routekeeper.store.hosts import Transaction

SUBCOMMANDS = {
    "init": "make a simulated host (a profile, or a Windows host's facts or inventory)",
    "add-interface": "add a network adapter: index=N name=... [description= mac= speed= metric= mtu=]",
    "show": "the host's interfaces and addresses",
    "list": "the hosts in the state file",
    "reboot": "restart the host: persistent routes are plumbed again",
    "delete": "remove a host from the state file",
    "apply-hotfix": "install the fix on a prehotfix host (in effect after 'host reboot')",
}


def cmd_host(session: Session, args: list[str]) -> int:
    sub, rest = subcommand("host", args, SUBCOMMANDS)
    if sub == "init":
        return _init(session, rest)
    if sub == "apply-hotfix":
        no_arguments("host apply-hotfix", rest, SUBCOMMANDS[sub])
        return _apply_hotfix(session)
    if sub == "list":
        return _list(session, rest)
    if sub == "delete":
        p = parser("host delete", SUBCOMMANDS[sub])
        p.add_argument("name")
        ns = parse(p, rest)
        with session.store().transaction() as tx:
            member = cluster_store.node_of_host(tx, ns.name)
            if member is not None:
                cluster, node = member
                raise CommandFailed(
                    f"host {ns.name!r} is the stack of node {node} of cluster {cluster}; it goes with the"
                    f" cluster ('routekeeper cluster delete {cluster}')"
                )
            if not tx.delete_host(ns.name):
                raise CommandFailed(f"no host {ns.name!r}")
        return 0
    if sub == "add-interface":
        p = parser("host add-interface", SUBCOMMANDS[sub])
        p.add_argument("settings", nargs="+", metavar="KEY=VALUE", help=", ".join(native.INTERFACE_KEYS))
        iface = native.parse_interface_spec(parse(p, rest).settings)
        with session.host() as unit:
            unit.subject.apply(op.AddInterface(iface))
        return 0
    if sub == "show":
        return _show(session, rest)
    no_arguments("host reboot", rest, SUBCOMMANDS[sub])
    return _reboot(session)


def _list(session: Session, args: list[str]) -> int:
    p = parser("host list", SUBCOMMANDS["list"])
    p.add_argument("--json", action="store_true", help="as JSON (docs/json.md)")
    ns = parse(p, args)
    names = session.store().host_names()
    if ns.json:
        session.out.write(native.to_json({"hosts": [{"name": n, "profile": pr} for n, pr in names]}))
        return 0
    for name, profile in names:
        session.out.write(f"{name}\t{profile}\n")
    return 0


def _show(session: Session, args: list[str]) -> int:
    p = parser("host show", SUBCOMMANDS["show"])
    p.add_argument("--json", action="store_true", help="as JSON (docs/json.md)")
    ns = parse(p, args)
    with session.host(read_only=True) as unit:
        if ns.json:
            session.out.write(native.to_json(native.host_dict(unit.subject)))
            return 0
        for line in native.host_text(unit.subject):
            session.out.write(line + "\n")
    return 0


def _init(session: Session, args: list[str]) -> int:
    p = parser("host init", SUBCOMMANDS["init"])
    p.add_argument("name", nargs="?")
    p.add_argument("--profile", choices=sorted(PROFILES))
    p.add_argument("--os", help='the Windows product this host stands for, e.g. "Windows 7"')
    p.add_argument("--sp", help="its service pack level (0, 1, 2)")
    p.add_argument("--arch", help="x86, x64 or ia64")
    p.add_argument(
        "--from-inventory",
        action="extend",
        nargs="+",
        metavar="FILE",
        help="systeminfo output and file-version listings of a real host: the profile follows "
        "whether it carries the fix",
    )
    p.add_argument("--force", action="store_true", help="replace an existing host of that name")
    ns = parse(p, args)
    name = ns.name or session.host_name
    facts, profile, note = hotfix.facts_for_init(ns.os, ns.sp, ns.arch, ns.from_inventory, ns.profile)
    session.creates_state = True
    store = session.store()
    with store.transaction() as tx:
        if tx.host_id(name) is not None:
            if not ns.force:
                raise CommandFailed(f"host {name!r} already exists (use --force to replace it)")
            tx.delete_host(name)
        tx.create_host(Host(profile, name=name))
        tx.set_facts(name, facts)
    session.out.write(f"created host {name} (profile {profile}) in {store.path}\n")
    if note:
        session.out.write(note + "\n")
    return 0


def _apply_hotfix(session: Session) -> int:
    """Install the fix: checked now, in effect from the next `host reboot` (a restart is required)."""
    with session.store().transaction() as tx:
        host = tx.load(session.host_name)
        if host is None:
            raise CommandFailed(f"no host {session.host_name!r}")
        facts = tx.facts(session.host_name)
        message = hotfix.apply_hotfix(host.profile.name, facts)
        tx.set_facts(session.host_name, replace(facts, pending_profile="hotfix"))
    session.out.write(message + "\n")
    return 0


def _reboot(session: Session) -> int:
    with session.host() as unit:
        host = unit.subject
        switched = _switch_pending_profile(unit.tx, host) if unit.tx is not None else None
        host.apply(op.Reboot())
        restored = sum(1 for e in host.journal if e.kind is Kind.ROUTE_RESTORED)
    if switched:
        session.out.write(f"the installed hotfix took effect: profile {switched}\n")
    session.out.write(f"rebooted {session.host_name}: {restored} persistent routes plumbed\n")
    return 0


def _switch_pending_profile(tx: Transaction, host: Host) -> str | None:
    """At reboot, a hotfix installed with `host apply-hotfix` takes effect (restart requirement)."""
    facts = tx.facts(host.name)
    if facts.pending_profile is None:
        return None
    host.profile = get_profile(facts.pending_profile)
    tx.set_profile(host.name, facts.pending_profile)
    tx.set_facts(host.name, replace(facts, pending_profile=None))
    return facts.pending_profile
