"""Host facts: what is known about a Windows host before judging it.

Facts come from the command line (``--os``, ``--sp``, ``--arch``, ``--file``), from
inventories (``systeminfo`` text, file-version listings), or from a caller's mapping. They are
kept as given, unjudged; :func:`merge_facts` combines several sources and refuses
contradictions (``--sp 0`` with a systeminfo saying "Service Pack 1"), since a verdict built on
contradictory facts would be a guess.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from routekeeper.hotfix.errors import FactsError
from routekeeper.hotfix.products import OtherProduct, Product, identify_os, normalize_arch, parse_sp
from routekeeper.hotfix.versions import parse_version

__all__ = ["FileFact", "HostFacts", "basename", "facts_from_mapping", "merge_facts"]

T = TypeVar("T")


def basename(path: str) -> str:
    """Last component of a Windows or POSIX path (``C:\\\\Windows\\\\...\\\\tcpip.sys``)."""
    cleaned = path.strip().strip("'\"")
    return cleaned.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class FileFact:
    """One file's version as some source reported it.

    ``name`` is the bare file name (``tcpip.sys``); ``path`` the full path when the source gave
    one, which tells a ``SysWOW64`` copy from the native one; ``source`` says where the fact
    came from, for error messages.
    """

    name: str
    version: str
    path: str | None = None
    source: str = ""

    @property
    def key(self) -> str:
        """Case-insensitive file name, as Windows compares them."""
        return self.name.lower()

    @property
    def where(self) -> str:
        """Path if known, else name: what a message should show."""
        return self.path or self.name


@dataclass(frozen=True)
class HostFacts:
    """Everything known about one host; ``None`` means not known.

    ``os`` is an OS name as a user or ``systeminfo`` writes it; ``os_version`` the
    ``major.minor.build`` of systeminfo's "OS Version" line; ``sp`` the stated service pack
    (0 = RTM); ``arch`` an architecture name; ``files`` the file versions seen.
    """

    os: str | None = None
    sp: int | None = None
    arch: str | None = None
    files: tuple[FileFact, ...] = field(default_factory=tuple)
    os_version: str | None = None


def _same_os(a: str, b: str) -> bool:
    first, second = identify_os(a), identify_os(b)
    if isinstance(first, OtherProduct) and isinstance(second, OtherProduct):
        return True  # both outside the hotfix's scope: the verdict is the same either way
    return first == second


def _merge_value(what: str, a: T | None, b: T | None, same: Callable[[T, T], bool] = operator.eq) -> T | None:
    if a is None:
        return b
    if b is None:
        return a
    if not same(a, b):
        raise FactsError(f"contradictory {what}: {a!r} and {b!r}")
    return a


def _same_arch(a: str, b: str) -> bool:
    return normalize_arch(a) == normalize_arch(b)


def _copy_of(fact: FileFact) -> tuple[str, str]:
    """Which copy of a file a fact is about: the 32-bit ``SysWOW64`` one or the native one.

    A host has one native ``tcpip.sys``; a bare name and a full path of the same name are the
    same file, so two different versions of it are a contradiction.
    """
    wow64 = fact.path is not None and "syswow64" in fact.path.lower()
    return fact.key, "wow64" if wow64 else "native"


def _merge_files(files: Iterable[FileFact]) -> tuple[FileFact, ...]:
    """Drop repeats (keeping the one with a path); refuse one file at two versions."""
    kept: dict[tuple[str, str], FileFact] = {}
    for fact in files:
        ident = _copy_of(fact)
        previous = kept.get(ident)
        if previous is None:
            kept[ident] = fact
        elif parse_version(previous.version) != parse_version(fact.version):
            raise FactsError(
                f"{fact.where} given twice with different versions: {previous.version} and {fact.version}"
            )
        elif previous.path is None and fact.path is not None:
            kept[ident] = fact
    return tuple(kept.values())


def _merge_sps(sps: list[int], os_name: str | None) -> int | None:
    """One service pack from several sources; Server 2008 RTM and SP1 are the same level."""
    if not sps:
        return None
    product = identify_os(os_name) if os_name is not None else None
    level = product.effective_sp if isinstance(product, Product) else (lambda sp: sp)
    if len({level(sp) for sp in sps}) > 1:
        raise FactsError(f"contradictory service packs: {' and '.join(str(sp) for sp in sorted(set(sps)))}")
    return max(sps)


def merge_facts(*sources: HostFacts) -> HostFacts:
    """Combine facts from several sources; any contradiction raises :class:`FactsError`."""
    merged = HostFacts()
    for facts in sources:
        merged = HostFacts(
            os=_merge_value("operating systems", merged.os, facts.os, _same_os),
            arch=_merge_value("architectures", merged.arch, facts.arch, _same_arch),
            os_version=_merge_value("OS versions", merged.os_version, facts.os_version),
            files=merged.files + facts.files,
        )
    sp = _merge_sps([f.sp for f in sources if f.sp is not None], merged.os)
    return replace(merged, sp=sp, files=_merge_files(merged.files))


def facts_from_mapping(data: Mapping[str, object]) -> HostFacts:
    """Build facts from a plain mapping, for callers that do not want the dataclasses.

    Keys: ``os``, ``sp`` (int or ``"SP1"``), ``arch``, ``os_version``, and ``files``: a mapping
    ``{name-or-path: version}`` or a sequence of ``(name-or-path, version)`` pairs.
    """
    unknown = set(data) - {"os", "sp", "arch", "files", "os_version"}
    if unknown:
        raise FactsError(f"unknown host fact(s): {', '.join(sorted(unknown))}")
    raw_files = data.get("files") or {}
    pairs: Iterable[object]
    if isinstance(raw_files, Mapping):
        pairs = raw_files.items()
    elif isinstance(raw_files, Sequence) and not isinstance(raw_files, str):
        pairs = raw_files
    else:
        raise FactsError("files must be a mapping of name to version or a list of pairs")
    files = []
    for pair in pairs:
        if not (isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2):
            raise FactsError(f"file entry {pair!r} is not a (name, version) pair")
        where, version = (str(item) for item in pair)
        name = basename(where)
        path = where if name != where.strip() else None
        files.append(FileFact(name=name, version=version, path=path, source="facts"))
    sp = data.get("sp")
    os_name = data.get("os")
    arch = data.get("arch")
    os_version = data.get("os_version")
    return merge_facts(
        HostFacts(
            os=None if os_name is None else str(os_name),
            sp=None if sp is None else parse_sp(sp if isinstance(sp, int) else str(sp)),
            arch=None if arch is None else str(arch),
            os_version=None if os_version is None else str(os_version),
            files=tuple(files),
        )
    )
