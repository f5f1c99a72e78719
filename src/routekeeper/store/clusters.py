"""Clusters in the same SQLite state file as the hosts.

Each node's stack is an ordinary host row named `<cluster>/<node>`, loaded with `Transaction.load` and
written back from its journal with `Transaction.save`, so `routekeeper --host C/NODE1 route print` (or
`--node NODE1`) sees exactly what the cluster left there, and every host keeps its own log. What only
the cluster knows (networks, groups, resources, owners, node states, its history) lives in the
`cluster_` tables below, created on first use inside the caller's transaction. Those rows are small,
so they are rewritten whole on each save; the history is append-only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from routekeeper.core.cluster.events import ClusterEvent, ClusterKind
from routekeeper.core.cluster.members import (
    Group,
    IPProperties,
    IPResource,
    Network,
    Node,
    NodeState,
    Plumbed,
    ResourceState,
)
from routekeeper.core.cluster.model import Cluster
from routekeeper.core.events import Kind
from routekeeper.core.values import IP, Prefix
from routekeeper.store.errors import StoreError
from routekeeper.store.hosts import Transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS cluster_clusters (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, step INTEGER NOT NULL, next_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cluster_nodes (
    cluster_id INTEGER NOT NULL REFERENCES cluster_clusters(id) ON DELETE CASCADE,
    name TEXT NOT NULL, node_id INTEGER NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (cluster_id, name)
);
CREATE TABLE IF NOT EXISTS cluster_networks (
    cluster_id INTEGER NOT NULL REFERENCES cluster_clusters(id) ON DELETE CASCADE,
    name TEXT NOT NULL, ord INTEGER NOT NULL, subnet TEXT NOT NULL,
    PRIMARY KEY (cluster_id, name)
);
CREATE TABLE IF NOT EXISTS cluster_adapters (
    cluster_id INTEGER NOT NULL REFERENCES cluster_clusters(id) ON DELETE CASCADE,
    network TEXT NOT NULL, node TEXT NOT NULL, ifindex INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, network, node)
);
CREATE TABLE IF NOT EXISTS cluster_groups (
    cluster_id INTEGER NOT NULL REFERENCES cluster_clusters(id) ON DELETE CASCADE,
    name TEXT NOT NULL, ord INTEGER NOT NULL, owner TEXT, preferred TEXT NOT NULL, possible TEXT,
    online INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, name)
);
CREATE TABLE IF NOT EXISTS cluster_resources (
    cluster_id INTEGER NOT NULL REFERENCES cluster_clusters(id) ON DELETE CASCADE,
    name TEXT NOT NULL, ord INTEGER NOT NULL, grp TEXT NOT NULL, network TEXT NOT NULL,
    address TEXT NOT NULL, mask TEXT NOT NULL, enable_dhcp INTEGER NOT NULL,
    enable_netbios INTEGER NOT NULL, override INTEGER NOT NULL, state TEXT NOT NULL, possible TEXT,
    plumbed_node TEXT, plumbed_ifindex INTEGER, plumbed_ip TEXT, plumbed_length INTEGER,
    PRIMARY KEY (cluster_id, name)
);
CREATE TABLE IF NOT EXISTS cluster_history (
    id INTEGER PRIMARY KEY,
    cluster_id INTEGER NOT NULL REFERENCES cluster_clusters(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, step INTEGER NOT NULL, at TEXT NOT NULL, command TEXT NOT NULL,
    kind TEXT NOT NULL, host_kind TEXT, node TEXT, grp TEXT, resource TEXT,
    subject TEXT NOT NULL, reason TEXT NOT NULL, cause TEXT NOT NULL, manual INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cluster_history_seq ON cluster_history (cluster_id, seq);
"""

OWN_TABLES = ("cluster_nodes", "cluster_networks", "cluster_adapters", "cluster_groups", "cluster_resources")


class ClusterStoreError(StoreError):
    """A cluster that is missing or whose rows do not fit together; one line for the user."""


def ensure_schema(tx: Transaction) -> None:
    """Create the cluster tables if this state file has none yet (inside the caller's transaction)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            tx.conn.execute(statement)


def node_host_name(cluster: str, node: str) -> str:
    """The host row that holds a node's stack."""
    return f"{cluster}/{node}"


def node_of_host(tx: Transaction, host: str) -> tuple[str, str] | None:
    """(cluster, node) when host row `host` holds a cluster node's stack, else None."""
    ensure_schema(tx)
    row = tx.conn.execute(
        "SELECT c.name, n.name FROM cluster_nodes n JOIN cluster_clusters c ON c.id = n.cluster_id"
        " WHERE c.name || '/' || n.name = ?",
        (host,),
    ).fetchone()
    return (row[0], row[1]) if row else None


def cluster_names(tx: Transaction) -> list[str]:
    ensure_schema(tx)
    return [row[0] for row in tx.conn.execute("SELECT name FROM cluster_clusters ORDER BY name")]


def _cluster_id(tx: Transaction, name: str) -> int | None:
    row = tx.conn.execute("SELECT id FROM cluster_clusters WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def find_cluster(tx: Transaction, name: str) -> str | None:
    """The stored spelling of a cluster name, matched case-insensitively (as Windows names are)."""
    for stored in cluster_names(tx):
        if stored.lower() == name.lower():
            return stored
    return None


def delete_cluster(tx: Transaction, name: str) -> bool:
    """Remove a cluster and its node hosts."""
    ensure_schema(tx)
    cid = _cluster_id(tx, name)
    if cid is None:
        return False
    for (node,) in list(tx.conn.execute("SELECT name FROM cluster_nodes WHERE cluster_id = ?", (cid,))):
        tx.delete_host(node_host_name(name, node))
    tx.conn.execute("DELETE FROM cluster_clusters WHERE id = ?", (cid,))
    return True


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [n for n in text.split(",") if n]


def _text(names: list[str] | None) -> str | None:
    return None if names is None else ",".join(names)


def load_cluster(tx: Transaction, name: str, with_history: bool = True) -> Cluster:
    """Rebuild a cluster and its node hosts. Without history the cluster's `history` is empty (the
    stored one is kept and new events are appended to it on save)."""
    ensure_schema(tx)
    row = tx.conn.execute(
        "SELECT id, step, next_seq FROM cluster_clusters WHERE name = ?", (name,)
    ).fetchone()
    if row is None:
        raise ClusterStoreError(f"no cluster {name!r}")
    cid, step, next_seq = row
    c = tx.conn
    cluster = Cluster(name)
    cluster.step, cluster.next_seq = step, next_seq
    for node, node_id, state in c.execute(
        "SELECT name, node_id, state FROM cluster_nodes WHERE cluster_id = ? ORDER BY node_id", (cid,)
    ):
        host = tx.load(node_host_name(name, node))
        if host is None:
            raise ClusterStoreError(f"cluster {name!r}: the host of node {node!r} is missing")
        cluster.nodes[node] = Node(node, host, node_id, NodeState(state))
    for net_name, subnet in c.execute(
        "SELECT name, subnet FROM cluster_networks WHERE cluster_id = ? ORDER BY ord", (cid,)
    ):
        cluster.networks[net_name] = Network(net_name, Prefix.parse(subnet))
    # Adapters: those given with the network and those added later (`cluster add-adapter`) alike.
    for network, node, ifindex in c.execute(
        "SELECT network, node, ifindex FROM cluster_adapters WHERE cluster_id = ? ORDER BY network, node",
        (cid,),
    ):
        if network not in cluster.networks or node not in cluster.nodes:
            raise ClusterStoreError(
                f"cluster {name!r}: an adapter of node {node!r} on network {network!r}, which is not in it"
            )
        cluster.networks[network].adapters[node] = ifindex
    # Adapters in the order the nodes joined (the core keeps them so too).
    for net in cluster.networks.values():
        net.adapters = {n: net.adapters[n] for n in cluster.nodes if n in net.adapters}
    for gname, owner, preferred, possible, online in c.execute(
        "SELECT name, owner, preferred, possible, online FROM cluster_groups "
        "WHERE cluster_id = ? ORDER BY ord",
        (cid,),
    ):
        cluster.groups[gname] = Group(gname, _names(preferred) or [], owner, _names(possible), bool(online))
    for r in c.execute(
        "SELECT name, grp, network, address, mask, enable_dhcp, enable_netbios, override, state, possible, "
        "plumbed_node, plumbed_ifindex, plumbed_ip, plumbed_length FROM cluster_resources "
        "WHERE cluster_id = ? ORDER BY ord",
        (cid,),
    ):
        rname, grp, network, address, mask, dhcp, netbios, override, state, possible = r[:10]
        pnode, pif, pip, plen = r[10:]
        props = IPProperties(IP.parse(address), IP.parse(mask), network, dhcp, netbios, override)
        plumbed = Plumbed(pnode, pif, IP.parse(pip), plen) if pnode is not None else None
        cluster.resources[rname] = IPResource(
            rname, grp, props, ResourceState(state), _names(possible), plumbed
        )
    if with_history:
        for h in c.execute(
            "SELECT seq, step, kind, subject, reason, node, grp, resource, cause, host_kind, manual, "
            "at, command FROM cluster_history WHERE cluster_id = ? ORDER BY seq",
            (cid,),
        ):
            seq, hstep, kind, subject, reason, node, grp, res, cause, host_kind, manual, at, command = h
            cluster.history.append(
                ClusterEvent(
                    seq, hstep, ClusterKind(kind), subject, reason, node, grp, res, cause,
                    Kind(host_kind) if host_kind else None, bool(manual), None, at, command,
                )
            )  # fmt: skip
    return cluster


def save_cluster(tx: Transaction, cluster: Cluster, command: str, at: datetime | None = None) -> None:
    """Write the cluster back: node hosts from their journals (created if new), the cluster's own rows
    rewritten, and the history events not stored yet appended, stamped with `command` and the time."""
    ensure_schema(tx)
    c = tx.conn
    c.execute(
        "INSERT INTO cluster_clusters (name, step, next_seq) VALUES (?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET step = excluded.step, next_seq = excluded.next_seq",
        (cluster.name, cluster.step, cluster.next_seq),
    )
    cid = _cluster_id(tx, cluster.name)
    assert cid is not None
    stamp = (at or datetime.now(UTC)).isoformat(timespec="milliseconds")
    known = {row[0] for row in c.execute("SELECT name FROM cluster_nodes WHERE cluster_id = ?", (cid,))}
    for node in cluster.nodes.values():
        expected = node_host_name(cluster.name, node.name)
        if node.host.name != expected:
            raise ClusterStoreError(
                f"node {node.name}: its host must be named {expected!r}, not {node.host.name!r}"
            )
        if node.name not in known:
            # A new node's host is new too: never write its journal over some other host's row.
            if tx.host_id(expected) is not None:
                raise ClusterStoreError(
                    f"a host named {expected!r} already exists; delete it ('host delete {expected}') or "
                    "choose another node name"
                )
            tx.create_host(node.host)
        elif node.host.journal:
            tx.save(node.host, node.host.journal, command, at)
        node.host.journal.clear()
    for table in OWN_TABLES:
        c.execute(f"DELETE FROM {table} WHERE cluster_id = ?", (cid,))
    c.executemany(
        "INSERT INTO cluster_nodes VALUES (?,?,?,?)",
        [(cid, n.name, n.node_id, n.state.value) for n in cluster.nodes.values()],
    )
    c.executemany(
        "INSERT INTO cluster_networks VALUES (?,?,?,?)",
        [(cid, net.name, i, str(net.prefix)) for i, net in enumerate(cluster.networks.values())],
    )
    c.executemany(
        "INSERT INTO cluster_adapters VALUES (?,?,?,?)",
        [
            (cid, net.name, node, idx)
            for net in cluster.networks.values()
            for node, idx in net.adapters.items()
        ],
    )
    c.executemany(
        "INSERT INTO cluster_groups VALUES (?,?,?,?,?,?,?)",
        [
            (cid, g.name, i, g.owner, _text(g.preferred), _text(g.possible), int(g.online))
            for i, g in enumerate(cluster.groups.values())
        ],
    )
    rows = []
    for i, r in enumerate(cluster.resources.values()):
        p, pl = r.properties, r.plumbed
        rows.append(
            (
                cid, r.name, i, r.group, p.network, str(p.address), str(p.subnet_mask), p.enable_dhcp,
                p.enable_netbios, p.override_address_match, r.state.value, _text(r.possible),
                pl.node if pl else None, pl.ifindex if pl else None, str(pl.ip) if pl else None,
                pl.length if pl else None,
            )
        )  # fmt: skip
    c.executemany("INSERT INTO cluster_resources VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    stored = c.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM cluster_history WHERE cluster_id = ?", (cid,)
    ).fetchone()
    c.executemany(
        "INSERT INTO cluster_history (cluster_id, seq, step, at, command, kind, host_kind, node, grp, "
        "resource, subject, reason, cause, manual) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                cid, e.seq, e.step, stamp, command, e.kind.value,
                e.host_kind.value if e.host_kind else None, e.node, e.group, e.resource, e.subject,
                e.reason, e.cause, int(e.manual),
            )
            for e in cluster.history
            if e.seq > stored[0]
        ],
    )  # fmt: skip
