"""`routekeeper export [FILE]` and `routekeeper import FILE`: a host's addresses and manual routes in
bulk, as JSON lines or CSV (`frontends.bulk`), streamed both ways.

An import is one unit of work: every record is applied to the loaded host, and the host is saved once
at the end, so a refused record (named by its line) leaves the state file exactly as it was. On a
terminal a progress bar (tqdm, on standard error) follows long work; elsewhere nothing but the summary
is printed.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from routekeeper.app.arguments import parse, parser
from routekeeper.app.errors import CannotWrite, CommandFailed, file_error
from routekeeper.app.session import Session
from routekeeper.core.operations import Refused
from routekeeper.frontends import bulk

PROGRESS_FROM = 10_000  # records: below this an import or export is quick, and a bar would only flicker


def cmd_export(session: Session, args: list[str]) -> int:
    p = parser("export")
    p.description = "Write the host's addresses and manual routes, one record a line (docs/bulk.md)."
    p.add_argument("file", nargs="?", help="where to write them (standard output when absent or -)")
    p.add_argument("--format", choices=bulk.FORMATS, help="jsonl (default) or csv; FILE.csv means csv")
    ns = parse(p, args)
    fmt = _format(ns.format, ns.file)
    with session.host(read_only=True) as unit:
        host = unit.subject
        total = sum(len(v) for v in host.addresses.values()) + len(host.persistent) + len(host.table)
        with _output(session, ns.file) as fh, _progress(session.err, "export", total) as step:
            if fmt == "csv":
                fh.write(bulk.csv_header())
            count = 0
            for record in bulk.records(host):
                fh.write(bulk.to_line(record, fmt))
                count += 1
                step()
    if ns.file not in (None, "-"):
        session.out.write(f"exported {count} records to {ns.file}\n")
    return 0


def cmd_import(session: Session, args: list[str]) -> int:
    p = parser("import")
    p.description = "Add the addresses and routes of a file `routekeeper export` wrote, all or none."
    p.add_argument("file", help="the file to read (- for standard input)")
    p.add_argument("--format", choices=bulk.FORMATS, help="jsonl (default) or csv; FILE.csv means csv")
    ns = parse(p, args)
    fmt = _format(ns.format, ns.file)
    counts = {"address": 0, "route": 0}
    terminal = session.err  # progress goes straight there: it is not output the unit holds until commit
    with _input(ns.file) as fh, session.host() as unit:
        host = unit.subject
        size = _size(fh)
        with _progress(terminal, "import", size, unit_name="B") as step:
            for number, record in _read(fh, fmt, ns.file):
                try:
                    host.apply(bulk.to_operation(record))
                except (bulk.RecordError, Refused) as exc:
                    where = f"{ns.file}:{number}"
                    raise CommandFailed(f"{where}: {_detail(exc)} (nothing was imported)") from None
                counts[record["type"]] += 1
                step(_position(fh))
        waiting = len(host.waiting())
    session.out.write(
        f"imported {counts['address']} addresses and {counts['route']} routes"
        f" ({waiting} persistent routes waiting for their next hop)\n"
    )
    return 0


def _detail(exc: Exception) -> str:
    return getattr(exc, "detail", None) or str(exc)


def _format(given: str | None, path: str | None) -> str:
    if given:
        return given
    return "csv" if path and path.lower().endswith(".csv") else "jsonl"


def _read(fh: IO[str], fmt: str, path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for each record of the file, as it is read."""
    if fmt == "csv":
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            return
        unknown = set(reader.fieldnames) - set(bulk.CSV_FIELDS)
        if unknown:
            raise CommandFailed(f"{path}:1: unknown column {sorted(unknown)[0]!r}")
        for row in reader:
            try:
                yield reader.line_num, bulk.from_csv_row(row)
            except bulk.RecordError as exc:
                raise CommandFailed(f"{path}:{reader.line_num}: {exc} (nothing was imported)") from None
        return
    for number, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            yield number, bulk.from_json_line(line)
        except bulk.RecordError as exc:
            raise CommandFailed(f"{path}:{number}: {exc} (nothing was imported)") from None


@contextmanager
def _input(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdin
        return
    try:
        fh = open(path, encoding="utf-8", newline="")
    except OSError as exc:
        raise CommandFailed(file_error("read", path, exc)) from None
    with fh:
        try:
            yield fh
        except UnicodeDecodeError:
            raise CommandFailed(f"{path}: not UTF-8 text (nothing was imported)") from None


@contextmanager
def _output(session: Session, path: str | None) -> Iterator[IO[str]]:
    """Standard output, or FILE written beside itself and renamed into place only when complete."""
    if path in (None, "-"):
        yield session.out
        return
    partial = f"{path}.partial"
    try:
        fh = open(partial, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise CannotWrite(file_error("write", path, exc)) from None
    try:
        with fh:
            yield fh
        os.replace(partial, path)
    except OSError as exc:
        _remove(partial)
        raise CannotWrite(file_error("write", path, exc)) from None
    except BaseException:
        _remove(partial)
        raise


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _size(fh: IO[str]) -> int | None:
    try:
        return os.fstat(fh.fileno()).st_size or None
    except (OSError, ValueError, AttributeError):
        return None


def _position(fh: IO[str]) -> int | None:
    buffer = getattr(fh, "buffer", None)
    try:
        return buffer.tell() if buffer is not None else None
    except (OSError, ValueError):
        return None


@contextmanager
def _progress(err: IO[str], what: str, total: int | None, unit_name: str = "rec") -> Iterator[Any]:
    """A callable that advances a progress bar on a terminal (to a position, or by one), else a no-op."""
    if total is None or total < PROGRESS_FROM or not err.isatty():
        yield lambda position=None: None
        return
    from tqdm import tqdm  # only a terminal's long work pays for the import

    with tqdm(total=total, desc=what, unit=unit_name, unit_scale=True, file=err, leave=False) as bar:

        def step(position: int | None = None) -> None:
            if position is None:
                bar.update(1)
            elif position > bar.n:
                bar.update(position - bar.n)

        yield step
