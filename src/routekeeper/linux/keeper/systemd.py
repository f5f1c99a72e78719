"""systemd's notification protocol and watchdog, with the stdlib (no libsystemd)."""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger("routekeeper.keep")


# ---------------------------------------------------------------------------------------------- sd_notify
def sd_notify(message: str) -> None:
    """systemd's notification protocol with the stdlib: one datagram to $NOTIFY_SOCKET."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(path)
            s.sendall(message.encode())
    except OSError as exc:
        log.debug("sd_notify failed: %s", exc)


def watchdog_interval() -> float | None:
    """Half of WatchdogSec (as systemd recommends), if the watchdog is on for this process."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


# ---------------------------------------------------------------------------------------------- logging
SYSLOG_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


class JournalFormatter(logging.Formatter):
    """`<N>message` lines: journald reads the `<N>` prefix as the syslog priority (sd-daemon(3)),
    so `journalctl -p warning` shows flushes, refusals and conflicts, not every restore."""

    def format(self, record: logging.LogRecord) -> str:
        priority = SYSLOG_PRIORITY.get(record.levelno, 6)
        return f"<{priority}>{super().format(record)}"


def log_handler(stream) -> logging.Handler:  # type: ignore[no-untyped-def]
    """Where and how the daemon logs: under systemd (stderr is the journal: $JOURNAL_STREAM names
    it) priority prefixes and no time (the journal stamps each line); on a terminal the time and
    the level; otherwise (a pipe, a file) the plain lines."""
    handler = logging.StreamHandler(stream)
    if under_journal(stream):
        handler.setFormatter(JournalFormatter("%(message)s"))
    elif stream.isatty():
        handler.setFormatter(logging.Formatter("%(asctime)s routekeeper-keep: %(levelname)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("routekeeper-keep: %(message)s"))
    return handler


def under_journal(stream) -> bool:  # type: ignore[no-untyped-def]
    """Is `stream` connected to the journal? $JOURNAL_STREAM is "DEVICE:INODE" of that socket."""
    value = os.environ.get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError):
        return False
    return st.st_dev == int(device) and st.st_ino == int(inode)
