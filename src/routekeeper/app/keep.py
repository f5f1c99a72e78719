"""`routekeeper keep`: options, logging, signals, and the store the daemon keeps the routes of.

The daemon (`linux.keeper.loop.Daemon`) does not know about the store: it is handed a `RouteSource`,
and this module is where the SQLite file is opened and adapted to it (only the app layer opens a
store). `python -m routekeeper.app.keep` runs it without the rest of the command line's imports.
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import signal
import struct
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from routekeeper.linux.keeper.control import ControlError, ControlServer, control_path
from routekeeper.linux.keeper.start import install_stored
from routekeeper.linux.keeper.systemd import log_handler
from routekeeper.linux.netns import NamespaceError, has_net_admin
from routekeeper.store.errors import StoreCorrupt, StoreDamaged, StoreError
from routekeeper.store.linux import BAD_STATE_EXIT, BadState, LinuxRouteStore

USAGE_EXIT = 2

if TYPE_CHECKING:
    from routekeeper.core.values import PersistentRoute
    from routekeeper.linux.keeper.metrics import Metrics


class StoredRoutes:
    """The linux store of one namespace as the daemon's `RouteSource`.

    Interfaces are bound by name, as Linux operators mean them: a stored name is resolved to the
    index it has now, every time the routes are handed over (the daemon asks again when a link with
    one of these names appears, goes or is renamed). A name that does not exist now, and an IPv6
    link-local next hop without an interface (it means nothing without its link), get an index no
    interface has (negative, one per reason), so the route waits; `unresolved` says why."""

    def __init__(self, store: LinuxRouteStore) -> None:
        self.store = store
        store.journal_without_fsync()
        self._unresolved: dict[int, str] = {}
        self._names: set[str] = set()
        self._attributes: dict[tuple, tuple[int | None, bool]] = {}

    @property
    def path(self) -> str:
        return self.store.path

    def routes(self, names: dict[str, int]) -> list[PersistentRoute]:
        found = []
        sentinels: dict[str, int] = {}
        self._names = set()
        self._attributes = {}
        for s in self.store.load(names):
            if s.parked:
                continue
            p = s.route
            why = None
            if s.ifname:
                self._names.add(s.ifname)
                if s.ifname not in names:
                    why = f"interface {s.ifname} does not exist"
            elif p.nexthop.is_link_local and p.ifindex is None:
                why = f"link-local next hop {p.nexthop} needs an interface (route -p add ... IF n)"
            if why is not None:
                index = sentinels.setdefault(why, -1 - len(sentinels))
                p = replace(p, ifindex=index)
            if s.prefsrc is not None or s.onlink:
                self._attributes[p.key] = (s.prefsrc.value if s.prefsrc is not None else None, s.onlink)
            found.append(p)
        self._unresolved = {index: why for why, index in sentinels.items()}
        return found

    def attributes(self) -> dict[tuple, tuple[int | None, bool]]:
        """(preferred source, onlink) of the routes of the last `routes` that have either, by key."""
        return self._attributes

    def unresolved(self) -> dict[int, str]:
        """Why each placeholder index given out by the last `routes` cannot be used."""
        return self._unresolved

    def bound_names(self) -> set[str]:
        """The interface names the routes are bound to (a link by one of them changing rebinds)."""
        return self._names

    def version(self) -> int:
        return self.store.data_version()

    def record(self, events: list[tuple[float, str, str, str]]) -> None:
        try:
            self.store.record(events)
        except StoreError as exc:  # the daemon keeps routes whether or not it can write its journal
            raise OSError(str(exc)) from None


class KeepUsage(Exception):
    """The command line is wrong (exit 2)."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="routekeeper keep", description="Hold persistent routes in the kernel.", exit_on_error=False
    )
    ap.add_argument("--netns", help="network namespace to keep (default: the daemon's own)")
    ap.add_argument("--state", help="state file (default /var/lib/routekeeper/state.db)")
    ap.add_argument("--once", action="store_true", help="reconcile once and exit")
    ap.add_argument("--interval", type=float, default=30.0, help="seconds between full re-verifications")
    ap.add_argument(
        "--manage-promote-secondaries",
        action="store_true",
        help="set promote_secondaries=1 on every interface so deleting a primary keeps its secondaries",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    ap.add_argument("--metrics", metavar="HOST:PORT", help="serve Prometheus metrics (default: off)")
    ap.add_argument("--metrics-textfile", metavar="FILE.prom", help="write them for node_exporter")
    return ap.parse_args(argv)


def merge_global(args: argparse.Namespace, netns: str | None, state: str | None) -> argparse.Namespace:
    """The global `--netns` / `--state` (before `keep`) are the same options as keep's own; giving
    both with different values is refused rather than one silently winning."""
    for name, given in (("netns", netns), ("state", state)):
        own = getattr(args, name)
        if given and own and given != own:
            raise KeepUsage(f"--{name} given twice with different values ({given!r} and {own!r})")
        setattr(args, name, own or given)
    return args


def main(argv: list[str], netns: str | None = None, state: str | None = None) -> int:
    """Run the daemon until SIGTERM / SIGINT (routes stay), or once with --once; SIGHUP reloads.

    `netns` / `state` are the command line's global options (`routekeeper --netns NS keep`)."""
    try:
        args = merge_global(parse_args(argv), netns, state)
    except (KeepUsage, argparse.ArgumentError) as exc:
        print(f"routekeeper keep: {exc}", file=sys.stderr)
        return USAGE_EXIT
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, handlers=[log_handler(sys.stderr)]
    )
    if not has_net_admin():
        print("routekeeper keep: needs CAP_NET_ADMIN (run as root)", file=sys.stderr)
        return 77
    try:
        metrics = open_metrics(args.metrics, args.metrics_textfile)
    except ValueError as exc:
        print(f"routekeeper keep: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"routekeeper keep: metrics on {args.metrics}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    store = None
    control = None
    try:
        store = LinuxRouteStore(args.state, args.netns)
        # Start-up: the routes whose place is certain go in first; the daemon's machinery (the core,
        # NumPy) is imported after (see linux.keeper.start). It is only a head start: whatever it
        # cannot do (a row it cannot read among them), the full sync does, or names.
        try:
            early = install_stored(args.netns, store.rows())
        except NamespaceError:
            raise
        except (ValueError, OverflowError, struct.error, OSError) as exc:  # the daemon says what
            logging.getLogger("routekeeper.keep").warning("start-up install skipped: %s", exc)
            early = 0
        from routekeeper.linux.keeper.loop import Daemon

        source = StoredRoutes(store)
        if not args.once:
            control = ControlServer(control_path(store.path, args.netns))
        with_metrics = {} if metrics is None else {"metrics": metrics}
        daemon = Daemon(
            source,
            args.netns,
            args.interval,
            args.manage_promote_secondaries,
            control=control,
            **with_metrics,
        )
    except StoreError as exc:
        _close(store, control, metrics)
        print(f"routekeeper keep: {exc}", file=sys.stderr)
        return store_exit(exc)
    except (OSError, ControlError) as exc:
        _close(store, control, metrics)
        print(f"routekeeper keep: {exc.strerror or exc}", file=sys.stderr)
        return 1
    daemon.installed_total = early

    def on_term(signum: int, frame: object) -> None:
        daemon.stop = True

    def on_hup(signum: int, frame: object) -> None:
        daemon.reload = True

    faulthandler.register(signal.SIGUSR1)  # `kill -USR1` prints every thread's stack: for a hang
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, on_hup)
    try:
        return daemon.run(args.once)
    except StoreError as exc:  # a row made bad while running (a reload): stop, naming it
        print(f"routekeeper keep: {exc}", file=sys.stderr)
        return store_exit(exc)
    finally:
        _close(store, control, metrics)


def store_exit(exc: StoreError) -> int:
    """78 for a state file restarting cannot fix (not ours, damaged, a bad row: systemd's
    `RestartPreventExitStatus=78` holds it); 1 for what may pass (busy, full, read-only)."""
    return BAD_STATE_EXIT if isinstance(exc, (BadState, StoreCorrupt, StoreDamaged)) else 1


def _close(store: LinuxRouteStore | None, control: ControlServer | None, metrics: Metrics | None) -> None:
    if control is not None:
        control.close()
    if metrics is not None:
        metrics.close()
    if store is not None:
        store.close()


def open_metrics(address: str | None, textfile: str | None) -> Metrics | None:
    """The daemon's metrics: off unless asked (None: the daemon's default, and nothing imported
    before the start-up's routes are in). The endpoint is bound here, before the daemon enters its
    namespace, so that it listens where Prometheus runs."""
    if address is None and textfile is None:
        return None
    from routekeeper.linux.keeper.metrics import Metrics, parse_address, textfile_path

    if address is not None:
        parse_address(address)
    metrics = Metrics(textfile_path(textfile) if textfile else None)
    if address is not None:
        host, port = metrics.serve(address)
        logging.getLogger("routekeeper.keep").info("metrics on http://%s:%d/metrics", host, port)
    return metrics


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
