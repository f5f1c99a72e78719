"""The core stays pure: no I/O, no clock, no globals, and nothing from front ends or backends."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "src" / "routekeeper" / "core"
ALLOWED = {
    "__future__",
    "dataclasses",
    "enum",
    "typing",
    "collections",
    "collections.abc",
    "ipaddress",
    "itertools",
    "functools",
    "bisect",
    "array",
    "heapq",
    "operator",
    "math",
    "numpy",
}


def imports(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


def test_core_imports_only_pure_modules():
    offenders = []
    for path in sorted(CORE.glob("*.py")):
        for module, level in imports(path):
            if level == 0 and (module == "routekeeper.core" or module.startswith("routekeeper.core.")):
                continue
            if level > 1 or (level == 0 and module.split(".")[0] == "routekeeper"):
                offenders.append(f"{path.name}: imports outside core: {'.' * level}{module}")
            elif level == 0 and module not in ALLOWED:
                offenders.append(f"{path.name}: imports {module}")
    assert offenders == []


def test_core_has_no_module_level_mutable_state():
    """Module globals in core are constants (upper case), types, or functions."""
    offenders = []
    for path in sorted(CORE.glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            targets = []
            if isinstance(node, ast.Assign):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                targets = [node.target.id]
            for name in targets:
                if not (name.isupper() or name[0].isupper()):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_the_check_catches_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlite3\nfrom ..frontends import route\n")
    assert imports(bad) == [("sqlite3", 0), ("frontends", 2)]
