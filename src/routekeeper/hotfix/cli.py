"""``routekeeper hotfix``: the command-line face of the checker.

``main(argv)`` takes the words after ``hotfix`` and returns the exit status, so that the
package's top-level CLI can delegate to it and tests can call it directly:

``check``
    Judge a host from ``--os/--sp/--arch/--file NAME=VERSION`` and/or ``--inventory FILE``
    (repeatable; ``-`` reads standard input). Facts from both are merged; a contradiction is
    bad input. Exit 0 fixed, 1 affected, 2 not applicable / install the service pack first /
    bad input.
``files``
    List what the hotfix installs for ``--os``/``--arch`` (optionally one ``--sp`` level),
    from the packaged file table.

Both take ``--json``. Every error, including argparse usage errors, is one
``routekeeper: ...`` line on standard error and exit status 2, never a traceback: the checker
is meant for scripts and fleet inventories, where a traceback is noise and a stable exit
status is the interface.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from routekeeper.hotfix.errors import DataFileError, HotfixInputError, HotfixUsageError
from routekeeper.hotfix.facts import FileFact, HostFacts, basename, merge_facts
from routekeeper.hotfix.inventory import INVENTORY_LIMIT, decode_inventory, parse_inventory, read_inventory
from routekeeper.hotfix.products import OtherProduct, identify_os, normalize_arch, parse_sp
from routekeeper.hotfix.tables import FileRow, rows_for
from routekeeper.hotfix.verdict import SUPPORTED, Status, Verdict, check, describe_host
from routekeeper.hotfix.versions import build_for, level_name

__all__ = ["build_parser", "main", "render_files", "render_verdict"]

PROG = "routekeeper hotfix"
EXIT_BAD_INPUT = 2


class _ParserExit(Exception):
    """argparse asked to exit (``--help``): carry the status back to :func:`main`."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _ArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing usage and calling ``sys.exit``."""

    def error(self, message: str) -> NoReturn:
        raise HotfixUsageError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise _ParserExit(status)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``routekeeper hotfix`` (exposed for help-text generation)."""
    parser = _ArgumentParser(
        prog=PROG,
        description="Does this Windows host carry the fix for manually added routes being "
        "deleted when an additional IP address is removed?",
    )
    commands = parser.add_subparsers(dest="command", metavar="{check,files}")
    chk = commands.add_parser("check", help="judge one host from its facts or inventory")
    chk.add_argument("--os", help="e.g. 'Windows 7', 'Windows Server 2008 R2'")
    chk.add_argument("--sp", help="service pack: 0 (RTM), 1 or 2")
    chk.add_argument("--arch", help="x86, x64 or ia64")
    chk.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="NAME=VERSION",
        help="an installed file's version, e.g. tcpip.sys=6.1.7601.17514 (repeatable)",
    )
    chk.add_argument(
        "--inventory",
        action="append",
        default=[],
        metavar="FILE",
        help="systeminfo output and/or file-version listings; '-' reads stdin (repeatable)",
    )
    chk.add_argument("--json", action="store_true", help="print the verdict as JSON")
    fls = commands.add_parser("files", help="list the files the hotfix installs")
    fls.add_argument("--os", required=True, help="e.g. 'Windows Vista'")
    fls.add_argument("--arch", required=True, help="x86, x64 or ia64")
    fls.add_argument("--sp", help="only this service-pack level's files")
    fls.add_argument("--json", action="store_true", help="print the list as JSON")
    return parser


# -- check ---------------------------------------------------------------------------------


def _read_inventory(name: str) -> str:
    if name == "-":
        stream = sys.stdin
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            return decode_inventory(read_inventory(buffer, "-"))
        text = stream.read(INVENTORY_LIMIT + 1)  # a text stream (tests): bounded the same way
        if len(text) > INVENTORY_LIMIT:
            raise HotfixUsageError(f"inventory - is larger than {INVENTORY_LIMIT >> 20} MiB; refused")
        return text
    try:
        with open(name, "rb") as fh:
            return decode_inventory(read_inventory(fh, name))
    except OSError as exc:
        raise HotfixUsageError(f"cannot read inventory {name}: {exc.strerror or exc}") from None


def _file_fact(spec: str) -> FileFact:
    where, sep, version = spec.partition("=")
    if not sep or not where.strip() or not version.strip():
        raise HotfixUsageError(f"--file expects NAME=VERSION, got {spec!r}")
    name = basename(where)
    path = where.strip() if name != where.strip() else None
    return FileFact(name=name, version=version.strip(), path=path, source="--file")


def _cli_facts(args: argparse.Namespace) -> HostFacts:
    facts = HostFacts(
        os=args.os,
        sp=None if args.sp is None else parse_sp(args.sp),
        arch=args.arch,
        files=tuple(_file_fact(spec) for spec in args.file),
    )
    if args.inventory.count("-") > 1:
        raise HotfixUsageError("standard input ('-') can be read only once")
    sources = [facts]
    for name in args.inventory:
        source = "<stdin>" if name == "-" else name
        sources.append(parse_inventory(_read_inventory(name), source=source))
    return merge_facts(*sources)


def render_verdict(verdict: Verdict) -> str:
    """Human-readable verdict: a headline, then one line per file and any notes."""
    host = verdict.host
    lines: list[str] = []
    if verdict.status is Status.FIXED:
        lines.append(f"{host}: carries the fix.")
    elif verdict.status is Status.AFFECTED:
        count = len(verdict.outdated)
        files = "file is" if count == 1 else "files are"
        lines.append(
            f"{host}: affected: {count} {files} older than the hotfix's; "
            "installing the hotfix replaces each with the version shown."
        )
    else:
        lines.append(f"{host}: {verdict.reason}.")
    width = max((len(c.path or c.name) for c in verdict.checks), default=0)
    for c in verdict.checks:
        installed = f"{c.installed} ({c.branch.value})"
        if c.current:
            detail = f"current (hotfix: {c.hotfix_version})"
        else:
            detail = f"older -> replaced by {c.hotfix_version} (LDR)"
        lines.append(f"  {(c.path or c.name):<{width}}  {installed:<22} {detail}")
    if verdict.unchecked:
        lines.append(f"  not checked (not given): {', '.join(verdict.unchecked)}")
    if verdict.ignored:
        lines.append(
            "  ignored (the hotfix does not install them at this level): " + ", ".join(verdict.ignored)
        )
    lines.extend(f"  note: {note}" for note in verdict.notes)
    return "\n".join(lines)


def _cmd_check(args: argparse.Namespace) -> int:
    facts = _cli_facts(args)
    verdict = check(facts)
    if args.json:
        print(json.dumps(verdict.to_dict(), indent=2))
    else:
        print(render_verdict(verdict))
    return verdict.exit_status


# -- files ---------------------------------------------------------------------------------


def _table(rows: Sequence[FileRow]) -> list[str]:
    header = ("File name", "Version", "Size", "Date", "Time", "Platform")
    body = [(r.name, r.version_text, r.size_text, r.date, r.time, r.platform) for r in rows]
    widths = [max(len(row[k]) for row in [header, *body]) for k in range(len(header))]
    out = []
    for row in [header, *body]:
        cells = [cell.rjust(widths[k]) if k == 2 else cell.ljust(widths[k]) for k, cell in enumerate(row)]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def render_files(title: str, files: Sequence[FileRow], additional: Sequence[FileRow]) -> str:
    """Human-readable file list: the binaries, then the manifest and .mum files."""
    lines = [title]
    lines.extend(_table(files))
    lines.append("Additional files (manifests and update metadata):")
    lines.extend(_table(additional))
    return "\n".join(lines)


def _cmd_files(args: argparse.Namespace) -> int:
    product = identify_os(args.os)
    arch = normalize_arch(args.arch)
    sp = None if args.sp is None else parse_sp(args.sp)
    outcome: dict[str, object] = {"product": product.value, "arch": arch.value}
    problem = None
    if isinstance(product, OtherProduct):
        problem = (Status.NOT_APPLICABLE, f"not applicable: the hotfix is only for {SUPPORTED}")
    elif arch not in product.arches:
        problem = (
            Status.NOT_APPLICABLE,
            f"not applicable: {product.value} has no {arch.label} edition",
        )
    build = None
    if problem is None and not isinstance(product, OtherProduct):
        if sp is not None:
            sp = product.effective_sp(sp)
            build = build_for(product.family, sp)
            if sp not in product.prerequisite_sps:
                levels = " or ".join(level_name(s) for s in product.prerequisite_sps)
                problem = (
                    Status.PREREQUISITE,
                    f"install the service pack first: the hotfix needs {product.value} {levels}",
                )
    host = describe_host(product.value, sp, arch.value)
    if problem is not None:
        status, reason = problem
        if args.json:
            outcome.update(status=status.value, sp=sp, reason=reason, files=[], additional=[])
            print(json.dumps(outcome, indent=2))
        else:
            print(f"{host}: {reason}.")
        return status.exit_status
    assert not isinstance(product, OtherProduct)
    files = rows_for(product.family, arch, section="files", build=build)
    additional = rows_for(product.family, arch, section="additional", build=build)
    if args.json:
        outcome.update(
            status="ok",
            family=product.family.value,
            sp=sp,
            level=None if sp is None else level_name(sp),
            build=build,
            files=[r.to_dict() for r in files],
            additional=[r.to_dict() for r in additional],
        )
        print(json.dumps(outcome, indent=2))
    else:
        scope = "all levels" if sp is None else f"{level_name(sp)} only"
        print(render_files(f"{host}: the hotfix installs ({scope}):", files, additional))
    return 0


# -- entry point ---------------------------------------------------------------------------


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


def main(argv: list[str] | None = None) -> int:
    """Run ``routekeeper hotfix`` with ``argv`` (the words after ``hotfix``); return the status."""
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(words)
        if args.command is None:
            raise HotfixUsageError("a subcommand is required: check or files")
        if args.command == "check":
            return _cmd_check(args)
        return _cmd_files(args)
    except _ParserExit as done:
        return done.status
    except (HotfixInputError, DataFileError) as exc:
        print(f"routekeeper: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover - convenience for `python -m`
    raise SystemExit(main())
