"""The `routekeeper` (alias `rk`) command line: the entry point.

Global options come first (`--state FILE`, `--host NAME` or `--node NODE [--cluster NAME]`, `--backend
sim|linux`, `--netns NAME`), then either a Windows tool (`route`, `netsh`, `ipconfig`) or one of
routekeeper's own commands from the table below. The commands themselves are `routekeeper.app`; each
runs in one unit of work. Errors are one line `routekeeper: ...`: exit 2 for usage, 1 for a refused
operation; a traceback never reaches the user.
"""

from __future__ import annotations

import importlib
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import TextIO

from routekeeper.app.arguments import require_text
from routekeeper.app.session import CommandTable, Handler, Session, command_text, state_path
from routekeeper.core.numbers import shown
from routekeeper.frontends.base import HelpRequested, UsageError

DEFAULT_HOST = "default"


@dataclass
class GlobalOptions:
    """The options before the command (each also accepted as `--NAME=VALUE`)."""

    state: str | None = None
    host: str | None = None
    node: str | None = None
    cluster: str | None = None
    backend: str = "sim"
    netns: str | None = None


def parse_global_options(argv: list[str]) -> tuple[GlobalOptions, list[str]]:
    """The leading `--NAME VALUE` / `--NAME=VALUE` options, and the command's words after them.

    `-h`/`--help` and `--version` answer at once (`HelpRequested`); any other word that starts with
    `-` before the command is an unknown option, and an option given twice or with an empty value is
    a usage error rather than a silent default."""
    opts: dict[str, str] = {}
    names = GlobalOptions.__dataclass_fields__
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        word = argv[i]
        if word in ("-h", "--help"):
            raise HelpRequested(HELP)
        if word == "--version":
            raise HelpRequested(f"routekeeper {_version()}\n")
        name, sep, value = word[2:].partition("=")
        if not word.startswith("--") or name not in names:
            raise UsageError(f"unknown option {shown(word)}; try 'routekeeper --help'")
        if not sep:
            if i + 1 >= len(argv):
                raise UsageError(f"--{name} needs a value")
            value = argv[i + 1]
            i += 1
        if name in opts:
            raise UsageError(f"--{name} is given twice")
        if not value.strip():
            raise UsageError(f"--{name} needs a value, not an empty one")
        opts[name] = value
        i += 1
    options = GlobalOptions(**opts)
    if options.backend not in ("sim", "linux"):
        raise UsageError(f"unknown backend {shown(options.backend)} (choose sim or linux)")
    if options.netns is not None and options.backend != "linux":
        raise UsageError("--netns names a network namespace of a real host: give it with --backend linux")
    return options, argv[i:]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # only `--version` pays for it

    try:
        return version("routekeeper")
    except PackageNotFoundError:
        return "(not installed)"


def run(argv: list[str], out: TextIO, err: TextIO, env: dict[str, str] | None = None) -> int:
    """Run one command line in-process; returns the exit status. Never raises."""
    try:
        require_text(argv)
        options, words = parse_global_options(argv)
        if words and options.node and options.host:
            raise UsageError("give --host or --node, not both")
        state = state_path(options.state, env)
    except HelpRequested as help:
        out.write(help.text)
        return 0
    except (Exception, KeyboardInterrupt) as exc:
        from routekeeper.app.errors import report  # the error path only: it reaches the whole core

        return report(exc, err)
    if words and words[0] in HELP_WORDS and not options.node:
        out.write(HELP)  # help never acts: answered before any command (or NumPy, or SQLite) is loaded
        return 0
    from routekeeper.app.commands import execute

    session = Session(
        out,
        err,
        state,
        options.host or DEFAULT_HOST,
        COMMANDS,
        backend=options.backend or "sim",
        netns=options.netns,
        state_override=options.state,
        command_text=command_text(words),
    )
    return execute(session, words, options.node or None, options.cluster)


HELP_WORDS = ("-h", "--help", "help")


def lazy(module: str, name: str, *words: str, **options: bool) -> Handler:
    """A command handler imported when its command runs, not when the command line starts: `--help`
    and one command each load only what they use. With `words` or `options`, `name` is a factory
    called with them (`interface_command("connect", "plug the cable in", connected=True)`)."""

    def handler(session: Session, args: list[str]) -> int:
        found = getattr(importlib.import_module(f"routekeeper.app.{module}"), name)
        return (found(*words, **options) if words or options else found)(session, args)

    handler.__qualname__ = handler.__name__ = f"{module}.{name}"
    return handler


def cmd_keep(ctx: Session, args: list[str]) -> int:
    from routekeeper.app import keep

    try:  # the daemon's argparse prints its help or complaint and exits: onto this session's streams
        with redirect_stdout(ctx.out), redirect_stderr(ctx.err):
            return keep.main(args, netns=ctx.netns, state=ctx.state_override)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 2


def cmd_pacemaker(ctx: Session, args: list[str]) -> int:
    from routekeeper.app import pacemaker  # reads the kernel: only loaded when asked for

    return pacemaker.cmd_pacemaker(ctx, args)


HELP = """\
usage: routekeeper [--state FILE] [--host NAME | --node NODE [--cluster NAME]]
                   [--backend sim|linux [--netns NAME]] COMMAND ...
       routekeeper --help | --version | COMMAND --help

Windows tools (run against the chosen host):
  route ...                 route.exe: PRINT, ADD, DELETE, CHANGE, -p, -f
  netsh interface ipv4|ipv6 ...
  ipconfig [/all]

Hosts:
  host init [NAME] --profile hotfix|prehotfix|linux
  host add-interface index=N name="..." [description=...] [mac=AA-BB-..] [speed=1g] [metric=N]
  host show [--json] | host list [--json] | host reboot | host delete NAME | host apply-hotfix

Operations:
  add-address IF ADDR/LEN [--skipassource] [--active-only]     delete-address IF ADDR
  add-route PREFIX [--via NH] [--interface IF] [--metric N] [--persistent]
  delete-route PREFIX [--via NH] [--interface IF] [--active-only]
  change-route PREFIX [--via NH] [--new-via NH] [--metric N]
  connect IF | disconnect IF | enable IF | disable IF | set-metric IF N|auto | set-promote IF on|off
  flush-gateways

Inspecting:
  routes [--json]           the active table and the persistent store
  lookup ADDRESS [--json]   the route chosen, and why
  log [PREFIX] [--all] [--json]   the reasoned event history
  why PREFIX [--json]       why a persistent route is or is not active
  whatif [--json] COMMAND ...     what a command would change, without changing anything

Clusters:
  cluster create NAME | add-node NODE --profile P | add-network NAME SUBNET NODE=IF...
  cluster add-adapter NETWORK NODE=IF... [--remap]
  cluster add-group G --preferred N1,N2 | add-ip-resource R --group G --network NET --address A --mask M
  cluster group ["G" /moveto:NODE | /online | /offline | /status]      (cluster.exe syntax)
  cluster resource ["R" /online | /offline | /priv [Name=Value...]]
  cluster node [N /pause | /resume | /status] | cluster fail NODE | cluster restore NODE
  cluster show [--json] | cluster log [--json] | cluster list [--json]
  cluster whatif <cluster command>
  --node NODE <command>     run a Windows tool or native command on a node's host

Other:
  demo                      the defect report's scenario, before and after the fix
  report --html FILE        a timeline of every persistent route, as one self-contained page
  scenario run FILE...      run command transcripts and compare their output
  reg export [FILE] | reg import FILE     the PersistentRoutes registry form
  export [FILE] | import FILE               addresses and routes in bulk (JSON lines or CSV)
  hotfix check|files ...    does a Windows host carry the fix?
  keep ...                  the keeper daemon for a real Linux host (root)
  status [--json]           each kept route as the running keeper sees it (exit 1: one is missing)
  adopt PREFIX [--via NH] [--interface IF] [--metric N]   keep a route already in the kernel
  release PREFIX [--via NH] [--interface IF]              stop keeping it; the route stays
  pacemaker whatif --move R --to NODE   this node's routes if Pacemaker moved R (root)

Every command takes --help (it prints the help and does nothing else); JSON output: docs/json.md.
The state file is --state, else $ROUTEKEEPER_STATE, else ~/.local/state/routekeeper/state.db; only
'host init' and 'cluster create' create it.
"""


COMMANDS = CommandTable(
    handlers={
        "host": lazy("hosts", "cmd_host"),
        "add-address": lazy("operations", "cmd_add_address"),
        "delete-address": lazy("operations", "cmd_delete_address"),
        "add-route": lazy("operations", "cmd_add_route"),
        "delete-route": lazy("operations", "cmd_delete_route"),
        "change-route": lazy("operations", "cmd_change_route"),
        "connect": lazy("operations", "interface_command", "connect", "plug the cable in", connected=True),
        "disconnect": lazy(
            "operations", "interface_command", "disconnect", "pull the cable", connected=False
        ),
        "enable": lazy("operations", "interface_command", "enable", "enable the adapter", enabled=True),
        "disable": lazy("operations", "interface_command", "disable", "disable the adapter", enabled=False),
        "set-metric": lazy("operations", "cmd_set_metric"),
        "set-promote": lazy("operations", "cmd_set_promote"),
        "flush-gateways": lazy("operations", "cmd_flush"),
        "routes": lazy("operations", "cmd_routes"),
        "lookup": lazy("operations", "cmd_lookup"),
        "log": lazy("linux_journal", "cmd_log_any"),
        "why": lazy("linux_journal", "cmd_why_any"),
        "whatif": lazy("whatif", "cmd_whatif"),
        "scenario": lazy("transcripts", "cmd_scenario"),
        "demo": lazy("demo", "cmd_demo"),
        "report": lazy("report", "cmd_report"),
        "hotfix": lazy("hotfix", "cmd_hotfix"),
        "keep": cmd_keep,
        "status": lazy("status", "cmd_status"),
        "adopt": lazy("adopt", "cmd_adopt"),
        "release": lazy("adopt", "cmd_release"),
        "reg": lazy("reg", "cmd_reg"),
        "export": lazy("bulk", "cmd_export"),
        "import": lazy("bulk", "cmd_import"),
        "cluster": lazy("cluster", "cmd_cluster"),
        "pacemaker": cmd_pacemaker,
    },
    help=HELP,
)


def main(argv: list[str] | None = None) -> int:
    status = run(sys.argv[1:] if argv is None else argv, sys.stdout, sys.stderr, dict(os.environ))
    # cluster.exe reports Win32 error codes (5013, 5070, ...); a process exit status keeps 8 bits.
    return status if 0 <= status <= 255 else 1


if __name__ == "__main__":
    sys.exit(main())
