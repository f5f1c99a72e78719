"""`routekeeper pacemaker whatif --move RESOURCE --to NODE`: what a Pacemaker move does to this node's routes.

Reads the live CIB (`cibadmin -Q`, or `--cib FILE`) for the resource's IPaddr2 addresses and where they
run, and this node's kernel and persistent routes (the linux backend's state file, `--state`/`--netns`
as for `--backend linux`). On the `linux` profile it then plays the move for this node only: the
addresses leave (the resource runs here and goes elsewhere) or arrive (it comes here), the profile
flushes what the kernel would flush, and `keeper.reconcile` says what `routekeeper keep` would put
back. Nothing is changed: the kernel is read, never written, and the store is not saved.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from dataclasses import dataclass

from routekeeper.app.errors import CommandFailed
from routekeeper.app.session import Session
from routekeeper.app.unit import linux_unit
from routekeeper.core import operations as op
from routekeeper.core.host import Host
from routekeeper.core.keeper import reconcile
from routekeeper.core.operations import AddRoute
from routekeeper.core.values import Route
from routekeeper.frontends.base import UsageError
from routekeeper.frontends.pacemaker_cib import Cib, CibError, FloatingAddress, parse

USAGE = "pacemaker whatif --move RESOURCE --to NODE [--cib FILE] [--node NAME] [--json]"


@dataclass(frozen=True)
class Prediction:
    node: str
    change: str  # "leave", "arrive" or "none"
    addresses: list[FloatingAddress]
    flushed: list[Route]
    restored: list[AddRoute]
    reasons: list[str]


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"pacemaker: {message}; usage: routekeeper {USAGE}")


def cmd_pacemaker(session: Session, args: list[str]) -> int:
    if args[:1] in (["-h"], ["--help"], ["help"]) or not args:
        session.out.write(f"usage: routekeeper {USAGE}\n\n{__doc__}")
        return 0
    if args[0] != "whatif":
        raise UsageError(f"pacemaker: unknown subcommand {args[0]!r}; usage: routekeeper {USAGE}")
    ap = _ArgumentParser(prog="routekeeper pacemaker whatif", add_help=False)
    ap.add_argument("--move", required=True, metavar="RESOURCE")
    ap.add_argument("--to", required=True, metavar="NODE")
    ap.add_argument("--cib", metavar="FILE")
    ap.add_argument("--node", metavar="NAME")
    ap.add_argument("--json", action="store_true")
    if any(word in ("-h", "--help") for word in args[1:]):
        session.out.write(f"usage: routekeeper {USAGE}\n\n{__doc__}")
        return 0
    opts = ap.parse_args(args[1:])
    cib = _load_cib(opts.cib)
    if opts.to not in cib.nodes:
        raise CommandFailed(f"the CIB has no node {opts.to!r} (nodes: {', '.join(cib.nodes)})")
    this = opts.node or os.uname().nodename
    try:
        addresses = cib.floating(opts.move)
    except CibError as exc:
        raise CommandFailed(str(exc)) from None
    if not addresses:
        raise CommandFailed(f"resource {opts.move!r} holds no IPaddr2 address")
    with linux_unit(session.netns, session.state_override) as unit:
        unit.discard()  # read only: the kernel is never changed, the store never saved
        prediction = predict(unit.subject, cib, opts.move, opts.to, this)
    write = session.out.write
    if opts.json:
        write(json.dumps(as_json(prediction, unit.subject), indent=1) + "\n")
    else:
        for line in describe(prediction, unit.subject, opts.move, opts.to):
            write(line + "\n")
    return 0


def _load_cib(path: str | None) -> Cib:
    try:
        if path is not None:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        else:
            r = subprocess.run(["cibadmin", "-Q"], capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise CommandFailed(f"cibadmin -Q failed: {(r.stderr or r.stdout).strip() or r.returncode}")
            text = r.stdout
        return parse(text)
    except FileNotFoundError as exc:
        raise CommandFailed(f"cannot read the CIB: {exc.filename}: not found") from None
    except OSError as exc:
        raise CommandFailed(f"cannot read the CIB: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise CommandFailed("cibadmin -Q did not answer in 60 s") from None
    except CibError as exc:
        raise CommandFailed(str(exc)) from None


def predict(host: Host, cib: Cib, resource: str, target: str, this: str) -> Prediction:
    """Play the move on `host` (changed in place: pass a copy you may discard) for node `this`."""
    addresses = cib.floating(resource)
    here = this in cib.running_on(resource)
    if here and target != this:
        change = "leave"
    elif not here and target == this:
        change = "arrive"
    else:
        return Prediction(this, "none", addresses, [], [], [])
    names = {iface.name: index for index, iface in host.interfaces.items()}
    before = {r.key: r for r in host.table if r.manual}
    for a in addresses:
        ifindex = names.get(a.nic or "")
        if ifindex is None:
            ifindex = _device_of(host, a)
        if ifindex is None:
            continue
        if change == "leave":
            host.apply(op.DeleteAddress(ifindex, a.ip))
        else:
            host.apply(op.AddAddress(ifindex, a.ip, a.length or 32))
    after = {r.key for r in host.table if r.manual}
    flushed = [r for key, r in before.items() if key not in after]
    actions = reconcile(list(host.persistent.values()), host)
    restored = [a.operation for a in actions if isinstance(a.operation, AddRoute)]
    reasons = [a.reason for a in actions if isinstance(a.operation, AddRoute)]
    return Prediction(this, change, addresses, flushed, restored, reasons)


def _device_of(host: Host, a: FloatingAddress) -> int | None:
    """IPaddr2 without `nic`: the interface that holds the address, or whose prefix covers it."""
    held = [address for addresses in host.addresses.values() for address in addresses]
    for address in held:
        if address.ip == a.ip:
            return address.ifindex
    for address in held:
        if address.ip.version == a.ip.version and address.prefix.contains(a.ip):
            return address.ifindex
    return None


def _route_text(
    host: Host, prefix: object, nexthop: object, ifindex: int | None, prefsrc: object = None
) -> str:
    dev = host.interfaces[ifindex].name if ifindex in host.interfaces else "?"
    via = "" if getattr(nexthop, "is_unspecified", False) else f" via {nexthop}"
    src = f" src {prefsrc}" if prefsrc is not None else ""
    return f"{prefix}{via} dev {dev}{src}"


def describe(p: Prediction, host: Host, resource: str, target: str) -> list[str]:
    lines = [
        f"What if: crm_resource --move --resource {resource} --node {target} "
        f"(on {p.node}; nothing was changed)"
    ]
    if p.change == "none":
        lines.append(
            f"{p.node}: the move neither takes an address from this node nor brings one; no route changes."
        )
        return lines
    verb = "leave" if p.change == "leave" else "arrive on"
    lines.append(f"Addresses that {verb} {p.node}:")
    lines += [f"  {a.ip}/{a.length or 32} on {a.nic or '?'} ({a.resource})" for a in p.addresses]
    lines.append("The kernel would delete:")
    lines += [f"  - {_route_text(host, r.prefix, r.nexthop, r.ifindex, r.prefsrc)}" for r in p.flushed] or [
        "  nothing"
    ]
    lines.append("routekeeper keep would install:")
    lines += [
        f"  + {_route_text(host, o.prefix, o.nexthop, o.ifindex)}: {why.removeprefix('keeper: ')}"
        for o, why in zip(p.restored, p.reasons, strict=True)
    ] or ["  nothing"]
    restored = {(o.prefix, o.nexthop) for o in p.restored}
    waiting = [r for r in p.flushed if r.persistent and (r.prefix, r.nexthop) not in restored]
    lost = [r for r in p.flushed if not r.persistent and (r.prefix, r.nexthop) not in restored]
    if waiting:
        lines.append("Persistent, back when the next hop is reachable again:")
        lines += [f"  ~ {_route_text(host, r.prefix, r.nexthop, r.ifindex)}" for r in waiting]
    if lost:
        lines.append("Lost (not persistent; `routekeeper --backend linux route -p add` would keep them):")
        lines += [f"  ! {_route_text(host, r.prefix, r.nexthop, r.ifindex, r.prefsrc)}" for r in lost]
    return lines


def as_json(p: Prediction, host: Host) -> dict[str, object]:
    def name(ifindex: int | None) -> str | None:
        return host.interfaces[ifindex].name if ifindex in host.interfaces else None

    return {
        "node": p.node,
        "change": p.change,
        "addresses": [
            {"resource": a.resource, "ip": str(a.ip), "length": a.length, "nic": a.nic} for a in p.addresses
        ],
        "flushed": [
            {
                "prefix": str(r.prefix),
                "nexthop": str(r.nexthop),
                "dev": name(r.ifindex),
                "persistent": r.persistent,
            }
            for r in p.flushed
        ],
        "restored": [
            {"prefix": str(o.prefix), "nexthop": str(o.nexthop), "dev": name(o.ifindex)} for o in p.restored
        ],
    }
