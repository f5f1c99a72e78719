"""Run multi-node cluster transcripts (docs/cluster.md) and compare their output.

A cluster transcript is the single-host format of `scenario.py` extended with directives that build a
cluster and with `$ [NODE] ...` lines that run a command on one node. Each file runs in a fresh state
file, every line through the same code path as the command line: `$ cluster ...` through
`routekeeper cluster` (`frontends.cluster.run_cli`), `$ [NODE] ...` through `routekeeper --host
<cluster>/<node>` after the `--node` checks (`frontends.cluster.resolve_node`), so a transcript checks
parsing, the core, the store and the rendering together.
"""

from __future__ import annotations

import io
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from routekeeper.app.transcripts import mismatch, take_exit_lines
from routekeeper.frontends.base import tokenize

NODE_LINE = re.compile(r"^\[([^\]\s]+)\]\s*(.*)$")
DIRECTIVES = ("node", "interface", "network", "adapter", "group", "resource", "reboot")


class ClusterScenarioError(ValueError):
    """A transcript that does not follow the format."""


@dataclass
class Step:
    line: int
    kind: str  # "cluster", "node" (a command with expected output) or "setup" (a directive)
    text: str
    node: str | None = None
    directive: str = ""
    expected: list[str] = field(default_factory=list)
    exit: int = 0


@dataclass
class ClusterTranscript:
    path: str
    cluster: str
    steps: list[Step]


def is_cluster_transcript(path: str | Path) -> bool:
    """True for files whose first line is `# cluster:` (the CLI's scenario runner dispatches on it)."""
    with open(path, encoding="utf-8") as fh:
        return fh.readline().startswith("# cluster:")


def _fields(text: str) -> tuple[list[str], dict[str, str]]:
    """Positional words and key=value settings of a directive."""
    positional: list[str] = []
    settings: dict[str, str] = {}
    for word in tokenize(text):
        key, sep, value = word.partition("=")
        if sep:
            settings[key] = value
        else:
            positional.append(word)
    return positional, settings


def parse(path: str | Path, text: str | None = None) -> ClusterTranscript:
    text = Path(path).read_text(encoding="utf-8") if text is None else text
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# cluster:"):
        raise ClusterScenarioError(f"{path}:1: the first line must be '# cluster: name=NAME'")
    _, head = _fields(lines[0][len("# cluster:") :])
    if "name" not in head:
        raise ClusterScenarioError(f"{path}:1: no name= on the cluster line")
    steps: list[Step] = []
    current: Step | None = None
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith("$"):
            body = line[1:].strip()
            m = NODE_LINE.match(body)
            if m:
                current = Step(number, "node", m.group(2), node=m.group(1))
            elif tokenize(body)[:1] == ["cluster"]:
                current = Step(number, "cluster", body)
            else:
                raise ClusterScenarioError(
                    f"{path}:{number}: a command is '$ cluster ...' or '$ [NODE] ...', not {body!r}"
                )
            steps.append(current)
        elif line.startswith("#"):
            current = None
            body = line[1:].strip()
            word, sep, rest = body.partition(":")
            if sep and word.strip() in DIRECTIVES:
                steps.append(Step(number, "setup", rest.strip(), directive=word.strip()))
        elif current is not None:
            current.expected.append(line.rstrip())
        elif line.strip():
            raise ClusterScenarioError(f"{path}:{number}: output line outside a command: {line!r}")
    take_exit_lines(steps)
    return ClusterTranscript(str(path), head["name"], steps)


# ---------------------------------------------------------------------- running commands
def _rk(state: str, words: list[str]) -> tuple[int, str]:
    from routekeeper.cli import run

    buffer = io.StringIO()
    status = run(["--state", state, *words], buffer, buffer, env={})
    return status, buffer.getvalue()


def run_cluster(state: str, words: list[str]) -> tuple[int, str]:
    """`routekeeper cluster WORDS` (through the top-level CLI once it dispatches `cluster`)."""
    from routekeeper import cli

    if "cluster" in cli.COMMANDS:
        return _rk(state, ["cluster", *words])
    from routekeeper.frontends.cluster import run_cli
    from routekeeper.store.errors import StoreError

    buffer = io.StringIO()
    ctx = cli.Context(buffer, buffer, state, cli.DEFAULT_HOST)
    ctx.command_text = " ".join(["cluster", *(f'"{w}"' if not w or " " in w else w for w in words)])
    try:
        status = run_cli(ctx, words)
    except StoreError as exc:
        buffer.write(f"routekeeper: {exc}\n")
        status = 1
    finally:
        ctx.close()
    return status, buffer.getvalue()


def run_node(state: str, cluster: str, node: str, words: list[str]) -> tuple[int, str]:
    """`routekeeper --node NODE WORDS`: the node's host, refused for Windows tools while it is down."""
    from routekeeper.frontends.cluster import ClusterCliError, resolve_node
    from routekeeper.frontends.registry import is_tool
    from routekeeper.store.hosts import Store

    store = Store(state)
    try:
        host = resolve_node(store, node, cluster, require_up=bool(words) and is_tool(words[0]))
    except ClusterCliError as exc:
        return 1, f"routekeeper: {exc}\n"
    finally:
        store.close()
    return _rk(state, ["--host", host, *words])


def _setup_words(t: ClusterTranscript, step: Step) -> tuple[str | None, list[str]]:
    """A directive as the command it stands for: (node to run it on, or None for cluster, words)."""
    positional, s = _fields(step.text)
    d = step.directive
    where = f"{t.path}:{step.line}"
    if d == "node":
        if len(positional) != 1:
            raise ClusterScenarioError(f"{where}: expected '# node: NAME profile=P'")
        return None, ["add-node", positional[0], "--profile", s.get("profile", "hotfix")]
    if d == "interface":
        node = s.pop("node", None)
        if node is None:
            raise ClusterScenarioError(f"{where}: an interface line needs node=NODE")
        return node, ["host", "add-interface", *positional, *(f"{k}={v}" for k, v in s.items())]
    if d == "reboot":
        if "node" not in s:
            raise ClusterScenarioError(f"{where}: expected '# reboot: node=NODE'")
        return s["node"], ["host", "reboot"]
    if d == "network":
        name, subnet = s.pop("name", None), s.pop("subnet", None)
        if name is None or subnet is None:
            raise ClusterScenarioError(f"{where}: a network line needs name= and subnet=")
        return None, ["add-network", name, subnet, *(f"{k}={v}" for k, v in s.items())]
    if d == "adapter":
        network, remap = s.pop("network", None), s.pop("remap", "0")
        if network is None or not s or positional:
            raise ClusterScenarioError(f"{where}: expected '# adapter: network=NAME NODE=IF [remap=1]'")
        words = ["add-adapter", network, *(f"{k}={v}" for k, v in s.items())]
        return None, words + (["--remap"] if remap == "1" else [])
    if d == "group":
        if "name" not in s:
            raise ClusterScenarioError(f"{where}: a group line needs name=")
        words = ["add-group", s["name"], "--preferred", s.get("preferred", "")]
        if "possible" in s:
            words += ["--possible", s["possible"]]
        return None, words
    # resource
    missing = [k for k in ("name", "group", "network", "address", "mask") if k not in s]
    if missing:
        raise ClusterScenarioError(f"{where}: a resource line needs {', '.join(k + '=' for k in missing)}")
    words = ["add-ip-resource", s["name"], "--group", s["group"], "--network", s["network"]]
    words += ["--address", s["address"], "--mask", s["mask"]]
    if s.get("override", "0") == "1":
        words.append("--override-address-match")
    if "netbios" in s:
        words += ["--netbios", s["netbios"]]
    if "possible" in s:
        words += ["--possible", s["possible"]]
    return None, words


def run_transcript(t: ClusterTranscript) -> tuple[bool, str]:
    """Run one transcript; returns (all matched, a report with a unified diff per mismatch)."""
    report: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rk-cluster-scenario-") as tmp:
        state = str(Path(tmp) / "state.db")
        status, out = run_cluster(state, ["create", t.cluster])
        if status != 0:
            return False, f"{t.path}: cannot create the cluster: {out.strip()}\n"
        for step in t.steps:
            if step.kind == "setup":
                node, words = _setup_words(t, step)
                if node is None:
                    status, out = run_cluster(state, words)
                else:
                    status, out = run_node(state, t.cluster, node, words)
                if status != 0:
                    report.append(
                        f"{t.path}:{step.line}: setup '{step.directive}: {step.text}' failed: {out.strip()}\n"
                    )
                    return False, "".join(report)
                continue
            words = tokenize(step.text)
            if step.kind == "cluster":
                status, out = run_cluster(state, words[1:])
            else:
                assert step.node is not None
                status, out = run_node(state, t.cluster, step.node, words)
            shown = f"[{step.node}] {step.text}" if step.kind == "node" else step.text
            report.append(mismatch(f"{t.path}:{step.line}", shown, step.expected, step.exit, status, out))
    text = "".join(report)
    return not text, text


def run_file(path: str | Path) -> tuple[bool, str]:
    """Run one cluster transcript file: (ok, report)."""
    return run_transcript(parse(path))
