"""Host transcripts (the format of shared/scenarios/README.md): one simulated host.

`# host: profile=NAME` first; `# interface: index=N name="..." ...` adds an interface (those before the
first command build the host and must succeed); `# reboot` reboots the host. Commands run on the host
`scenario`.
"""

from __future__ import annotations

import re

from routekeeper.app.transcript_runner import Shell, Step, Transcript, TranscriptError
from routekeeper.frontends.base import tokenize

HOST = "scenario"


class HostDialect:
    marker = "# host:"
    first_line = "# host: profile=NAME"
    directive_names = ("interface", "reboot")

    def header(self, path: str, line: str) -> dict[str, str]:
        match = re.search(r"profile=(\S+)", line)
        if match is None:
            raise TranscriptError(f"{path}:1: no profile= on the host line")
        return {"profile": match.group(1)}

    def command(self, where: str, number: int, body: str) -> Step:
        return Step(number, body)

    def directive(self, number: int, body: str, first: bool) -> Step | None:
        if body.startswith("interface:"):
            return Step(number, body[len("interface:") :].strip(), "interface", required=first)
        if body == "reboot":
            return Step(number, "reboot", "reboot", required=False)
        return None

    def start(self, t: Transcript, shell: Shell) -> str:
        status, out = shell.run(["host", "init", "--profile", t.header["profile"]], HOST)
        return "" if status == 0 else f"{t.path}: cannot create the host: {out.strip()}\n"

    def run_directive(self, t: Transcript, shell: Shell, step: Step) -> tuple[int, str]:
        if step.directive == "reboot":
            return shell.run(["host", "reboot"], HOST)
        return shell.run(["host", "add-interface", *tokenize(step.text)], HOST)

    def directive_failed(self, t: Transcript, step: Step, out: str) -> str:
        return f"{t.path}: bad interface line {step.text!r}: {out.strip()}\n"

    def run_command(self, t: Transcript, shell: Shell, step: Step) -> tuple[int, str]:
        return shell.run(tokenize(step.text), HOST)

    def shown(self, step: Step) -> str:
        return step.text
