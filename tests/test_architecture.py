"""The architecture holds: folders name the layers, imports only point down, no import cycle.

The layers, top to bottom (docs/architecture.md):

    cli, __main__                      entry: global options, command table, help
    app                                the only layer that opens a store
    frontends | store | linux | hotfix  siblings: none imports another
    core                               pure: no I/O, no clock, no globals

The checks read the source with `ast`, never import it, and count every import: at module level, inside
functions and under `if TYPE_CHECKING:` alike, so that neither can hide a cycle or an upward import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "routekeeper"
CORE = PACKAGE / "core"

# The rank of each top-level part; an import may only go to a lower rank, or stay within its own part.
RANK = {
    "__main__": 5,
    "cli": 4,
    "app": 3,
    "frontends": 2,
    "store": 2,
    "linux": 2,
    "hotfix": 2,
    "core": 1,
    "": 0,  # the package's own __init__ (a docstring)
}
# Standard-library and third-party modules that only one layer may use.
OWNED = {"sqlite3": "store", "pyroute2": "linux"}
CORE_ALLOWED = {
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


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def raw_imports(path: Path, root: Path = PACKAGE, modules: frozenset[str] = frozenset()) -> Iterator[str]:
    """Every module named by an import in `path` (absolute names; relative ones resolved).

    `from pkg import name` names `pkg.name` where that is one of `modules`, else `pkg`."""
    name = module_name(path, root)
    package = name if is_package(path) else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                inner = f"{module}.{alias.name}"
                yield inner if inner in modules else module


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the project's modules it imports."""
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    known = frozenset(files)
    for name, path in files.items():
        found = {m for m in raw_imports(path, root, known) if m in files and m != name}
        edges[name] = found
    return edges


def part(module: str, root_name: str = "routekeeper") -> str:
    rest = module.removeprefix(root_name).lstrip(".")
    return rest.split(".")[0]


def layering_offences(edges: dict[str, set[str]], root_name: str = "routekeeper") -> list[str]:
    found = []
    for src, targets in sorted(edges.items()):
        here = part(src, root_name)
        for dst in sorted(targets):
            there = part(dst, root_name)
            if here == there:
                continue
            if there == "store" and here != "app":
                found.append(f"{src} -> {dst}: only app opens a store")
            elif RANK.get(there, 99) >= RANK.get(here, -1):
                found.append(f"{src} -> {dst}: {here} may not import {there}")
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


# ---------------------------------------------------------------------- the rules, on the real tree
def test_there_is_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_imports_only_point_down() -> None:
    assert layering_offences(graph()) == []


def test_every_top_level_part_has_a_layer() -> None:
    parts = {part(name) for name in graph()}
    assert parts <= set(RANK), f"place {sorted(parts - set(RANK))} in RANK and docs/architecture.md"


def test_libraries_stay_in_their_layer() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = part(module_name(path))
        for module in raw_imports(path):
            owner = OWNED.get(module.split(".")[0])
            if owner is not None and owner != here:
                offenders.append(f"{module_name(path)} imports {module} (only {owner} may)")
    assert offenders == []


def test_core_imports_only_pure_modules() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        for module in raw_imports(path):
            if module.startswith("routekeeper."):
                if part(module) != "core":
                    offenders.append(f"{module_name(path)}: imports outside core: {module}")
            elif module not in CORE_ALLOWED and module.rpartition(".")[0] not in CORE_ALLOWED | {""}:
                offenders.append(f"{module_name(path)}: imports {module}")
    assert offenders == []


def test_core_has_no_module_level_mutable_state() -> None:
    """Module globals in core are constants (upper case), types, or functions."""
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = []
            if isinstance(node, ast.Assign):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                targets = [node.target.id]
            for name in targets:
                if not (name.isupper() or name[0].isupper() or name == "__all__"):
                    offenders.append(f"{module_name(path)}: {name}")
    assert offenders == []


# ---------------------------------------------------------------------- the checks catch what they should
def make_tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "routekeeper"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    return root


def test_the_checks_catch_a_cycle_hidden_in_a_function_and_under_type_checking(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path,
        {
            "core/a.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from routekeeper.core import b\n"
            ),
            "core/b.py": "def f():\n    from .a import x\n",
            "core/c.py": "import routekeeper.core.a\n",
        },
    )
    assert cycles(graph(root)) == [["routekeeper.core.a", "routekeeper.core.b"]]


def test_the_checks_catch_upward_sideways_and_store_imports(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path,
        {
            "core/host.py": "from routekeeper.frontends import route\n",
            "frontends/route.py": "from routekeeper.linux import codec\n",
            "linux/codec.py": "",
            "store/hosts.py": "",
            "cli.py": "from routekeeper.store import hosts\nfrom routekeeper.app import unit\n",
            "app/unit.py": "from ..store.hosts import HostStore\nfrom routekeeper.core.host import Host\n",
        },
    )
    assert layering_offences(graph(root)) == [
        "routekeeper.cli -> routekeeper.store.hosts: only app opens a store",
        "routekeeper.core.host -> routekeeper.frontends.route: core may not import frontends",
        "routekeeper.frontends.route -> routekeeper.linux.codec: frontends may not import linux",
    ]
