"""The unit of work: one command's changes are saved together or not at all.

Every command that changes a simulated host or a cluster runs inside one: open a store transaction,
load what the command works on, run it, then save on success or roll back. The command decides
nothing about saving except by calling `Unit.discard()` (a failed Windows command, a read-only view,
a what-if); an exception discards too. This is the one place that turns that decision into a commit
or a rollback, for the SQLite store and for a real Linux host alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from routekeeper.app.errors import CommandFailed
from routekeeper.core.cluster.model import Cluster
from routekeeper.core.host import Host
from routekeeper.store import clusters as cluster_store
from routekeeper.store.hosts import HostStore, Transaction

T = TypeVar("T")


class Unit(Generic[T]):
    """What one command works on (`subject`) and whether its changes are kept when it ends."""

    def __init__(self, subject: T, tx: Transaction | None) -> None:
        self.subject = subject
        self.tx = tx  # None on a real Linux host, whose persistent routes live in another store
        self.kept = True

    def discard(self) -> None:
        """Keep nothing this command changed (the host or cluster stays as it was loaded)."""
        self.kept = False


@contextmanager
def unit_of_work(
    store: HostStore,
    load: Callable[[Transaction], T],
    save: Callable[[Transaction, T], None],
    write: bool = True,
) -> Iterator[Unit[T]]:
    """Load in one transaction, run the body, then `save` if the unit was kept, else roll back.

    A unit that will not write (`write=False`: a view) reads in a read transaction: it never takes
    the write lock, so a long `route print` does not hold up a `route -p add`; it is discarded from
    the start."""
    with store.transaction(write) as tx:
        unit = Unit(load(tx), tx)
        if not write:
            unit.discard()
        yield unit  # an exception from the body rolls the transaction back
        if unit.kept:
            save(tx, unit.subject)
        else:
            tx.rollback()


@contextmanager
def host_unit(store: HostStore, name: str, command: str, write: bool = True) -> Iterator[Unit[Host]]:
    """A simulated host; its journal is written back with `command` as the reason (never, and
    without the write lock, when `write` is False)."""

    def load(tx: Transaction) -> Host:
        host = tx.load(name, lazy=True)  # a command about one route loads that route, not the table
        if host is None:
            raise CommandFailed(
                f"no host {name!r} in {store.path}; create it with "
                f"'routekeeper --host {name} host init --profile hotfix'"
            )
        return host

    def save(tx: Transaction, host: Host) -> None:
        if host.journal:
            tx.save(host, host.journal, command)

    with unit_of_work(store, load, save, write) as unit:
        yield unit


class _Discarded(Exception):
    """Leaves a Linux session without applying anything (the session undoes what raises)."""


@contextmanager
def linux_unit(netns: str | None, state_path: str | None) -> Iterator[Unit[Host]]:
    """The real Linux host: its journal is carried out on the kernel when the unit is kept."""
    from routekeeper.app import linux_session  # netlink is only needed on this backend

    try:
        with linux_session.session(netns, state_path) as host:
            unit: Unit[Host] = Unit(host, None)
            yield unit
            if not unit.kept:
                raise _Discarded
    except _Discarded:
        pass
    except (linux_session.NotPermitted, linux_session.KernelRefused) as exc:
        raise CommandFailed(str(exc).removeprefix("routekeeper: ")) from None


@dataclass
class LoadedCluster:
    """A cluster as loaded, and how far its event sequence was then (to tell whether it changed)."""

    cluster: Cluster
    seq_at_load: int

    @property
    def changed(self) -> bool:
        c = self.cluster
        return c.next_seq != self.seq_at_load or any(n.host.journal for n in c.nodes.values())


@contextmanager
def cluster_unit(
    store: HostStore, pick: Callable[[Transaction], str], with_history: bool, command: str
) -> Iterator[Unit[LoadedCluster]]:
    """The cluster `pick` names; saved with its nodes' hosts when the command changed something."""

    def load(tx: Transaction) -> LoadedCluster:
        cluster = cluster_store.load_cluster(tx, pick(tx), with_history=with_history)
        return LoadedCluster(cluster, cluster.next_seq)

    def save(tx: Transaction, loaded: LoadedCluster) -> None:
        if loaded.changed:
            cluster_store.save_cluster(tx, loaded.cluster, command)

    with unit_of_work(store, load, save) as unit:
        yield unit
