"""cluster.exe syntax and routekeeper's cluster commands over an in-memory cluster: layouts, the
documented abbreviations, Windows error messages with their codes, and what a failed command commits."""

from __future__ import annotations

import pytest

from routekeeper.core.cluster.model import Cluster
from routekeeper.core.values import IP
from routekeeper.frontends.cluster import run


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_group_listing_and_move_layout(two_nodes):
    c = two_nodes()
    out = run(c, ["group"])
    assert lines(out.stdout) == [
        "Listing status for all available resource groups:",
        "",
        "Group                Node            Status",
        "-------------------- --------------- ------",
        "SQL                  NODE1           Offline",
    ]
    out = run(c, ["GROUP", "sql", "/ON"])
    assert lines(out.stdout)[0] == "Bringing resource group 'SQL' online..."
    out = run(c, ["group", "SQL", "-move:node2", "/wait:30"])
    assert out.exit == 0 and lines(out.stdout)[0] == "Moving resource group 'SQL'..."
    assert lines(out.stdout)[-1] == "SQL                  NODE2           Online"
    out = run(c, ["group", "/node:NODE2"])
    assert lines(out.stdout)[0] == "Listing status of resource group for node 'NODE2':"
    assert lines(out.stdout)[-1].startswith("SQL ")
    assert run(c, ["group", "SQL", "/stat"]).stdout.startswith("Listing status for resource group 'SQL':")


def test_resource_and_node_layouts(two_nodes):
    c = two_nodes()
    run(c, ["res", "SQL IP", "/online"])
    out = run(c, ["resource"])
    assert lines(out.stdout)[2:] == [
        "Resource             Group                Node            Status",
        "-------------------- -------------------- --------------- ------",
        "SQL IP               SQL                  NODE1           Online",
    ]
    out = run(c, ["node", "NODE2", "/pause"])
    assert lines(out.stdout) == [
        "Pausing node 'NODE2'...",
        "",
        "Node           Node ID Status",
        "-------------- ------- ---------------------",
        "NODE2                2 Paused",
    ]
    out = run(c, ["res", "SQL IP", "/off"])
    assert lines(out.stdout)[0] == "Taking resource 'SQL IP' offline..."
    assert lines(run(c, ["net"]).stdout)[-1] == "Cluster Network 1                        Up"


def test_private_properties_listing_and_setting(two_nodes):
    c = two_nodes()
    out = run(c, ["res", "SQL IP", "/priv"])
    assert lines(out.stdout)[2:6] == [
        "T  Resource             Name                           Value",
        "-- -------------------- ------------------------------ -----------------------",
        "S  SQL IP               Network                        Cluster Network 1",
        "S  SQL IP               Address                        10.50.0.100",
    ]
    assert "D  SQL IP               EnableNetBIOS                  1 (0x1)" in lines(out.stdout)
    out = run(c, ["res", "SQL IP", "/priv", "EnableNetBIOS=2:dword", "address=10.50.0.101"])
    assert (out.exit, out.stdout, out.stderr) == (0, "", "")
    assert c.resources["SQL IP"].properties.enable_netbios == 2
    assert c.resources["SQL IP"].properties.address == IP.parse("10.50.0.101")
    assert run(c, ["res", "/priv"]).stdout.startswith("Listing private properties for all resources:")
    run(c, ["res", "SQL IP", "/online"])
    out = run(c, ["res", "SQL IP", "/priv", "Address=10.50.0.102"])
    assert out.exit == 0 and out.stdout.startswith("System warning 5024 (0x000013a0).")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["group", "Nope", "/moveto:NODE2"], 5013, "The cluster group could not be found."),
        (["res", "Nope", "/online"], 5007, "The cluster resource could not be found."),
        (["group", "SQL", "/moveto:NODE9"], 5042, "The cluster node was not found."),
        (["node", "NODE1", "/resume"], 5058, "The cluster node is not paused."),
        (["res", "SQL IP", "/priv", "Address=10.9.9.9"], 87, "The parameter is incorrect."),
        (["res", "SQL IP", "/priv", "Address=banana"], 87, "The parameter is incorrect."),
        (["res", "SQL IP", "/priv", "Bogus=1"], 87, "The parameter is incorrect."),
    ],
)
def test_system_errors(two_nodes, args, code, message):
    c = two_nodes()
    out = run(c, args)
    assert out.exit == code and not out.commit and out.stdout == ""
    err = lines(out.stderr)
    assert err[0] == f"System error {code} has occurred (0x{code:08x})."
    assert err[1] == message and err[2].startswith("routekeeper: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "A command must be specified."),
        (["widget"], "Unrecognized object type 'widget'."),
        (["group", "SQL", "/frob"], "Invalid option '/frob'."),
        (["group", "/moveto:NODE2"], "A group name must be specified."),
        (
            ["group", "SQL", "/offline", "extra"],
            "The 'offline' option does not require any values to be specified.",
        ),
        (["res", "SQL IP", "/priv", "Address"], "Value expected after 'Address' (Column 8)."),
    ],
)
def test_syntax_errors(two_nodes, args, message):
    out = run(two_nodes(), args)
    assert (out.exit, out.stderr) == (87, message + "\n")


def test_owner_lists(two_nodes):
    c = two_nodes(nodes=3)
    run(c, ["group", "SQL", "/setowners:NODE3,NODE1"])
    assert lines(run(c, ["group", "SQL", "/listowners"]).stdout)[2:] == [
        "Preferred Owner Nodes",
        "---------------------",
        "NODE3",
        "NODE1",
    ]
    run(c, ["res", "SQL IP", "/removeowner:NODE2"])
    assert lines(run(c, ["res", "SQL IP", "/listowners"]).stdout)[-2:] == ["NODE1", "NODE3"]
    run(c, ["res", "SQL IP", "/addowner:NODE2"])
    assert c.resources["SQL IP"].possible is None


def test_native_setup_commands():
    c = Cluster("C")
    assert run(c, ["add-node", "N1", "--profile", "prehotfix"]).stdout.startswith("added node N1")
    assert c.nodes["N1"].host.name == "C/N1" and c.nodes["N1"].host.profile.name == "prehotfix"
    out = run(c, ["add-network", "Net", "10.50.0.0/24", "N1=11"])
    assert out.exit == 1 and "no interface 11" in out.stderr
    out = run(c, ["add-network", "Net", "10.50.0.1/24"])
    assert out.exit == 2 and "host bits" in out.stderr
    out = run(c, ["add-network", "Net", "10.50.0.0/24", "N1"])
    assert out.exit == 2 and "NODE=INTERFACE" in out.stderr
    assert run(c, ["add-network", "Net", "10.50.0.0/24"]).exit == 0
    assert run(c, ["add-group", "G", "--preferred", "N1"]).stdout == "added group G, owned by N1\n"
    out = run(c, ["add-ip-resource", "R", "--group", "G", "--network", "Net", "--address", "10.50.0.5"])
    assert out.exit == 2 and "--mask" in out.stderr
    words = ["add-ip-resource", "R", "--group", "G", "--network", "net", "--address", "10.50.0.5"]
    out = run(c, [*words, "--mask", "255.255.255.0"])
    assert out.exit == 0 and c.resources["R"].properties.network == "Net"
    out = run(c, ["fail"])
    assert out.exit == 2
    out = run(c, ["show"])
    assert "resource R: Offline; 10.50.0.5/24 on Net" in out.stdout


def test_whatif_and_log_commands(two_nodes):
    c = two_nodes("prehotfix")
    run(c, ["group", "SQL", "/online"])
    out = run(c, ["whatif", "group", "SQL", "/moveto:NODE2"])
    assert out.exit == 0 and not out.commit
    assert "moving group SQL to NODE2 withdraws these routes on NODE1:" in out.stdout
    assert c.groups["SQL"].owner == "NODE1"
    out = run(c, ["whatif", "group", "SQL", "/status"])
    assert out.exit == 2 and "cannot preview" in out.stderr
    out = run(c, ["whatif", "group", "SQL", "/moveto:NODE9"])
    assert out.exit == 1 and "no cluster node named 'NODE9'" in out.stderr
    assert "What if: failure of node NODE1" in run(c, ["whatif", "fail", "NODE1"]).stdout
    run(c, ["group", "SQL", "/moveto:NODE2"])
    text = run(c, ["log", "--node", "NODE1"]).stdout
    assert "NODE1: route-withdrawn: 10.51.0.0/16 via 10.50.0.1" in text
    assert "route-added" not in text  # system routes only with --all
    assert "route-added" in run(c, ["log", "--all"]).stdout
    by_address = lines(run(c, ["log", "--address", "10.50.0.100"]).stdout)
    assert len(by_address) == 3 and all("10.50.0.100/24" in line for line in by_address)


def test_add_adapter_command():
    from routekeeper.core import operations as op
    from routekeeper.core.values import Interface

    c = Cluster("C")
    for node, index in (("N1", 11), ("N2", 12)):
        assert run(c, ["add-node", node]).exit == 0
        c.nodes[node].host.apply(op.AddInterface(Interface(index, "Public", mac=f"00-15-5D-00-00-{index}")))
    c.nodes["N2"].host.apply(op.AddInterface(Interface(13, "Backup", mac="00-15-5D-00-00-13")))
    assert run(c, ["add-network", "Net", "10.50.0.0/24", "N1=11"]).exit == 0
    out = run(c, ["add-adapter", "net", "n2=Public"])
    assert (out.exit, out.stdout) == (
        0,
        "added adapter: network Net (10.50.0.0/24) on N2 interface 12 (Public)\n",
    )
    assert c.networks["Net"].adapters == {"N1": 11, "N2": 12}
    out = run(c, ["add-adapter", "Net", "N2=12"])
    assert out.stdout == "network Net: N2 already on interface 12 (Public); unchanged\n"
    out = run(c, ["add-adapter", "Net", "N2=13"])
    assert out.exit == 1 and "remap it explicitly" in out.stderr and not out.commit
    out = run(c, ["add-adapter", "Net", "N2=Backup", "--remap"])
    assert out.stdout == "network Net: N2 remapped to interface 13 (Backup), was interface 12\n"
    for words, message in [
        (["Net"], "the following arguments are required: NODE=INTERFACE"),
        (["Net", "N2"], "expected NODE=INTERFACE"),
        (["Net", "N2=11", "n2=12"], "given twice"),
        (["Net", "N2=11", "--force"], "unrecognized arguments: --force"),
    ]:
        out = run(c, ["add-adapter", *words])
        assert out.exit == 2 and message in out.stderr, out.stderr
    out = run(c, ["add-adapter", "Nope", "N2=12"])
    assert out.exit == 1 and "no cluster network named 'Nope'" in out.stderr
    out = run(c, ["add-adapter", "Net", "N9=12"])
    assert out.exit == 1 and "no cluster node named 'N9'" in out.stderr
