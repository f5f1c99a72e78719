"""`routekeeper cluster ...` over the state file, and which host `--node NODE` stands for.

A cluster command picks its cluster (`/cluster:NAME`, a leading name as cluster.exe takes it, or the
only cluster in the state file) and runs in one unit of work: the cluster is loaded, the front end
(`frontends.cluster.run`) runs on it, and it is saved when the command changed something and did not
fail. `create`, `list` and `delete` make or remove clusters rather than use one.
"""

from __future__ import annotations

from routekeeper.app.errors import CommandFailed
from routekeeper.app.session import Session
from routekeeper.app.tools import emit
from routekeeper.app.unit import cluster_unit
from routekeeper.core.cluster.errors import ClusterRefused
from routekeeper.core.cluster.members import NodeState
from routekeeper.core.cluster.model import Cluster
from routekeeper.frontends import cluster as cluster_exe
from routekeeper.store import clusters as cluster_store
from routekeeper.store.hosts import HostStore, Transaction


def cmd_cluster(session: Session, args: list[str]) -> int:
    """`routekeeper cluster ARGS`: writes stdout/stderr, returns the exit status."""
    selection = cluster_exe.select_cluster(args)
    words = selection.args
    store = session.store()
    if words and words[0].lower() in cluster_exe.CLI_ONLY:
        return _manage(session, store, words)
    command = session.command_text or " ".join(["cluster", *args])
    with_history = bool(words) and words[0].lower() == "log"
    with cluster_unit(store, lambda tx: pick_cluster(tx, selection.name), with_history, command) as unit:
        result = cluster_exe.run(unit.subject.cluster, words)
        if not result.commit:
            unit.discard()
    emit(session, result)  # after the commit: a failed COMMIT has printed nothing
    return result.exit


def pick_cluster(tx: Transaction, name: str | None) -> str:
    """The stored name of cluster `name`, or of the only cluster when `name` is None."""
    names = cluster_store.cluster_names(tx)
    if name is not None:
        found = cluster_store.find_cluster(tx, name)
        if found is None:
            raise CommandFailed(f"no cluster {name!r}; create it with 'routekeeper cluster create {name}'")
        return found
    if len(names) == 1:
        return names[0]
    if not names:
        raise CommandFailed("no cluster yet; create one with 'routekeeper cluster create NAME'")
    raise CommandFailed(f"A cluster name must be specified ({', '.join(names)}): cluster /cluster:NAME ...")


def _manage(session: Session, store: HostStore, words: list[str]) -> int:
    """`cluster create NAME`, `cluster list`, `cluster delete NAME`."""
    with store.transaction() as tx:
        sub, rest = words[0].lower(), words[1:]
        if sub == "list":
            for name in cluster_store.cluster_names(tx):
                session.out.write(f"{name}\n")
            return 0
        if len(rest) != 1:
            session.err.write(f"routekeeper: cluster {sub}: expected one cluster NAME\n")
            return 2
        name = rest[0]
        if sub == "delete":
            found = cluster_store.find_cluster(tx, name)
            if found is None or not cluster_store.delete_cluster(tx, found):
                raise CommandFailed(f"no cluster {name!r}")
            return 0
        if cluster_store.find_cluster(tx, name) is not None:
            raise CommandFailed(f"cluster {name!r} already exists")
        try:
            cluster = Cluster(name)
        except ClusterRefused as exc:
            raise CommandFailed(exc.detail) from None
        cluster_store.save_cluster(tx, cluster, " ".join(["cluster", *words]))
    session.out.write(f"created cluster {name} in {store.path}\n")
    return 0


def resolve_node(store: HostStore, node: str, cluster: str | None = None, require_up: bool = False) -> str:
    """The host name (`<cluster>/<node>`) that `--node NODE` stands for.

    The cluster is `cluster` or the only one in the state file. With `require_up`, a node that is down
    is refused: a stopped machine runs no commands (its stored state waits for `cluster restore`).
    Raises CommandFailed with the line to show.
    """
    with store.transaction(write=False) as tx:
        name = pick_cluster(tx, cluster)
        loaded = cluster_store.load_cluster(tx, name, with_history=False)
    try:
        n = loaded.node(node)
    except ClusterRefused:
        raise CommandFailed(
            f"cluster {name} has no node {node!r} (nodes: {', '.join(loaded.nodes)})"
        ) from None
    if require_up and n.state is NodeState.DOWN:
        raise CommandFailed(
            f"node {n.name} of cluster {name} is down; 'routekeeper cluster restore {n.name}' brings it back"
        )
    return cluster_store.node_host_name(name, n.name)
