"""Which front end runs a command typed at a Windows prompt (`route`, `netsh`, `ipconfig`)."""

from __future__ import annotations

import importlib

from routekeeper.core.host import Host
from routekeeper.frontends.base import Output

TOOLS = {
    "route": "routekeeper.frontends.route",
    "netsh": "routekeeper.frontends.netsh",
    "ipconfig": "routekeeper.frontends.ipconfig",
}


def tool_name(word: str) -> str:
    name = word.lower()
    return name[:-4] if name.endswith(".exe") else name


def is_tool(word: str) -> bool:
    return tool_name(word) in TOOLS


def run_tool(host: Host, argv: list[str]) -> Output:
    """Run `argv` (tool name first) against `host`; the host's journal records what changed."""
    if not argv or not is_tool(argv[0]):
        word = argv[0] if argv else ""
        return Output(stderr=f"routekeeper: unknown command '{word}'\n", exit=2)
    module = importlib.import_module(TOOLS[tool_name(argv[0])])
    return module.run(host, argv[1:])
