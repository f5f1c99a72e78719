"""`routekeeper host ...`: make, list, inspect, reboot and delete simulated hosts."""

from __future__ import annotations

from dataclasses import replace

from routekeeper.app import hotfix
from routekeeper.app.arguments import parse, parser
from routekeeper.app.errors import CommandFailed
from routekeeper.app.session import Session
from routekeeper.core import operations as op
from routekeeper.core.events import Kind
from routekeeper.core.host import Host
from routekeeper.core.profiles import PROFILES, get_profile
from routekeeper.frontends import native
from routekeeper.frontends.base import UsageError
from routekeeper.store import clusters as cluster_store
from routekeeper.store.hosts import Transaction


def cmd_host(session: Session, args: list[str]) -> int:
    if not args:
        raise UsageError("host: expected init, add-interface, show, reboot, list or delete")
    sub, rest = args[0], args[1:]
    if sub == "init":
        return _init(session, rest)
    if sub == "apply-hotfix":
        return _apply_hotfix(session, rest)
    if sub == "list":
        for name, profile in session.store().host_names():
            session.out.write(f"{name}\t{profile}\n")
        return 0
    if sub == "delete":
        p = parser("host delete")
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
        if not rest:
            raise UsageError(
                'host add-interface: expected index=N name="..." [description= mac= speed= metric= mtu= '
                "connected= type=ethernet|wireless|other|isatap|teredo|6to4 linklocal=fe80::...]"
            )
        iface = native.parse_interface_spec(rest)
        with session.host() as unit:
            unit.subject.apply(op.AddInterface(iface))
        return 0
    if sub == "show":
        with session.host(read_only=True) as unit:
            for line in native.host_text(unit.subject):
                session.out.write(line + "\n")
        return 0
    if sub == "reboot":
        return _reboot(session)
    raise UsageError(f"host: unknown subcommand {sub!r}")


def _init(session: Session, args: list[str]) -> int:
    p = parser("host init")
    p.add_argument("name", nargs="?")
    p.add_argument("--profile", choices=sorted(PROFILES))
    p.add_argument("--os", help='the Windows product this host stands for, e.g. "Windows 7"')
    p.add_argument("--sp", help="its service pack level (0, 1, 2)")
    p.add_argument("--arch", help="x86, x64 or ia64")
    p.add_argument(
        "--from-inventory",
        action="append",
        metavar="FILE",
        help="systeminfo output and file-version listings of a real host: the profile follows "
        "whether it carries the fix",
    )
    p.add_argument("--force", action="store_true", help="replace an existing host of that name")
    ns = parse(p, args)
    name = ns.name or session.host_name
    facts, profile, note = hotfix.facts_for_init(ns.os, ns.sp, ns.arch, ns.from_inventory, ns.profile)
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


def _apply_hotfix(session: Session, args: list[str]) -> int:
    """Install the fix: checked now, in effect from the next `host reboot` (a restart is required)."""
    if args:
        raise UsageError("host apply-hotfix takes no arguments")
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
