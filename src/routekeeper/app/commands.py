"""Run one command's words on a session: a Windows tool, the help, or one of the session's commands.

`execute` is a whole command after the global options (what `routekeeper ...`, `--node`, and every
transcript line run); `dispatch` runs the words only, and is what a command that runs another command
(what-if) calls. `--help` anywhere is `HelpRequested`, caught here: the help is printed, exit 0, and
the command (and a what-if around it) has done nothing.
"""

from __future__ import annotations

from routekeeper.app import errors
from routekeeper.app.arguments import HELP_WORDS
from routekeeper.app.session import Session
from routekeeper.app.tools import run_tool
from routekeeper.frontends import registry
from routekeeper.frontends.base import HelpRequested, UsageError


def dispatch(session: Session, words: list[str]) -> int:
    word = words[0]
    if registry.is_tool(word):
        return run_tool(session, words)
    if word in ("-h", "--help", "help"):
        session.out.write(session.commands.help)
        return 0
    handler = session.commands.handlers.get(word)
    if handler is None:
        raise UsageError(f"unknown command {word!r}; try 'routekeeper --help'")
    return handler(session, words[1:])


def _asks_help(words: list[str]) -> bool:
    """A native command asking for its help, which needs no host (`--node N host show --help` works
    without a cluster). Not a Windows tool or a what-if: they would run the rest on a host."""
    return (
        words[0] not in ("whatif",) and not registry.is_tool(words[0]) and bool(set(words) & set(HELP_WORDS))
    )


def execute(session: Session, words: list[str], node: str | None = None, cluster: str | None = None) -> int:
    """Run `words` on the session's host, or on the host of cluster node `node`; returns the exit
    status and never raises (a failure is one line on the session's error stream)."""
    try:
        if not words:
            raise UsageError("no command given; try 'routekeeper --help'")
        if node is not None and not _asks_help(words):
            from routekeeper.app.cluster import resolve_node  # only `--node` needs the cluster model

            require_up = bool(words) and registry.is_tool(words[0])  # a node that is down runs no tool
            session.host_name = resolve_node(session.store(), node, cluster, require_up)
        return dispatch(session, words)
    except HelpRequested as help:  # raised before the command opened or changed anything
        session.out.write(help.text)
        return 0
    except (Exception, KeyboardInterrupt) as exc:
        return errors.report(exc, session.err)
    finally:
        session.close()
