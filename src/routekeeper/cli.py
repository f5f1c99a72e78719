"""The `routekeeper` (alias `rk`) command line.

Global options come first (`--state FILE`, `--host NAME`, `--backend sim|linux`, `--netns NAME`), then
either a Windows tool (`route`, `netsh`, `ipconfig`) or one of routekeeper's own commands. Each command
runs in one store transaction. Errors are one line `routekeeper: ...`: exit 2 for usage, 1 for a refused
operation; a traceback never reaches the user.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TextIO

from routekeeper.app import hotfix as hotfix_link
from routekeeper.core import operations as op
from routekeeper.core.events import Event, Kind
from routekeeper.core.host import Host
from routekeeper.core.operations import Refused
from routekeeper.core.profiles import PROFILES, get_profile
from routekeeper.core.values import IP, AddressStore, Prefix, ValueParseError
from routekeeper.frontends import native, registry
from routekeeper.frontends.base import Output
from routekeeper.frontends.native import SpecError
from routekeeper.store.hosts import Store, StoreError, Transaction, default_state_path

DEFAULT_HOST = "default"


class UsageError(Exception):
    """A malformed command line: exit status 2."""


class Failure(Exception):
    """A command that cannot be carried out: exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


@dataclass
class Context:
    out: TextIO
    err: TextIO
    state: str
    host_name: str
    backend: str = "sim"
    netns: str | None = None
    command_text: str = ""
    state_override: str | None = None
    _store: Store | None = field(default=None, repr=False)
    _tx: Transaction | None = field(default=None, repr=False)

    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.state)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def switch_pending_profile(self, host: Host) -> str | None:
        """At reboot, a hotfix installed with `host apply-hotfix` takes effect (restart requirement)."""
        if self._tx is None:
            return None
        facts = self._tx.facts(host.name)
        if facts.pending_profile is None:
            return None
        host.profile = get_profile(facts.pending_profile)
        self._tx.set_profile(host.name, facts.pending_profile)
        self._tx.set_facts(host.name, replace(facts, pending_profile=None))
        return facts.pending_profile

    @contextmanager
    def host(self, commit: bool = True) -> Iterator[Host]:
        """The chosen host for one command; its journal is written back on success when `commit`."""
        if self.backend == "linux":
            from routekeeper.app import linux_session  # pyroute2 is only needed here

            try:
                with linux_session.session(self.netns, self.state_override) as host:
                    yield host
            except (linux_session.NotPermitted, linux_session.KernelRefused) as exc:
                raise Failure(str(exc).removeprefix("routekeeper: ")) from None
            return
        store = self.store()
        with store.transaction() as tx:
            self._tx = tx
            host = tx.load(self.host_name)
            if host is None:
                raise Failure(
                    f"no host {self.host_name!r} in {store.path}; create it with "
                    f"'routekeeper --host {self.host_name} host init --profile hotfix'"
                )
            ok = True
            try:
                yield host
            except BaseException:
                ok = False
                raise
            finally:
                if ok and commit and host.journal:
                    tx.save(host, host.journal, self.command_text)
                elif not (ok and commit):
                    tx.rollback()


def _parse_globals(argv: list[str]) -> tuple[dict[str, str | None], list[str]]:
    opts: dict[str, str | None] = {
        "state": None,
        "host": None,
        "node": None,
        "cluster": None,
        "backend": "sim",
        "netns": None,
    }
    i = 0
    while i < len(argv) and argv[i].startswith("--") and argv[i][2:].split("=")[0] in opts:
        name, sep, value = argv[i][2:].partition("=")
        if not sep:
            if i + 1 >= len(argv):
                raise UsageError(f"--{name} needs a value")
            value = argv[i + 1]
            i += 1
        opts[name] = value
        i += 1
    if opts["backend"] not in ("sim", "linux"):
        raise UsageError(f"unknown backend {opts['backend']!r} (choose sim or linux)")
    return opts, argv[i:]


def run(argv: list[str], out: TextIO, err: TextIO, env: dict[str, str] | None = None) -> int:
    """Run one command line in-process; returns the exit status. Never raises."""
    ctx = None
    try:
        opts, rest = _parse_globals(argv)
        if opts["state"]:
            state = opts["state"]
        elif env is not None and env.get("ROUTEKEEPER_STATE"):
            state = env["ROUTEKEEPER_STATE"]
        else:
            state = str(default_state_path())
        ctx = Context(out, err, state, opts["host"] or DEFAULT_HOST, opts["backend"] or "sim", opts["netns"])
        ctx.state_override = opts["state"]
        ctx.command_text = " ".join(f'"{w}"' if not w or " " in w else w for w in rest)
        if not rest:
            raise UsageError("no command given; try 'routekeeper --help'")
        if opts["node"]:
            if opts["host"]:
                raise UsageError("give --host or --node, not both")
            from routekeeper.frontends.cluster import run_node_cli

            return run_node_cli(ctx, opts["node"], rest, opts["cluster"])
        return dispatch(ctx, rest)
    except UsageError as exc:
        err.write(f"routekeeper: {exc}\n")
        return 2
    except (Failure, StoreError, hotfix_link.LinkError) as exc:
        err.write(f"routekeeper: {exc}\n")
        return 1
    except Refused as exc:
        err.write(f"routekeeper: {exc.detail}\n")
        return 1
    except (SpecError, ValueParseError) as exc:
        err.write(f"routekeeper: {exc}\n")
        return 2
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        err.write("routekeeper: interrupted\n")
        return 130
    except Exception as exc:  # the last line of defence: one line, never a traceback
        err.write(f"routekeeper: internal error: {type(exc).__name__}: {exc}\n")
        return 70
    finally:
        if ctx is not None:
            ctx.close()


def dispatch(ctx: Context, rest: list[str]) -> int:
    word = rest[0]
    if registry.is_tool(word):
        return run_windows(ctx, rest)
    if word in ("-h", "--help", "help"):
        ctx.out.write(HELP)
        return 0
    handler = COMMANDS.get(word)
    if handler is None:
        raise UsageError(f"unknown command {word!r}; try 'routekeeper --help'")
    return handler(ctx, rest[1:])


def run_windows(ctx: Context, words: list[str]) -> int:
    if registry.tool_name(words[0]) == "route":
        from routekeeper.frontends import route

        if route.is_print(words[1:]):
            # Streamed line by line: a table of a million routes never becomes one string.
            with ctx.host() as host:
                for line in route.print_lines(host, words[1:]):
                    ctx.out.write(line + "\n")
            return 0
    with ctx.host() as host:
        result = registry.run_tool(host, words)
        _emit(ctx, result)
        if not result.commit:
            host.journal.clear()
    return result.exit


def _emit(ctx: Context, result: Output) -> None:
    if result.stdout:
        ctx.out.write(result.stdout)
    if result.stderr:
        ctx.err.write(result.stderr)


# ---------------------------------------------------------------------- native commands
def _parser(prog: str) -> _Parser:
    return _Parser(prog=f"routekeeper {prog}", add_help=True, exit_on_error=False)


def _parse(parser: _Parser, args: list[str]) -> argparse.Namespace:
    try:
        return parser.parse_args(args)
    except argparse.ArgumentError as exc:
        raise UsageError(f"{parser.prog}: {exc}") from None


def cmd_host(ctx: Context, args: list[str]) -> int:
    if not args:
        raise UsageError("host: expected init, add-interface, show, reboot, list or delete")
    sub, rest = args[0], args[1:]
    if sub == "init":
        p = _parser("host init")
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
        ns = _parse(p, rest)
        name = ns.name or ctx.host_name
        facts, profile, note = hotfix_link.facts_for_init(
            ns.os, ns.sp, ns.arch, ns.from_inventory, ns.profile
        )
        store = ctx.store()
        with store.transaction() as tx:
            if tx.host_id(name) is not None:
                if not ns.force:
                    raise Failure(f"host {name!r} already exists (use --force to replace it)")
                tx.delete_host(name)
            tx.create_host(Host(profile, name=name))
            tx.set_facts(name, facts)
        ctx.out.write(f"created host {name} (profile {profile}) in {store.path}\n")
        if note:
            ctx.out.write(note + "\n")
        return 0
    if sub == "apply-hotfix":
        if rest:
            raise UsageError("host apply-hotfix takes no arguments")
        with ctx.store().transaction() as tx:
            host = tx.load(ctx.host_name)
            if host is None:
                raise Failure(f"no host {ctx.host_name!r}")
            facts = tx.facts(ctx.host_name)
            message = hotfix_link.apply_hotfix(host.profile.name, facts)
            tx.set_facts(ctx.host_name, replace(facts, pending_profile="hotfix"))
        ctx.out.write(message + "\n")
        return 0
    if sub == "list":
        for name, profile in ctx.store().host_names():
            ctx.out.write(f"{name}\t{profile}\n")
        return 0
    if sub == "delete":
        p = _parser("host delete")
        p.add_argument("name")
        ns = _parse(p, rest)
        with ctx.store().transaction() as tx:
            if not tx.delete_host(ns.name):
                raise Failure(f"no host {ns.name!r}")
        return 0
    if sub == "add-interface":
        if not rest:
            raise UsageError('host add-interface: expected index=N name="..." [description= mac= speed=]')
        iface = native.parse_interface_spec(rest)
        with ctx.host() as host:
            host.apply(op.AddInterface(iface))
        return 0
    if sub == "show":
        with ctx.host(commit=False) as host:
            for line in native.host_text(host):
                ctx.out.write(line + "\n")
        return 0
    if sub == "reboot":
        with ctx.host() as host:
            switched = ctx.switch_pending_profile(host)
            host.apply(op.Reboot())
            restored = sum(1 for e in host.journal if e.kind is Kind.ROUTE_RESTORED)
        if switched:
            ctx.out.write(f"the installed hotfix took effect: profile {switched}\n")
        ctx.out.write(f"rebooted {ctx.host_name}: {restored} persistent routes plumbed\n")
        return 0
    raise UsageError(f"host: unknown subcommand {sub!r}")


def _ip(text: str) -> IP:
    return IP.parse(text)


def cmd_add_address(ctx: Context, args: list[str]) -> int:
    p = _parser("add-address")
    p.add_argument("interface")
    p.add_argument("address", help="ADDRESS/LENGTH")
    p.add_argument("--skipassource", action="store_true")
    p.add_argument("--active-only", action="store_true", help="gone at the next reboot")
    ns = _parse(p, args)
    addr, sep, length = ns.address.partition("/")
    ip = _ip(addr)
    if not sep:
        raise UsageError("add-address: give the address as ADDRESS/LENGTH")
    store = AddressStore.ACTIVE if ns.active_only else AddressStore.PERSISTENT
    with ctx.host() as host:
        idx = native.resolve_interface(host, ns.interface)
        _print_events(ctx, host.apply(op.AddAddress(idx, ip, _length(length, ip), ns.skipassource, store)))
    return 0


def _length(text: str, ip: IP) -> int:
    if not text.isdigit() or not 0 < int(text) <= ip.bits:
        raise UsageError(f"bad prefix length {text!r}")
    return int(text)


def cmd_delete_address(ctx: Context, args: list[str]) -> int:
    p = _parser("delete-address")
    p.add_argument("interface")
    p.add_argument("address")
    ns = _parse(p, args)
    ip = _ip(ns.address.partition("/")[0])
    with ctx.host() as host:
        idx = native.resolve_interface(host, ns.interface)
        _print_events(ctx, host.apply(op.DeleteAddress(idx, ip)))
    return 0


def _route_parser(name: str) -> _Parser:
    p = _parser(name)
    p.add_argument("prefix", help="PREFIX/LENGTH, e.g. 0.0.0.0/0 or 2001:db8::/32")
    p.add_argument("--via", help="next hop (omit for on-link)")
    p.add_argument("--interface", help="interface index or name (binds the route to it)")
    return p


def cmd_add_route(ctx: Context, args: list[str]) -> int:
    p = _route_parser("add-route")
    p.add_argument("--metric", type=int)
    p.add_argument("--persistent", action="store_true")
    p.add_argument("--onlink", action="store_true", help="linux: accept a gateway that is not on-link")
    p.add_argument("--src", help="linux: preferred source address")
    ns = _parse(p, args)
    prefix = Prefix.parse(ns.prefix)
    nexthop = _ip(ns.via) if ns.via else IP(prefix.version, 0)
    with ctx.host() as host:
        idx = native.resolve_interface(host, ns.interface) if ns.interface else None
        o = op.AddRoute(
            prefix,
            nexthop,
            idx,
            ns.metric,
            ns.persistent,
            prefsrc=_ip(ns.src) if ns.src else None,
            onlink=ns.onlink,
        )
        _print_events(ctx, host.apply(o))
    return 0


def cmd_delete_route(ctx: Context, args: list[str]) -> int:
    p = _route_parser("delete-route")
    p.add_argument("--active-only", action="store_true", help="keep the persistent copy")
    ns = _parse(p, args)
    prefix = Prefix.parse(ns.prefix)
    with ctx.host() as host:
        idx = native.resolve_interface(host, ns.interface) if ns.interface else None
        o = op.DeleteRoute(prefix, _ip(ns.via) if ns.via else None, idx, persistent=not ns.active_only)
        _print_events(ctx, host.apply(o))
    return 0


def cmd_change_route(ctx: Context, args: list[str]) -> int:
    p = _route_parser("change-route")
    p.add_argument("--new-via")
    p.add_argument("--metric", type=int)
    ns = _parse(p, args)
    if ns.new_via is None and ns.metric is None:
        raise UsageError("change-route: give --new-via and/or --metric")
    prefix = Prefix.parse(ns.prefix)
    with ctx.host() as host:
        idx = native.resolve_interface(host, ns.interface) if ns.interface else None
        o = op.ChangeRoute(
            prefix,
            idx,
            _ip(ns.via) if ns.via else None,
            _ip(ns.new_via) if ns.new_via else None,
            ns.metric,
        )
        _print_events(ctx, host.apply(o))
    return 0


def _interface_command(**change: object) -> Callable[[Context, list[str]], int]:
    def handler(ctx: Context, args: list[str]) -> int:
        if len(args) != 1:
            raise UsageError("expected one interface (index or name)")
        with ctx.host() as host:
            idx = native.resolve_interface(host, args[0])
            _print_events(ctx, host.apply(op.SetInterface(idx, **change)))  # type: ignore[arg-type]
        return 0

    return handler


def cmd_set_metric(ctx: Context, args: list[str]) -> int:
    if len(args) != 2:
        raise UsageError("set-metric: expected INTERFACE METRIC|auto")
    with ctx.host() as host:
        idx = native.resolve_interface(host, args[0])
        if args[1].lower() == "auto":
            o = op.SetInterface(idx, automatic_metric=True)
        elif args[1].isdigit():
            o = op.SetInterface(idx, metric=int(args[1]))
        else:
            raise UsageError(f"set-metric: not a metric: {args[1]!r}")
        _print_events(ctx, host.apply(o))
    return 0


def cmd_set_promote(ctx: Context, args: list[str]) -> int:
    if len(args) != 2 or args[1] not in ("on", "off"):
        raise UsageError("set-promote: expected INTERFACE on|off")
    with ctx.host() as host:
        idx = native.resolve_interface(host, args[0])
        _print_events(ctx, host.apply(op.SetInterface(idx, promote_secondaries=args[1] == "on")))
    return 0


def cmd_routes(ctx: Context, args: list[str]) -> int:
    p = _parser("routes")
    p.add_argument("--json", action="store_true")
    ns = _parse(p, args)
    with ctx.host(commit=False) as host:
        if ns.json:
            ctx.out.write(native.routes_json(host))
        else:
            for line in native.routes_text(host):
                ctx.out.write(line + "\n")
    return 0


def cmd_lookup(ctx: Context, args: list[str]) -> int:
    p = _parser("lookup")
    p.add_argument("address")
    ns = _parse(p, args)
    ip = _ip(ns.address)
    with ctx.host(commit=False) as host:
        lines = native.explain_lookup(host, ip)
        found = host.lookup(ip) is not None
    ctx.out.write("\n".join(lines) + "\n")
    return 0 if found else 1


def cmd_log(ctx: Context, args: list[str]) -> int:
    p = _parser("log")
    p.add_argument("prefix", nargs="?")
    p.add_argument("--all", action="store_true", help="include system route changes")
    ns = _parse(p, args)
    prefix = str(Prefix.parse(ns.prefix)) if ns.prefix else None
    with ctx.host(commit=False):
        rows = ctx.store().log(ctx.host_name, prefix, ns.all)
    for at, command, kind, subject, reason in rows:
        ctx.out.write(f"{at}  {kind}: {subject}: {reason}  [{command}]\n")
    return 0


def cmd_why(ctx: Context, args: list[str]) -> int:
    p = _parser("why")
    p.add_argument("prefix")
    ns = _parse(p, args)
    prefix = Prefix.parse(ns.prefix)
    with ctx.host(commit=False) as host:
        history = ctx.store().log(ctx.host_name, str(prefix), everything=False)
        lines = native.explain_why(host, prefix, history)
    ctx.out.write("\n".join(lines) + "\n")
    return 0


def cmd_flush(ctx: Context, args: list[str]) -> int:
    with ctx.host() as host:
        _print_events(ctx, host.apply(op.FlushGatewayRoutes()))
    return 0


def cmd_whatif(ctx: Context, args: list[str]) -> int:
    """Run any command on the host, print what it would change, and keep nothing."""
    if not args:
        raise UsageError("whatif: expected a command, e.g. whatif netsh interface ipv4 delete address ...")
    previewable = args[0] != "host" or args[1:] == ["reboot"]
    if args[0] in ("whatif", "scenario", "demo", "keep", "hotfix", "reg", "cluster") or not previewable:
        raise UsageError(f"whatif: cannot preview {' '.join(args[:2])!r}")
    shown = io.StringIO()
    with ctx.host(commit=False) as host:
        sub = Context(shown, shown, ctx.state, ctx.host_name, ctx.backend, ctx.netns, ctx.command_text)
        sub._tx = ctx._tx  # the same transaction, rolled back at the end

        @contextmanager
        def same_host(commit: bool = True) -> Iterator[Host]:
            yield host

        sub.host = same_host  # type: ignore[method-assign]
        status = dispatch(sub, args)
        events = list(host.journal)
    ctx.out.write(shown.getvalue())
    ctx.out.write(f"What if: {' '.join(args)} (nothing was changed)\n")
    for line in describe_changes(events):
        ctx.out.write(line + "\n")
    return status


def describe_changes(events: list[Event]) -> list[str]:
    active, stored, addresses = [], [], []
    for e in events:
        if e.kind in (Kind.ROUTE_WITHDRAWN, Kind.ROUTE_REMOVED) and e.route and e.route.manual:
            active.append(f"  - {e.route.describe()}: {e.reason}")
        elif e.kind in (Kind.ROUTE_ADDED, Kind.ROUTE_RESTORED) and e.route and e.route.manual:
            active.append(f"  + {e.route.describe()}: {e.reason}")
        elif e.kind in (Kind.ROUTE_REMOVED, Kind.ROUTE_ADDED) and e.route:
            sign = "-" if e.kind is Kind.ROUTE_REMOVED else "+"
            active.append(f"  {sign} {e.route.describe()} (system): {e.reason}")
        elif e.kind is Kind.PERSISTED and e.persistent:
            stored.append(f"  + {e.persistent.describe()}")
        elif e.kind is Kind.UNPERSISTED and e.persistent:
            stored.append(f"  - {e.persistent.describe()}")
        elif e.kind in (Kind.ADDRESS_ADDED, Kind.ADDRESS_REMOVED) and e.address:
            sign = "+" if e.kind is Kind.ADDRESS_ADDED else "-"
            addresses.append(f"  {sign} {e.address} on interface {e.address.ifindex}: {e.reason}")
    lines = ["Addresses:", *(addresses or ["  unchanged"])]
    lines += ["Active table:", *(active or ["  unchanged"])]
    lines += ["Persistent store:", *(stored or ["  unchanged"])]
    lost = [e for e in events if e.kind is Kind.ROUTE_WITHDRAWN]
    if lost:
        lines.append(f"{len(lost)} manual route(s) would leave the active table.")
    return lines


def _print_events(ctx: Context, events: list[Event]) -> None:
    for e in events:
        if e.about_manual_route or e.address is not None or e.interface is not None:
            ctx.out.write(f"{e}\n")


def cmd_scenario(ctx: Context, args: list[str]) -> int:
    if not args or args[0] != "run" or len(args) < 2:
        raise UsageError("scenario: expected 'scenario run FILE...'")
    from routekeeper.app.transcripts import run_files

    return run_files(args[1:], ctx.out)


def cmd_demo(ctx: Context, args: list[str]) -> int:
    if args:
        raise UsageError("demo takes no arguments")
    from routekeeper.app.demo import run_demo

    run_demo(ctx.out)
    return 0


def cmd_hotfix(ctx: Context, args: list[str]) -> int:
    from routekeeper.hotfix.cli import main as hotfix_main

    return hotfix_main(args)


def cmd_cluster(ctx: Context, args: list[str]) -> int:
    from routekeeper.frontends.cluster import run_cli

    return run_cli(ctx, args)


def cmd_keep(ctx: Context, args: list[str]) -> int:
    from routekeeper.app import keep

    return keep.main(args)


def cmd_reg(ctx: Context, args: list[str]) -> int:
    from routekeeper.frontends import reg

    if not args or args[0] not in ("export", "import"):
        raise UsageError("reg: expected 'reg export [FILE]' or 'reg import FILE'")
    if args[0] == "export":
        with ctx.host(commit=False) as host:
            text = reg.export(host)
        if len(args) > 1:
            with open(args[1], "w", encoding="utf-16") as fh:
                fh.write(text)
        else:
            ctx.out.write(text)
        return 0
    if len(args) != 2:
        raise UsageError("reg import: expected one FILE")
    text = _read_text(args[1])
    try:
        routes = reg.parse(text)
    except ValueError as exc:
        raise Failure(f"{args[1]}: {exc}") from None
    with ctx.host() as host:
        for p in routes:
            o = op.AddRoute(p.prefix, p.nexthop, p.ifindex, p.metric, persistent=True, active=False)
            host.apply(o)
        waiting = len(host.waiting())
    ctx.out.write(f"imported {len(routes)} persistent routes ({waiting} waiting for their next hop)\n")
    return 0


def _read_text(path: str) -> str:
    try:
        raw = open(path, "rb").read()
    except OSError as exc:
        raise Failure(f"cannot read {path}: {exc.strerror}") from None
    for encoding in ("utf-16", "utf-8-sig", "cp1252"):
        if encoding == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Failure(f"{path}: cannot decode the file")


COMMANDS: dict[str, Callable[[Context, list[str]], int]] = {
    "host": cmd_host,
    "add-address": cmd_add_address,
    "delete-address": cmd_delete_address,
    "add-route": cmd_add_route,
    "delete-route": cmd_delete_route,
    "change-route": cmd_change_route,
    "connect": _interface_command(connected=True),
    "disconnect": _interface_command(connected=False),
    "enable": _interface_command(enabled=True),
    "disable": _interface_command(enabled=False),
    "set-metric": cmd_set_metric,
    "set-promote": cmd_set_promote,
    "flush-gateways": cmd_flush,
    "routes": cmd_routes,
    "lookup": cmd_lookup,
    "log": cmd_log,
    "why": cmd_why,
    "whatif": cmd_whatif,
    "scenario": cmd_scenario,
    "demo": cmd_demo,
    "hotfix": cmd_hotfix,
    "keep": cmd_keep,
    "reg": cmd_reg,
    "cluster": cmd_cluster,
}

HELP = """\
usage: routekeeper [--state FILE] [--host NAME | --node NODE [--cluster NAME]]
                   [--backend sim|linux] [--netns NAME] COMMAND ...

Windows tools (run against the chosen host):
  route ...                 route.exe: PRINT, ADD, DELETE, CHANGE, -p, -f
  netsh interface ipv4|ipv6 ...
  ipconfig [/all]

Hosts:
  host init [NAME] --profile hotfix|prehotfix|linux
  host add-interface index=N name="..." [description=...] [mac=AA-BB-..] [speed=1g] [metric=N]
  host show | host list | host reboot | host delete NAME

Operations:
  add-address IF ADDR/LEN [--skipassource] [--active-only]     delete-address IF ADDR
  add-route PREFIX [--via NH] [--interface IF] [--metric N] [--persistent]
  delete-route PREFIX [--via NH] [--interface IF] [--active-only]
  change-route PREFIX [--via NH] [--new-via NH] [--metric N]
  connect IF | disconnect IF | enable IF | disable IF | set-metric IF N|auto | set-promote IF on|off
  flush-gateways

Inspecting:
  routes [--json]           the active table and the persistent store
  lookup ADDRESS            the route chosen, and why
  log [PREFIX] [--all]      the reasoned event history
  why PREFIX                why a persistent route is or is not active
  whatif COMMAND ...        what a command would change, without changing anything

Clusters:
  cluster create NAME | add-node NODE --profile P | add-network NAME SUBNET NODE=IF...
  cluster add-adapter NETWORK NODE=IF... [--remap]
  cluster add-group G --preferred N1,N2 | add-ip-resource R --group G --network NET --address A --mask M
  cluster group ["G" /moveto:NODE | /online | /offline | /status]      (cluster.exe syntax)
  cluster resource ["R" /online | /offline | /priv [Name=Value...]]
  cluster node [N /pause | /resume | /status] | cluster fail NODE | cluster restore NODE
  cluster log | cluster whatif <cluster command>
  --node NODE <command>     run a Windows tool or native command on a node's host

Other:
  demo                      the defect report's scenario, before and after the fix
  scenario run FILE...      run command transcripts and compare their output
  reg export [FILE] | reg import FILE     the PersistentRoutes registry form
  hotfix check|files ...    does a Windows host carry the fix?
  keep ...                  the keeper daemon for a real Linux host (root)

The state file is --state, else $ROUTEKEEPER_STATE, else ~/.local/state/routekeeper/state.db.
"""


def main(argv: list[str] | None = None) -> int:
    import os

    status = run(sys.argv[1:] if argv is None else argv, sys.stdout, sys.stderr, dict(os.environ))
    # cluster.exe reports Win32 error codes (5013, 5070, ...); a process exit status keeps 8 bits.
    return status if 0 <= status <= 255 else 1


if __name__ == "__main__":
    sys.exit(main())
