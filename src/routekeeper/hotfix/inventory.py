"""Reading a host's inventory: ``systeminfo`` output and file-version listings.

One inventory text may hold any mix of the following, in any order (a transcript of several
commands is fine; prompts and other lines are ignored):

``systeminfo`` (default list layout, or ``/FO LIST``, or ``/FO CSV`` with its header)
    ``OS Name:`` (``Microsoft Windows 7 Enterprise``, ``Microsoftr Windows Serverr 2008
    Standard``), ``OS Version:`` (``6.1.7601 Service Pack 1 Build 7601``, ``6.1.7600 N/A Build
    7600``) and ``System Type:`` (``x64-based PC``, ``X86-based PC``, ``Itanium (TM) -based
    System``, ``IA64-based PC``).
PowerShell ``(Get-Item <path>).VersionInfo``
    The default table (``ProductVersion   FileVersion      FileName`` over a dashed rule).
    Columns are cut at the dashed rule's positions, because ``FileVersion`` may contain a
    space (``6.1.7601.17514 (win7sp1_rtm.101119-1850)``). PowerShell truncates a cell that is
    too wide with ``...`` (``6.1.7601.1751...``); such a cell is not trusted and
    ``ProductVersion`` is used instead. The ``Format-List`` layout (``FileVersion : ...``) is
    read too.
``wmic datafile where name="C:\\\\...\\\\tcpip.sys" get version``
    A ``Version`` header line, then the version; also ``get name,version`` (a ``Name
    Version`` table) and ``/value`` (``Version=...``). The bare form does not name the file:
    **Decision**: it is attributed to the file named by the nearest preceding ``wmic datafile
    where name=...`` command line in the same text; without one, to ``tcpip.sys`` (the file the
    docs tell users to query), and a second unnamed result is an error.

Redirected Windows output is often UTF-16 (PowerShell 5.1, ``wmic``); :func:`decode_inventory`
handles BOMs and BOM-less UTF-16. Anything the parser cannot make sense of raises
:class:`~routekeeper.hotfix.errors.InventoryError` naming the source and line; a text in which
nothing at all is recognised is an error too.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass, field
from typing import BinaryIO

from routekeeper.hotfix.errors import FactsError, InventoryError, VersionError
from routekeeper.hotfix.facts import FileFact, HostFacts, basename, merge_facts
from routekeeper.hotfix.products import Arch
from routekeeper.hotfix.versions import parse_version

__all__ = ["decode_inventory", "parse_inventory", "parse_inventories"]

DEFAULT_UNNAMED_FILE = "tcpip.sys"

_SYSINFO_RE = re.compile(r"^\s*(OS Name|OS Version|System Type)\s*:\s*(.*?)\s*$")
_OS_VERSION_RE = re.compile(
    r"(\d+)\.(\d+)\.(\d+)\s+(?:Service Pack (\d+)|N/A)\s+Build\s+(\d+)", re.IGNORECASE
)
_PS_LIST_KEYS = ("FileName", "OriginalFilename", "FileVersion", "ProductVersion")
_PS_LIST_RE = re.compile(
    r"^\s*(FileName|OriginalFilename|FileVersion|ProductVersion|FileVersionRaw|ProductVersionRaw)"
    r"\s*:(?:\s(.*))?$"
)
_DASH_RULE_RE = re.compile(r"\s*-+(?:\s+-+)*\s*")
_WMIC_VALUE_RE = re.compile(r"^\s*(Name|Version)=(.*?)\s*$", re.IGNORECASE)
_WMIC_COMMAND_RE = re.compile(
    r"datafile\s+where\s+[\"']?\(?\s*name\s*=\s*[\"']?([^\"']+?)[\"']?\s*\)?[\"']?\s+get\b",
    re.IGNORECASE,
)
_TRUNCATION_MARKS = ("...", "\u2026")


INVENTORY_LIMIT = 16 << 20  # bytes: systeminfo plus file listings are tens of kilobytes


def read_inventory(stream: BinaryIO, name: str) -> bytes:
    """An inventory's bytes, read to at most INVENTORY_LIMIT: `--inventory /dev/zero` is refused
    (InventoryError naming it) instead of read until memory runs out."""
    data = stream.read(INVENTORY_LIMIT + 1)
    if len(data) > INVENTORY_LIMIT:
        raise InventoryError(f"inventory {name} is larger than {INVENTORY_LIMIT >> 20} MiB; refused")
    return data


def decode_inventory(data: bytes) -> str:
    """Decode inventory bytes: UTF-8/UTF-16 with or without BOM, else Latin-1.

    Windows writes redirected PowerShell 5.1 and ``wmic`` output as UTF-16 and ``systeminfo``
    in the console code page; the fields the parser needs are ASCII, so Latin-1 (which never
    fails) is a safe last resort.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    head = data[:400]
    if len(head) >= 2 and head.count(0) * 4 >= len(head):
        # BOM-less UTF-16: ASCII text has a NUL in every other byte.
        odd_nuls = head[1::2].count(0)
        even_nuls = head[0::2].count(0)
        encoding = "utf-16-le" if odd_nuls >= even_nuls else "utf-16-be"
        return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _split_lines(text: str) -> list[str]:
    # wmic ends lines with "\r\r\n"; fold every Windows ending into one newline.
    text = text.lstrip("\ufeff").replace("\x00", "")
    return text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _is_truncated(text: str) -> bool:
    return any(mark in text for mark in _TRUNCATION_MARKS)


def _arch_from_system_type(value: str) -> Arch:
    low = value.lower()
    if "x64" in low or "amd64" in low:
        return Arch.X64
    if "itanium" in low or "ia64" in low or "ia-64" in low:
        return Arch.IA64
    if "x86" in low:
        return Arch.X86
    raise ValueError(value)


@dataclass
class _InventoryReader:
    """Line-by-line reader; holds what has been seen so far of one inventory text."""

    source: str
    lines: list[str]
    os_name: str | None = None
    os_version: str | None = None
    sp: int | None = None
    arch: Arch | None = None
    files: list[FileFact] = field(default_factory=list)
    wmic_command_name: str | None = None
    wmic_pending_name: str | None = None
    used_default_name: bool = False
    ps_block: dict[str, str] = field(default_factory=dict)
    ps_block_line: int = 0

    def error(self, lineno: int, message: str) -> InventoryError:
        return InventoryError(f"{self.source} line {lineno}: {message}")

    # -- systeminfo --------------------------------------------------------------------

    def _set(self, lineno: int, attr: str, value: object, label: str) -> None:
        old = getattr(self, attr)
        if old is not None and old != value:
            raise self.error(lineno, f"second systeminfo {label} {value!r} contradicts {old!r}")
        setattr(self, attr, value)

    def systeminfo_field(self, lineno: int, key: str, value: str) -> None:
        if key == "OS Name":
            if not value:
                raise self.error(lineno, "systeminfo OS Name is empty")
            self._set(lineno, "os_name", value, "OS Name")
        elif key == "OS Version":
            match = _OS_VERSION_RE.fullmatch(value)
            if match is None:
                raise self.error(
                    lineno,
                    f"malformed systeminfo OS Version {value!r}: expected e.g. "
                    "'6.1.7601 Service Pack 1 Build 7601' or '6.1.7600 N/A Build 7600'",
                )
            major, minor, build, sp, build_again = match.groups()
            if int(build) != int(build_again):
                raise self.error(lineno, f"OS Version {value!r} names two different builds")
            self._set(lineno, "os_version", f"{int(major)}.{int(minor)}.{int(build)}", "OS Version")
            self._set(lineno, "sp", int(sp) if sp else 0, "service pack")
        else:
            try:
                arch = _arch_from_system_type(value)
            except ValueError:
                raise self.error(
                    lineno,
                    f"unknown systeminfo System Type {value!r}: expected x64-based PC, "
                    "X86-based PC or Itanium-based",
                ) from None
            self._set(lineno, "arch", arch, "System Type")

    def systeminfo_csv(self, index: int) -> int:
        """``systeminfo /FO CSV``: a quoted header row, then one quoted value row."""
        if index + 1 >= len(self.lines) or not self.lines[index + 1].strip():
            raise self.error(index + 1, "systeminfo CSV header without a value row")
        header, values = csv.reader([self.lines[index], self.lines[index + 1]])
        if len(header) != len(values):
            raise self.error(index + 2, "systeminfo CSV row does not match its header")
        for key, value in zip(header, values, strict=True):
            if key in ("OS Name", "OS Version", "System Type"):
                self.systeminfo_field(index + 2, key, value.strip())
        return index + 2

    # -- file facts --------------------------------------------------------------------

    def add_file(self, lineno: int, where: str, version: str, how: str) -> None:
        where = where.strip()
        if not where:
            raise self.error(lineno, f"{how}: file name is empty")
        if _is_truncated(where):
            raise self.error(lineno, f"{how}: file name {where!r} is truncated")
        try:
            parse_version(version)
        except VersionError as exc:
            raise self.error(lineno, f"{how}: {exc}") from None
        name = basename(where)
        path = where if name != where else None
        self.files.append(FileFact(name=name, version=version.strip(), path=path, source=how))

    def unnamed_file(self, lineno: int) -> str:
        """Name for a wmic result that does not carry one (see the module docstring)."""
        if self.wmic_command_name is not None:
            name, self.wmic_command_name = self.wmic_command_name, None
            return name
        if self.used_default_name:
            raise self.error(
                lineno,
                "second wmic version without a file name; use 'get name,version' or keep "
                "the wmic command lines in the inventory",
            )
        self.used_default_name = True
        return DEFAULT_UNNAMED_FILE

    @staticmethod
    def pick_version(file_version: str, product_version: str) -> tuple[str | None, str | None]:
        """Choose a trustworthy version: FileVersion, else ProductVersion.

        Returns ``(version, problem)``; a cell is skipped when PowerShell truncated it.
        """
        problems = []
        for label, cell in (("FileVersion", file_version), ("ProductVersion", product_version)):
            words = cell.split()
            if not words:
                problems.append(f"{label} is empty")
                continue
            if _is_truncated(words[0]):
                problems.append(f"{label} {cell!r} is truncated")
                continue
            return words[0], None
        return None, "; ".join(problems)

    # -- PowerShell VersionInfo table --------------------------------------------------

    def ps_table(self, index: int) -> int:
        header = self.lines[index]
        rule = self.lines[index + 1]
        starts = [m.start() for m in re.finditer(r"-+", rule)]
        names = header.split()
        if len(starts) != len(names):
            raise self.error(index + 2, "VersionInfo table rule does not match its header")
        columns = {name: k for k, name in enumerate(names)}
        i = index + 2
        rows = 0
        while i < len(self.lines) and self.lines[i].strip():
            row = self.lines[i].rstrip()
            cells = [
                row[start : (starts[k + 1] if k + 1 < len(starts) else None)].strip()
                for k, start in enumerate(starts)
            ]
            path = cells[columns["FileName"]]
            file_version = cells[columns["FileVersion"]] if "FileVersion" in columns else ""
            product = cells[columns["ProductVersion"]] if "ProductVersion" in columns else ""
            version, problem = self.pick_version(file_version, product)
            if version is None:
                raise self.error(
                    i + 1,
                    f"no complete version for {path or 'a file'}: {problem} "
                    "(widen the console or use Format-List)",
                )
            self.add_file(i + 1, path, version, "Get-Item VersionInfo")
            rows += 1
            i += 1
        if rows == 0:
            raise self.error(index + 1, "VersionInfo table without rows")
        return i

    # -- PowerShell VersionInfo list ---------------------------------------------------

    def ps_list_line(self, lineno: int, key: str, value: str) -> None:
        if key == "FileName" and "FileName" in self.ps_block:
            self.flush_ps_block()
        if not self.ps_block:
            self.ps_block_line = lineno
        self.ps_block[key] = value.strip()

    def flush_ps_block(self) -> None:
        block, self.ps_block = self.ps_block, {}
        if not block:
            return
        where = block.get("FileName") or block.get("OriginalFilename") or ""
        if not any(k in block for k in ("FileVersion", "ProductVersion", "FileVersionRaw")):
            if "FileName" in block:
                raise self.error(self.ps_block_line, f"VersionInfo list for {where} has no version")
            return
        raw = block.get("FileVersionRaw", "")
        version, problem = self.pick_version(
            raw or block.get("FileVersion", ""), block.get("ProductVersion", "")
        )
        if version is None:
            raise self.error(self.ps_block_line, f"no complete version for {where}: {problem}")
        self.add_file(self.ps_block_line, where, version, "VersionInfo list")

    # -- wmic ---------------------------------------------------------------------------

    def wmic_table(self, index: int, names: list[str]) -> int:
        """``get version`` (one column) or ``get name,version`` (two, in either order)."""
        i = index + 1
        rows = 0
        while i < len(self.lines):
            line = self.lines[i].strip()
            if not line:
                if rows:
                    break
                i += 1
                continue
            if names == ["version"]:
                where, version = self.unnamed_file(i + 1), line
            else:
                parts = line.rsplit(None, 1) if names[0] == "name" else line.split(None, 1)
                if len(parts) != 2:
                    raise self.error(i + 1, f"wmic row {line!r} does not hold a name and version")
                where, version = parts if names[0] == "name" else (parts[1], parts[0])
            self.add_file(i + 1, where, version, "wmic")
            rows += 1
            i += 1
            if names == ["version"]:
                break
        if rows == 0:
            raise self.error(index + 1, "wmic Version header without a value")
        return i

    def wmic_value(self, lineno: int, key: str, value: str) -> None:
        if key.lower() == "name":
            self.wmic_pending_name = value
            return
        where = self.wmic_pending_name
        self.wmic_pending_name = None
        if where is None:
            where = self.unnamed_file(lineno)
        self.add_file(lineno, where, value, "wmic")

    # -- driver --------------------------------------------------------------------------

    def run(self) -> HostFacts:
        i = 0
        n = len(self.lines)
        while i < n:
            line = self.lines[i]
            stripped = line.strip()
            if not stripped:
                self.flush_ps_block()
                i += 1
                continue
            if stripped.startswith('"Host Name"') and '"OS Name"' in stripped:
                i = self.systeminfo_csv(i)
                continue
            match = _SYSINFO_RE.match(line)
            if match:
                self.systeminfo_field(i + 1, match.group(1), match.group(2))
                i += 1
                continue
            words = stripped.split()
            if (
                "FileName" in words
                and ("FileVersion" in words or "ProductVersion" in words)
                and i + 1 < n
                and _DASH_RULE_RE.fullmatch(self.lines[i + 1])
            ):
                self.flush_ps_block()
                i = self.ps_table(i)
                continue
            match = _PS_LIST_RE.match(line)
            if match:
                self.ps_list_line(i + 1, match.group(1), match.group(2) or "")
                i += 1
                continue
            command = _WMIC_COMMAND_RE.search(line)
            if command:
                # wmic wants backslashes doubled inside name="..."; undo that for display.
                self.wmic_command_name = command.group(1).replace("\\\\", "\\")
                i += 1
                continue
            low_words = [w.lower() for w in words]
            if low_words in (["version"], ["name", "version"], ["version", "name"]):
                i = self.wmic_table(i, low_words)
                continue
            match = _WMIC_VALUE_RE.match(line)
            if match:
                self.wmic_value(i + 1, match.group(1), match.group(2))
                i += 1
                continue
            if stripped.lower().startswith("no instance(s) available"):
                raise self.error(i + 1, "wmic found no such file (No Instance(s) Available.)")
            i += 1
        self.flush_ps_block()
        if self.wmic_pending_name is not None:
            raise self.error(n, f"wmic Name={self.wmic_pending_name} without a Version")
        if self.os_name is None and self.os_version is None and self.arch is None:
            if not self.files:
                raise InventoryError(f"{self.source}: no systeminfo fields and no file versions found")
        return HostFacts(
            os=self.os_name,
            sp=self.sp,
            arch=None if self.arch is None else self.arch.value,
            os_version=self.os_version,
            files=tuple(self.files),
        )


def parse_inventory(text: str, *, source: str = "inventory") -> HostFacts:
    """Parse one inventory text into :class:`~routekeeper.hotfix.facts.HostFacts`.

    ``source`` names the text in error messages (a file name, ``<stdin>``).
    """
    if not isinstance(text, str):
        raise InventoryError(f"{source}: inventory must be text, not {type(text).__name__}")
    facts = _InventoryReader(source=source, lines=_split_lines(text)).run()
    try:
        return merge_facts(facts)
    except FactsError as exc:
        raise InventoryError(f"{source}: {exc}") from None


def parse_inventories(texts: list[tuple[str, str]]) -> HostFacts:
    """Parse several ``(source, text)`` inventories and merge them (contradictions raise)."""
    return merge_facts(*(parse_inventory(text, source=source) for source, text in texts))
