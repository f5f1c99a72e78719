"""Which Windows products, architectures and service-pack levels the hotfix is for.

Facts from the defect report's prerequisites list and file tables:

* Products: Windows Vista and Windows Server 2008 (one package family, build 600x), Windows 7
  and Windows Server 2008 R2 (one family, build 760x). Everything else (XP, Server 2003,
  Windows 8, ...) is *not applicable*.
* Architectures: x86 and x64 for Vista, Server 2008 and Windows 7; IA-64 only for Server 2008
  and Server 2008 R2; Server 2008 R2 has no x86 edition. A product/architecture pair outside
  that is *not applicable*.
* Service packs: Vista needs SP1 or SP2 (Vista RTM must install a service pack first);
  Server 2008 is listed bare because SP1 is integrated into its release, so **Decision**: a
  Server 2008 "SP0"/RTM is taken as SP1 (build 6001); Windows 7 and Server 2008 R2 are listed
  at RTM and SP1.

Operating-system names are recognised the way ``systeminfo`` prints them, including the
console's mangling of the registered/trademark signs (``Microsoftr Windows Serverr 2008``,
``Microsoftr Windows VistaT Business``) and edition words (``Enterprise``, ``Standard``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from routekeeper.hotfix.errors import FactsError
from routekeeper.hotfix.versions import Family, level_name

__all__ = [
    "Arch",
    "OtherProduct",
    "Product",
    "identify_os",
    "normalize_arch",
    "parse_sp",
]


class Product(StrEnum):
    """The four products the hotfix is for."""

    VISTA = "Windows Vista"
    SERVER_2008 = "Windows Server 2008"
    WIN7 = "Windows 7"
    SERVER_2008_R2 = "Windows Server 2008 R2"

    @property
    def family(self) -> Family:
        """Package family (and file-version ``major.minor``) of the product."""
        return _FAMILY[self]

    @property
    def arches(self) -> tuple[Arch, ...]:
        """Architectures the product was released for."""
        return _ARCHES[self]

    @property
    def max_sp(self) -> int:
        """Highest service pack ever released for the product."""
        return _MAX_SP[self]

    @property
    def prerequisite_sps(self) -> tuple[int, ...]:
        """Service-pack levels the prerequisites list accepts (after Server 2008's 0 -> 1)."""
        return _PREREQUISITE_SPS[self]

    def effective_sp(self, sp: int) -> int:
        """Validate ``sp`` and map Server 2008 RTM to SP1, which its release integrates."""
        if sp < 0 or sp > self.max_sp:
            raise FactsError(
                f"{self.value} has no {level_name(sp) if sp >= 0 else f'SP{sp}'}: "
                f"its service packs go up to SP{self.max_sp}"
            )
        if self is Product.SERVER_2008 and sp == 0:
            return 1
        return sp


class Arch(StrEnum):
    """Processor architecture, named as the report's tables name them (lower-cased)."""

    X86 = "x86"
    X64 = "x64"
    IA64 = "ia64"

    @property
    def label(self) -> str:
        """Name as the report writes it in table headings."""
        return {"x86": "x86", "x64": "x64", "ia64": "IA-64"}[self.value]


_FAMILY = {
    Product.VISTA: Family.VISTA_2008,
    Product.SERVER_2008: Family.VISTA_2008,
    Product.WIN7: Family.WIN7_2008R2,
    Product.SERVER_2008_R2: Family.WIN7_2008R2,
}
_ARCHES = {
    Product.VISTA: (Arch.X86, Arch.X64),
    Product.SERVER_2008: (Arch.X86, Arch.X64, Arch.IA64),
    Product.WIN7: (Arch.X86, Arch.X64),
    Product.SERVER_2008_R2: (Arch.X64, Arch.IA64),
}
_MAX_SP = {Product.VISTA: 2, Product.SERVER_2008: 2, Product.WIN7: 1, Product.SERVER_2008_R2: 1}
_PREREQUISITE_SPS = {
    Product.VISTA: (1, 2),
    Product.SERVER_2008: (1, 2),
    Product.WIN7: (0, 1),
    Product.SERVER_2008_R2: (0, 1),
}


@dataclass(frozen=True)
class OtherProduct:
    """A recognised operating system the hotfix is not for (e.g. Windows XP)."""

    name: str

    @property
    def value(self) -> str:
        """The name, so that callers can treat products and other products alike."""
        return self.name


_ARCH_ALIASES = {
    "x86": Arch.X86,
    "i386": Arch.X86,
    "i686": Arch.X86,
    "32-bit": Arch.X86,
    "x64": Arch.X64,
    "amd64": Arch.X64,
    "x86_64": Arch.X64,
    "x86-64": Arch.X64,
    "64-bit": Arch.X64,
    "ia64": Arch.IA64,
    "ia-64": Arch.IA64,
    "itanium": Arch.IA64,
}


def normalize_arch(text: str | Arch) -> Arch:
    """``"X64"``, ``"amd64"``, ``"IA-64"`` ... -> :class:`Arch`; anything else is an error."""
    if isinstance(text, Arch):
        return text
    key = str(text).strip().lower()
    try:
        return _ARCH_ALIASES[key]
    except KeyError:
        raise FactsError(f"unknown architecture {str(text).strip()!r}: expected x86, x64 or ia64") from None


_SP_TEXT_RE = re.compile(r"(?:sp|service\s*pack\s*)?(\d+)")


def parse_sp(text: str | int) -> int:
    """``1``, ``"1"``, ``"SP1"``, ``"Service Pack 1"``, ``"RTM"`` -> service-pack number."""
    if isinstance(text, bool):
        raise FactsError(f"malformed service pack {text!r}")
    if isinstance(text, int):
        if text < 0:
            raise FactsError(f"malformed service pack {text}: must be 0 or more")
        return text
    key = str(text).strip().lower()
    if key in ("rtm", "n/a", "none"):
        return 0
    match = _SP_TEXT_RE.fullmatch(key)
    if match is None:
        raise FactsError(f"malformed service pack {str(text).strip()!r}: expected 0, 1 or 2")
    return int(match.group(1))


# Trademark signs and the letters a console code page turns them into.
_MARKS_RE = re.compile(r"\((?:r|tm)\)|[\u00ae\u2122]")
_MANGLED_RE = re.compile(r"\b(microsoft|windows|server|vista)(?:r|t)\b")

_PRODUCT_PATTERNS: tuple[tuple[re.Pattern[str], Product], ...] = (
    (re.compile(r"\bserver 2008 r2\b"), Product.SERVER_2008_R2),
    (re.compile(r"\bserver 2008\b"), Product.SERVER_2008),
    (re.compile(r"\bwindows vista\b|^vista\b"), Product.VISTA),
    (re.compile(r"\bwindows 7\b|^7$|^win7$"), Product.WIN7),
)
# Releases that are recognisably Windows yet not covered by the hotfix.
_OTHER_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bembedded\b|\bthin pc\b|\bhome server\b|\bposready\b"),
    re.compile(r"\bwindows (?:xp|2000|me|98|95|nt|rt|8|8\.1|10|11)\b"),
    re.compile(r"\bserver (?:2000|2003|2012|2016|2019|2022|2025)\b"),
    re.compile(r"^(?:xp|2000|2003|8|8\.1|10|11)$"),
)


def _canonical_text(name: str) -> str:
    text = _MARKS_RE.sub(" ", name.lower())
    text = _MANGLED_RE.sub(r"\1", text)
    text = re.sub(r"\s+", " ", text).strip()
    if text.startswith("microsoft "):
        text = text[len("microsoft ") :]
    return text


def identify_os(name: str) -> Product | OtherProduct:
    """Recognise an OS name as one of the four products or as another Windows release.

    Accepts the short forms of the CLI (``"Windows 7"``, ``"windows server 2008 r2"``) and the
    long ones ``systeminfo`` prints. **Decision**: a name that matches neither list raises
    :class:`FactsError` instead of being called "not applicable", so that a typo such as
    ``"Windows Vist"`` is not mistaken for a product the hotfix does not cover.
    """
    if not isinstance(name, str) or not name.strip():
        raise FactsError("operating system name is empty")
    text = _canonical_text(name)
    for pattern, product in _PRODUCT_PATTERNS:
        if pattern.search(text):
            return product
    for pattern in _OTHER_PATTERNS:
        if pattern.search(text):
            return OtherProduct(re.sub(r"\s+", " ", name).strip())
    raise FactsError(
        f"unrecognised operating system {name.strip()!r}: expected e.g. 'Windows Vista', "
        "'Windows 7', 'Windows Server 2008', 'Windows Server 2008 R2' (or a systeminfo OS Name)"
    )
