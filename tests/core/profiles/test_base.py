"""Profiles see a host only through `HostView`: no private attribute, no import of core.host.

The host imports the profiles; the profiles decide and call back through the view. These checks read
the profiles' source, so a new shortcut into the host fails here rather than in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from routekeeper.core.host import Host
from routekeeper.core.profiles import PROFILES, HostView, get_profile

PROFILES_DIR = Path(__file__).resolve().parents[3] / "src" / "routekeeper" / "core" / "profiles"
MODULES = sorted(PROFILES_DIR.glob("*.py"))
VIEW_MEMBERS = {name for name in dir(HostView) if not name.startswith("_")}


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def test_the_package_has_its_modules():
    assert {p.name for p in MODULES} == {"__init__.py", "base.py", "windows.py", "linux.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_profiles_never_import_the_host(path):
    """Not at module level, not under TYPE_CHECKING, not inside a function."""
    imported = []
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append(node.module or "")
    assert [m for m in imported if m == "routekeeper.core.host" or m.endswith(".host")] == []
    assert all(m.startswith(("routekeeper.core.", "__future__", "collections", "dataclasses", "typing"))
               for m in imported)  # fmt: skip


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_profiles_touch_no_private_attribute(path):
    private = [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree(path))
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id == "self")
    ]
    assert private == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_profiles_use_only_what_host_view_names(path):
    used = {
        node.attr
        for node in ast.walk(tree(path))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "host"
    }
    assert used <= VIEW_MEMBERS, f"not in HostView: {sorted(used - VIEW_MEMBERS)}"


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_a_host_is_a_host_view(name):
    host = Host(name)
    assert isinstance(host, HostView)
    for member in VIEW_MEMBERS:
        assert hasattr(host, member), member
    assert get_profile(name).name == name


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown profile 'bsd'"):
        get_profile("bsd")
