"""Every cluster transcript (tests/scenarios/cluster) runs through the command path and must match
exactly; the runner reports mismatches as diffs and refuses malformed files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from routekeeper.app.cluster_transcripts import ClusterDialect
from routekeeper.app.transcript_runner import Transcript, TranscriptError
from routekeeper.app.transcript_runner import parse as parse_as
from routekeeper.app.transcripts import dialect_of, run_file
from routekeeper.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPTS = sorted((ROOT / "tests" / "scenarios" / "cluster").glob("*.txt"))

HEAD = """# cluster: name=C
# node: NODE1 profile=prehotfix
# interface: node=NODE1 index=11 name="Public" mac=00-15-5D-01-00-01
# network: name=Net subnet=10.50.0.0/24 NODE1=11
# group: name=G preferred=NODE1
# resource: name=R group=G network=Net address=10.50.0.100 mask=255.255.255.0
"""


def parse(path: str | Path, text: str | None = None) -> Transcript:
    """Parse as a cluster transcript, whatever the first line says."""
    return parse_as(ClusterDialect(), path, text)


def test_there_are_cluster_transcripts():
    names = {p.name for p in TRANSCRIPTS}
    assert {"move-prehotfix.txt", "move-hotfix.txt", "move-prehotfix-bound.txt", "failover.txt"} <= names


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.name)
def test_cluster_transcript(path: Path):
    assert isinstance(dialect_of(path), ClusterDialect)
    ok, report = run_file(path, COMMANDS)
    assert ok, report


def test_a_mismatch_is_reported_as_a_diff(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text(
        HEAD + "$ cluster group G /moveto:NODE9\n[exit 0]\n$ [NODE1] route delete 10.9.9.9\n OK!\n"
    )
    ok, report = run_file(bad, COMMANDS)
    assert not ok
    assert "+System error 5042 has occurred (0x000013b2)." in report and "+[exit 5042]" in report
    assert "$ [NODE1] route delete 10.9.9.9" in report
    assert "- OK!" in report and "+The route deletion failed: Element not found." in report


def test_a_failing_directive_stops_the_run(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text(HEAD + "# group: name=H preferred=NODE7\n$ cluster group\n")
    ok, report = run_file(bad, COMMANDS)
    assert not ok and ":7: setup 'group: name=H preferred=NODE7' failed" in report


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("# host: profile=hotfix\n", "first line must be '# cluster: name=NAME'"),
        ("# cluster: nom=C\n", "no name="),
        ("# cluster: name=C\n$ route print\n", "'$ cluster ...' or '$ [NODE] ...'"),
        ("# cluster: name=C\nstray output\n", "output line outside a command"),
    ],
)
def test_malformed_transcripts(text, words):
    with pytest.raises(TranscriptError, match=re.escape(words)):
        parse("t.txt", text)


def test_parse_reads_directives_commands_and_exits():
    t = parse("t.txt", HEAD + "$ [NODE1] route print -4\n$ cluster node NODE1 /resume\nx\n[exit 5058]\n")
    assert t.header["name"] == "C"
    kinds = [(s.is_command, s.directive or s.node) for s in t.steps]
    assert kinds[:5] == [(False, "node"), (False, "interface"), (False, "network"), (False, "group"),
                         (False, "resource")]  # fmt: skip
    assert kinds[5:] == [(True, "NODE1"), (True, None)]
    assert t.steps[-1].expected == ["x"] and t.steps[-1].exit == 5058


def test_the_adapter_directive_maps_a_late_node(tmp_path):
    late = tmp_path / "late.txt"
    late.write_text(
        HEAD
        + "# node: NODE2 profile=hotfix\n"
        + '# interface: node=NODE2 index=12 name="Team" mac=00-15-5D-01-00-02\n'
        + '# adapter: network="Net" NODE2=Team\n'
        + "$ cluster show\n"
        + "Cluster C\n"
        + "  node NODE1 (id 1): Up, profile prehotfix, host C/NODE1\n"
        + "  node NODE2 (id 2): Up, profile hotfix, host C/NODE2\n"
        + "  network Net: 10.50.0.0/24 [NODE1=11, NODE2=12]\n"
        + "  group G: Offline on NODE1; preferred NODE1; possible every node\n"
        + "    resource R: Offline; 10.50.0.100/24 on Net\n"
        + "# adapter: network=Net NODE2=11\n"
    )
    ok, report = run_file(late, COMMANDS)
    assert not ok and "setup 'adapter: network=Net NODE2=11' failed" in report
    assert "node NODE2 has no interface 11" in report
    assert parse(late).steps[-1].directive == "adapter"


@pytest.mark.parametrize("line", ["# adapter: NODE2=11\n", '# adapter: network="Net"\n'])
def test_a_malformed_adapter_directive(tmp_path, line):
    bad = tmp_path / "bad.txt"
    bad.write_text(HEAD + line)
    with pytest.raises(TranscriptError, match="expected '# adapter: network=NAME NODE=IF"):
        run_file(bad, COMMANDS)
