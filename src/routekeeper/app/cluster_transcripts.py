"""Cluster transcripts (docs/cluster.md): a cluster of simulated hosts.

`# cluster: name=NAME` first; directives build the cluster (`# node:`, `# interface: node=...`,
`# network:`, `# adapter:`, `# group:`, `# resource:`, `# reboot: node=...`), each through the command
it stands for, and a failing one stops the run. `$ cluster ...` runs `routekeeper cluster`; `$ [NODE]
...` runs a command on a node's host as `routekeeper --node NODE` does.
"""

from __future__ import annotations

import re

from routekeeper.app.transcript_runner import Shell, Step, Transcript, TranscriptError
from routekeeper.frontends.base import tokenize

NODE_LINE = re.compile(r"^\[([^\]\s]+)\]\s*(.*)$")
DIRECTIVES = ("node", "interface", "network", "adapter", "group", "resource", "reboot")


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


class ClusterDialect:
    marker = "# cluster:"
    first_line = "# cluster: name=NAME"
    directive_names = DIRECTIVES

    def header(self, path: str, line: str) -> dict[str, str]:
        _, head = _fields(line[len(self.marker) :])
        if "name" not in head:
            raise TranscriptError(f"{path}:1: no name= on the cluster line")
        return head

    def command(self, where: str, number: int, body: str) -> Step:
        m = NODE_LINE.match(body)
        if m:
            return Step(number, m.group(2), node=m.group(1))
        if tokenize(body)[:1] == ["cluster"]:
            return Step(number, body)
        raise TranscriptError(f"{where}: a command is '$ cluster ...' or '$ [NODE] ...', not {body!r}")

    def directive(self, number: int, body: str, first: bool) -> Step | None:
        word, sep, rest = body.partition(":")
        if sep and word.strip() in DIRECTIVES:
            return Step(number, rest.strip(), word.strip())
        return None

    def start(self, t: Transcript, shell: Shell) -> str:
        status, out = shell.run(["cluster", "create", t.header["name"]])
        return "" if status == 0 else f"{t.path}: cannot create the cluster: {out.strip()}\n"

    def run_directive(self, t: Transcript, shell: Shell, step: Step) -> tuple[int, str]:
        node, words = _directive_words(t, step)
        if node is None:
            return shell.run(["cluster", *words])
        return shell.run(words, node=node, cluster=t.header["name"])

    def directive_failed(self, t: Transcript, step: Step, out: str) -> str:
        return f"{t.path}:{step.line}: setup '{step.directive}: {step.text}' failed: {out.strip()}\n"

    def run_command(self, t: Transcript, shell: Shell, step: Step) -> tuple[int, str]:
        words = tokenize(step.text)
        if step.node is None:
            return shell.run(words)
        return shell.run(words, node=step.node, cluster=t.header["name"])

    def shown(self, step: Step) -> str:
        return step.text if step.node is None else f"[{step.node}] {step.text}"


def _directive_words(t: Transcript, step: Step) -> tuple[str | None, list[str]]:
    """A directive as the command it stands for: (node to run it on, or None for cluster, words)."""
    positional, s = _fields(step.text)
    d = step.directive
    where = f"{t.path}:{step.line}"
    if d == "node":
        if len(positional) != 1:
            raise TranscriptError(f"{where}: expected '# node: NAME profile=P'")
        return None, ["add-node", positional[0], "--profile", s.get("profile", "hotfix")]
    if d == "interface":
        node = s.pop("node", None)
        if node is None:
            raise TranscriptError(f"{where}: an interface line needs node=NODE")
        return node, ["host", "add-interface", *positional, *(f"{k}={v}" for k, v in s.items())]
    if d == "reboot":
        if "node" not in s:
            raise TranscriptError(f"{where}: expected '# reboot: node=NODE'")
        return s["node"], ["host", "reboot"]
    if d == "network":
        name, subnet = s.pop("name", None), s.pop("subnet", None)
        if name is None or subnet is None:
            raise TranscriptError(f"{where}: a network line needs name= and subnet=")
        return None, ["add-network", name, subnet, *(f"{k}={v}" for k, v in s.items())]
    if d == "adapter":
        network, remap = s.pop("network", None), s.pop("remap", "0")
        if network is None or not s or positional:
            raise TranscriptError(f"{where}: expected '# adapter: network=NAME NODE=IF [remap=1]'")
        words = ["add-adapter", network, *(f"{k}={v}" for k, v in s.items())]
        return None, words + (["--remap"] if remap == "1" else [])
    if d == "group":
        if "name" not in s:
            raise TranscriptError(f"{where}: a group line needs name=")
        words = ["add-group", s["name"], "--preferred", s.get("preferred", "")]
        if "possible" in s:
            words += ["--possible", s["possible"]]
        return None, words
    # resource
    missing = [k for k in ("name", "group", "network", "address", "mask") if k not in s]
    if missing:
        raise TranscriptError(f"{where}: a resource line needs {', '.join(k + '=' for k in missing)}")
    words = ["add-ip-resource", s["name"], "--group", s["group"], "--network", s["network"]]
    words += ["--address", s["address"], "--mask", s["mask"]]
    if s.get("override", "0") == "1":
        words.append("--override-address-match")
    if "netbios" in s:
        words += ["--netbios", s["netbios"]]
    if "possible" in s:
        words += ["--possible", s["possible"]]
    return None, words
