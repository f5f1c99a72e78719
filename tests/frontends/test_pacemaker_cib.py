"""Reading a Pacemaker CIB: IPaddr2 addresses, groups, and where each runs (from a real `cibadmin -Q`).

`data/pacemaker-cib.xml` was captured from the harness's 3-node cluster (tests/pacemaker) after the
group `svc` had moved n1 -> n2 -> n3: n1 and n2 still record their old monitor operations, but their
newest operation is the stop, so the group runs on n3 only.
"""

from __future__ import annotations

import io
import os

import pytest

from routekeeper.cli import run
from routekeeper.core.values import IP
from routekeeper.frontends.pacemaker_cib import CibError, FloatingAddress, parse

CIB = os.path.join(os.path.dirname(__file__), "data", "pacemaker-cib.xml")


def cib_text() -> str:
    with open(CIB, encoding="utf-8") as f:
        return f.read()


def test_addresses_groups_and_location() -> None:
    cib = parse(cib_text())
    assert cib.nodes == ["n1", "n2", "n3"] and cib.online == {"n1", "n2", "n3"}
    assert cib.floating("svc") == [
        FloatingAddress("vip-lan", IP.parse("192.168.50.100"), 24, "lan0"),
        FloatingAddress("vip-svc", IP.parse("192.168.60.100"), 24, "svc0"),
    ]
    assert cib.floating("vip-svc") == [FloatingAddress("vip-svc", IP.parse("192.168.60.100"), 24, "svc0")]
    assert cib.running_on("svc") == {"n3"}
    assert cib.running_on("vip-lan") == {"n3"}
    assert cib.floating("rk-clone") == [], "the keeper's clone holds no address"
    assert cib.active["rk"] == {"n1", "n2", "n3"}


def test_a_node_that_left_runs_nothing() -> None:
    text = cib_text().replace(
        'uname="n3" in_ccm="true" crmd="online"', 'uname="n3" in_ccm="false" crmd="offline"'
    )
    assert parse(text).running_on("svc") == set()


def status_cib(*ops: tuple[str, int, int, int]) -> str:
    """A CIB with one IPaddr2 `v` and, on node n1, the operations (operation, interval ms, call-id, rc)."""
    rows = "".join(
        f'<lrm_rsc_op id="v_{o}_{i}" operation="{o}" interval="{i}" call-id="{c}" rc-code="{rc}"/>'
        for o, i, c, rc in ops
    )
    return (
        '<cib><configuration><nodes><node id="1" uname="n1"/></nodes><resources>'
        '<primitive id="v" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="a">'
        '<nvpair id="i" name="ip" value="10.0.0.9"/></instance_attributes></primitive></resources>'
        '</configuration><status><node_state id="1" uname="n1" in_ccm="true" crmd="online">'
        f'<lrm><lrm_resources><lrm_resource id="v">{rows}</lrm_resource></lrm_resources></lrm>'
        "</node_state></status></cib>"
    )


@pytest.mark.parametrize(
    ("ops", "running"),
    [
        ([("monitor", 0, 3, 7), ("start", 0, 5, 0), ("monitor", 10000, 6, 0)], True),
        ([("start", 0, 5, 0), ("monitor", 10000, 6, 7)], False),  # the recurring monitor found it gone
        ([("start", 0, 5, 1)], False),  # a failed start
        ([("start", 0, 5, 0), ("monitor", 10000, 6, 0), ("stop", 0, 9, 0)], False),
        ([("monitor", 0, 2, 0)], True),  # a probe found it running
        ([("start", 0, -1, 0)], False),  # pending
    ],
)
def test_where_a_resource_runs(ops: list[tuple[str, int, int, int]], running: bool) -> None:
    assert parse(status_cib(*ops)).running_on("v") == ({"n1"} if running else set())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not xml", "not a CIB"),
        ("<configuration/>", "root element is <configuration>"),
        (
            '<cib><configuration><resources><primitive id="v" class="ocf" provider="heartbeat"'
            ' type="IPaddr2">'
            '<instance_attributes id="a"><nvpair id="n" name="ip" value="300.1.1.1"/></instance_attributes>'
            "</primitive></resources></configuration></cib>",
            "IPaddr2 resource 'v' has no valid ip parameter",
        ),
    ],
)
def test_bad_cib_is_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(CibError, match=message):
        parse(text)


def test_unknown_resource() -> None:
    with pytest.raises(CibError, match="no resource 'nope'"):
        parse(cib_text()).floating("nope")


def rk(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(list(argv), out, err, {})
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["--move", "nope", "--to", "n1"], 1, "routekeeper: the CIB has no resource 'nope'\n"),
        (["--move", "svc", "--to", "n9"], 1, "routekeeper: the CIB has no node 'n9' (nodes: n1, n2, n3)\n"),
        (
            ["--move", "rk-clone", "--to", "n1"],
            1,
            "routekeeper: resource 'rk-clone' holds no IPaddr2 address\n",
        ),
        (["--move", "svc", "--to", "n1", "--bogus"], 2, "unrecognized arguments: --bogus"),
        (["--move", "svc"], 2, "the following arguments are required: --to"),
    ],
)
def test_whatif_refuses_bad_input(argv: list[str], status: int, message: str) -> None:
    code, out, err = rk("pacemaker", "whatif", *argv, "--cib", CIB)
    assert (code, out) == (status, "")
    assert message in err and err.count("\n") == 1 and err.startswith("routekeeper: ")


def test_whatif_help_and_unknown_subcommand() -> None:
    code, out, err = rk("pacemaker", "whatif", "--help")
    assert (
        code == 0
        and out.startswith("usage: routekeeper pacemaker whatif --move RESOURCE --to NODE")
        and err == ""
    )
    code, out, err = rk("pacemaker", "frob")
    assert code == 2 and "unknown subcommand 'frob'" in err and out == ""
    code, out, err = rk("pacemaker", "whatif", "--move", "svc", "--to", "n1", "--cib", "/nonexistent/cib.xml")
    assert code == 1 and err == "routekeeper: cannot read the CIB: /nonexistent/cib.xml: not found\n"
