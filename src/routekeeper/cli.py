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
from dataclasses import dataclass
from typing import TextIO

from routekeeper.app.session import CommandTable, Handler, Session, command_text, state_path
from routekeeper.frontends.base import UsageError

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
    """The leading `--NAME VALUE` / `--NAME=VALUE` options, and the command's words after them."""
    opts: dict[str, str] = {}
    names = GlobalOptions.__dataclass_fields__
    i = 0
    while i < len(argv) and argv[i].startswith("--") and argv[i][2:].split("=")[0] in names:
        name, sep, value = argv[i][2:].partition("=")
        if not sep:
            if i + 1 >= len(argv):
                raise UsageError(f"--{name} needs a value")
            value = argv[i + 1]
            i += 1
        opts[name] = value
        i += 1
    options = GlobalOptions(**opts)
    if options.backend not in ("sim", "linux"):
        raise UsageError(f"unknown backend {options.backend!r} (choose sim or linux)")
    return options, argv[i:]


def run(argv: list[str], out: TextIO, err: TextIO, env: dict[str, str] | None = None) -> int:
    """Run one command line in-process; returns the exit status. Never raises."""
    try:
        options, words = parse_global_options(argv)
        if words and options.node and options.host:
            raise UsageError("give --host or --node, not both")
        state = state_path(options.state, env)
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


def lazy(module: str, name: str, **options: bool) -> Handler:
    """A command handler imported when its command runs, not when the command line starts: `--help`
    and one command each load only what they use. With `options`, `name` is a factory called with them
    (`interface_command(connected=True)`)."""

    def handler(session: Session, args: list[str]) -> int:
        found = getattr(importlib.import_module(f"routekeeper.app.{module}"), name)
        return (found(**options) if options else found)(session, args)

    handler.__qualname__ = handler.__name__ = f"{module}.{name}"
    return handler


def cmd_keep(ctx: Session, args: list[str]) -> int:
    from routekeeper.app import keep

    return keep.main(args)


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


COMMANDS = CommandTable(
    handlers={
        "host": lazy("hosts", "cmd_host"),
        "add-address": lazy("operations", "cmd_add_address"),
        "delete-address": lazy("operations", "cmd_delete_address"),
        "add-route": lazy("operations", "cmd_add_route"),
        "delete-route": lazy("operations", "cmd_delete_route"),
        "change-route": lazy("operations", "cmd_change_route"),
        "connect": lazy("operations", "interface_command", connected=True),
        "disconnect": lazy("operations", "interface_command", connected=False),
        "enable": lazy("operations", "interface_command", enabled=True),
        "disable": lazy("operations", "interface_command", enabled=False),
        "set-metric": lazy("operations", "cmd_set_metric"),
        "set-promote": lazy("operations", "cmd_set_promote"),
        "flush-gateways": lazy("operations", "cmd_flush"),
        "routes": lazy("operations", "cmd_routes"),
        "lookup": lazy("operations", "cmd_lookup"),
        "log": lazy("operations", "cmd_log"),
        "why": lazy("operations", "cmd_why"),
        "whatif": lazy("whatif", "cmd_whatif"),
        "scenario": lazy("transcripts", "cmd_scenario"),
        "demo": lazy("demo", "cmd_demo"),
        "hotfix": lazy("hotfix", "cmd_hotfix"),
        "keep": cmd_keep,
        "reg": lazy("reg", "cmd_reg"),
        "cluster": lazy("cluster", "cmd_cluster"),
    },
    help=HELP,
)


def main(argv: list[str] | None = None) -> int:
    status = run(sys.argv[1:] if argv is None else argv, sys.stdout, sys.stderr, dict(os.environ))
    # cluster.exe reports Win32 error codes (5013, 5070, ...); a process exit status keeps 8 bits.
    return status if 0 <= status <= 255 else 1


if __name__ == "__main__":
    sys.exit(main())
