"""The PersistentRoutes registry form: export, parse, and clear errors for malformed files."""

from __future__ import annotations

import pytest

from routekeeper.core.values import IP, PersistentRoute, Prefix
from routekeeper.frontends import reg


@pytest.fixture
def sh(new_shell):
    shell = new_shell("hotfix")
    shell.ok("netsh int ipv4 add address 11 10.0.0.5/24 gateway=10.0.0.1")
    shell.ok("route -p add 0.0.0.0 mask 0.0.0.0 10.0.0.254")
    shell.ok("route -p add 10.9.0.0 mask 255.255.0.0 10.0.0.9 metric 3 if 11")
    shell.ok("route add 10.7.0.0 mask 255.255.0.0 10.0.0.9")  # not persistent: not exported
    shell.ok("netsh int ipv6 add route ::/0 11 fe80::1")
    shell.ok("netsh int ipv4 add route 10.8.0.0/16 11")
    return shell


def test_export_layout(sh) -> None:
    text = reg.export(sh.host, newline="\n")
    assert text.splitlines() == [
        "Windows Registry Editor Version 5.00",
        "",
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\PersistentRoutes]",
        '"0.0.0.0,0.0.0.0,10.0.0.254,1"=""',
        "; not exported, a default gateway (an interface setting): 0.0.0.0/0 via 10.0.0.1 on interface 11",
        "; not exported, an on-link route needs its interface: 10.8.0.0/16 on-link on interface 11",
        "; bound to interface 11; this form cannot record the binding",
        '"10.9.0.0,255.255.0.0,10.0.0.9,3"=""',
        "; not exported, IPv6 routes are not kept under this key: ::/0 via fe80::1 on interface 11",
        "",
    ]


def test_export_uses_crlf_by_default_and_round_trips_unbound(sh) -> None:
    text = reg.export(sh.host)
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    assert reg.parse(text) == [
        PersistentRoute(Prefix.parse("0.0.0.0/0"), IP.parse("10.0.0.254"), 1),
        PersistentRoute(Prefix.parse("10.9.0.0/16"), IP.parse("10.0.0.9"), 3),
    ]


def test_parse_regedit4_bom_other_keys_and_comments() -> None:
    text = (
        "\ufeffREGEDIT4\n\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters]\n"
        '"Hostname"="box"\n\n'
        "[hkey_local_machine\\system\\currentcontrolset\\services\\tcpip\\parameters\\persistentroutes]\n"
        "; a comment\n"
        '"192.168.5.0,255.255.255.0,10.0.0.1,20"=""\n'
        '"10.0.0.0, 255.0.0.0, 10.0.0.2, 1" = "anything"\n'
    )
    assert [(str(p.prefix), str(p.nexthop), p.metric, p.ifindex) for p in reg.parse(text)] == [
        ("192.168.5.0/24", "10.0.0.1", 20, None),
        ("10.0.0.0/8", "10.0.0.2", 1, None),
    ]


def test_operations_add_unbound_persistent_routes() -> None:
    [add] = reg.operations([PersistentRoute(Prefix.parse("10.0.0.0/8"), IP.parse("10.0.0.2"), 4)])
    assert (add.ifindex, add.metric, add.persistent) == (None, 4, True)


KEY = "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\PersistentRoutes]"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("", 1, "empty file"),
        ("Windows Registry Editor Version 4.00\n", 1, "expected the header"),
        ('Windows Registry Editor Version 5.00\n"a"=""\n', 2, "before any [key]"),
        (f"REGEDIT4\n{KEY}\n" + '"10.0.0.0,255.0.0.0,10.0.0.1"=""\n', 3, "is not dest,mask,gateway,metric"),
        (f"REGEDIT4\n{KEY}\n" + '"10.0.0.0,255.0.0.0,10.0.0.1,1"=-\n', 3, "deletions are not supported"),
        (f"REGEDIT4\n{KEY}\n" + '"10.0.0.0,255.0.0.0,10.0.0.1,1"=dword:00000001\n', 3, "REG_SZ"),
        (f"REGEDIT4\n{KEY}\n" + '"10.0.0.0,255.0.255.0,10.0.0.1,1"=""\n', 3, "not a contiguous netmask"),
        (f"REGEDIT4\n{KEY}\n" + '"10.0.0.1,255.0.0.0,10.0.0.1,1"=""\n', 3, "does not fit"),
        (f"REGEDIT4\n{KEY}\n" + '"10.0.0.0,255.0.0.0,10.0.0.x,1"=""\n', 3, "gateway '10.0.0.x'"),
        (f"REGEDIT4\n{KEY}\n" + '"2001:db8::,255.0.0.0,10.0.0.1,1"=""\n', 3, "destination"),
        (f"REGEDIT4\n{KEY}\n" + '"10.0.0.0,255.0.0.0,0.0.0.0,1"=""\n', 3, "on-link"),
        (f"REGEDIT4\n{KEY}\n" + '"10.0.0.0,255.0.0.0,10.0.0.1,0"=""\n', 3, "metric '0'"),
        (f"REGEDIT4\n{KEY}\n" + '"10.0.0.0,255.0.0.0,10.0.0.1,x"=""\n', 3, "metric 'x'"),
        (f"REGEDIT4\n{KEY}\n" + "junk\n", 3, "expected a value line"),
        (f"REGEDIT4\n{KEY}\n" + '"10.0.0.0,255.0.0.0,10.0.0.1,1"=""\n' * 2, 4, "duplicate"),
        ("REGEDIT4\n[-" + KEY[1:] + "\n", 2, "key deletions"),
        ("REGEDIT4\n[HKEY_LOCAL_MACHINE\n", 2, "unterminated"),
    ],
)
def test_parse_errors(body: str, line: int, message: str) -> None:
    with pytest.raises(reg.RegFormatError) as info:
        reg.parse(body)
    assert isinstance(info.value, ValueError)
    assert info.value.line == line and message in str(info.value)
    assert str(info.value).startswith(f"line {line}: ")
