"""Does this Windows host carry the fix? (issue 7)

The defect (spec §1): before a 2011 ``tcpip.sys`` hotfix, deleting an additional IP address on
Windows Vista, Windows 7, Windows Server 2008 or Windows Server 2008 R2 withdraws manually
added routes. This package answers, from a host's facts, whether the fix is installed:

>>> v = check({"os": "Windows 7", "sp": 1, "arch": "x64",
...            "files": {"tcpip.sys": "6.1.7601.17514"}})
>>> v.status.value, [c.hotfix_version for c in v.outdated]
('affected', ['6.1.7601.21734'])

Modules: :mod:`.versions` (version -> family, service-pack level, branch), :mod:`.products`
(products, architectures, prerequisites), :mod:`.tables` (the report's file tables, packaged
as ``data/files.tsv``), :mod:`.facts` and :mod:`.inventory` (host facts from the command line or
``systeminfo``/file-version text), :mod:`.verdict` (the rules) and :mod:`.cli`. The decisions
taken where the report is silent are listed in :mod:`.verdict` and ``docs/hotfix.md``.
"""

from __future__ import annotations

from routekeeper.hotfix.errors import (
    DataFileError,
    FactsError,
    HotfixInputError,
    HotfixUsageError,
    InventoryError,
    UnclassifiableVersionError,
    VersionError,
)
from routekeeper.hotfix.facts import FileFact, HostFacts, facts_from_mapping, merge_facts
from routekeeper.hotfix.inventory import decode_inventory, parse_inventories, parse_inventory
from routekeeper.hotfix.products import Arch, OtherProduct, Product, identify_os, normalize_arch, parse_sp
from routekeeper.hotfix.tables import FileRow, HotfixFile, hotfix_files, load_rows, rows_for
from routekeeper.hotfix.verdict import FileCheck, Status, Verdict, check, verdict_for_inventory
from routekeeper.hotfix.versions import (
    Branch,
    Classification,
    Family,
    FileVersion,
    build_for,
    classify_version,
    level_name,
    parse_version,
    sp_for_build,
)

__all__ = [
    "Arch",
    "Branch",
    "Classification",
    "DataFileError",
    "FactsError",
    "Family",
    "FileCheck",
    "FileFact",
    "FileRow",
    "FileVersion",
    "HostFacts",
    "HotfixFile",
    "HotfixInputError",
    "InventoryError",
    "OtherProduct",
    "Product",
    "Status",
    "UnclassifiableVersionError",
    "HotfixUsageError",
    "Verdict",
    "VersionError",
    "build_for",
    "check",
    "classify_version",
    "decode_inventory",
    "facts_from_mapping",
    "hotfix_files",
    "identify_os",
    "level_name",
    "load_rows",
    "merge_facts",
    "normalize_arch",
    "parse_inventories",
    "parse_inventory",
    "parse_sp",
    "parse_version",
    "rows_for",
    "sp_for_build",
    "verdict_for_inventory",
]
