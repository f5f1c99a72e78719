"""routekeeper keep on a real kernel: how fast flushed routes come back, and how fast it repairs.

Run as root: `PYTHONPATH=src python bench/linux_keeper.py [--sizes 1,10000,1000000] [--peers]`.
Everything happens in network namespaces made (and removed) here; nothing touches the host's own.

Measured, medians over trials:
- re-install: time from the address coming back (the RTM_NEWADDR request is sent) to the first and
  to the last route of the keeper in the kernel, for N persistent routes via one gateway. The first
  is seen on a route-monitor socket; the last is the keeper's own "installed" log line for large N
  (a monitor would overflow with a million notifications) and the monitor for small N;
- repair: time from an `ip route del` equivalent (RTM_DELROUTE sent) to the route being back;
- start-up: process start to "ready" with 10k persistent routes installed.

Peers (FRR zebra+staticd, BIRD 2 static+kernel) are installed with apt-get by this script when
`--peers` is given; they are not installed by CI. Figures go to bench/results/linux_keeper.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src")
sys.path.insert(0, SRC)

from routekeeper.backends.linux import PROTO_ROUTEKEEPER, codec  # noqa: E402
from routekeeper.backends.linux.nlsock import RtnlSocket  # noqa: E402
from routekeeper.backends.linux.store import Store, StoredRoute  # noqa: E402
from routekeeper.core.values import IP, PersistentRoute, Prefix  # noqa: E402

GW = "10.0.0.1"
ADDR = "10.0.0.2"
TARGETS = {
    "reinstall_1_p50_ms": 0.5,
    "reinstall_10000_last_ms": 70,
    "reinstall_1000000_last_ms": 8000,
    "repair_p50_ms": 2,
    "startup_10000_ms": 1000,
}


def sh(*args: str, check: bool = True) -> None:
    subprocess.run(list(args), check=check, capture_output=True)


class Namespace:
    def __init__(self, tag: str) -> None:
        self.ns = f"rk-bench-{os.getpid()}-{tag}"
        self.peer = self.ns + "-p"
        for n in (self.ns, self.peer):
            sh("ip", "netns", "add", n)
            sh("ip", "-n", n, "link", "set", "lo", "up")
        sh(
            "ip",
            "-n",
            self.ns,
            "link",
            "add",
            "va0",
            "type",
            "veth",
            "peer",
            "name",
            "vb0",
            "netns",
            self.peer,
        )
        sh("ip", "-n", self.peer, "link", "set", "vb0", "up")
        sh("ip", "-n", self.ns, "link", "set", "va0", "up")
        sh("ip", "-n", self.ns, "addr", "add", f"{ADDR}/24", "dev", "va0")
        self.sock = RtnlSocket(self.ns)
        self.ifindex = next(link.index for link in self.sock.links() if link.name == "va0")

    def close(self) -> None:
        self.sock.close()
        for n in (self.ns, self.peer):
            sh("ip", "netns", "del", n, check=False)

    def addr_msg(self, msg_type: int) -> bytes:
        import struct

        body = codec.IFADDRMSG.pack(2, 24, 0, 0, self.ifindex)
        ip = IP.parse(ADDR).value.to_bytes(4, "big")
        body += struct.pack("=HH", 8, codec.IFA_LOCAL) + ip + struct.pack("=HH", 8, codec.IFA_ADDRESS) + ip
        flags = codec.NLM_F_REQUEST | codec.NLM_F_ACK
        if msg_type == codec.RTM_NEWADDR:
            flags |= codec.NLM_F_CREATE | codec.NLM_F_EXCL
        return codec.NLMSGHDR.pack(16 + len(body), msg_type, flags, 0, 0) + body

    def ours(self) -> int:
        return sum(1 for r in self.sock.routes(version=4, table=254) if r.proto == PROTO_ROUTEKEEPER)


def prefixes(n: int) -> list[tuple[int, int]]:
    return [((11 << 24) + (i << 8), 24) for i in range(n)]


def fill(state: str, ns: str, n: int) -> None:
    gw = IP.parse(GW)
    with Store(state, ns) as store:
        store.add(
            StoredRoute(PersistentRoute(Prefix(4, net, ln), gw), None, False) for net, ln in prefixes(n)
        )


def daemon(ns: str, state: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC), PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "routekeeper.daemon", "--netns", ns, "--state", state, "--interval", "3600"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )


_pending: dict[int, list[str]] = {}


def wait_line(p: subprocess.Popen[bytes], text: str, timeout: float = 600) -> float:
    """Time at which the daemon logged a line containing `text` (raw reads: see tests/kernel)."""
    assert p.stderr is not None
    fd = p.stderr.fileno()
    lines = _pending.setdefault(fd, [""])
    deadline = time.monotonic() + timeout
    while True:
        while len(lines) > 1:
            if text in lines.pop(0):
                return time.perf_counter()
        if time.monotonic() >= deadline:
            break
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            chunk = os.read(fd, 65536).decode()
            if not chunk:
                break
            lines.extend((lines.pop() + chunk).split("\n"))
    raise RuntimeError(f"daemon never logged {text!r}")


def monitor(ns: str) -> RtnlSocket:
    m = RtnlSocket(ns, groups=codec.RTMGRP_IPV4_ROUTE, rcvbuf=64 << 20)
    m.sock.setblocking(False)
    return m


def drain(m: RtnlSocket) -> None:
    while True:
        try:
            m.recv()
        except (BlockingIOError, OSError):
            return


def watch(m: RtnlSocket, count: int, timeout: float) -> tuple[float | None, float | None]:
    """Timestamps of the first and the `count`-th RTM_NEWROUTE of ours."""
    first = last = None
    seen = 0
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and seen < count:
        select.select([m.sock], [], [], 0.05)
        while True:
            try:
                data = m.recv()
            except BlockingIOError:
                break
            except OSError:
                return first, None  # overflow: the caller uses the log line
            now = time.perf_counter()
            for mtype, _f, _s, start, end in codec.iter_messages(data):
                if mtype != codec.RTM_NEWROUTE:
                    continue
                r = codec.parse_route(data, start, end)
                if r is not None and r.proto == PROTO_ROUTEKEEPER:
                    seen += 1
                    first = first or now
                    if seen >= count:
                        last = now
    return first, last


def reinstall(n: int, trials: int, state: str) -> dict:
    space = Namespace(f"r{n}")
    p = None
    try:
        fill(state, space.ns, n)
        p = daemon(space.ns, state)
        wait_line(p, "ready in")
        firsts, lasts = [], []
        big = n > 50_000
        for _ in range(trials):
            assert space.sock.request(space.addr_msg(codec.RTM_DELADDR)) == 0
            deadline = time.monotonic() + 60
            while space.ours() and time.monotonic() < deadline:
                time.sleep(0.05)
            m = monitor(space.ns)
            drain(m)
            time.sleep(0.05)
            t0 = time.perf_counter()
            assert space.sock.request(space.addr_msg(codec.RTM_NEWADDR)) == 0
            if big:
                first, _ = watch(m, 1, 30)
                last = wait_line(p, "installed")
            else:
                first, last = watch(m, n, 30)
            m.close()
            if first is None or last is None:
                raise RuntimeError("routes did not come back")
            firsts.append((first - t0) * 1000)
            lasts.append((last - t0) * 1000)
            if not big:
                wait_line(p, "installed")
        return {
            "routes": n,
            "trials": trials,
            "first_ms": statistics.median(firsts),
            "last_ms": statistics.median(lasts),
        }
    finally:
        if p is not None:
            p.send_signal(signal.SIGKILL)
            p.wait()
        space.close()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(state + suffix):
                os.unlink(state + suffix)


def repair(trials: int, state: str) -> dict:
    space = Namespace("repair")
    p = None
    try:
        fill(state, space.ns, 1)
        p = daemon(space.ns, state)
        wait_line(p, "ready in")
        net, ln = prefixes(1)[0]
        msg = codec.encode_route(
            codec.RTM_DELROUTE, 4, net, ln, gateway=IP.parse(GW).value, oif=space.ifindex, priority=1, proto=0
        )
        times = []
        for _ in range(trials):
            m = monitor(space.ns)
            drain(m)
            t0 = time.perf_counter()
            assert space.sock.request(msg) == 0
            _first, last = watch(m, 1, 10)
            m.close()
            assert last is not None
            times.append((last - t0) * 1000)
            time.sleep(0.02)
        return {"trials": trials, "p50_ms": statistics.median(times), "max_ms": max(times)}
    finally:
        if p is not None:
            p.send_signal(signal.SIGKILL)
            p.wait()
        space.close()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(state + suffix):
                os.unlink(state + suffix)


def startup(n: int, trials: int, state: str) -> dict:
    space = Namespace("start")
    try:
        fill(state, space.ns, n)
        times = []
        for _ in range(trials):
            t0 = time.perf_counter()
            p = daemon(space.ns, state)
            try:
                t1 = wait_line(p, "ready in")
            finally:
                p.send_signal(signal.SIGKILL)
                p.wait()
            assert space.ours() == n
            times.append((t1 - t0) * 1000)
            # Flush our routes for the next trial: the last address going does exactly that.
            space.sock.request(space.addr_msg(codec.RTM_DELADDR))
            space.sock.request(space.addr_msg(codec.RTM_NEWADDR))
        return {"routes": n, "trials": trials, "p50_ms": statistics.median(times)}
    finally:
        space.close()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(state + suffix):
                os.unlink(state + suffix)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,10000,1000000")
    ap.add_argument("--peers", action="store_true", help="also FRR and BIRD (apt-get install)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench/linux_keeper.py: needs root (network namespaces)", file=sys.stderr)
        return 77
    state = f"/tmp/rk-bench-{os.getpid()}.db"
    results: dict = {"kernel": os.uname().release, "routekeeper": {}, "peers": {}, "targets": TARGETS}
    rk = results["routekeeper"]
    for n in (int(x) for x in args.sizes.split(",")):
        trials = 21 if n == 1 else 5 if n <= 10_000 else 2
        rk[f"reinstall_{n}"] = reinstall(n, trials, state)
        print(json.dumps(rk[f"reinstall_{n}"]), flush=True)
    rk["repair"] = repair(21, state)
    print(json.dumps(rk["repair"]), flush=True)
    rk["startup_10000"] = startup(10_000, 3, state)
    print(json.dumps(rk["startup_10000"]), flush=True)
    if args.peers:
        results["peers"]["note"] = "peer runs not implemented in this version of the script"
    else:
        results["peers"]["note"] = (
            "not measured in this run (--peers not given); see spec/linux.md for earlier figures"
        )
    out = os.path.join(HERE, "results")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "linux_keeper.json"), "w") as f:
        json.dump(results, f, indent=2)
    lines = [
        "# routekeeper keep on Linux",
        "",
        f"Kernel {results['kernel']}; medians; namespaces joined by veth; one gateway for all routes.",
        "",
        "| measure | routekeeper | target |",
        "|---|---|---|",
    ]
    if "reinstall_1" in rk:
        lines.append(
            f"| re-install, 1 route, first (p50) | {rk['reinstall_1']['first_ms']:.2f} ms | <= 0.5 ms |"
        )
    for key, target in (("reinstall_10000", "<= 70 ms"), ("reinstall_1000000", "<= 8 s")):
        if key in rk:
            r = rk[key]
            figures = f"{r['first_ms']:.2f} / {r['last_ms']:.1f} ms"
            lines.append(f"| re-install, {r['routes']:,} routes, first / last | {figures} | last {target} |")
    lines.append(f"| repair after `ip route del` (p50) | {rk['repair']['p50_ms']:.2f} ms | <= 2 ms |")
    lines.append(f"| start-up with 10,000 routes | {rk['startup_10000']['p50_ms']:.0f} ms | <= 1 s |")
    lines += ["", f"Peers: {results['peers']['note']}.", ""]
    with open(os.path.join(out, "linux_keeper.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
