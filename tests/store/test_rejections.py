"""Through the real command line and state file: every rejected Windows command leaves the file's content
exactly as it was, and no command line ever produces a traceback.

The lines are the transcripts' own command lines, mutated at token and character level with a fixed
seed (the in-memory parsers get 100k lines each in tests/frontends/test_fuzz.py; this checks the
store's side of the same promise, where every command is a transaction)."""

from __future__ import annotations

import io
import random
import sqlite3
from pathlib import Path

from routekeeper.cli import run
from routekeeper.frontends.base import tokenize

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPTS = sorted((ROOT.parent / "shared" / "scenarios").glob("*.txt")) + sorted(
    (ROOT / "tests" / "scenarios").glob("*.txt")
)
LINES = 1500


def seeds() -> list[str]:
    found = []
    for path in TRANSCRIPTS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("$ "):
                found.append(line[2:])
    return found


def mutate(rng: random.Random, line: str, pool: list[str]) -> str:
    words = tokenize(line)
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        if kind < 0.3 and words:
            words[rng.randrange(len(words))] = rng.choice(pool)
        elif kind < 0.5 and words:
            del words[rng.randrange(len(words))]
        elif kind < 0.7:
            words.insert(rng.randrange(len(words) + 1), rng.choice(pool))
        elif words:
            i = rng.randrange(len(words))
            w = words[i]
            j = rng.randrange(len(w) + 1)
            words[i] = w[:j] + rng.choice("x.:/0-9*?=\"'") + w[j + 1 :]
    return " ".join(f'"{w}"' if " " in w else w for w in words)


def dump(state: Path) -> list[str]:
    conn = sqlite3.connect(state)
    try:
        return [line for line in conn.iterdump() if not line.startswith('INSERT INTO "log"')]
    finally:
        conn.close()


def test_rejected_commands_leave_the_state_file_unchanged(tmp_path):
    state = tmp_path / "state.db"

    def rk(words: list[str]) -> tuple[int, str]:
        buffer = io.StringIO()
        return run(["--state", str(state), *words], buffer, buffer, env={}), buffer.getvalue()

    assert rk(["host", "init", "--profile", "hotfix"])[0] == 0
    spec = 'index=11 name="Local Area Connection 1" mac=00-15-5D-01-02-03 speed=1g'
    assert rk(["host", "add-interface", *tokenize(spec)])[0] == 0
    lines = seeds()
    pool = sorted({w for line in lines for w in tokenize(line)})
    rng = random.Random(2026)
    rejected = accepted = 0
    for _ in range(LINES):
        line = mutate(rng, rng.choice(lines), pool)
        words = tokenize(line)
        if not words or words[0].lower() not in ("route", "netsh", "ipconfig"):
            continue
        before = dump(state)
        status, text = rk(words)
        assert "Traceback" not in text, line
        if status == 0:
            accepted += 1
        else:
            rejected += 1
            assert dump(state) == before, f"rejected line changed the store: {line}"
    assert rejected > 300 and accepted > 30  # both paths were really exercised
