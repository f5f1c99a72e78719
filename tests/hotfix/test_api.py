"""The public API other parts of routekeeper use, and the examples in the docstrings."""

from __future__ import annotations

import doctest

import pytest

import routekeeper.hotfix as hotfix
from routekeeper.hotfix import HostFacts, Status, Verdict, check, verdict_for_inventory
from routekeeper.hotfix import versions as versions_module


@pytest.mark.parametrize("module", [hotfix, versions_module])
def test_docstring_examples(module) -> None:
    failures, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0
    assert failures == 0


def test_exports_are_importable() -> None:
    for name in hotfix.__all__:
        assert hasattr(hotfix, name), name


def test_verdict_for_inventory_returns_a_verdict(win7_affected_inventory) -> None:
    v = verdict_for_inventory(win7_affected_inventory)
    assert isinstance(v, Verdict)
    assert (v.status, v.product, v.sp, v.arch) == ("affected", "Windows 7", 1, "x64")
    assert v.status in {s.value for s in Status}
    assert v.to_dict()["outdated"] == ["tcpip.sys"]


def test_check_accepts_host_facts_and_mappings() -> None:
    from routekeeper.hotfix import FileFact

    facts = HostFacts(
        os="Windows Server 2008 R2", sp=1, arch="x64", files=(FileFact("tcpip.sys", "6.1.7601.21734"),)
    )
    by_mapping = check(
        {"os": "Windows Server 2008 R2", "sp": 1, "arch": "x64", "files": [("tcpip.sys", "6.1.7601.21734")]}
    )
    assert check(facts) == by_mapping
    assert by_mapping.status == "fixed" and by_mapping.exit_status == 0
    assert by_mapping.host == "Windows Server 2008 R2 SP1 x64"


def test_input_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        verdict_for_inventory("nothing to see here")
    with pytest.raises(ValueError):
        check({"os": "Windows 7", "sp": 1, "arch": "x64", "files": {"tcpip.sys": "six"}})
