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
import sys
from typing import TYPE_CHECKING

from routekeeper.linux.keeper.start import install_stored
from routekeeper.linux.netns import has_net_admin
from routekeeper.store.linux import LinuxRouteStore

if TYPE_CHECKING:
    from routekeeper.core.values import PersistentRoute
    from routekeeper.linux.keeper.metrics import Metrics


class StoredRoutes:
    """The linux store of one namespace as the daemon's `RouteSource`."""

    def __init__(self, store: LinuxRouteStore) -> None:
        self.store = store

    @property
    def path(self) -> str:
        return self.store.path

    def routes(self, names: dict[str, int]) -> list[PersistentRoute]:
        return [s.route for s in self.store.load(names) if not s.parked]

    def version(self) -> int:
        return self.store.data_version()


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="routekeeper keep", description="Hold persistent routes in the kernel.")
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


def main(argv: list[str]) -> int:
    """Run the daemon until SIGTERM / SIGINT (routes stay), or once with --once; SIGHUP reloads."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="routekeeper-keep: %(message)s",
        stream=sys.stderr,
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
    try:
        store = LinuxRouteStore(args.state, args.netns)
        # Start-up: the routes whose place is certain go in first; the daemon's machinery (the core,
        # NumPy) is imported after (see linux.keeper.start).
        early = install_stored(args.netns, store.rows())
        from routekeeper.linux.keeper.loop import Daemon

        with_metrics = {} if metrics is None else {"metrics": metrics}
        daemon = Daemon(
            StoredRoutes(store), args.netns, args.interval, args.manage_promote_secondaries, **with_metrics
        )
    except OSError as exc:
        if store is not None:
            store.close()
        if metrics is not None:
            metrics.close()
        print(f"routekeeper keep: {exc}", file=sys.stderr)
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
    finally:
        if metrics is not None:
            metrics.close()
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
