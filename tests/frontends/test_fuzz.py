"""Robustness of the three parsers under generated and mutated command lines (hypothesis, derandomized).

Each example runs a batch of lines against one host, so that hypothesis's per-example overhead does not
dominate and the host's state evolves through the accepted lines: 400 batches of 250 route lines, 400
of 250 netsh lines and 500 of 200 ipconfig lines, 100,000 lines for each parser. For every line:
- no exception escapes `run`;
- a rejected line (non-zero exit) prints nothing on stdout and a Windows-style error on stderr, and
  leaves the host exactly as it was (interfaces, addresses, active table, persistent store, parked and
  held routes);
- an accepted line prints nothing on stderr.
Lines come from three generators: a token soup, a grammar template with random omissions and bad
values, and mutations (token and character level) of the real command lines of every transcript.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routekeeper.core.host import Host
from routekeeper.frontends import ipconfig, netsh, registry, route
from routekeeper.frontends.base import Output, tokenize

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPTS = [
    *sorted((ROOT.parent / "shared" / "scenarios").glob("*.txt")),
    *sorted((ROOT / "tests" / "scenarios").glob("*.txt")),
]
PROFILES = ("hotfix", "prehotfix", "linux")
FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    # `new_host` is a pure factory: sharing it between examples is what we want
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def corpus(tool: str) -> list[str]:
    """The argument part of every `$ tool ...` line of the transcripts: realistic seeds to mutate."""
    lines = []
    for path in TRANSCRIPTS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("$ "):
                words = line[2:].split(None, 1)
                if words and words[0].lower().removesuffix(".exe") == tool:
                    lines.append(words[1] if len(words) > 1 else "")
    return lines


V4 = "0.0.0.0 10.0.0.0 10.1.0.0 192.168.0.1 192.168.0.20 192.168.0.9 10.1.0.1 172.16.0.0".split()
V4 += ["255.255.255.255", "127.0.0.1", "224.0.0.0"]
BAD = [
    "300.1.1.1",
    "1.2.3",
    "01.2.3.4",
    "abc",
    "",
    "1.2.3.4.5",
    "-1",
    "0x10",
    "١٢",
    "²",
    "1..2.3",
    " ",
    "%",
    "\t",
]
V6 = (
    ":: ::/0 2001:db8::/32 2001:db8::1 2001:db8::20 fe80::1 fe80::1%11 2001:db8::1/200 ::1/128 2001:db8::/64 "
    "ff00::/8 2001:db8:0:1::/64 ::: 2001:db8::/-1"
).split()
MASKS = "255.0.0.0 255.255.0.0 255.255.255.0 0.0.0.0 255.0.255.0 155.0.0.0 255.255.255.255".split()
NUMBERS = "0 1 5 256 9999 10000 -1 0x0b 0xB 0xZZ 11 12 99 4294967296 99999999999999999999 0x 1e3".split()
PATTERNS = ["10.*", "*", "?", "192.168.0.?", "*.255", "[abc]", "2001:*", "*::*", "\\", "(", ".*"]
NAMES = ['"Local Area Connection 1"', '"local area connection 2"', "11", "12", "1", "99", "lo", '""']
NAMES += ['"Loopback Pseudo-Interface 1"', "Local", '"Local Area Connection 1', '"a=b"']
CHARS = 'abcdefxyz0123456789.:/-*?="%, \tÄé١²\u200b\x00'

ROUTE_WORDS = (
    "print add delete change PRINT Add DELETE chAnge prin addd mask MASK metric METRIC if IF".split()
)
ROUTE_WORDS += "-f -p -4 -6 /f /P -x /? -? - -- /".split()
NETSH_WORDS = (
    "interface int i in ipv4 ipv6 ip ipv add delete set show sh s a d de address addr ad route ro r "
    "interfaces config con ipaddresses ipa tcpstats wlan help ? dump static dhcp all none active persistent"
).split()
NETSH_TAGS = (
    "name address mask gateway gwmetric type store st s skipassource sk source prefix interface nexthop "
    "metric publish level validlifetime n x"
).split() + [""]
TAG_VALUES = "active ac persistent p true f all none dhcp static unicast anycast no yes".split()
TAG_VALUES += ["verbose", "normal", "infinite"]
TAG_VALUES += [*V4, *V6, *MASKS, *NUMBERS, *NAMES]
IPCONFIG_WORDS = [
    "/all",
    "-all",
    "/ALL",
    "/?",
    "-?",
    "/release",
    "/renew",
    "all",
    "/flushdns",
    "/",
    "-",
    "/all\x00",
]


def _pool(*groups: list[str]) -> list[str]:
    return [w for g in groups for w in g]


def route_template(r: random.Random) -> str:
    """A command of the right shape most of the time, so that the values, not the shape, get tested."""
    words = [r.choice(["-p", "/p", "-f", "-4", "-6", "/4"]) for _ in range(r.choice([0, 0, 1, 2]))]
    verb = r.choice(["add", "delete", "change", "print", "ADD", "Delete"])
    words.append(verb)
    v4 = r.random() < 0.7
    words.append(r.choice(V4 + PATTERNS + BAD) if v4 else r.choice(V6 + PATTERNS))
    if verb.lower() == "print":
        return " ".join(words)
    if r.random() < 0.6:
        words += [r.choice(["mask", "MASK"]), r.choice(MASKS + BAD + V6)]
    if r.random() < (0.95 if verb.lower() == "add" else 0.5):
        words.append(r.choice(V4 + BAD) if v4 else r.choice(V6 + BAD))
    if r.random() < 0.4 and verb.lower() != "delete":
        words += [r.choice(["metric", "METRIC"]), r.choice(NUMBERS + BAD)]
    if r.random() < 0.4:
        words += [r.choice(["if", "IF"]), r.choice(NUMBERS + BAD)]
    return " ".join(words)


def netsh_template(r: random.Random) -> str:
    words = [r.choice(["interface", "int", "in", "i"]), r.choice(["ipv4", "ipv6", "ip", "ipv"])]
    words.append(r.choice(["add", "delete", "set", "show", "sh", "a", "s"]))
    words.append(
        r.choice(["address", "route", "ad", "r", "interfaces", "config", "ipaddresses", "addresses"])
    )
    for _ in range(r.randint(0, 7)):
        if r.random() < 0.5:
            words.append(f"{r.choice(NETSH_TAGS)}={r.choice(TAG_VALUES)}")
        else:
            words.append(r.choice(TAG_VALUES))
    return " ".join(words)


def ipconfig_template(r: random.Random) -> str:
    return " ".join(r.choice(IPCONFIG_WORDS) for _ in range(r.choice([0, 1, 1, 1, 2])))


def soup(r: random.Random, pool: list[str]) -> str:
    return " ".join(r.choice(pool) for _ in range(r.randint(0, 10)))


def mutate(r: random.Random, line: str, pool: list[str]) -> str:
    """1-3 edits: drop, repeat, swap or replace a word; insert, delete or replace a character; re-case."""
    for _ in range(r.randint(1, 3)):
        words = line.split(" ")
        kind = r.randrange(8)
        i = r.randrange(len(words))
        if kind == 0 and len(words) > 1:
            del words[i]
        elif kind == 1:
            words.insert(i, words[i])
        elif kind == 2 and len(words) > 1:
            j = r.randrange(len(words))
            words[i], words[j] = words[j], words[i]
        elif kind == 3:
            words[i] = r.choice(pool)
        elif kind == 4:
            words.insert(i, r.choice(pool))
        line = " ".join(words)
        if kind == 5 and line:
            k = r.randrange(len(line))
            line = line[:k] + r.choice(CHARS) + line[k + 1 :]
        elif kind == 6:
            k = r.randint(0, len(line))
            line = line[:k] + r.choice(CHARS) + line[k:]
        elif kind == 7:
            line = line.upper() if r.random() < 0.5 else line.swapcase()
    return line


def generate(
    r: random.Random, seeds: list[str], template: Callable[[random.Random], str], pool: list[str]
) -> str:
    roll = r.random()
    if roll < 0.15:
        return soup(r, pool)
    if roll < 0.45:
        return template(r)
    if roll < 0.55:
        return r.choice(seeds)  # some valid lines keep the state moving
    return mutate(r, r.choice(seeds), pool)


def snapshot(host: Host) -> tuple:
    """Everything a command may change; sets of frozen values, cheap enough to take before every line."""
    return (
        tuple(sorted(host.interfaces.items())),
        tuple((i, tuple(a)) for i, a in sorted(host.addresses.items())),
        frozenset(host.table),
        frozenset(host.persistent.items()),
        frozenset(host.parked),
        frozenset(host.held.items()),
    )


ROUTE_ERROR = re.compile(
    r"The route (addition|deletion|change) failed: (The object already exists\.|Element not found\.|"
    r"The parameter is incorrect\.|The specified mask parameter is invalid\. \(Destination & Mask\) != "
    r"Destination\.)\n\n"
)
NETSH_TEXTS = {
    netsh.SYNTAX,
    netsh.NO_INTERFACE,
    netsh.EXISTS,
    netsh.NOT_FOUND,
    netsh.INVALID,
    netsh.NOT_SUPPORTED,
}


def route_error(out: Output) -> bool:
    return out.stderr == route.USAGE or ROUTE_ERROR.fullmatch(out.stderr) is not None


def netsh_error(out: Output) -> bool:
    text = out.stderr.removesuffix("\n\n")
    return out.stderr.endswith("\n\n") and (
        text in NETSH_TEXTS
        or (text.startswith("The following command was not found: ") and text.endswith("."))
    )


def ipconfig_error(out: Output) -> bool:
    return out.stderr == ipconfig.ERROR + ipconfig.USAGE


def fuzz_host(new_host: Callable[..., Host], profile: str) -> Host:
    host = new_host(profile, 2)
    for line in (
        "netsh interface ipv4 add address 11 192.168.0.20 255.255.255.0 gateway=192.168.0.1",
        "netsh interface ipv4 add address 12 10.1.0.5 255.255.0.0",
        "netsh interface ipv6 add address 11 2001:db8::20/64",
        "route -p add 10.0.0.0 mask 255.0.0.0 192.168.0.9",
        "route add 172.16.0.0 mask 255.240.0.0 10.1.0.1 IF 12",
    ):
        assert registry.run_tool(host, tokenize(line)).exit == 0, line
    return host


def run_batch(
    new_host: Callable[..., Host],
    seed: int,
    profile: str,
    count: int,
    run: Callable[[Host, list[str]], Output],
    line_of: Callable[[random.Random], str],
    is_error: Callable[[Output], bool],
) -> None:
    rnd = random.Random(seed)  # hypothesis picks the seed; the lines come fast from there
    host = fuzz_host(new_host, profile)
    for _ in range(count):
        line = line_of(rnd)
        before = snapshot(host)
        try:
            out = run(host, tokenize(line))
        except Exception as exc:  # pragma: no cover - the failure report
            raise AssertionError(f"{profile}: {line!r} raised {exc!r}") from exc
        assert out.exit in (0, 1), (profile, line, out)
        if out.exit:
            assert out.stdout == "" and is_error(out), (profile, line, out)
            assert snapshot(host) == before, (profile, line)
        else:
            assert out.stderr == "", (profile, line, out)


ROUTE_SEEDS = corpus("route")
NETSH_SEEDS = corpus("netsh")
IPCONFIG_SEEDS = corpus("ipconfig") + ["", "/all"]
ROUTE_POOL = _pool(ROUTE_WORDS, V4, V6, BAD, MASKS, NUMBERS, PATTERNS)
NETSH_POOL = _pool(
    NETSH_WORDS, NAMES, TAG_VALUES, [f"{t}={v}" for t in NETSH_TAGS for v in ("ac", "11", "all", "")]
)
IPCONFIG_POOL = _pool(IPCONFIG_WORDS, BAD)


@settings(FUZZ, max_examples=400)
@given(seed=st.integers(0, 2**64 - 1), profile=st.sampled_from(PROFILES))
def test_route_lines(new_host, seed: int, profile: str) -> None:
    run_batch(
        new_host,
        seed,
        profile,
        250,
        route.run,
        lambda r: generate(r, ROUTE_SEEDS, route_template, ROUTE_POOL),
        route_error,
    )


@settings(FUZZ, max_examples=400)
@given(seed=st.integers(0, 2**64 - 1), profile=st.sampled_from(PROFILES))
def test_netsh_lines(new_host, seed: int, profile: str) -> None:
    run_batch(
        new_host,
        seed,
        profile,
        250,
        netsh.run,
        lambda r: generate(r, NETSH_SEEDS, netsh_template, NETSH_POOL),
        netsh_error,
    )


@settings(FUZZ, max_examples=500)
@given(seed=st.integers(0, 2**64 - 1), profile=st.sampled_from(PROFILES))
def test_ipconfig_lines(new_host, seed: int, profile: str) -> None:
    run_batch(
        new_host,
        seed,
        profile,
        200,
        ipconfig.run,
        lambda r: generate(r, IPCONFIG_SEEDS, ipconfig_template, IPCONFIG_POOL),
        ipconfig_error,
    )


def test_the_seed_corpora_are_real() -> None:
    assert len(ROUTE_SEEDS) > 100 and len(NETSH_SEEDS) > 100 and len(IPCONFIG_SEEDS) > 10


def test_the_generators_reach_both_outcomes(new_host) -> None:
    """A fuzzer that only ever produced errors (or only successes) would prove little."""
    rnd = random.Random(7)
    host = fuzz_host(new_host, "hotfix")
    outcomes = {0: 0, 1: 0}
    for _ in range(400):
        line = generate(rnd, ROUTE_SEEDS, route_template, ROUTE_POOL)
        outcomes[route.run(host, tokenize(line)).exit] += 1
    assert outcomes[0] > 40 and outcomes[1] > 40
