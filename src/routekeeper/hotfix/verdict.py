"""The verdict: does this Windows host carry the fix for the route-withdrawal defect?

The questions are asked in this order, and the first one that settles the matter wins:

1. **Product.** Anything other than Windows Vista, Server 2008, Windows 7 or Server 2008 R2 is
   ``not-applicable``.
2. **Architecture.** A product/architecture pair that was never released (IA-64 for Vista or
   Windows 7; x86 for Server 2008 R2) is ``not-applicable``.
3. **Service pack.** Vista RTM is ``prerequisite`` (install SP1 or SP2 first); Server 2008
   "SP0" is its release with SP1 integrated and counts as SP1; Windows 7 / 2008 R2 qualify at
   RTM and SP1. A service pack that never existed (Windows 7 SP2) is bad input.
4. **Files.** Each file the hotfix installs at the host's level and the facts mention is
   compared with the hotfix's version of it (spec §7): on the same build, a file on the LDR
   branch at or above the hotfix's revision carries the fix; a file below it, and any GDR
   file, does not (installing the hotfix moves it to LDR). Any such file makes the host
   ``affected``; otherwise it is ``fixed``.

Decisions where the report and spec are silent:

* **GDR above the hotfix's revision.** GDR revisions (16000-19999) all lie below the hotfix's
  (20974 and up), so this cannot arise with real data; the rule is still "GDR is affected
  whatever its revision", because the fix ships on LDR only and the GDR line never took it.
* **Later rollups** (revision 24000 and up, the monthly rollups' single branch) were built from
  the LDR line and carry the fix (see :mod:`.versions`); revisions below 16000 cannot be
  classified and are bad input, never silently counted as fixed.
* **Build mismatch.** A hotfix file whose build is not the stated service pack's (an RTM
  ``tcpip.sys`` on a host said to run SP1), or whose ``major.minor`` is another family's, is
  bad input: the facts contradict each other, and the hotfix package itself picks its files by
  the installed level, so any answer would rest on a guess. Files the hotfix does not install
  at that level (``notepad.exe``, ``netio.sys`` on Vista SP2) are listed as ignored and not
  judged, since service packs do not rebuild every file.
* **Missing files.** ``tcpip.sys`` (the driver that holds the fix, present at every level) is
  required; without it there is no verdict. The other files of the level are checked when
  given and listed as unchecked otherwise.
* **Unknown service pack.** When no SP is stated, it is taken from systeminfo's OS Version,
  else from ``tcpip.sys``'s build; if neither is known, that is bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from routekeeper.hotfix.errors import FactsError, HotfixInputError, UnclassifiableVersionError
from routekeeper.hotfix.facts import FileFact, HostFacts, facts_from_mapping
from routekeeper.hotfix.inventory import parse_inventory
from routekeeper.hotfix.products import Arch, OtherProduct, Product, identify_os, normalize_arch
from routekeeper.hotfix.tables import HotfixFile, hotfix_files
from routekeeper.hotfix.versions import (
    Branch,
    Classification,
    Family,
    build_for,
    classify_version,
    level_name,
    parse_version,
    sp_for_build,
)

__all__ = [
    "KEY_FILE",
    "FileCheck",
    "Status",
    "Verdict",
    "check",
    "describe_host",
    "verdict_for_inventory",
]

KEY_FILE = "tcpip.sys"
SUPPORTED = ", ".join(p.value for p in Product)


class Status(StrEnum):
    """The four answers; their values are what JSON output and callers see."""

    FIXED = "fixed"
    AFFECTED = "affected"
    PREREQUISITE = "prerequisite"
    NOT_APPLICABLE = "not-applicable"

    @property
    def exit_status(self) -> int:
        """CLI exit status: 0 fixed, 1 affected, 2 for the rest (as for bad input)."""
        return {"fixed": 0, "affected": 1}.get(self.value, 2)


@dataclass(frozen=True)
class FileCheck:
    """One installed file compared with the hotfix's version of it."""

    name: str
    path: str | None
    installed: str
    branch: Branch
    hotfix_file: str
    hotfix_version: str
    current: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form."""
        return {
            "file": self.name,
            "path": self.path,
            "installed": self.installed,
            "branch": self.branch.value,
            "hotfix_file": self.hotfix_file,
            "hotfix_version": self.hotfix_version,
            "hotfix_branch": Branch.LDR.value,
            "status": "current" if self.current else "older",
        }


@dataclass(frozen=True)
class Verdict:
    """The answer for one host, with everything needed to explain it.

    ``product`` is the canonical product name (or the OS name as given, for products the
    hotfix is not for); ``sp`` the effective service-pack level (Server 2008 RTM -> 1);
    ``arch`` the architecture (``x86``/``x64``/``ia64``) when known.
    """

    status: Status
    product: str
    sp: int | None
    arch: str | None
    reason: str
    family: str | None = None
    build: int | None = None
    checks: tuple[FileCheck, ...] = ()
    unchecked: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def outdated(self) -> tuple[FileCheck, ...]:
        """The checked files older than the hotfix's (they make the host affected)."""
        return tuple(c for c in self.checks if not c.current)

    @property
    def exit_status(self) -> int:
        """What the CLI exits with for this verdict."""
        return self.status.exit_status

    @property
    def host(self) -> str:
        """``Windows 7 SP1 x64``: the host as the verdict understood it."""
        return describe_host(self.product, self.sp, self.arch)

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form (stable keys; ``None`` for unknown facts)."""
        return {
            "status": self.status.value,
            "product": self.product,
            "family": self.family,
            "sp": self.sp,
            "level": None if self.sp is None else level_name(self.sp),
            "arch": self.arch,
            "build": self.build,
            "reason": self.reason,
            "files": [c.to_dict() for c in self.checks],
            "outdated": [c.name for c in self.outdated],
            "unchecked": list(self.unchecked),
            "ignored": list(self.ignored),
            "notes": list(self.notes),
        }


def describe_host(product: str, sp: int | None, arch: str | None) -> str:
    """Short host label for messages: product, level when known, architecture when known."""
    parts = [product]
    if sp is not None:
        parts.append(level_name(sp))
    if arch is not None:
        try:
            parts.append(Arch(arch).label)
        except ValueError:
            parts.append(arch)
    return " ".join(parts)


def _classify(fact: FileFact) -> Classification:
    try:
        return classify_version(fact.version)
    except HotfixInputError as exc:
        raise type(exc)(f"{fact.where}: {exc}") from None


def _os_version_sp(os_version: str, product: Product) -> int:
    """Service pack named by systeminfo's ``major.minor.build``; must match the product."""
    parts = os_version.split(".")
    try:
        major, minor, build = (int(p) for p in parts)
    except ValueError:
        raise FactsError(f"malformed OS version {os_version!r}: expected e.g. 6.1.7601") from None
    if (major, minor) != product.family.major_minor:
        raise FactsError(f"OS version {os_version} is not {product.value}'s (that is 6.x)")
    return sp_for_build(product.family, build)


def _infer_sp(product: Product, files: tuple[FileFact, ...]) -> int:
    builds = set()
    for fact in files:
        if fact.key == KEY_FILE:
            classification = _classify(fact)
            if classification.family is not product.family:
                raise FactsError(
                    f"{fact.where} {fact.version} is a {classification.family.label} file, "
                    f"but the host runs {product.value}"
                )
            builds.add(classification.version.build)
    if len(builds) == 1:
        return sp_for_build(product.family, builds.pop())
    if builds:
        raise FactsError(f"{KEY_FILE} is listed at different builds: {sorted(builds)}")
    raise FactsError("service pack unknown: give --sp, a systeminfo OS Version, or tcpip.sys's version")


def _not_applicable(
    product: str, sp: int | None, arch: Arch | None, why: str, family: Family | None = None
) -> Verdict:
    return Verdict(
        status=Status.NOT_APPLICABLE,
        product=product,
        sp=sp,
        arch=None if arch is None else arch.value,
        family=None if family is None else family.value,
        reason=f"not applicable: {why}",
    )


def _compare(fact: FileFact, c: Classification, hotfix: HotfixFile) -> FileCheck:
    required = hotfix.version_for_path(fact.path)
    # Same build is guaranteed by the caller; LDR at or above the hotfix's revision carries
    # the fix, and so does every rollup-branch file; GDR never does (see the module docstring).
    current = c.branch is Branch.ROLLUP or (c.branch is Branch.LDR and c.version >= required)
    return FileCheck(
        name=fact.name,
        path=fact.path,
        installed=str(c.version),
        branch=c.branch,
        hotfix_file=hotfix.name,
        hotfix_version=str(required),
        current=current,
    )


def _resolve_level(product: Product, facts: HostFacts) -> tuple[int, list[str]]:
    """Effective service pack: stated, from systeminfo's OS Version, else from tcpip.sys.

    Returns the level and the notes that explain how it was reached.
    """
    sp = facts.sp
    if facts.os_version is not None:
        reported = _os_version_sp(facts.os_version, product)
        if sp is not None and product.effective_sp(sp) != product.effective_sp(reported):
            raise FactsError(
                f"service pack {level_name(sp)} contradicts OS version {facts.os_version} "
                f"({level_name(reported)})"
            )
        sp = reported
    notes: list[str] = []
    if sp is None:
        sp = _infer_sp(product, facts.files)
        notes.append(f"service pack {level_name(sp)} taken from {KEY_FILE}'s build")
    effective = product.effective_sp(sp)
    if effective != sp:
        notes.append(f"{product.value} RTM has SP1 integrated: judged as SP1")
    return effective, notes


def _classify_relevant(
    product: Product, sp: int, files: tuple[FileFact, ...], hotfix: dict[str, HotfixFile]
) -> list[tuple[FileFact, Classification]]:
    """Classify the files that matter at this level; refuse ones from another family or build.

    Only files the hotfix installs at the level (and tcpip.sys, present at every level) must
    match it: service packs leave other files at older builds.
    """
    family = product.family
    build = build_for(family, sp)
    classified: list[tuple[FileFact, Classification]] = []
    for fact in files:
        if fact.key not in hotfix and fact.key != KEY_FILE:
            continue
        c: Classification | None
        try:
            c = _classify(fact)
        except UnclassifiableVersionError:
            version = parse_version(fact.version)
            if (version.major, version.minor) == family.major_minor:
                raise  # right family, unknown build or branch: say exactly that
            c = None
        if c is None or c.family is not family:
            raise FactsError(
                f"{fact.where} {fact.version} is not a {family.label} file, but the host runs {product.value}"
            )
        if c.version.build != build:
            raise FactsError(
                f"{fact.where} {fact.version} is from {c.level} (build {c.version.build}) but the "
                f"host is at {level_name(sp)} (build {build}): check the service pack "
                "or the file listing"
            )
        classified.append((fact, c))
    return classified


def check(facts: HostFacts | Mapping[str, object]) -> Verdict:
    """Judge a host from its facts; see the module docstring for the rules and decisions.

    ``facts`` is a :class:`HostFacts` or a mapping accepted by
    :func:`~routekeeper.hotfix.facts.facts_from_mapping` (``{"os": "Windows 7", "sp": 1,
    "arch": "x64", "files": {"tcpip.sys": "6.1.7601.17514"}}``). Bad input of any kind raises
    a :class:`~routekeeper.hotfix.errors.HotfixInputError` (a ``ValueError``).
    """
    if isinstance(facts, Mapping):
        facts = facts_from_mapping(facts)
    if not isinstance(facts, HostFacts):
        raise FactsError(f"facts must be HostFacts or a mapping, not {type(facts).__name__}")

    for fact in facts.files:  # malformed versions are bad input whatever the product
        try:
            parse_version(fact.version)
        except HotfixInputError as exc:
            raise type(exc)(f"{fact.where}: {exc}") from None
    if facts.os is None:
        raise FactsError("operating system unknown: give --os or a systeminfo with OS Name")
    product = identify_os(facts.os)
    arch = None if facts.arch is None else normalize_arch(facts.arch)

    if isinstance(product, OtherProduct):
        return _not_applicable(product.name, facts.sp, arch, f"the hotfix is only for {SUPPORTED}")
    family = product.family
    if arch is None:
        raise FactsError("architecture unknown: give --arch x86|x64|ia64 or a systeminfo with System Type")
    if arch not in product.arches:
        editions = ", ".join(a.label for a in product.arches)
        return _not_applicable(
            product.value,
            facts.sp,
            arch,
            f"{product.value} has no {arch.label} edition (its editions: {editions})",
            family,
        )

    effective, notes = _resolve_level(product, facts)
    build = build_for(family, effective)
    hotfix = hotfix_files(family, arch, build)
    classified = _classify_relevant(product, effective, facts.files, hotfix)

    if effective not in product.prerequisite_sps:
        levels = " or ".join(level_name(s) for s in product.prerequisite_sps)
        return Verdict(
            status=Status.PREREQUISITE,
            product=product.value,
            sp=effective,
            arch=arch.value,
            family=family.value,
            build=build,
            reason=f"install the service pack first: the hotfix needs {product.value} {levels}",
            notes=tuple(notes),
        )

    if not any(f.key == KEY_FILE for f in facts.files):
        raise FactsError(
            f"{KEY_FILE}'s version is required to judge the host "
            "(give --file tcpip.sys=VERSION or a file-version listing)"
        )
    checks = tuple(_compare(fact, c, hotfix[fact.key]) for fact, c in classified)
    given = {f.key for f in facts.files}
    unchecked = tuple(hf.name for key, hf in hotfix.items() if key not in given)
    ignored = tuple(f.where for f in facts.files if f.key not in hotfix)
    outdated = [c for c in checks if not c.current]
    if outdated:
        status = Status.AFFECTED
        listed = "; ".join(
            f"{c.name} {c.installed} ({c.branch.value}) -> {c.hotfix_version}" for c in outdated
        )
        reason = f"affected: older than the hotfix's: {listed}"
    else:
        status = Status.FIXED
        reason = (
            "carries the fix: every checked file is on LDR at or above the hotfix's version"
            if all(c.branch is Branch.LDR for c in checks)
            else "carries the fix: every checked file is a later rollup's or on LDR at or above the hotfix's"
        )
    return Verdict(
        status=status,
        product=product.value,
        sp=effective,
        arch=arch.value,
        family=family.value,
        build=build,
        reason=reason,
        checks=checks,
        unchecked=unchecked,
        ignored=ignored,
        notes=tuple(notes),
    )


def verdict_for_inventory(text: str) -> Verdict:
    """Judge a host from one inventory text (systeminfo plus a file-version listing)."""
    return check(parse_inventory(text))
