"""What one command line runs with: where it writes, which state file and host, the commands it may
run, and the unit of work its command opens."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # imported where used: a command line that opens no host loads neither NumPy nor SQLite
    from routekeeper.app.unit import Unit
    from routekeeper.core.host import Host
    from routekeeper.store.hosts import HostStore

Handler = Callable[["Session", list[str]], int]


@dataclass(frozen=True)
class CommandTable:
    """routekeeper's own commands by their first word, and the help text that lists them."""

    handlers: Mapping[str, Handler]
    help: str


@dataclass
class _Shared:
    """What a session and the sessions made from it for one nested command share."""

    store: HostStore | None = None
    open_unit: Unit[Host] | None = None


@dataclass
class Session:
    """One command line's settings (the global options, resolved) and the store it opened lazily."""

    out: TextIO
    err: TextIO
    state: str
    host_name: str
    commands: CommandTable
    backend: str = "sim"
    netns: str | None = None
    state_override: str | None = None  # --state as given (the linux backend's own store otherwise)
    command_text: str = ""  # the command as the history records it
    creates_state: bool = False  # only `host init` and `cluster create` may make a new state file
    _shared: _Shared = field(default_factory=_Shared, repr=False)

    def store(self) -> HostStore:
        if self._shared.store is None:
            from routekeeper.app.errors import CommandFailed
            from routekeeper.store.hosts import HostStore

            if not self.creates_state and not os.path.exists(self.state):
                raise CommandFailed(
                    f"no state file {self.state}: 'routekeeper host init' or 'routekeeper cluster "
                    "create NAME' makes one (nothing else creates it)"
                )
            self._shared.store = HostStore(self.state)
        return self._shared.store

    def close(self) -> None:
        if self._shared.store is not None:
            self._shared.store.close()
            self._shared.store = None

    def writing_to(self, out: TextIO, err: TextIO) -> Session:
        """This session with its output going elsewhere; it shares the store and the open unit."""
        return replace(self, out=out, err=err)

    @contextmanager
    def host(self, read_only: bool = False) -> Iterator[Unit[Host]]:
        """The unit of work on the chosen host (`read_only`: discarded from the start, read without
        the write lock, and its output streamed as it comes).

        What a unit that may write prints is held until the unit has ended (committed): a command
        that fails at its COMMIT (a full disk, a lock held too long) has printed nothing that claims
        it succeeded. A command run inside another command's unit (what-if runs one) joins that
        unit: the host is the same, and the outer command decides what is kept."""
        if self._shared.open_unit is not None:
            yield self._shared.open_unit
            return
        from routekeeper.app.unit import host_unit, linux_unit

        if self.backend == "linux":
            opened = linux_unit(self.netns, self.state_override)
        else:
            opened = host_unit(self.store(), self.host_name, self.command_text, write=not read_only)
        with self.output_held(not read_only), opened as unit:
            if read_only:
                unit.discard()
            self._shared.open_unit = unit
            try:
                yield unit
            finally:
                self._shared.open_unit = None

    @contextmanager
    def output_held(self, hold: bool = True) -> Iterator[None]:
        """Hold what is written on this session's streams until the block ends normally, then
        release it; when the block raises, what it wrote is dropped (the error line says what
        happened instead). With `hold` False the streams are left as they are."""
        if not hold:
            yield
            return
        out, err = self.out, self.err
        self.out, self.err = io.StringIO(), io.StringIO()
        try:
            yield
            held_out, held_err = self.out.getvalue(), self.err.getvalue()
        finally:
            self.out, self.err = out, err
        out.write(held_out)
        err.write(held_err)


def command_text(words: list[str]) -> str:
    """A command line as the history records it: words with spaces (or none) quoted."""
    return " ".join(f'"{w}"' if not w or " " in w else w for w in words)


def state_path(given: str | None, env: Mapping[str, str] | None) -> str:
    """The state file a command line names: `--state`, else `$ROUTEKEEPER_STATE`, else the user's
    state directory (`$XDG_STATE_HOME`, by default ~/.local/state) + routekeeper/state.db. The
    variables are read from `env` (the process's environment when None), and only from there."""
    if given:
        return given
    environ = os.environ if env is None else env
    if environ.get("ROUTEKEEPER_STATE"):
        return environ["ROUTEKEEPER_STATE"]
    base = environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return str(Path(base) / "routekeeper" / "state.db")
