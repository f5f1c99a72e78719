"""Differential test: the simulated `linux` host against a real kernel, step by step.

The same random sequences of address, route and link operations run on `Host("linux")` and on a
real network namespace (two veths, peers in a second namespace so carrier can be switched). After
every step the interfaces, addresses and routes (main + local tables) are compared, and so is the
verdict (refused by both or by neither). A divergence is a bug in `LinuxProfile`.

Seeds are fixed; several workers, each with its own namespaces, share the sequences (the waits are
the kernel's, so threads overlap them).

What the alphabet leaves out, on purpose (documented in docs/linux.md): the same IP with two prefix
lengths, two routes with the same prefix and metric (the kernel's key is prefix+metric, the model's
prefix+interface+gateway), deleting link-local addresses, and routes the model cannot hold
(blackhole, multipath).
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from routekeeper.core import operations as op
from routekeeper.core.host import Host
from routekeeper.core.operations import Refused
from routekeeper.core.values import IP, Prefix
from routekeeper.linux import codec
from routekeeper.linux.apply import ipr_for
from routekeeper.linux.netns import inside, write_sysctl
from routekeeper.linux.nlsock import RtnlSocket
from routekeeper.linux.observe import observe

SEQUENCES = int(os.environ.get("RK_DIFF_SEQUENCES", "200"))
STEPS = 12
WORKERS = 6
SEED_BASE = int(os.environ.get("RK_DIFF_SEED", "20240"))

V4_ADDRESSES = [
    ("10.0.0.1", 24), ("10.0.0.2", 24), ("10.0.0.3", 24), ("10.0.1.1", 24), ("10.0.1.2", 24),
    ("10.0.0.130", 25), ("10.0.2.1", 31), ("10.0.3.1", 32), ("10.0.4.1", 30),
]  # fmt: skip
V6_ADDRESSES = [("2001:db8::5", 64), ("2001:db8::6", 64), ("2001:db8:1::5", 64)]


@dataclass(frozen=True)
class RouteSpec:
    prefix: str
    gateway: str | None
    dev: int  # 0 or 1: va0 or va1
    metric: int
    prefsrc: str | None = None
    onlink: bool = False


ROUTES = [
    RouteSpec("10.9.0.0/24", "10.0.0.254", 0, 0),
    RouteSpec("10.9.1.0/24", "10.0.1.254", 0, 10),
    RouteSpec("0.0.0.0/0", "10.0.0.254", 0, 100),
    RouteSpec("10.9.2.0/24", None, 1, 0),
    RouteSpec("10.9.3.0/24", "10.0.0.253", 1, 0),
    RouteSpec("10.9.4.0/24", "192.0.2.1", 0, 0, onlink=True),
    RouteSpec("10.9.5.0/24", "10.0.0.254", 0, 0, prefsrc="10.0.0.2"),
    RouteSpec("10.9.6.0/24", "10.0.2.0", 1, 0),
    RouteSpec("10.9.7.0/24", "10.0.0.140", 1, 5),
    RouteSpec("10.9.8.0/24", "10.9.2.1", 1, 0),  # gateway on-link through a manual on-link route
    RouteSpec("2001:db8:9::/64", "2001:db8::fe", 0, 1024),
    RouteSpec("2001:db8:9:1::/64", "fe80::1", 0, 1024),
    RouteSpec("::/0", "fe80::1", 1, 1024),
    RouteSpec("2001:db8:9:2::/64", None, 1, 1024),
    RouteSpec("2001:db8:9:3::/64", "2001:db8::fe", 0, 1024, prefsrc="2001:db8::5"),
    RouteSpec("2001:db8:9:4::/64", "2001:db8:1::fe", 1, 1024),
]

OPS = ["addr4+"] * 6 + ["addr4-"] * 4 + ["addr6+"] * 2 + ["addr6-"] * 2 + ["route+"] * 6 + ["route-"] * 2
OPS += ["admin"] * 1 + ["carrier"] * 1 + ["promote"] * 2


class Twin:
    """One worker: namespace `a` (va0, va1) and its peer namespace `b` (vb0, vb1)."""

    def __init__(self, lab) -> None:  # type: ignore[no-untyped-def]
        self.lab = lab
        self.a, self.b = lab.netns(), lab.netns()
        lab.veth(self.a, "va0", self.b, "vb0")
        lab.veth(self.a, "va1", self.b, "vb1")
        # netns= (not a thread-local setns): pyroute2 makes one socket per thread, in the namespace
        # it was told, so the worker threads can never reach the host's own interfaces.
        self.ipa = ipr_for(self.a)
        self.ipb = ipr_for(self.b)
        self.sock = RtnlSocket(self.a)
        self.idx = [self.ipa.link_lookup(ifname=n)[0] for n in ("va0", "va1")]
        self.peer = [self.ipb.link_lookup(ifname=n)[0] for n in ("vb0", "vb1")]

    def close(self) -> None:
        self.ipa.close()
        self.ipb.close()
        self.sock.close()

    # -------------------------------------------------------------- kernel side
    def k_admin_up(self, i: int) -> None:
        """Admin up. With the peer up, the peer is cycled around it: veth's own carrier-on at open is
        a non-urgent linkwatch event (IPv6 ready after ~1 s); a carrier-on from the peer is urgent.
        The end state is the same."""
        peer_up = self.ipb.get_links(self.peer[i])[0]["flags"] & 1
        if peer_up:
            self.ipb.link("set", index=self.peer[i], state="down")
        self.ipa.link("set", index=self.idx[i], state="up")
        if peer_up:
            self.ipb.link("set", index=self.peer[i], state="up")

    def reset(self) -> None:
        for i in (0, 1):
            with inside(self.a):
                write_sysctl("ipv4", f"va{i}", "promote_secondaries", "0")
            self.ipb.link("set", index=self.peer[i], state="up")
            if not self.ipa.get_links(self.idx[i])[0]["flags"] & 1:
                self.k_admin_up(i)
            from pyroute2.netlink.exceptions import NetlinkError

            for a in self.ipa.get_addr(index=self.idx[i]):
                ip = a.get_attr("IFA_ADDRESS")
                if a["family"] == 2 or not ip.startswith("fe80"):
                    try:  # a primary's secondaries may already have gone with it
                        self.ipa.addr("del", index=self.idx[i], address=ip, prefixlen=a["prefixlen"])
                    except NetlinkError:
                        pass
        for r in self.sock.routes(table=codec.RT_TABLE_MAIN):
            if r.proto != codec.RTPROT_KERNEL:
                msg = codec.encode_route(
                    codec.RTM_DELROUTE, r.version, r.dst, r.dst_len, gateway=r.gateway, oif=r.oif,
                    priority=r.priority, proto=0,
                )  # fmt: skip
                self.sock.request(msg)
        ok = self.lab.wait_for(lambda: all(self._has_ll(i) for i in (0, 1)), 3.0)
        assert ok, "link-local addresses did not come back after reset"

    def _has_ll(self, i: int) -> bool:
        return any(
            a.get_attr("IFA_ADDRESS").startswith("fe80")
            for a in self.ipa.get_addr(index=self.idx[i], family=10)
        )

    def kernel(self, step: tuple) -> int:
        from pyroute2.netlink.exceptions import NetlinkError

        kind = step[0]
        try:
            if kind in ("addr4+", "addr6+"):
                _, i, ip, length = step
                extra = {"flags": 0x02} if ":" in ip else {}
                self.ipa.addr("add", index=self.idx[i], address=ip, prefixlen=length, **extra)
            elif kind in ("addr4-", "addr6-"):
                _, i, ip, length = step
                self.ipa.addr("del", index=self.idx[i], address=ip, prefixlen=length)
            elif kind in ("route+", "route-"):
                spec: RouteSpec = step[1]
                p = Prefix.parse(spec.prefix)
                gw = IP.parse(spec.gateway).value if spec.gateway else 0
                msg = codec.encode_route(
                    codec.RTM_NEWROUTE if kind == "route+" else codec.RTM_DELROUTE,
                    p.version, p.network, p.length, gateway=gw, oif=self.idx[spec.dev],
                    priority=spec.metric, proto=codec.RTPROT_BOOT if kind == "route+" else 0,
                    prefsrc=IP.parse(spec.prefsrc).value if spec.prefsrc and kind == "route+" else None,
                    rtm_flags=codec.RTNH_F_ONLINK if spec.onlink and kind == "route+" else 0,
                )  # fmt: skip
                return self.sock.request(msg)
            elif kind == "admin":
                _, i, up = step
                if up:
                    self.k_admin_up(i)
                else:
                    self.ipa.link("set", index=self.idx[i], state="down")
            elif kind == "carrier":
                _, i, up = step
                self.ipb.link("set", index=self.peer[i], state="up" if up else "down")
            elif kind == "promote":
                _, i, on = step
                with inside(self.a):
                    write_sysctl("ipv4", f"va{i}", "promote_secondaries", "1" if on else "0")
        except NetlinkError as exc:
            return exc.code
        return 0

    # -------------------------------------------------------------- simulated side
    def sim(self, host: Host, step: tuple) -> str | None:
        kind = step[0]
        try:
            if kind in ("addr4+", "addr6+"):
                _, i, ip, length = step
                host.apply(op.AddAddress(self.idx[i], IP.parse(ip), length))
            elif kind in ("addr4-", "addr6-"):
                _, i, ip, _length = step
                host.apply(op.DeleteAddress(self.idx[i], IP.parse(ip)))
            elif kind == "route+":
                spec = step[1]
                p = Prefix.parse(spec.prefix)
                gw = IP.parse(spec.gateway) if spec.gateway else IP(p.version, 0)
                src = IP.parse(spec.prefsrc) if spec.prefsrc else None
                host.apply(
                    op.AddRoute(p, gw, self.idx[spec.dev], spec.metric, prefsrc=src, onlink=spec.onlink)
                )
            elif kind == "route-":
                spec = step[1]
                p = Prefix.parse(spec.prefix)
                gw = IP.parse(spec.gateway) if spec.gateway else IP(p.version, 0)
                host.apply(op.DeleteRoute(p, gw, self.idx[spec.dev], persistent=False))
            elif kind == "admin":
                _, i, up = step
                host.apply(op.SetInterface(self.idx[i], enabled=up))
            elif kind == "carrier":
                _, i, up = step
                host.apply(op.SetInterface(self.idx[i], connected=up))
            elif kind == "promote":
                _, i, on = step
                host.apply(op.SetInterface(self.idx[i], promote_secondaries=on))
        except Refused as exc:
            return exc.code.value
        return None


def random_step(rng: random.Random, host: Host, twin: Twin) -> tuple:
    kind = rng.choice(OPS)
    i = rng.randrange(2)
    if kind == "addr4+":
        return (kind, i, *rng.choice(V4_ADDRESSES))
    if kind == "addr6+":
        return (kind, i, *rng.choice(V6_ADDRESSES))
    if kind in ("addr4-", "addr6-"):
        version = 4 if kind == "addr4-" else 6
        present = [
            (str(a.ip), a.length) for a in host.addresses_of(twin.idx[i], version) if not a.ip.is_link_local
        ]
        pool = V4_ADDRESSES if version == 4 else V6_ADDRESSES
        # Mostly delete what is there (the interesting case), sometimes what is not.
        choice = rng.choice(present) if present and rng.random() < 0.85 else rng.choice(pool)
        return (kind, i, *choice)
    if kind in ("route+", "route-"):
        return (kind, rng.choice(ROUTES))
    iface = host.interfaces[twin.idx[i]]
    if kind == "admin":
        return (kind, i, not iface.enabled)
    if kind == "carrier":
        return (kind, i, not iface.connected)
    return (kind, i, not iface.promote_secondaries)


def normal(host: Host, idx: list[int]) -> dict:
    """What is compared: interfaces, addresses (IPv4 in kernel order, IPv6 as a set), routes.

    Carrier is compared only on enabled interfaces: a down device reports no carrier whatever the
    cable does (veth_close switches it off on both ends), so the kernel cannot tell us."""
    ifaces = {
        i.index: (i.name, i.mtu, i.enabled, i.connected if i.enabled else None, i.promote_secondaries)
        for i in host.interfaces.values()
    }
    addrs = {
        i: (
            [str(a) for a in host.addresses_of(i, 4)],
            sorted(str(a) for a in host.addresses_of(i, 6)),
        )
        for i in host.interfaces
    }
    routes = sorted(
        (str(r.prefix), r.ifindex, str(r.nexthop), r.metric, r.kind, str(r.prefsrc), r.manual, r.onlink_flag)
        for r in host.table
    )
    return {"interfaces": ifaces, "addresses": addrs, "routes": routes}


def diff(a: dict, b: dict) -> str:
    lines = []
    for part in a:
        if a[part] == b[part]:
            continue
        if part == "routes":
            sa, sb = set(a[part]), set(b[part])
            lines += [f"  sim only:    {r}" for r in sorted(sa - sb)]
            lines += [f"  kernel only: {r}" for r in sorted(sb - sa)]
        else:
            lines.append(f"  {part}: sim {a[part]} kernel {b[part]}")
    return "\n".join(lines)


def run_sequence(twin: Twin, seed: int) -> str | None:
    """Run one sequence; return a description of the first divergence, or None."""
    rng = random.Random(seed)
    twin.reset()
    host = observe(twin.a)
    history = []
    for _n in range(STEPS):
        step = random_step(rng, host, twin)
        sim_verdict = twin.sim(host, step)
        err = twin.kernel(step)
        history.append(f"{step} -> sim {sim_verdict or 'ok'}, kernel {err or 'ok'}")
        if (sim_verdict is None) != (err == 0):
            return f"seed {seed}: verdicts differ\n" + "\n".join(history)
        want = normal(host, twin.idx)
        slow = step[0] in ("admin", "carrier")
        got: dict = {}

        def settled(want: dict = want) -> bool:
            nonlocal got
            got = normal(observe(twin.a), twin.idx)
            return got == want

        if not twin.lab.wait_for(settled, 1.5 if slow else 0.25, 0.01):
            return f"seed {seed}: states differ\n" + "\n".join(history) + "\n" + diff(want, got)
    return None


def test_kernel_differential_random_sequences(lab) -> None:  # type: ignore[no-untyped-def]
    twins = [Twin(lab) for _ in range(WORKERS)]
    failures: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()

    def worker(w: int) -> int:
        done = 0
        for seed in range(SEED_BASE + w, SEED_BASE + SEQUENCES, WORKERS):
            problem = run_sequence(twins[w], seed)
            done += 1
            if problem:
                with lock:
                    failures.append(problem)
        return done

    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            total = sum(pool.map(worker, range(WORKERS)))
    finally:
        for t in twins:
            t.close()
    print(
        f"\n{total} sequences x {STEPS} steps in {time.monotonic() - started:.1f} s,",
        f"{len(failures)} divergent",
    )
    assert total == SEQUENCES
    if failures and os.environ.get("RK_DIFF_DUMP"):
        with open(os.environ["RK_DIFF_DUMP"], "w") as f:
            f.write("\n\n".join(failures))
    assert not failures, f"{len(failures)} divergent sequences; first:\n{failures[0]}"
