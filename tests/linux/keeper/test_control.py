"""The control socket (`linux/keeper/control.py`) without a kernel: one request, one answer; a second
daemon refused; a socket left by a dead daemon replaced; a client of a missing daemon told so."""

from __future__ import annotations

import os
import socket
import stat
import tempfile
import threading

import pytest

from routekeeper.linux.keeper.control import ControlError, ControlServer, ask, control_path

pytestmark = pytest.mark.no_kernel


def serve_once(server: ControlServer, handle) -> threading.Thread:  # type: ignore[no-untyped-def]
    def run() -> None:
        import select

        select.select([server], [], [], 5)
        server.serve_ready(handle)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_paths_are_per_state_file_and_namespace() -> None:
    assert control_path("/var/lib/routekeeper/state.db", None) == "/var/lib/routekeeper/state.db.sock"
    assert control_path("/x/s.db", "blue") == "/x/s.db.ns-blue.sock"


def test_request_answer_and_refusals() -> None:
    with tempfile.TemporaryDirectory() as d:
        path = control_path(os.path.join(d, "s.db"), "n1")
        assert ask(path, {"op": "status"}) is None, "no daemon: nobody to tell"
        server = ControlServer(path)
        try:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
            seen = []
            t = serve_once(server, lambda req: seen.append(req) or {"ok": True, "n": 3})
            assert ask(path, {"op": "reload", "why": "x"}) == {"ok": True, "n": 3}
            t.join(5)
            assert seen == [{"op": "reload", "why": "x"}]

            def boom(req):  # type: ignore[no-untyped-def]
                raise ValueError("bad")

            t = serve_once(server, boom)
            assert ask(path, {"op": "status"}) == {"ok": False, "error": "ValueError: bad"}
            t.join(5)

            t = serve_once(server, lambda req: {"ok": True})
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
                raw.connect(path)
                raw.sendall(b"not json\n")
                assert raw.recv(4096) == b'{"ok": false, "error": "bad request"}\n'
            t.join(5)

            t = serve_once(server, lambda req: {"ok": True})
            with pytest.raises(ControlError, match="another routekeeper keep"):
                ControlServer(path)
            t.join(5)
        finally:
            server.close()
        assert not os.path.exists(path)


def test_socket_of_a_dead_daemon_is_replaced() -> None:
    with tempfile.TemporaryDirectory() as d:
        path = control_path(os.path.join(d, "s.db"), None)
        dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        dead.bind(path)
        dead.close()  # the file stays, nobody listens
        server = ControlServer(path)
        try:
            t = serve_once(server, lambda req: {"ok": True})
            assert ask(path, {"op": "status"}) == {"ok": True}
            t.join(5)
        finally:
            server.close()
