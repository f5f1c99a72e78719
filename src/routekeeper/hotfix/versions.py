"""File versions of Windows Vista/Server 2008 and Windows 7/Server 2008 R2, and what they mean.

A system file's version ``major.minor.build.revision`` encodes everything the checker needs
(spec §7, and the version tables in the defect report):

* ``major.minor`` names the product family: 6.0 is Windows Vista / Windows Server 2008,
  6.1 is Windows 7 / Windows Server 2008 R2.
* ``build`` names the service-pack level: 6001 = SP1 and 6002 = SP2 for 6.0; 7600 = RTM and
  7601 = SP1 for 6.1. **Decision**: 6000 (Vista's release build, which predates SP1) is also
  known, as 6.0 "SP0"/RTM, so that a Vista RTM file is recognised and answered with "install
  the service pack first" rather than rejected.
* ``revision`` names the service branch. The spec gives 16xxx-18xxx GDR (security fixes
  only) and 20xxx-22xxx LDR (every hotfix); the hotfix of the report ships LDR files only.
  Windows kept servicing both lines for years after that, and then merged them:

  - GDR revisions ran on into 19xxx (tcpip.sys 6.1.7601.19135 on a 2016 Windows 7 SP1), LDR
    revisions into 23xxx (6.1.7601.23505); each line stays what it was, so 16000-19999 is GDR
    and 20000-23999 is LDR.
  - From 24000 on (6.1.7601.24214 in 2018) a file comes from the single branch of the monthly
    rollups, which Microsoft built from the LDR line after the May 2016 convenience rollup had
    gathered every post-SP1 hotfix into it. **Decision**: such a file carries every earlier LDR
    fix, this one included; it is classified as ``ROLLUP``.

**Decision**: a well-formed version outside that scheme (another release such as 5.2 or 6.2,
an unknown build, a revision below 16000) raises
:class:`~routekeeper.hotfix.errors.UnclassifiableVersionError`: guessing could report a host as
fixed when it is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from routekeeper.hotfix.errors import UnclassifiableVersionError, VersionError

__all__ = [
    "Branch",
    "Classification",
    "Family",
    "FileVersion",
    "build_for",
    "classify_version",
    "level_name",
    "parse_version",
    "sp_for_build",
]

# Each field of a Windows file version is a 16-bit number (VS_FIXEDFILEINFO).
_FIELD_MAX = 0xFFFF

# Four decimal fields, optionally followed by the build tag Windows appends to FileVersion
# strings, e.g. "6.1.7601.17514 (win7sp1_rtm.101119-1850)".
_VERSION_RE = re.compile(r"(\d{1,5})\.(\d{1,5})\.(\d{1,5})\.(\d{1,5})(?:\s+\([^()]*\))?")


class Family(StrEnum):
    """Product family: the report ships one package per family.

    The values are the ones used in the ``family`` column of ``data/files.tsv``.
    """

    VISTA_2008 = "vista-2008"
    WIN7_2008R2 = "7-2008r2"

    @property
    def label(self) -> str:
        """Human name of the family."""
        return _FAMILY_LABELS[self]

    @property
    def major_minor(self) -> tuple[int, int]:
        """The ``major.minor`` every file of the family carries."""
        return _FAMILY_MAJOR_MINOR[self]


_FAMILY_LABELS = {
    Family.VISTA_2008: "Windows Vista / Windows Server 2008",
    Family.WIN7_2008R2: "Windows 7 / Windows Server 2008 R2",
}
_FAMILY_MAJOR_MINOR = {Family.VISTA_2008: (6, 0), Family.WIN7_2008R2: (6, 1)}
_FAMILY_BY_MAJOR_MINOR = {mm: fam for fam, mm in _FAMILY_MAJOR_MINOR.items()}

# build -> service-pack level (0 = RTM / no service pack), per family.
_SP_BY_BUILD: dict[Family, dict[int, int]] = {
    Family.VISTA_2008: {6000: 0, 6001: 1, 6002: 2},
    Family.WIN7_2008R2: {7600: 0, 7601: 1},
}
_BUILD_BY_SP: dict[Family, dict[int, int]] = {
    fam: {sp: build for build, sp in table.items()} for fam, table in _SP_BY_BUILD.items()
}


class Branch(StrEnum):
    """Service branch of a file: GDR carries security fixes only, LDR every hotfix too, and the
    monthly rollups' single branch (from revision 24000) everything the LDR line had."""

    GDR = "GDR"
    LDR = "LDR"
    ROLLUP = "rollup"


# Revision ranges of each branch (spec §7: 16xxx-18xxx GDR, 20xxx-22xxx LDR; both lines went on
# one thousand further before the rollups' single branch took over: see the module docstring).
BRANCH_RANGES: dict[Branch, range] = {
    Branch.GDR: range(16000, 20000),
    Branch.LDR: range(20000, 24000),
    Branch.ROLLUP: range(24000, 65536),
}


@dataclass(frozen=True, order=True)
class FileVersion:
    """A Windows file version, ordered field by field as Windows compares them."""

    major: int
    minor: int
    build: int
    revision: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.build}.{self.revision}"


@dataclass(frozen=True)
class Classification:
    """What a version says about the file: family, service-pack level and branch."""

    version: FileVersion
    family: Family
    sp: int
    branch: Branch

    @property
    def level(self) -> str:
        """Service-pack level as Microsoft writes it: ``RTM``, ``SP1``, ``SP2``."""
        return level_name(self.sp)


def parse_version(text: str | FileVersion) -> FileVersion:
    """Parse ``"6.1.7601.17514"`` (an appended ``(win7sp1_rtm...)`` tag is allowed).

    Raises :class:`VersionError` with the offending text, so a user sees what was wrong,
    rather than an ``int()`` traceback.
    """
    if isinstance(text, FileVersion):
        return text
    if not isinstance(text, str):
        raise VersionError(f"file version must be text, not {type(text).__name__}")
    stripped = text.strip()
    match = _VERSION_RE.fullmatch(stripped)
    if match is None:
        shown = stripped or "(empty)"
        raise VersionError(
            f"malformed file version {shown!r}: expected four dot-separated numbers such as 6.1.7601.17514"
        )
    fields = [int(part) for part in match.groups()]
    if any(value > _FIELD_MAX for value in fields):
        raise VersionError(f"malformed file version {stripped!r}: each field must be at most {_FIELD_MAX}")
    return FileVersion(*fields)


def level_name(sp: int) -> str:
    """``0`` -> ``"RTM"``, ``n`` -> ``"SPn"``."""
    return "RTM" if sp == 0 else f"SP{sp}"


def sp_for_build(family: Family, build: int) -> int:
    """Service-pack level a build number stands for; raises if the family has no such build."""
    try:
        return _SP_BY_BUILD[family][build]
    except KeyError:
        known = ", ".join(str(b) for b in _SP_BY_BUILD[family])
        raise UnclassifiableVersionError(
            f"build {build} is no service-pack level of {family.label} (known builds: {known})"
        ) from None


def build_for(family: Family, sp: int) -> int:
    """Build number of a family's service-pack level; raises if that level does not exist."""
    try:
        return _BUILD_BY_SP[family][sp]
    except KeyError:
        raise UnclassifiableVersionError(f"{family.label} has no {level_name(sp)} (sp {sp})") from None


def branch_for_revision(revision: int) -> Branch:
    """GDR, LDR or rollup by revision range; below 16000 is unclassifiable (module docstring)."""
    for branch, span in BRANCH_RANGES.items():
        if revision in span:
            return branch
    raise UnclassifiableVersionError(
        f"revision {revision} is below the GDR branch (16000-19999), the LDR branch (20000-23999) and "
        "the rollups (24000 on), so it cannot be compared with the hotfix"
    )


def family_for(version: FileVersion) -> Family:
    """Family from ``major.minor``; other releases are outside the report's scope."""
    family = _FAMILY_BY_MAJOR_MINOR.get((version.major, version.minor))
    if family is None:
        raise UnclassifiableVersionError(
            f"version {version} is not from Windows Vista/Server 2008 (6.0) or Windows 7/Server 2008 R2 (6.1)"
        )
    return family


def classify_version(text: str | FileVersion) -> Classification:
    """Classify a file version into product family, service-pack level and service branch.

    >>> c = classify_version("6.1.7601.21734")
    >>> (c.family.label, c.level, c.branch.value)
    ('Windows 7 / Windows Server 2008 R2', 'SP1', 'LDR')

    Raises :class:`VersionError` for malformed text and
    :class:`UnclassifiableVersionError` for versions outside the scheme.
    """
    version = parse_version(text)
    family = family_for(version)
    sp = sp_for_build(family, version.build)
    try:
        branch = branch_for_revision(version.revision)
    except UnclassifiableVersionError as exc:
        raise UnclassifiableVersionError(f"version {version}: {exc}") from None
    return Classification(version=version, family=family, sp=sp, branch=branch)
