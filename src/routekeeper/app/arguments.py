"""argparse for routekeeper's own commands, with its complaints turned into `UsageError` (exit 2)
instead of a usage text and `sys.exit`."""

from __future__ import annotations

import argparse

from routekeeper.core.values import IP
from routekeeper.frontends.base import UsageError


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def parser(prog: str) -> Parser:
    return Parser(prog=f"routekeeper {prog}", add_help=True, exit_on_error=False)


def parse(p: Parser, args: list[str]) -> argparse.Namespace:
    try:
        return p.parse_args(args)
    except argparse.ArgumentError as exc:
        raise UsageError(f"{p.prog}: {exc}") from None


def ip(text: str) -> IP:
    return IP.parse(text)
