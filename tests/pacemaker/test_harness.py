"""The harness itself: a real 3-node cluster forms, each node private, and nothing is left after."""

from __future__ import annotations

import os
import subprocess

import harness
from conftest import leftover_namespaces


def test_three_nodes_form_and_leave_nothing_behind() -> None:
    c = harness.Cluster()
    try:
        c.start()
        assert c.formed()
        status = c.status()
        assert "Online: [ n1 n2 n3 ]" in status, status
        assert "partition with quorum" in status, status
        for node in c.nodes:
            assert c.run(node, "hostname").strip() == node.name
            # the node's CIB lives in its private directory, not in the machine's /var/lib/pacemaker
            cib = os.path.join(node.directory, "lib-pacemaker", "cib", "cib.xml")
            assert os.path.getsize(cib) > 0
            assert c.run(node, "cat", "/proc/1/comm").strip() == "sh", "the node has its own PID namespace"
            assert "10.99.0." in c.run(node, "ip", "-4", "-o", "addr", "show", "dev", "hb0")
        pids = [n.init_pid() for n in c.nodes]
        cib = c.cib()
        options = {nv.get("name"): nv.get("value") for nv in cib.iterfind(".//crm_config//nvpair")}
        assert options["stonith-enabled"] == "false" and options["dc-deadtime"] == "2s"
    finally:
        c.close()
    assert not leftover_namespaces(c.prefix)
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}"), f"node init {pid} survived the teardown"
    assert not os.path.exists(c.base)
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert c.base not in ps
