"""The control socket: how a command reaches the running `routekeeper keep` at once.

Why a socket and not inotify on the store: the command must know the daemon has taken its change
*before* it touches the kernel. A route deleted through routekeeper is first deleted from the store,
then the daemon is told and answers once it has reloaded, and only then is the kernel route deleted:
the daemon never sees a deletion of a route it still keeps, so it never puts it back. inotify would
tell the daemon, but not tell the command when the daemon is done; and SQLite's WAL writes do not map
cleanly to one notification per commit. The same socket answers `status`.

One socket per state file and namespace, beside the state file (`control_path`): a command with
`--state F --netns N` finds exactly the daemon keeping F in N. Unix sockets live in the file system,
not in a network namespace, so the daemon's `setns` does not hide it. The socket is 0600 in the
state file's 0700 directory, and the peer's uid is checked too (root or the daemon's own user).

Protocol: one JSON object per line each way, one request per connection: `{"op": "reload"}` ->
`{"ok": true}` once the daemon has reloaded and reconciled; `{"op": "status"}` -> `{"ok": true,
"routes": [...]}`. A daemon that is not running is no error for a command: there is nobody to tell.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import struct
from collections.abc import Callable
from typing import Any

log = logging.getLogger("routekeeper.keep")

MAX_REQUEST = 64 << 10
ANSWER_TIMEOUT = 30.0  # a reload of a million routes takes seconds


class ControlError(OSError):
    """The control socket cannot be set up (another daemon keeps the same file and namespace)."""


def control_path(state_path: str, netns: str | None) -> str:
    """The socket of the daemon keeping `state_path` in `netns` (None: the host's own namespace)."""
    base = os.path.abspath(state_path)
    return f"{base}.ns-{netns}.sock" if netns else f"{base}.sock"


def _peer_allowed(conn: socket.socket) -> bool:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid in (0, os.getuid())


class ControlServer:
    """The daemon's end: a listening socket the event loop selects on, and `serve_one` for each
    connection (one request, one answer, closed)."""

    def __init__(self, path: str) -> None:
        self.path = path
        if os.path.exists(path):
            if ask(path, {"op": "ping"}, timeout=2.0) is not None:
                raise ControlError(0, f"another routekeeper keep answers on {path}")
            os.unlink(path)  # left by a daemon that died
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        old_umask = os.umask(0o177)
        try:
            self.sock.bind(path)
        except OSError as exc:
            self.sock.close()
            raise ControlError(
                exc.errno or 0, f"cannot make the control socket {path}: {exc.strerror}"
            ) from None
        finally:
            os.umask(old_umask)
        self.sock.listen(16)
        self.sock.setblocking(False)

    def fileno(self) -> int:
        return self.sock.fileno()

    def serve_ready(self, handle: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """Answer every connection waiting now (the loop calls this when the socket is readable)."""
        while True:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            with conn:
                self._serve(conn, handle)

    def _serve(self, conn: socket.socket, handle: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        conn.setblocking(True)
        conn.settimeout(2.0)  # a client that connects and says nothing must not stall the loop
        try:
            if not _peer_allowed(conn):
                answer: dict[str, Any] = {"ok": False, "error": "permission denied"}
            else:
                request = _read_line(conn)
                try:
                    parsed = json.loads(request) if request else None
                except ValueError:
                    parsed = None
                if not isinstance(parsed, dict):
                    answer = {"ok": False, "error": "bad request"}
                elif parsed.get("op") == "ping":
                    answer = {"ok": True}
                else:
                    try:
                        answer = handle(parsed)
                    except Exception as exc:  # a bad answer must not take the daemon down
                        log.exception("control request %r failed", parsed.get("op"))
                        answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            conn.sendall(json.dumps(answer).encode() + b"\n")
        except OSError:
            pass  # the client went away: its problem, not the daemon's

    def close(self) -> None:
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data and len(data) < MAX_REQUEST:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0]


def ask(path: str, request: dict[str, Any], timeout: float = ANSWER_TIMEOUT) -> dict[str, Any] | None:
    """Send one request to the daemon at `path` and return its answer; None when no daemon listens
    there. Raises TimeoutError when one listens but does not answer in time."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            return None
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            try:
                chunk = sock.recv(1 << 20)
            except TimeoutError:
                raise TimeoutError(f"routekeeper keep at {path} did not answer in {timeout:.0f} s") from None
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    try:
        answer = json.loads(data)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None
