"""The Windows tools (`route`, `netsh`, `ipconfig`) run on the chosen host in one unit of work."""

from __future__ import annotations

from routekeeper.app.errors import printable
from routekeeper.app.session import Session
from routekeeper.frontends import registry, route
from routekeeper.frontends.base import Output


def run_tool(session: Session, words: list[str]) -> int:
    """Run `words` (tool name first); a command that fails keeps none of its changes."""
    if registry.tool_name(words[0]) == "route" and route.is_print(words[1:]):
        # Streamed line by line: a table of a million routes never becomes one string. Without -f it
        # only reads, so it reads without the write lock.
        with session.host(read_only=not route.parse(words[1:]).flush) as unit:
            for line in route.print_lines(unit.subject, words[1:]):
                session.out.write(line + "\n")
        return 0
    views_only = registry.tool_name(words[0]) == "ipconfig"  # ipconfig never changes a host
    with session.host(read_only=views_only) as unit:
        result = registry.run_tool(unit.subject, words)
        if not result.commit:
            unit.discard()
    emit(session, result)  # only once the unit has committed: never ' OK!' before a failed COMMIT
    return result.exit


def emit(session: Session, result: Output) -> None:
    """What a front end printed, on the session's streams."""
    if result.stdout:
        session.out.write(result.stdout)
    if result.stderr:
        session.err.write(printable_lines(result.stderr))


def printable_lines(text: str) -> str:
    """A front end's error text with each line passed through `errors.printable` (an argument echoed
    in a Windows message is escaped and shortened like one in routekeeper's own)."""
    return "".join(printable(line) + "\n" for line in text.splitlines())
