"""A real 3-node Corosync/Pacemaker cluster on one machine, for the tests and the benchmark.

Each node is a network namespace (`ip netns`) in which `unshare --mount --uts --pid --fork` starts a
small init shell: it gives the node private /var/lib/pacemaker, /var/lib/corosync and /var/log
(bind mounts of directories under the cluster's temporary directory), a tmpfs /run and /dev/shm
(libqb's IPC lives there and in abstract sockets, which are per network namespace), the node's name
as hostname (Pacemaker's node name), then runs `corosync -f` and `pacemakerd`. The machine's own
/etc, /var and network are never written: the nodes see the shared corosync.conf through a bind
mount over /etc/corosync, and routekeeper's OCF agent through a bind mount over
/usr/lib/ocf/resource.d.

The network: a "switch" namespace holds four bridges, `hb` (Corosync's knet heartbeat), `lan`, `svc`
and `upl`. Every node has a veth on each: `hb0` (10.99.0.N/24), `lan0` (192.168.50.1N/24, the node's
own service address), `svc0` (no address of its own: an IPaddr2 address that moves is its only one)
and `up0` (192.168.70.1N/24, an uplink whose cable a test can pull).

The CIB is seeded before the first start with STONITH disabled and `dc-deadtime` lowered to 2 s
(Pacemaker's default 20 s is almost all of a formation's time). `Cluster.close()` always ends each
node by PID (SIGKILL to `unshare`, whose `--kill-child` takes the namespace's init and so every
process of the node with it) and deletes the namespaces and the temporary directory.

Run `python3 tests/pacemaker/harness.py` (root) to bring a cluster up by hand; Ctrl-C tears it down.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AGENT = os.path.join(REPO, "packaging", "ocf", "routekeeper")
HB_NET = "10.99.0"
LAN_NET = "192.168.50"
SVC_NET = "192.168.60"
UP_NET = "192.168.70"
NEEDED = ("corosync", "pacemakerd", "cibadmin", "crm_resource", "crm_mon", "unshare", "nsenter", "ip")
NEEDED += ("ocf-tester", "xmllint")  # the agent's own test
_serial = itertools.count()

COROSYNC_CONF = """\
totem {{
    version: 2
    cluster_name: {name}
    transport: knet
    crypto_cipher: none
    crypto_hash: none
    token: 1000
}}
nodelist {{
{nodes}
}}
quorum {{
    provider: corosync_votequorum
}}
logging {{
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    to_stderr: no
    to_syslog: no
    timestamp: on
}}
"""

SEED_CIB = """\
<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="opt-stonith-enabled" name="stonith-enabled" value="false"/>
        <nvpair id="opt-dc-deadtime" name="dc-deadtime" value="2s"/>
        <nvpair id="opt-recheck" name="cluster-recheck-interval" value="1min"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
"""

# The node's init: runs inside `ip netns exec NS unshare --mount --uts --pid --fork --mount-proc`.
# $D is the node's directory, $B the cluster's. It stays PID 1 of the node's PID namespace (a shell as
# init ignores the signals it has no handler for; SIGKILL from outside ends it and the namespace).
NODE_INIT = r"""
set -e
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount --bind "$D/lib-pacemaker" /var/lib/pacemaker
mount --bind "$D/lib-corosync" /var/lib/corosync
mount --bind "$D/log" /var/log
mount --bind "$B/etc-corosync" /etc/corosync
mount --bind /usr/lib/ocf/resource.d "$B/ocf-orig"
mount --bind "$B/resource.d" /usr/lib/ocf/resource.d
hostname "$NODE"
corosync -f > "$D/corosync.out" 2>&1 &
for i in $(seq 200); do corosync-cfgtool -s > /dev/null 2>&1 && break; sleep 0.05; done
PCMK_logfile=/var/log/pacemaker/pacemaker.log pacemakerd > "$D/pacemakerd.out" 2>&1 &
wait
"""


def sh(*argv: str, check: bool = True, timeout: float = 60, env: dict[str, str] | None = None) -> str:
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} (exit {r.returncode}): {(r.stderr or r.stdout).strip()}")
    return r.stdout


def missing() -> str | None:
    """Why a cluster cannot run here, or None."""
    if os.geteuid() != 0:
        return "the Pacemaker cluster tests need root (namespaces, mounts)"
    if not os.path.exists("/proc/self/ns/net"):
        return "no network namespace support in this kernel"
    absent = [tool for tool in NEEDED if shutil.which(tool) is None]
    if absent:
        return (
            f"not installed: {', '.join(absent)}"
            " (apt-get install pacemaker pacemaker-cli-utils corosync resource-agents libxml2-utils)"
        )
    if not os.path.isdir("/usr/lib/ocf/resource.d/heartbeat"):
        return "resource-agents is not installed (no /usr/lib/ocf/resource.d/heartbeat)"
    return None


def wait_for(predicate: Callable[[], object], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


@dataclass(eq=False)  # a node is itself: hashable, compared by identity
class Node:
    name: str
    number: int
    netns: str
    directory: str
    process: subprocess.Popen[bytes] | None = None

    @property
    def lan_address(self) -> str:
        return f"{LAN_NET}.{10 + self.number}"

    @property
    def state(self) -> str:
        """The node's routekeeper state file (in its private directory)."""
        return os.path.join(self.directory, "routekeeper", "state.db")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def init_pid(self) -> int:
        """The host PID of the node's init (PID 1 of its PID namespace): the child of `unshare`."""
        assert self.process is not None
        with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as f:
            children = f.read().split()
        if not children:
            raise RuntimeError(f"node {self.name} has no init process")
        return int(children[0])


@dataclass
class Cluster:
    """Three nodes, a switch, a temporary directory; `close()` removes all of it."""

    prefix: str = field(default_factory=lambda: f"rkpm{os.getpid()}x{next(_serial)}")
    size: int = 3
    nodes: list[Node] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    base: str = ""

    # ------------------------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 90.0) -> None:
        """Build the network, start every node, wait for a DC and every node online."""
        self.base = tempfile.mkdtemp(prefix=f"{self.prefix}-")
        self._network()
        self._files()
        for node in self.nodes:
            self.start_node(node)
        if not wait_for(self.formed, timeout, 0.25):
            raise RuntimeError(f"cluster did not form in {timeout} s:\n{self.status()}")

    def close(self) -> None:
        for node in self.nodes:
            self.kill(node)
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        self.namespaces.clear()
        if self.base:
            # the agent's bind mount over ocf-orig lives in the nodes' mount namespaces only
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _netns(self, name: str) -> str:
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        return name

    def _network(self) -> None:
        switch = self._netns(f"{self.prefix}-sw")
        for bridge in ("hb", "lan", "svc", "upl"):
            sh("ip", "-n", switch, "link", "add", bridge, "type", "bridge")
            sh("ip", "-n", switch, "link", "set", bridge, "up")
        for n in range(1, self.size + 1):
            name = f"n{n}"
            ns = self._netns(f"{self.prefix}-{name}")
            node = Node(name, n, ns, os.path.join(self.base, name))
            self.nodes.append(node)
            for dev, bridge in (("hb0", "hb"), ("lan0", "lan"), ("svc0", "svc"), ("up0", "upl")):
                peer = f"{name}{bridge}"
                sh("ip", "-n", ns, "link", "add", dev, "type", "veth", "peer", "name", peer, "netns", switch)
                sh("ip", "-n", switch, "link", "set", peer, "master", bridge, "up")
                sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "addr", "add", f"{HB_NET}.{n}/24", "dev", "hb0")
            sh("ip", "-n", ns, "addr", "add", f"{node.lan_address}/24", "dev", "lan0")
            sh("ip", "-n", ns, "addr", "add", f"{UP_NET}.{10 + n}/24", "dev", "up0")

    def _files(self) -> None:
        uid, gid = _ids()
        etc = os.path.join(self.base, "etc-corosync")
        os.makedirs(etc)
        nodes = "\n".join(
            f"    node {{\n        ring0_addr: {HB_NET}.{n.number}\n        name: {n.name}\n"
            f"        nodeid: {n.number}\n    }}"
            for n in self.nodes
        )
        with open(os.path.join(etc, "corosync.conf"), "w") as f:
            f.write(COROSYNC_CONF.format(name=self.prefix, nodes=nodes))
        os.makedirs(os.path.join(self.base, "ocf-orig"))
        rd = os.path.join(self.base, "resource.d")
        os.makedirs(os.path.join(self.base, "ocf-routekeeper"))
        shutil.copy(AGENT, os.path.join(self.base, "ocf-routekeeper", "routekeeper"))
        os.makedirs(rd)
        for provider in os.listdir("/usr/lib/ocf/resource.d"):
            os.symlink(os.path.join(self.base, "ocf-orig", provider), os.path.join(rd, provider))
        os.symlink(os.path.join(self.base, "ocf-routekeeper"), os.path.join(rd, "routekeeper"))
        wrapper = os.path.join(self.base, "routekeeper")
        with open(wrapper, "w") as f:  # the agent's `binary`: this checkout's routekeeper
            f.write(f'#!/bin/sh\nPYTHONPATH={REPO}/src exec {sys.executable} -m routekeeper "$@"\n')
        os.chmod(wrapper, 0o755)
        os.chmod(self.base, 0o755)
        for node in self.nodes:
            for sub in (
                "lib-pacemaker/cib",
                "lib-pacemaker/pengine",
                "lib-pacemaker/blackbox",
                "lib-pacemaker/cores",
                "lib-corosync",
                "log/pacemaker",
                "log/corosync",
                "routekeeper",
            ):
                os.makedirs(os.path.join(node.directory, sub), exist_ok=True)
            for sub in (
                "lib-pacemaker",
                "lib-pacemaker/cib",
                "lib-pacemaker/pengine",
                "lib-pacemaker/blackbox",
                "lib-pacemaker/cores",
                "log/pacemaker",
            ):
                os.chown(os.path.join(node.directory, sub), uid, gid)
            cib = os.path.join(node.directory, "lib-pacemaker", "cib", "cib.xml")
            with open(cib, "w") as f:
                f.write(SEED_CIB)
            os.chown(cib, uid, gid)
            os.chmod(cib, 0o600)

    @property
    def wrapper(self) -> str:
        return os.path.join(self.base, "routekeeper")

    def start_node(self, node: Node) -> None:
        env = dict(os.environ, D=node.directory, B=self.base, NODE=node.name)
        node.process = subprocess.Popen(
            ["ip", "netns", "exec", node.netns, "unshare", "--mount", "--uts", "--pid", "--fork",
             "--mount-proc", "--kill-child", "sh", "-c", NODE_INIT],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(node.directory, "init.out"), "wb"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def kill(self, node: Node) -> None:
        """End a node hard (SIGKILL: a power cut as far as the others can tell)."""
        if node.process is None:
            return
        if node.process.poll() is None:
            try:  # SIGKILL to the PID namespace's init ends every process of the node; unshare reaps it
                os.kill(node.init_pid(), signal.SIGKILL)
                node.process.wait(timeout=30)
            except (OSError, RuntimeError, subprocess.TimeoutExpired):
                node.process.send_signal(signal.SIGKILL)  # --kill-child takes the init with it
                node.process.wait(timeout=30)
        if node.process.stdout is not None:
            node.process.stdout.close()
        node.process = None

    def power_cycle(self, node: Node) -> None:
        """After `kill`, what a power cut also takes: the node's floating addresses and every route
        but the kernel's own; then the node starts again and rejoins (its CIB copy is kept)."""
        for vip, dev in ((VIP_LAN, "lan0"), (VIP_SVC, "svc0")):
            sh("ip", "-n", node.netns, "addr", "del", f"{vip}/24", "dev", dev, check=False)
        for proto in ("199", "boot", "static"):
            sh("ip", "-n", node.netns, "route", "flush", "table", "main", "proto", proto)
        self.start_node(node)
        if not wait_for(self.formed, 90, 0.25):
            raise RuntimeError(f"{node.name} did not rejoin:\n{self.status()}")

    # -------------------------------------------------------------------------------------- commands
    def run(self, node: Node, *argv: str, check: bool = True, timeout: float = 60) -> str:
        """Run a command inside a node (its network, mount, UTS and PID namespaces)."""
        pid = node.init_pid()
        return sh(
            "nsenter", "-t", str(pid), "-n", "-m", "-u", "-p", "--", *argv, check=check, timeout=timeout
        )

    def any_alive(self) -> Node:
        return next(n for n in self.nodes if n.alive)

    def cib(self) -> ET.Element:
        return ET.fromstring(self.run(self.any_alive(), "cibadmin", "-Q"))

    def status(self) -> str:
        node = next((n for n in self.nodes if n.alive), None)
        if node is None:
            return "no node running"
        return self.run(node, "crm_mon", "-1", "-r", check=False, timeout=30)

    def formed(self) -> bool:
        """A DC is elected and every running node is online in its view."""
        try:
            xml = ET.fromstring(self.run(self.any_alive(), "crm_mon", "--output-as=xml", check=False))
        except (ET.ParseError, RuntimeError):
            return False
        summary = xml.find("summary/current_dc")
        if summary is None or summary.get("present") != "true":
            return False
        online = {n.get("name") for n in xml.iterfind("nodes/node") if n.get("online") == "true"}
        return online == {n.name for n in self.nodes if n.alive}

    def where(self, resource: str) -> str | None:
        """The node a resource is started on (None if stopped), as the cluster reports it."""
        try:
            out = self.run(self.any_alive(), "crm_resource", "--locate", "--resource", resource, check=False)
        except RuntimeError:
            return None
        for line in out.splitlines():
            if "is running on:" in line:
                return line.rsplit(":", 1)[1].strip().split()[0]
        return None

    def move(self, resource: str, node: Node, timeout: float = 60.0) -> None:
        """`crm_resource --move` (a cli-prefer constraint) and wait until the cluster is idle."""
        self.run(self.any_alive(), "crm_resource", "--move", "--resource", resource, "--node", node.name)
        if not self.idle(timeout):
            raise RuntimeError(f"{resource} did not settle on {node.name}:\n{self.status()}")

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def configure(self, xml: str, section: str = "resources") -> None:
        self.run(self.any_alive(), "cibadmin", "--create", "-o", section, "-X", xml)

    def idle(self, timeout: float = 60.0) -> bool:
        """Wait until the cluster has no pending actions (`crm_resource --wait`)."""
        try:
            self.run(
                self.any_alive(), "crm_resource", "--wait", f"--timeout={int(timeout)}s", timeout=timeout + 10
            )
        except RuntimeError:
            return False
        return True


def _ids() -> tuple[int, int]:
    import grp
    import pwd

    return pwd.getpwnam("hacluster").pw_uid, grp.getgrnam("haclient").gr_gid


if __name__ == "__main__":
    reason = missing()
    if reason:
        sys.exit(f"harness: {reason}")
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))  # tear down on kill too
    t0 = time.monotonic()
    with Cluster() as c:
        c.start()
        print(f"formed in {time.monotonic() - t0:.1f} s; base {c.base}")
        print(c.status())
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


# ------------------------------------------------------------------------------------ the service
VIP_LAN = f"{LAN_NET}.100"  # a second address on lan0: routes with this src die when it leaves
VIP_SVC = f"{SVC_NET}.100"  # svc0's only address: every route of svc0 dies when it leaves
SERVICE = f"""\
<group id="svc">
  <primitive id="vip-lan" class="ocf" provider="heartbeat" type="IPaddr2">
    <instance_attributes id="vip-lan-ia">
      <nvpair id="vip-lan-ip" name="ip" value="{VIP_LAN}"/>
      <nvpair id="vip-lan-mask" name="cidr_netmask" value="24"/>
      <nvpair id="vip-lan-nic" name="nic" value="lan0"/>
    </instance_attributes>
    <operations><op id="vip-lan-mon" name="monitor" interval="10s"/></operations>
  </primitive>
  <primitive id="vip-svc" class="ocf" provider="heartbeat" type="IPaddr2">
    <instance_attributes id="vip-svc-ia">
      <nvpair id="vip-svc-ip" name="ip" value="{VIP_SVC}"/>
      <nvpair id="vip-svc-mask" name="cidr_netmask" value="24"/>
      <nvpair id="vip-svc-nic" name="nic" value="svc0"/>
    </instance_attributes>
    <operations><op id="vip-svc-mon" name="monitor" interval="10s"/></operations>
  </primitive>
</group>
"""


def keeper_clone(wrapper: str, nodes: list[Node], interval: int = 30) -> str:
    """The routekeeper agent, cloned: one `routekeeper keep` per node.

    Each node's state file is in its private directory: one instance_attributes set per node, chosen
    by a `#uname` rule (Pacemaker's way of giving a clone per-node parameters)."""
    per_node = "".join(
        f"""    <instance_attributes id="rk-ia-{n.name}" score="{10 - n.number}">
      <rule id="rk-rule-{n.name}" score="0"><expression id="rk-expr-{n.name}" attribute="#uname"
        operation="eq" value="{n.name}"/></rule>
      <nvpair id="rk-state-{n.name}" name="state" value="{n.state}"/>
      <nvpair id="rk-log-{n.name}" name="logfile" value="{n.directory}/keep.log"/>
    </instance_attributes>
"""
        for n in nodes
    )
    return f"""\
<clone id="rk-clone">
  <primitive id="rk" class="ocf" provider="routekeeper" type="routekeeper">
    <instance_attributes id="rk-ia">
      <nvpair id="rk-binary" name="binary" value="{wrapper}"/>
      <nvpair id="rk-interval" name="interval" value="{interval}"/>
    </instance_attributes>
{per_node}    <operations><op id="rk-mon" name="monitor" interval="10s"/></operations>
  </primitive>
</clone>
"""


def kernel_routes(netns: str) -> list[dict[str, object]]:
    """The IPv4 main table of a node's namespace, as `ip -j route` gives it."""
    import json

    return json.loads(sh("ip", "-n", netns, "-j", "-4", "route", "show", "table", "main") or "[]")


def kernel_addresses(netns: str) -> set[str]:
    import json

    out = json.loads(sh("ip", "-n", netns, "-j", "-4", "addr", "show") or "[]")
    return {a["local"] for link in out for a in link.get("addr_info", [])}


def has(routes: list[dict[str, object]], dst: str, **match: object) -> bool:
    return any(r.get("dst") == dst and all(r.get(k) == v for k, v in match.items()) for r in routes)


class Monitor:
    """`ip -ts -o monitor address route` in a node's namespace: every kernel notification, timestamped.

    Lets a test tell when an address arrived and when a route came back (the kernel does not notify
    the routes a flush takes, so absence is read from the table, not from here)."""

    def __init__(self, netns: str, path: str) -> None:
        self.path = path
        self.out = open(path, "wb")
        self.process = subprocess.Popen(
            ["ip", "-n", netns, "-ts", "-o", "monitor", "address", "route"],
            stdout=self.out,
            stderr=subprocess.DEVNULL,
        )

    def events(self) -> list[tuple[float, str]]:
        """(epoch seconds, text) per notification so far."""
        import datetime as dt

        self.out.flush()
        events = []
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.startswith("[") or "]" not in line:
                    continue
                stamp, text = line[1:].split("]", 1)
                when = dt.datetime.fromisoformat(stamp).timestamp()
                events.append((when, text.strip()))
        return events

    def first(self, since: float, test: Callable[[str], bool]) -> float | None:
        return next((t for t, text in self.events() if t >= since and test(text)), None)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.out.close()


def store_routes(node: Node, routes: list[tuple[str, str, str | None]]) -> None:
    """Persistent routes (prefix, next hop or 0.0.0.0 for on-link, bound interface name or None),
    written to the node's state file as `route -p add` would store them (the keeper's namespace key
    is '' because it runs inside the node, not with --netns)."""
    import json

    from routekeeper.core.values import IP, PersistentRoute, Prefix
    from routekeeper.store.linux import LinuxRouteStore, StoredRoute

    links = {link["ifname"]: link["ifindex"] for link in json.loads(sh("ip", "-n", node.netns, "-j", "link"))}
    rows = [
        StoredRoute(
            PersistentRoute(Prefix.parse(prefix), IP.parse(nexthop), ifindex=links[dev] if dev else None),
            dev,
            False,
        )
        for prefix, nexthop, dev in routes
    ]
    with LinuxRouteStore(node.state, None) as store:
        store.add(rows)
