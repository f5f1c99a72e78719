"""The kernel's address order survives the state file: every CLI command reloads the host from it.

On a real kernel the same steps (`ip -6 addr add` ::1 then ::2, `ip -6 route get 2001:db8::99`)
answer `src 2001:db8::2`: the newest global address comes first.
"""

from __future__ import annotations

import io
from pathlib import Path

from routekeeper.cli import run


def rk(state: Path, *words: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    status = run(["--state", str(state), *words], out, err, env={})
    assert status == 0, err.getvalue()
    return out.getvalue()


def test_lookup_source_is_the_newest_ipv6_address_after_reloads(tmp_path):
    state = tmp_path / "state.db"
    rk(state, "host", "init", "--profile", "linux")
    rk(state, "host", "add-interface", "index=2", "name=va")
    rk(state, "add-address", "va", "2001:db8::1/64")
    rk(state, "add-address", "va", "2001:db8::2/64")
    out = rk(state, "lookup", "2001:db8::99")
    assert "source:    2001:db8::2\n" in out


def test_new_primary_stays_before_secondaries_after_reloads(tmp_path):
    state = tmp_path / "state.db"
    rk(state, "host", "init", "--profile", "linux")
    rk(state, "host", "add-interface", "index=2", "name=va")
    for address in ("10.0.0.5/24", "10.0.0.6/24", "10.1.0.5/16"):
        rk(state, "add-address", "va", address)
    out = rk(state, "netsh", "interface", "ipv4", "show", "addresses", "va")
    shown = [line.split()[-1] for line in out.splitlines() if "IP Address:" in line]
    assert shown == ["10.0.0.5", "10.1.0.5", "10.0.0.6"]
