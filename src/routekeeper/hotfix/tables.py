"""The hotfix's file tables, as package data transcribed from the defect report.

``data/files.tsv`` holds every row of every table of the report's "File information" and
"Additional file information" sections, in the report's order, one row per line, with the
columns

``family``
    ``vista-2008`` (Windows Vista / Server 2008) or ``7-2008r2`` (Windows 7 / Server 2008 R2)
``table``
    the architecture the table is for: ``x86``, ``x64`` or ``ia64``
``section``
    ``files`` (the versioned binaries) or ``additional`` (the .manifest and .mum files)
``file``, ``version``, ``size``, ``date``, ``time``, ``platform``
    exactly as the report prints them (``Not Applicable`` included, sizes with thousands
    separators, dates as ``10-Jan-2011``, UTC times).

Rows are kept as the report has them: the x64 and IA-64 Vista/2008 tables also list an x86
``Fwpuclnt.dll`` (the 32-bit copy under ``SysWOW64``) and a second ``Wfp.mof``; the
``platform`` column tells them apart. The report ships some binaries at one level only (in
the Vista/2008 tables ``Tcpipreg.sys`` exists for SP2 alone, ``Netio.sys`` and four others for
SP1 alone): the checker follows the tables and expects at each level only what they list.

The data is read once and cached; a damaged file raises
:class:`~routekeeper.hotfix.errors.DataFileError`, because that is a packaging bug, not bad
input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from routekeeper.hotfix.errors import DataFileError, VersionError
from routekeeper.hotfix.products import Arch
from routekeeper.hotfix.versions import Family, FileVersion, parse_version

__all__ = [
    "COLUMNS",
    "NOT_APPLICABLE",
    "FileRow",
    "HotfixFile",
    "hotfix_files",
    "load_rows",
    "rows_for",
]

NOT_APPLICABLE = "Not Applicable"
COLUMNS = ("family", "table", "section", "file", "version", "size", "date", "time", "platform")
SECTIONS = ("files", "additional")
PLATFORMS = ("x86", "x64", "IA-64", NOT_APPLICABLE)

_SIZE_RE = re.compile(r"\d{1,3}(?:,\d{3})*")
_DATE_RE = re.compile(r"\d{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{4}")
_TIME_RE = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
# A component manifest's name carries its version: ..._31bf3856ad364e35_6.0.6001.22831_none_...
_EMBEDDED_VERSION_RE = re.compile(r"_(\d+\.\d+\.\d+\.\d+)_")


@dataclass(frozen=True)
class FileRow:
    """One row of the report's file tables, with the report's text kept verbatim."""

    family: Family
    table: Arch
    section: str
    name: str
    version_text: str
    size_text: str
    date: str
    time: str
    platform: str

    @property
    def version(self) -> FileVersion | None:
        """Parsed file version, ``None`` for the report's "Not Applicable"."""
        if self.version_text == NOT_APPLICABLE:
            return None
        return parse_version(self.version_text)

    @property
    def size(self) -> int:
        """Size in bytes (the report prints ``1,415,056``)."""
        return int(self.size_text.replace(",", ""))

    @property
    def level_version(self) -> FileVersion | None:
        """The version that ties the row to a service-pack level, if any.

        Binaries carry their own version; component manifests carry it in their name. The
        ``Update.mum`` and ``Wfp.*`` rows carry none: they belong to every level.
        """
        if self.version is not None:
            return self.version
        match = _EMBEDDED_VERSION_RE.search(self.name)
        return parse_version(match.group(1)) if match else None

    def applies_to_build(self, build: int) -> bool:
        """Whether the hotfix installs this row on a host at ``build``."""
        level = self.level_version
        return level is None or level.build == build

    def to_dict(self) -> dict[str, str | int | None]:
        """JSON-friendly form, with the report's text and the parsed size."""
        return {
            "family": self.family.value,
            "table": self.table.value,
            "section": self.section,
            "file": self.name,
            "version": None if self.version is None else str(self.version),
            "size": self.size,
            "date": self.date,
            "time": self.time,
            "platform": self.platform,
        }


@dataclass(frozen=True)
class HotfixFile:
    """A binary the hotfix installs at one level, with its version per platform.

    The 64-bit tables list some files twice, natively and as the 32-bit ``SysWOW64`` copy;
    both copies are kept so that a listing of either can be compared with the right row.
    """

    name: str
    native: FileVersion | None
    wow64: FileVersion | None

    @property
    def version(self) -> FileVersion:
        """The version that replaces the file (the native row, else the 32-bit one)."""
        version = self.native or self.wow64
        assert version is not None  # construction guarantees one of them
        return version

    def version_for_path(self, path: str | None) -> FileVersion:
        """Version expected at ``path``: the 32-bit row for a file under ``SysWOW64``."""
        if path and "syswow64" in path.lower() and self.wow64 is not None:
            return self.wow64
        return self.version


def _check_row(fields: list[str], lineno: int) -> FileRow:
    where = f"data/files.tsv line {lineno}"
    if len(fields) != len(COLUMNS):
        raise DataFileError(f"{where}: {len(fields)} columns, expected {len(COLUMNS)}")
    family, table, section, name, version, size, date, time, platform = fields
    try:
        row = FileRow(
            family=Family(family),
            table=Arch(table),
            section=section,
            name=name,
            version_text=version,
            size_text=size,
            date=date,
            time=time,
            platform=platform,
        )
    except ValueError as exc:
        raise DataFileError(f"{where}: {exc}") from None
    problems = []
    if section not in SECTIONS:
        problems.append(f"section {section!r}")
    if not name:
        problems.append("empty file name")
    if version != NOT_APPLICABLE:
        try:
            parse_version(version)
        except VersionError:
            problems.append(f"version {version!r}")
    if not _SIZE_RE.fullmatch(size):
        problems.append(f"size {size!r}")
    if not _DATE_RE.fullmatch(date):
        problems.append(f"date {date!r}")
    if not _TIME_RE.fullmatch(time):
        problems.append(f"time {time!r}")
    if platform not in PLATFORMS:
        problems.append(f"platform {platform!r}")
    if problems:
        raise DataFileError(f"{where}: bad " + ", ".join(problems))
    return row


@cache
def load_rows() -> tuple[FileRow, ...]:
    """All rows of the packaged table, in the report's order (cached)."""
    try:
        text = resources.files(__package__).joinpath("data/files.tsv").read_text("utf-8")
    except OSError as exc:
        raise DataFileError(f"cannot read data/files.tsv: {exc}") from None
    lines = text.splitlines()
    if not lines or tuple(lines[0].split("\t")) != COLUMNS:
        raise DataFileError("data/files.tsv: missing or wrong header line")
    return tuple(
        _check_row(line.split("\t"), lineno) for lineno, line in enumerate(lines[1:], start=2) if line.strip()
    )


def rows_for(
    family: Family,
    arch: Arch,
    *,
    section: str | None = None,
    build: int | None = None,
) -> tuple[FileRow, ...]:
    """Rows of one family's table for ``arch``; optionally one section, one level's build."""
    return tuple(
        row
        for row in load_rows()
        if row.family is family
        and row.table is arch
        and (section is None or row.section == section)
        and (build is None or row.applies_to_build(build))
    )


def hotfix_files(family: Family, arch: Arch, build: int) -> dict[str, HotfixFile]:
    """Versioned binaries the hotfix installs at ``build``, keyed by lower-case file name.

    Keys are lower case because Windows file names are case-insensitive; the values keep the
    report's spelling.
    """
    native: dict[str, FileRow] = {}
    wow64: dict[str, FileRow] = {}
    for row in rows_for(family, arch, section="files", build=build):
        if row.version is None:
            continue
        key = row.name.lower()
        target = native if row.platform == arch.label else wow64
        target.setdefault(key, row)
    result: dict[str, HotfixFile] = {}
    for key in [*native, *(k for k in wow64 if k not in native)]:
        first = native.get(key) or wow64[key]
        result[key] = HotfixFile(
            name=first.name,
            native=native[key].version if key in native else None,
            wow64=wow64[key].version if key in wow64 else None,
        )
    return result
