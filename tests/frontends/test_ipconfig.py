"""ipconfig and ipconfig /all (spec §5)."""

from __future__ import annotations

import pytest

from routekeeper.core import operations as op
from routekeeper.frontends import ipconfig


@pytest.fixture
def sh(new_shell):
    shell = new_shell("hotfix", 2)
    shell.ok("netsh int ipv4 add address 11 192.168.0.20 255.255.255.0")
    return shell


def test_labels_are_aligned() -> None:
    labels = [ipconfig.MEDIA, ipconfig.SUFFIX, ipconfig.DESCRIPTION, ipconfig.PHYSICAL, ipconfig.DHCP]
    labels += [ipconfig.IPV6, ipconfig.LINK_LOCAL, ipconfig.IPV4, ipconfig.SUBNET, ipconfig.GATEWAY]
    assert {len(label) for label in labels} == {38}
    assert all(label.startswith("   ") and label.endswith(" :") for label in labels)


def test_the_defect_report_block(sh) -> None:
    assert sh.ok("ipconfig").splitlines()[:11] == [
        "",
        "Windows IP Configuration",
        "",
        "",
        "Ethernet adapter Local Area Connection 1:",
        "",
        "   Connection-specific DNS Suffix  . :",
        "   Link-local IPv6 Address . . . . . : fe80::215:5dff:fe01:203%11",
        "   IPv4 Address. . . . . . . . . . . : 192.168.0.20",
        "   Subnet Mask . . . . . . . . . . . : 255.255.255.0",
        "   Default Gateway . . . . . . . . . :",
    ]


def test_addresses_gateways_and_block_separation(sh) -> None:
    sh.ok("netsh int ipv4 add address 11 10.0.0.5 255.0.0.0 gateway=10.0.0.1")
    sh.ok("route add 0.0.0.0 mask 0.0.0.0 192.168.0.1 metric 5")
    sh.ok("netsh int ipv6 add address 11 2001:db8::5")
    sh.ok("route add ::/0 fe80::1 IF 11")
    lines = sh.ok("ipconfig").splitlines()
    assert lines[6:17] == [
        "   Connection-specific DNS Suffix  . :",
        "   IPv6 Address. . . . . . . . . . . : 2001:db8::5",
        "   Link-local IPv6 Address . . . . . : fe80::215:5dff:fe01:203%11",
        "   IPv4 Address. . . . . . . . . . . : 192.168.0.20",
        "   Subnet Mask . . . . . . . . . . . : 255.255.255.0",
        "   IPv4 Address. . . . . . . . . . . : 10.0.0.5",
        "   Subnet Mask . . . . . . . . . . . : 255.0.0.0",
        "   Default Gateway . . . . . . . . . : fe80::1%11",
        "                                       192.168.0.1",
        "                                       10.0.0.1",
        "",
    ]
    assert lines[17] == "Ethernet adapter Local Area Connection 2:"


def test_disconnected_adapter_and_no_loopback(sh) -> None:
    sh.host.apply(op.SetInterface(12, connected=False))
    text = sh.ok("ipconfig")
    assert text.endswith(
        "Ethernet adapter Local Area Connection 2:\n\n"
        "   Media State . . . . . . . . . . . : Media disconnected\n"
        "   Connection-specific DNS Suffix  . :\n"
    )
    assert "Loopback" not in text and "127.0.0.1" not in text


def test_disabled_adapter_is_not_listed(sh) -> None:
    sh.host.apply(op.SetInterface(12, enabled=False))
    assert "Local Area Connection 2" not in sh.ok("ipconfig")


def test_all(sh) -> None:
    sh.host.apply(op.SetInterface(12, dhcp=True))
    lines = sh.ok("ipconfig /ALL").splitlines()
    # One empty line after the title, then the host block (Windows 7 / Server 2008 captures).
    assert lines[:8] == [
        "",
        "Windows IP Configuration",
        "",
        f"   Host Name . . . . . . . . . . . . : {sh.host.name}",
        "   Primary Dns Suffix  . . . . . . . :",
        "   Node Type . . . . . . . . . . . . : Hybrid",
        "   IP Routing Enabled. . . . . . . . : No",
        "   WINS Proxy Enabled. . . . . . . . : No",
    ]
    assert lines[11:22] == [
        "   Connection-specific DNS Suffix  . :",
        "   Description . . . . . . . . . . . : Intel(R) PRO/1000 MT Network Connection",
        "   Physical Address. . . . . . . . . : 00-15-5D-01-02-03",
        "   DHCP Enabled. . . . . . . . . . . : No",
        "   Autoconfiguration Enabled . . . . : Yes",
        "   Link-local IPv6 Address . . . . . : fe80::215:5dff:fe01:203%11(Preferred)",
        "   IPv4 Address. . . . . . . . . . . : 192.168.0.20(Preferred)",
        "   Subnet Mask . . . . . . . . . . . : 255.255.255.0",
        "   Default Gateway . . . . . . . . . :",
        "   NetBIOS over Tcpip. . . . . . . . : Enabled",
        "",
    ]
    assert "   DHCP Enabled. . . . . . . . . . . : Yes" in lines
    assert sh.ok("ipconfig -all") == sh.ok("ipconfig /all")


@pytest.mark.parametrize("args", [["/release"], ["/all", "/all"], ["all"], ["/renew", "LAN"], [""]])
def test_other_options_are_errors(sh, args: list[str]) -> None:
    out = ipconfig.run(sh.host, args)
    assert (out.stdout, out.stderr, out.exit) == ("", ipconfig.ERROR + ipconfig.USAGE, 1)
    assert out.stderr.startswith("\nError: unrecognized or incomplete command line.\n\nUSAGE:\n")


def test_help(sh) -> None:
    assert ipconfig.run(sh.host, ["/?"]).stdout == ipconfig.USAGE
