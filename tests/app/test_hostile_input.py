"""Hostile input through the real command line: patterns built to backtrack, endless files, files that
are not what they claim, paths that cannot be written, and arguments made of control characters or
megabytes. Each ends in one short, printable `routekeeper:` line (or the transcript runner's report)
with a documented status; none hangs or reads without bound.

Commands that would read without bound before the fix run in a child process with an address-space
limit and a deadline, so a regression fails the test instead of exhausting the machine.
"""

from __future__ import annotations

import io
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import routekeeper
from routekeeper.cli import run
from routekeeper.frontends.render import compile_pattern

SRC = Path(routekeeper.__file__).resolve().parents[1]
CANNOT_WRITE = 73


def rk(state: Path, *words: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(["--state", str(state), *words], out, err, env={})
    return status, out.getvalue(), err.getvalue()


def rk_bounded(state: Path, *words: str) -> subprocess.CompletedProcess[str]:
    """The command in a child process limited to 2 GiB of address space and 120 s."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-m", "routekeeper", "--state", str(state), *words],
        capture_output=True, text=True, timeout=120, preexec_fn=limit,
        env={**os.environ, "PYTHONPATH": str(SRC), "OPENBLAS_NUM_THREADS": "1"},
    )  # fmt: skip


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    assert rk(path, "host", "init", "--profile", "hotfix")[0] == 0
    assert rk(path, "host", "add-interface", "index=11", "name=LAN", "mac=00-15-5D-01-02-03")[0] == 0
    assert rk(path, "add-address", "LAN", "192.168.0.2/24")[0] == 0
    assert rk(path, "route", "-p", "add", "10.0.0.0", "mask", "255.0.0.0", "192.168.0.1")[0] == 0
    return path


def one_line(err: str, *fragments: str) -> None:
    assert err.count("\n") == 1 and err.startswith("routekeeper: "), err
    assert "internal error" not in err and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


# ------------------------------------------------------------------------------ 1. patterns
def reference(pattern: str, text: str) -> bool:
    """What route.exe's pattern means, as the regular expression the project used before."""
    parts = ("." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in pattern)
    return re.fullmatch("".join(parts), text, re.IGNORECASE | re.DOTALL) is not None


@settings(max_examples=3000, deadline=None)
@given(st.text("aA1.:*?", max_size=8), st.text("aA1.:", max_size=10))
def test_patterns_match_exactly_what_the_regular_expression_matched(pattern, text):
    assert bool(compile_pattern(pattern).fullmatch(text)) == reference(pattern, text)


@pytest.mark.parametrize("verb", ["print", "delete"])
def test_a_pattern_of_many_stars_ends_at_once(state, verb):
    """Before: `*` was `.*`, 12 stars took 73 s and 40 never ended (the child is killed at 120 s)."""
    done = rk_bounded(state, "route", verb, "*" * 40 + "x")
    if verb == "print":
        assert done.returncode == 0, done.stderr
        assert "10.0.0.0" not in done.stdout
    else:
        assert done.returncode == 1 and "not found" in done.stdout + done.stderr
    assert rk(state, "route", "print", "10.*")[1].count("10.0.0.0") == 2  # still there, active + stored


# ------------------------------------------------------------------------------ 10. bounded reads
def test_reg_import_of_an_endless_file_is_refused(state):
    done = rk_bounded(state, "reg", "import", "/dev/zero")
    assert done.returncode == 1
    one_line(done.stderr, "/dev/zero", "larger than 128 MiB")


def test_hotfix_check_of_an_endless_inventory_is_refused(tmp_path):
    done = rk_bounded(tmp_path / "s.db", "hotfix", "check", "--inventory", "/dev/zero")
    assert done.returncode == 2
    one_line(done.stderr, "/dev/zero", "larger than 16 MiB")


def test_host_init_from_an_endless_inventory_is_refused(tmp_path):
    done = rk_bounded(tmp_path / "s.db", "host", "init", "--from-inventory", "/dev/zero")
    assert done.returncode == 1
    one_line(done.stderr, "/dev/zero", "larger than 16 MiB")
    assert not (tmp_path / "s.db").exists()


def test_scenario_run_of_an_endless_file_reports_it(tmp_path):
    done = rk_bounded(tmp_path / "s.db", "scenario", "run", "/dev/zero")
    assert done.returncode == 1
    assert "FAIL /dev/zero" in done.stdout and "larger than 16 MiB" in done.stdout


# ------------------------------------------------------------------------------ 11. what a file is
def test_a_utf16_reg_file_with_an_odd_byte_count_is_refused_not_read_as_cp1252(state, tmp_path):
    text = 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\x]\r\n"a"=""\r\n'
    odd = tmp_path / "odd.reg"
    odd.write_bytes(text.encode("utf-16") + b"\x00")
    status, out, err = rk(state, "reg", "import", str(odd))
    assert status == 1 and out == ""
    one_line(err, str(odd), "UTF-16", "even number of bytes")


def test_a_utf16_reg_file_with_a_broken_surrogate_is_refused(state, tmp_path):
    bad = tmp_path / "bad.reg"
    bad.write_bytes(b"\xff\xfe" + "REGEDIT4\r\n".encode("utf-16-le") + b"\x00\xd8A\x00")
    status, _, err = rk(state, "reg", "import", str(bad))
    assert status == 1
    one_line(err, str(bad), "not valid UTF-16")


# ------------------------------------------------------------------------------ 3 / 13.5 user files
@pytest.mark.parametrize("where", ["missing/x.reg", ".", "file/x.reg"])
def test_reg_export_to_a_path_that_cannot_be_written(state, tmp_path, where):
    (tmp_path / "file").write_text("a file, not a directory")
    target = str(tmp_path / where)
    status, out, err = rk(state, "reg", "export", target)
    assert status == CANNOT_WRITE
    assert out == ""
    one_line(err, f"cannot write {target}")
    assert not (tmp_path / "missing").exists()


# ------------------------------------------------------------------------------ 9. transcripts
def test_an_unknown_directive_is_refused(tmp_path):
    for header in ("# cluster: name=C\n# node: N1 profile=hotfix\n", "# host: profile=hotfix\n"):
        path = tmp_path / "t.txt"
        path.write_text(header + "# frobnicate: x=1\n$ route print 10.*\n")
        out = io.StringIO()
        assert run(["scenario", "run", str(path)], out, out, env={}) == 1
        assert "unknown directive '# frobnicate:'" in out.getvalue()


def test_a_comment_that_reads_like_prose_is_still_a_comment(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("# host: profile=hotfix\n# ipconfig: what a comment says\n$ route print 10.*\n")
    out = io.StringIO()
    run(["--state", str(tmp_path / "s.db"), "scenario", "run", str(path)], out, out, env={})
    assert "unknown directive" not in out.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "# cluster: name=C\n# node: N1 N2\n$ cluster node\n",
        "# cluster:\n",
        "# cluster: name=C\n# adapter: network=Z\n",
        "# cluster: name=C\n# resource: name=r\n",
        "# cluster: name=C\n$ route print\n",
        "# cluster: name=C\nstray output\n",
    ],
)
def test_a_malformed_cluster_transcript_is_reported_not_an_internal_error(tmp_path, text):
    path = tmp_path / "c.txt"
    path.write_text(text)
    out = io.StringIO()
    assert run(["scenario", "run", str(path)], out, out, env={}) == 1
    assert f"FAIL {path}" in out.getvalue()
    assert "internal error" not in out.getvalue() and "Traceback" not in out.getvalue()


# ------------------------------------------------------------------------------ 12. echoed input
def test_control_characters_in_an_argument_are_escaped(state):
    hostile = "/nonexistent/\n\r\x1b[2J\x07evil\u202e.reg"
    status, _, err = rk(state, "reg", "import", hostile)
    assert status == 1
    one_line(err, "cannot read", "\\n\\r\\x1b[2J\\x07evil\\u202e.reg")
    assert "\x1b" not in err and "\r" not in err


def test_a_huge_argument_is_shortened(state):
    status, _, err = rk(state, "reg", "import", "x" * 5_000_000)
    assert status == 1
    one_line(err, "characters left out")
    assert len(err) < 1000


def test_undecodable_argv_bytes_are_shown_as_escapes(state):
    status, _, err = rk(state, "reg", "import", "/nonexistent/\udcff\udcfe.reg")
    assert status == 1
    one_line(err, "\\xff\\xfe.reg")
    err.encode("utf-8")  # writable to any UTF-8 terminal


def test_printable_keeps_ordinary_text_and_escapes_the_rest():
    from routekeeper.app.errors import printable  # (inside: absent before the fix)
    from routekeeper.app.tools import printable_lines

    assert printable("no host 'LAN 1' (état)") == "no host 'LAN 1' (état)"
    assert printable("a\tb\nc\x00") == "a\\tb\\nc\\x00"
    shortened = printable("y" * 10_000, limit=100)
    assert len(shortened) < 150 and shortened.startswith("y" * 60) and shortened.endswith("y" * 25)
    assert printable_lines("The object is\x1b[31m\n\n") == "The object is\\x1b[31m\n\n"
