"""netsh interface ipv4|ipv6: abbreviations, tags, the address and route commands, the show views."""

from __future__ import annotations

import pytest

from routekeeper.core import operations as op
from routekeeper.core.values import IP, AddressStore, Origin, Prefix
from routekeeper.frontends import netsh

NAME = '"Local Area Connection 1"'
SYNTAX = netsh.SYNTAX + "\n\n"


@pytest.fixture
def sh(new_shell):
    return new_shell("hotfix", 2)


# ------------------------------------------------------------------ the abbreviation rule
@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [
        ("sh", netsh.VERBS[4], "show"),
        ("s", netsh.VERBS[4], None),  # set, show
        ("d", netsh.VERBS[4], None),  # delete, dump
        ("ad", netsh.NOUNS[(4, "show")], "addresses"),
        ("address", netsh.NOUNS[(4, "show")], "addresses"),
        ("co", netsh.NOUNS[(4, "show")], None),  # compartments, config
        ("con", netsh.NOUNS[(4, "show")], "config"),
        ("a", netsh.NOUNS[(4, "delete")], None),  # address, arpcache
        ("in", netsh.TOP, "interface"),
        ("i", netsh.TOP, None),  # interface, ipsec
        ("ipv", netsh.INTERFACE_CONTEXT, None),
        ("st", netsh.TAGS[(4, "add", "address")], "store"),
        ("s", netsh.TAGS[(4, "add", "address")], None),  # store, skipassource
        ("ac", ("active", "persistent"), "active"),
        ("", ("active",), None),
    ],
)
def test_resolve(word: str, choices: tuple[str, ...], expected: str | None) -> None:
    assert netsh.resolve(word, choices) == expected


def test_the_spec_abbreviations_work(sh) -> None:
    sh.ok(f"netsh interface ipv4 add address {NAME} 192.168.0.20 255.255.255.0 st=ac")
    assert sh.host.addresses_of(11, 4)[0].store is AddressStore.ACTIVE
    text = sh.ok("netsh int ip sh ad")
    assert 'Configuration for interface "Local Area Connection 1"' in text
    assert sh.ok("netsh INT IP SH AD") == text


def test_command_words_take_the_first_command_they_begin(sh) -> None:
    """netsh resolves a command word to the first command, in its table order, that the word begins
    (issue 14: `netsh i i sh con "Ethernet"` works on Windows)."""
    assert sh.ok("netsh i ipv4 show addresses") == sh.ok("netsh interface ipv4 show addresses")
    assert sh.ok("netsh int ipv show int") == sh.ok("netsh interface ipv4 show interfaces")
    assert sh.ok("netsh i i sh con 11") == sh.ok("netsh interface ipv4 show config 11")
    assert sh.ok("netsh i i show in") == sh.ok("netsh interface ipv4 show interfaces")
    sh.ok("netsh i i se a 11 s 10.1.1.20 255.255.255.0")
    assert [str(a) for a in sh.host.addresses_of(11, 4)] == ["10.1.1.20/24"]
    # `s` is `set` (set comes before show): `set interface` without a setting is a syntax error.
    assert sh("netsh int ipv4 s int 11").startswith("The syntax supplied for this command is not valid.")


def test_unknown_words_are_not_found(sh) -> None:
    assert sh("netsh int ipv4 show").startswith("The following command was not found")
    assert sh("netsh int ipv4 show bogus").startswith("The following command was not found")


def test_existing_but_unmodelled_commands_say_so(sh) -> None:
    for line in ("netsh wlan show profiles", "netsh int teredo show state", "netsh int ipv4 show tcpstats",
                 "netsh int ipv4 reset"):  # fmt: skip
        out = sh.result(line)
        assert (out.stderr, out.exit) == (netsh.NOT_SUPPORTED + "\n\n", 1), line
    assert sh("netsh") == SYNTAX
    # the ipv6 context has no `show config` on Windows: an unknown word, not an unmodelled command
    assert sh("netsh int ipv6 show config").startswith("The following command was not found")


# ------------------------------------------------------------------ tags
def test_positional_and_tagged_arguments_mix() -> None:
    tags = netsh.TAGS[(4, "add", "address")]
    values = netsh.parse_tags(["gateway=10.0.0.1", "LAN", "10.0.0.5", "255.0.0.0", "5"], tags)
    assert values == {
        "gateway": "10.0.0.1",
        "name": "LAN",
        "address": "10.0.0.5",
        "mask": "255.0.0.0",
        "gwmetric": "5",
    }
    assert netsh.parse_tags(["interface=LAN"], tags) == {"name": "LAN"}  # the ipv6 spelling, exact


@pytest.mark.parametrize(
    "words",
    [
        ["nm=LAN"],
        ["name=LAN", "n=LAN"],
        ["s=active"],
        ["name="],
        ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"],
    ],
)
def test_bad_tags_are_syntax_errors(words: list[str]) -> None:
    with pytest.raises(netsh.NetshError) as info:
        netsh.parse_tags(words, netsh.TAGS[(4, "add", "address")])
    assert info.value.text == netsh.SYNTAX


# ------------------------------------------------------------------ addresses
def test_add_address_with_gateway_creates_a_bound_persistent_default_route(sh) -> None:
    assert sh(f"netsh interface ipv4 add address {NAME} 10.0.0.5 255.255.255.0 gateway=10.0.0.1") == ""
    [r] = sh.host.table.with_prefix(Prefix.parse("0.0.0.0/0"))
    assert (r.ifindex, str(r.nexthop), r.metric, r.origin, r.bound, r.persistent) == (
        11,
        "10.0.0.1",
        256,
        Origin.GATEWAY,
        True,
        True,
    )
    assert [p.ifindex for p in sh.host.persistent.values()] == [11]


def test_gwmetric_and_store_active_gateway(sh) -> None:
    sh.ok(f"netsh int ipv4 add address {NAME} 10.0.0.5/24 gateway=10.0.0.1 gwmetric=5 store=active")
    [r] = sh.host.table.with_prefix(Prefix.parse("0.0.0.0/0"))
    assert r.metric == 5 and not r.persistent and sh.host.persistent == {}


def test_add_address_turns_dhcp_off(sh) -> None:
    sh.host.apply(op.SetInterface(11, dhcp=True))
    sh.ok(f"netsh int ipv4 add address {NAME} 10.0.0.5/24")
    assert not sh.host.interfaces[11].dhcp


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("netsh int ipv4 add address 99 10.0.0.5 255.0.0.0", netsh.NO_INTERFACE),
        ('netsh int ipv4 add address "No Such" 10.0.0.5 255.0.0.0', netsh.NO_INTERFACE),
        ("netsh int ipv4 add address 11 10.0.0.5", netsh.SYNTAX),
        ("netsh int ipv4 add address 11 10.0.0.5/24 255.255.255.0", netsh.SYNTAX),
        ("netsh int ipv4 add address 11 10.0.0.5 255.0.255.0", netsh.INVALID),
        ("netsh int ipv4 add address 11 10.0.0.300 255.0.0.0", netsh.INVALID),
        ("netsh int ipv4 add address 11 2001:db8::5/64", netsh.INVALID),
        ("netsh int ipv4 add address 11 10.0.0.5/24 gateway=10.9.9.9", netsh.INVALID),
        ("netsh int ipv4 add address 11 10.0.0.5/24 gwmetric=3", netsh.SYNTAX),
        ("netsh int ipv4 add address 11 10.0.0.5/24 store=forever", netsh.SYNTAX),
        ("netsh int ipv4 add address 11 10.0.0.5/24 type=anycast", netsh.NOT_SUPPORTED),
        ("netsh int ipv4 add address 11 10.0.0.5/24 validlifetime=soon", netsh.SYNTAX),
        ("netsh int ipv4 add address 11 192.168.0.20/24", netsh.EXISTS),
        ("netsh int ipv4 delete address 11 10.9.9.9", netsh.NOT_FOUND),
        ("netsh int ipv4 delete address 11", netsh.SYNTAX),
        ("netsh int ipv4 delete address 11 gateway=all", netsh.NOT_FOUND),
    ],
)
def test_address_errors(sh, state_of, line: str, text: str) -> None:
    sh.ok("netsh int ipv4 add address 11 192.168.0.20/24")
    before = state_of(sh.host)
    out = sh.result(line)
    assert (out.stdout, out.stderr, out.exit) == ("", text + "\n\n", 1)
    assert state_of(sh.host) == before


def test_failed_gateway_leaves_no_address(sh, state_of) -> None:
    before = state_of(sh.host)
    assert sh(f"netsh int ipv4 add address {NAME} 10.0.0.5/24 gateway=10.0.0.1 gwmetric=99999") != ""
    assert state_of(sh.host) == before
    sh.ok("netsh int ipv4 add address 11 10.0.0.5/24 gateway=10.0.0.1")
    before = state_of(sh.host)
    # the address is new, the gateway route is not: the whole command is refused
    assert sh("netsh int ipv4 add address 11 10.0.0.6/24 gateway=10.0.0.1") == netsh.EXISTS + "\n\n"
    assert state_of(sh.host) == before


def test_delete_address_with_gateways(sh) -> None:
    sh.ok("netsh int ipv4 add address 11 10.0.0.5/24 gateway=10.0.0.1")
    sh.ok("netsh int ipv4 add address 11 10.0.0.6/24 gateway=10.0.0.2")
    sh.ok("netsh int ipv4 delete address 11 gateway=10.0.0.2")
    assert [str(r.nexthop) for r in sh.host.manual_routes()] == ["10.0.0.1"]
    sh.ok("netsh int ipv4 delete address 11 10.0.0.6 gateway=all")
    assert sh.host.manual_routes() == [] and sh.host.persistent == {}
    assert [str(a.ip) for a in sh.host.addresses_of(11, 4)] == ["10.0.0.5"]


def test_set_address_static_replaces_addresses_and_gateways(sh) -> None:
    sh.ok("netsh int ipv4 add address 11 10.0.0.5/24 gateway=10.0.0.1")
    sh.ok("netsh int ipv4 add address 11 10.0.1.5/24")
    sh.ok("route -p add 172.16.0.0 mask 255.240.0.0 10.0.0.1")
    sh.ok(f"netsh int ipv4 set address {NAME} static 192.168.5.5 255.255.255.0 192.168.5.1 3")
    assert [str(a) for a in sh.host.addresses_of(11, 4)] == ["192.168.5.5/24"]
    gateways = [(str(r.nexthop), r.metric) for r in sh.host.table.with_prefix(Prefix.parse("0.0.0.0/0"))]
    assert gateways == [("192.168.5.1", 3)]
    # a route.exe route is not a gateway: it stays persistent, waiting for its next hop
    assert {str(p.prefix) for p in sh.host.persistent.values()} == {"0.0.0.0/0", "172.16.0.0/12"}


def test_set_address_gateway_only_and_none(sh) -> None:
    sh.ok("netsh int ipv4 add address 11 10.0.0.5/24 gateway=10.0.0.1")
    sh.ok("netsh int ipv4 set address name=11 gateway=10.0.0.2 gwmetric=7")
    assert [(str(r.nexthop), r.metric) for r in sh.host.manual_routes()] == [("10.0.0.2", 7)]
    sh.ok("netsh int ipv4 set address 11 gateway=none")
    assert sh.host.manual_routes() == [] and sh.host.persistent == {}
    assert sh("netsh int ipv4 set address 11") == SYNTAX
    assert sh("netsh int ipv4 set address 11 static") == SYNTAX


def test_set_address_dhcp(sh) -> None:
    sh.ok("netsh int ipv4 add address 11 10.0.0.5/24 gateway=10.0.0.1")
    sh.ok("netsh int ipv4 set address 11 source=dhcp")
    iface = sh.host.interfaces[11]
    assert iface.dhcp and sh.host.addresses_of(11, 4) == [] and sh.host.persistent == {}
    assert sh("netsh int ipv4 set address 11 dhcp 10.0.0.5 255.0.0.0") == SYNTAX


def test_ipv6_addresses(sh) -> None:
    sh.ok("netsh int ipv6 add address 11 2001:db8::5")
    sh.ok('netsh int ipv6 add address interface="Local Area Connection 1" address=2001:db8:1::5/48 sk=true')
    v6 = {str(a): a.skipassource for a in sh.host.addresses_of(11, 6)}
    assert v6 == {"fe80::215:5dff:fe01:203/64": False, "2001:db8::5/64": False, "2001:db8:1::5/48": True}
    sh.ok("netsh int ipv6 set address 11 address=2001:db8:2::5/64")
    assert [str(a) for a in sh.host.addresses_of(11, 6)] == ["fe80::215:5dff:fe01:203/64", "2001:db8:2::5/64"]
    sh.ok("netsh int ipv6 delete address 11 2001:db8:2::5")
    assert sh("netsh int ipv6 add address 11 2001:db8::5 255.255.0.0") == SYNTAX


# ------------------------------------------------------------------ routes
def test_route_commands_print_ok(sh) -> None:
    sh.ok("netsh int ipv4 add address 11 10.0.0.5/24")
    assert sh("netsh int ipv4 add route 172.16.0.0/12 11 10.0.0.1") == "Ok.\n"
    [r] = sh.host.manual_routes()
    assert (r.metric, r.bound, r.persistent, r.ifindex) == (256, True, True, 11)
    assert sh("netsh int ipv4 set route 172.16.0.0/12 11 10.0.0.1 metric=9") == "Ok.\n"
    assert sh.host.manual_routes()[0].metric == 9
    assert sh("netsh int ipv4 delete route 172.16.0.0/12 11") == "Ok.\n"
    assert sh.host.manual_routes() == [] and sh.host.persistent == {}


def test_route_store_active_and_on_link(sh) -> None:
    sh.ok("netsh int ipv4 add address 11 10.0.0.5/24")
    sh.ok("netsh int ipv4 add route prefix=10.9.0.0/16 interface=11 store=active")
    [r] = sh.host.manual_routes()
    assert r.on_link and not r.persistent and sh.host.persistent == {}


def test_route_delete_store_persistent_keeps_the_active_copy(sh) -> None:
    sh.ok("netsh int ipv4 add address 11 10.0.0.5/24")
    sh.ok("netsh int ipv4 add route 172.16.0.0/12 11 10.0.0.1")
    sh.ok("netsh int ipv4 delete route 172.16.0.0/12 11 store=persistent")
    assert sh.host.persistent == {} and len(sh.host.manual_routes()) == 1


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("netsh int ipv4 add route 172.16.0.0/12 11 10.0.0.1", netsh.EXISTS),
        ("netsh int ipv4 add route 172.16.0.1/12 11 10.0.0.1", netsh.INVALID),
        ("netsh int ipv4 add route 172.16.0.0/33 11", netsh.INVALID),
        ("netsh int ipv4 add route 172.17.0.0/16 11 10.9.9.9", netsh.INVALID),
        ("netsh int ipv4 add route 172.17.0.0/16 77 10.0.0.1", netsh.NO_INTERFACE),
        ("netsh int ipv4 add route 172.17.0.0/16", netsh.SYNTAX),
        ("netsh int ipv4 add route 172.17.0.0/16 11 publish=yes", netsh.NOT_SUPPORTED),
        ("netsh int ipv4 add route 172.17.0.0/16 11 metric=-1", netsh.INVALID),
        ("netsh int ipv4 delete route 172.17.0.0/16 11", netsh.NOT_FOUND),
        ("netsh int ipv4 set route 172.17.0.0/16 11 metric=3", netsh.NOT_FOUND),
        ("netsh int ipv4 set route 172.16.0.0/12 11", netsh.SYNTAX),
        ("netsh int ipv6 add route 172.17.0.0/16 11", netsh.INVALID),
    ],
)
def test_route_errors(sh, state_of, line: str, text: str) -> None:
    sh.ok("netsh int ipv4 add address 11 10.0.0.5/24")
    sh.ok("netsh int ipv4 add route 172.16.0.0/12 11 10.0.0.1")
    before = state_of(sh.host)
    out = sh.result(line)
    assert (out.stdout, out.stderr, out.exit) == ("", text + "\n\n", 1)
    assert state_of(sh.host) == before


# ------------------------------------------------------------------ show
def test_show_interfaces_layout(sh) -> None:
    sh.host.apply(op.SetInterface(12, connected=False))
    assert sh.ok("netsh interface ipv4 show interfaces").splitlines() == [
        "",
        "Idx     Met         MTU          State                Name",
        "---  ----------  ----------  ------------  ---------------------------",
        "  1          50  4294967295  connected     Loopback Pseudo-Interface 1",
        " 11          10        1500  connected     Local Area Connection 1",
        " 12          20        1500  disconnected  Local Area Connection 2",
        "",
    ]
    assert sh.ok("netsh int ipv6 sh in 12").splitlines()[3:] == [
        " 12          20        1500  disconnected  Local Area Connection 2",
        "",
    ]


def test_show_route_layout(sh) -> None:
    sh.ok("netsh int ipv4 add address 11 192.168.0.20/24")
    sh.ok("route -p add 0.0.0.0 mask 0.0.0.0 192.168.0.1")
    lines = sh.ok("netsh int ipv4 show route").splitlines()
    assert lines[:3] == ["", *netsh.ROUTE_HEADER]
    assert "No       Manual    1    0.0.0.0/0                  11  192.168.0.1" in lines
    assert "No       System    256  192.168.0.0/24             11  Local Area Connection 1" in lines
    stored = sh.ok("netsh int ipv4 show route store=persistent").splitlines()
    assert stored[3:] == ["No       Manual    1    0.0.0.0/0                   0  192.168.0.1", ""]


def test_show_addresses_and_config(sh) -> None:
    sh.ok("netsh int ipv4 add address 11 192.168.0.20/24 gateway=192.168.0.1")
    block = sh.ok('netsh int ipv4 show addresses "Local Area Connection 1"').splitlines()
    assert block == [
        "",
        'Configuration for interface "Local Area Connection 1"',
        "    DHCP enabled:                         No",
        "    IP Address:                           192.168.0.20",
        "    Subnet Prefix:                        192.168.0.0/24 (mask 255.255.255.0)",
        "    Default Gateway:                      192.168.0.1",
        "    Gateway Metric:                       256",
        "    InterfaceMetric:                      10",
        "",
    ]
    config = sh.ok("netsh int ip sh config 11").splitlines()
    assert config[: len(block) - 1] == block[:-1] and len(config) == len(block) + 3
    everyone = sh.ok("netsh int ip sh ad")
    assert everyone.index("Local Area Connection 2") < everyone.index("Loopback Pseudo-Interface 1")


def test_address_tables(sh) -> None:
    sh.ok("netsh int ipv6 add address 11 2001:db8::5")
    lines = sh.ok("netsh int ipv6 show addresses 11").splitlines()
    assert lines == [
        "",
        "Interface 11: Local Area Connection 1",
        "",
        *netsh.ADDRESS_TABLE_HEADER,
        "Other      Preferred     infinite   infinite fe80::215:5dff:fe01:203%11",
        "Manual     Preferred     infinite   infinite 2001:db8::5",
        "",
    ]
    sh.ok("netsh int ipv4 add address 11 192.168.0.20/24")
    ip4 = sh.ok("netsh int ipv4 show ipaddresses").splitlines()
    assert "Other      Preferred     infinite   infinite 127.0.0.1" in ip4
    assert "Manual     Preferred     infinite   infinite 192.168.0.20" in ip4


def test_show_level_verbose_is_not_modelled(sh) -> None:
    assert sh("netsh int ipv4 show route level=verbose") == netsh.NOT_SUPPORTED + "\n\n"


def test_skipassource_changes_the_interface_column(sh) -> None:
    sh.ok("netsh int ipv4 add address 11 10.0.0.5/24 skipassource=true")
    sh.ok("netsh int ipv4 add address 11 10.0.0.6/24")
    sh.ok("route add 20.0.0.0 mask 255.0.0.0 10.0.0.1")
    assert "         20.0.0.0        255.0.0.0         10.0.0.1         10.0.0.6     11" in sh.ok(
        "route print -4"
    )
    assert sh.host.addresses_of(11, 4)[0].skipassource


def test_interface_by_index_or_case_insensitive_name(sh) -> None:
    sh.ok('netsh int ipv4 add address "local area connection 2" 10.1.0.5/24')
    sh.ok("netsh int ipv4 add address 11 10.0.0.5/24")
    assert [str(a.ip) for a in sh.host.addresses_of(12, 4)] == ["10.1.0.5"]
    assert [a.ip for a in sh.host.addresses_of(11, 4)] == [IP.parse("10.0.0.5")]
