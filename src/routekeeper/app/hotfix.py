"""Between the hotfix checker and simulated hosts: a twin of a real host gets the profile its file
versions call for, and `host apply-hotfix` checks the report's prerequisites before it installs.
`routekeeper hotfix ...` is the checker's own command line."""

from __future__ import annotations

from routekeeper.app.errors import CommandFailed
from routekeeper.app.files import read_bounded
from routekeeper.app.session import Session
from routekeeper.hotfix import (
    HotfixInputError,
    Product,
    Status,
    check,
    decode_inventory,
    identify_os,
    normalize_arch,
    parse_inventories,
    parse_sp,
)
from routekeeper.hotfix import cli as checker_cli
from routekeeper.hotfix.inventory import INVENTORY_LIMIT
from routekeeper.hotfix.verdict import Verdict
from routekeeper.store.hosts import HostRecord

PROFILE_FOR = {
    Status.FIXED: "hotfix",
    Status.AFFECTED: "prehotfix",
    Status.PREREQUISITE: "prehotfix",  # no service pack for the hotfix yet: the defect is there
}


def _verdict_from_files(paths: list[str]) -> Verdict:
    texts = []
    for path in paths:
        texts.append((path, decode_inventory(read_bounded(path, INVENTORY_LIMIT, "an inventory"))))
    try:
        return check(parse_inventories(texts))
    except HotfixInputError as exc:
        raise CommandFailed(str(exc)) from None


def facts_for_init(
    os_name: str | None,
    sp: str | None,
    arch: str | None,
    inventories: list[str] | None,
    profile: str | None,
) -> tuple[HostRecord, str, str]:
    """The stored facts, the profile and a note for `host init`."""
    if inventories:
        if os_name or sp or arch:
            raise CommandFailed("give either --from-inventory or --os/--sp/--arch, not both")
        verdict = _verdict_from_files(inventories)
        chosen = PROFILE_FOR.get(verdict.status)
        if chosen is None:
            raise CommandFailed(
                f"{verdict.host}: {verdict.reason} (no Windows profile applies; use --profile)"
            )
        if profile is not None and profile != chosen:
            raise CommandFailed(
                f"the inventory says {verdict.status.value}, which is profile {chosen}, not {profile}"
            )
        facts = HostRecord(verdict.product, verdict.sp, verdict.arch)
        return facts, chosen, f"{verdict.host}: {verdict.status.value} -> profile {chosen}"
    try:
        product = identify_os(os_name).value if os_name else None
        level = parse_sp(sp) if sp is not None else None
        cpu = normalize_arch(arch).value if arch else None
    except HotfixInputError as exc:
        raise CommandFailed(str(exc)) from None
    return HostRecord(product, level, cpu), profile or "hotfix", ""


def apply_hotfix(current_profile: str, facts: HostRecord) -> str:
    """Check the prerequisites for installing the hotfix on a simulated host; the message on success."""
    if current_profile == "hotfix" or facts.pending_profile == "hotfix":
        raise CommandFailed("this host already carries the fix (or it is installed and waits for a restart)")
    if current_profile != "prehotfix":
        raise CommandFailed(f"the hotfix is for Windows hosts; this one has profile {current_profile}")
    if facts.product is None or facts.sp is None:
        raise CommandFailed(
            "the host's product and service pack are unknown: create it with "
            "'host init --os ... --sp ... [--arch ...]' or '--from-inventory FILE'"
        )
    product = identify_os(facts.product)
    if not isinstance(product, Product):
        raise CommandFailed(f"{facts.product} is not a product the hotfix applies to")
    try:
        level = product.effective_sp(facts.sp)
    except HotfixInputError as exc:
        raise CommandFailed(str(exc)) from None
    if level not in product.prerequisite_sps:
        wanted = " or ".join(f"SP{n}" if n else "RTM" for n in product.prerequisite_sps)
        raise CommandFailed(f"install the service pack first: the hotfix for {product.value} needs {wanted}")
    if facts.arch is not None and normalize_arch(facts.arch) not in product.arches:
        raise CommandFailed(f"{product.value} has no {facts.arch} edition")
    return "hotfix installed; restart the computer to complete the installation ('host reboot')"


def cmd_hotfix(session: Session, args: list[str]) -> int:
    """`routekeeper hotfix check|files ...`: does a Windows host carry the fix?"""
    return checker_cli.main(args)
