"""What issue 14 (real Windows captures) and the netsh/route items of issues 12 and 13 added to the
Windows tools, at the unit level; tests/scenarios/captures holds the real captures themselves."""

from __future__ import annotations

import re

import pytest

from routekeeper.core import operations as op
from routekeeper.core.values import IP, Prefix
from routekeeper.frontends import native

from .conftest import Shell, snapshot


@pytest.fixture
def sh(new_shell) -> Shell:
    return new_shell()


@pytest.fixture
def sh2(new_shell) -> Shell:
    return new_shell(nics=2)


# ------------------------------------------------------------------ interface specs
def test_a_tunnel_adapter_is_made_as_windows_7_shows_one() -> None:
    iface = native.parse_interface_spec('index=13 name="isatap.{X}" type=isatap')
    assert (iface.kind, iface.tunnel, iface.mac, iface.connected, iface.mtu) == (
        "isatap", True, "00-00-00-00-00-00-00-E0", False, 1280,
    )  # fmt: skip
    assert iface.description == "Microsoft ISATAP Adapter"
    assert iface.effective_metric == 50
    assert iface.link_local() is None
    assert native.parse_interface_spec("index=14 name=T type=teredo").description == (
        "Teredo Tunneling Pseudo-Interface"
    )
    assert native.parse_interface_spec("index=15 name=S type=6TO4").kind == "6to4"


def test_wireless_and_other_adapters_are_adapters_with_their_own_ipconfig_title(new_shell) -> None:
    sh = new_shell(nics=0)
    sh.host.apply(
        op.AddInterface(
            native.parse_interface_spec("index=11 name=Wi-Fi type=wireless mac=00-15-5D-01-02-03")
        )
    )
    sh.host.apply(op.AddInterface(native.parse_interface_spec("index=12 name=VPN type=other")))
    assert not sh.host.interfaces[11].tunnel and sh.host.interfaces[12].connected
    text = sh.ok("ipconfig")
    assert "\nWireless LAN adapter Wi-Fi:\n" in text and "\nUnknown adapter VPN:\n" in text


def test_an_ethernet_adapter_stays_as_before() -> None:
    iface = native.parse_interface_spec("index=11 name=LAN mac=00-15-5d-01-02-03")
    assert (iface.kind, iface.tunnel, iface.connected, iface.mtu) == ("ethernet", False, True, 1500)
    assert iface.link_local() == IP.parse("fe80::215:5dff:fe01:203")


def test_a_given_link_local_address_replaces_the_eui64_one() -> None:
    iface = native.parse_interface_spec(
        "index=11 name=LAN mac=00-15-5D-01-02-03 linklocal=fe80::c447:d1ef:c29f:c48c"
    )
    assert iface.link_local() == IP.parse("fe80::c447:d1ef:c29f:c48c")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("index=13 name=T type=gre", "unknown interface type 'gre'"),
        ("index=13 name=T type=isatap mac=00-15-5D-01-02-03", "not a MAC address"),
        ("index=11 name=L mac=00-00-00-00-00-00-00-E0", "not a MAC address"),
        ("index=11 name=L linklocal=2001:db8::1", "not a link-local (fe80::/10) IPv6 address"),
        ("index=11 name=L linklocal=169.254.0.1", "not a link-local (fe80::/10) IPv6 address"),
        ("index=11 name=L linklocal=bogus", "not an IPv6 address: 'bogus'"),
    ],
)
def test_bad_interface_specs_are_refused(spec: str, message: str) -> None:
    with pytest.raises(native.SpecError, match=re.escape(message)):
        native.parse_interface_spec(spec)


# ------------------------------------------------------------------ zones (issue 12, finding 5)
@pytest.mark.parametrize(
    "line",
    [
        "route add 2001:db8:a::/48 fe80::1%99",
        "route add 2001:db8:a::/48 fe80::1%12 if 11",
        "route add 2001:db8:a::/48 fe80::1%eth0",
        "route add 2001:db8:a::/48 fe80::1%",
        "route add 2001:db8:a::/48 fe80::1%\u0661\u0662",
        "route change 2001:db8:a::/48 fe80::2%99",
    ],
)
def test_route_refuses_a_zone_naming_no_interface_or_another_one(sh2, line: str) -> None:
    sh2.ok("route add 2001:db8:a::/48 fe80::1%11")
    before = snapshot(sh2.host)
    out = sh2.result(line)
    assert out.exit == 1 and "The parameter is incorrect." in out.stderr
    assert snapshot(sh2.host) == before


def test_route_places_a_zoned_gateway_on_its_zone(sh2) -> None:
    sh2.ok("route add 2001:db8:a::/48 fe80::1%12")
    sh2.ok("route add 2001:db8:b::/48 fe80::1%11 IF 11")
    routes = {str(r.prefix): r.ifindex for r in sh2.host.table if r.manual}
    assert routes == {"2001:db8:a::/48": 12, "2001:db8:b::/48": 11}
    # A zone picks the route to delete too: none of 2001:db8:a::/48's routes is on interface 11.
    assert sh2.result("route delete 2001:db8:a::/48 fe80::1%11").exit == 1
    sh2.ok("route delete 2001:db8:a::/48 fe80::1%12")
    assert not sh2.host.table.with_prefix(Prefix.parse("2001:db8:a::/48"))


# ------------------------------------------------------------------ netsh help never acts
@pytest.mark.parametrize(
    "line",
    [
        "netsh /?",
        "netsh help",
        "netsh ?",
        "netsh interface ipv4 add address /?",
        "netsh interface ipv4 add address 11 192.168.9.9 255.255.255.0 /?",
        "netsh int ip add addr 11 192.168.9.9 255.255.255.0 help",
        "netsh interface ipv4 delete route 0.0.0.0/0 11 ?",
    ],
)
def test_netsh_help_prints_help_and_changes_nothing(sh, line: str) -> None:
    before = snapshot(sh.host)
    out = sh.result(line)
    assert out.exit == 0 and out.stderr == ""
    assert out.stdout.startswith("\n") and out.stdout.endswith("\n\n")
    assert ("Usage:" in out.stdout) or ("Commands in this context:" in out.stdout)
    assert snapshot(sh.host) == before


def test_netsh_help_of_a_command_lists_its_tags_in_order(sh) -> None:
    text = sh.ok("netsh interface ipv6 add route /?")
    assert text.splitlines()[1].startswith("Usage: add route [prefix=]")
    tags = [line.split()[0] for line in text.splitlines() if line.startswith("       ") and " - " in line]
    assert tags == ["prefix", "interface", "nexthop", "siteprefixlength", "metric", "publish",
                    "validlifetime", "preferredlifetime", "store"]  # fmt: skip


# ------------------------------------------------------------------ lookup (issue 14, difference 10)
def test_lookup_never_lists_the_chosen_route_as_its_own_rival(sh) -> None:
    sh.ok("netsh interface ipv4 add address 11 192.168.0.20 255.255.255.0")
    sh.ok("route add 0.0.0.0 mask 0.0.0.0 192.168.0.1 metric 1")
    sh.host.apply(op.SetInterface(11, enabled=False))
    sh.host.apply(op.SetInterface(11, enabled=True))
    lines = native.explain_lookup(sh.host, IP.parse("8.8.8.8"))
    assert lines[0] == "8.8.8.8: via route 0.0.0.0/0 (manual)"
    assert not any(line.startswith("  not 0.0.0.0/0 via 192.168.0.1 on interface 11") for line in lines)
