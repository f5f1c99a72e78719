"""netsh interface ipv4|ipv6 set interface: metric=, mtu=, store=, the real-but-unmodelled tags, and
what the settings change in route print and show interfaces."""

from __future__ import annotations

import pytest

from routekeeper.core import operations as op
from routekeeper.core.values import IP
from routekeeper.frontends import netsh
from routekeeper.frontends.base import tokenize

NAME = '"Local Area Connection 1"'
OK = "Ok.\n"


@pytest.fixture
def sh(new_shell):
    return new_shell("hotfix", 2)


def run_raw(host, line: str):
    """Straight through the front end, with no rollback: a refusal must leave the host untouched by
    itself (values are checked before anything is applied)."""
    words = tokenize(line)
    assert words[0] == "netsh"
    return netsh.run(host, words[1:])


# ------------------------------------------------------------------ grammar
def test_set_interface_is_a_modelled_command_in_both_contexts() -> None:
    for family in (4, 6):
        assert netsh.TAGS[(family, "set", "interface")] == netsh.SET_INTERFACE_TAGS
        assert netsh.HANDLERS[("set", "interface")] is netsh.set_interface
        assert "interface" in netsh.NOUNS[(family, "set")]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("me", "metric"),
        ("mt", "mtu"),
        ("m", None),  # mtu, metric, managedaddress
        ("st", "store"),
        ("s", None),  # siteprefixlength, store
        ("advertise", "advertise"),  # exact wins over advertisedrouterlifetime, advertisedefaultroute
        ("adv", None),
        ("f", None),  # forwarding, forcearpndwolpattern
        ("fo", None),
        ("forw", "forwarding"),
        ("i", None),  # interface, ignoredefaultroutes
        ("in", "interface"),
    ],
)
def test_tag_abbreviations(word: str, expected: str | None) -> None:
    assert netsh.resolve(word, netsh.SET_INTERFACE_TAGS) == expected


def test_positional_values_follow_the_windows_order() -> None:
    values = netsh.parse_tags(["LAN", "enabled", "disabled", "1400"], netsh.SET_INTERFACE_TAGS)
    assert values == {"interface": "LAN", "forwarding": "enabled", "advertise": "disabled", "mtu": "1400"}
    # `name=` is accepted as an exact alias of `interface=`, as in the other commands
    assert netsh.parse_tags(["name=LAN", "metric=5"], netsh.SET_INTERFACE_TAGS) == {
        "interface": "LAN",
        "metric": "5",
    }


# ------------------------------------------------------------------ metric
def test_metric_shows_in_show_interfaces_and_route_print(sh) -> None:
    sh.ok(f"netsh interface ipv4 add address {NAME} 192.168.0.20 255.255.255.0")
    sh.ok("route add 10.0.0.0 mask 255.0.0.0 192.168.0.1 metric 3")
    assert sh.ok(f"netsh interface ipv4 set interface {NAME} metric=7") == OK
    assert sh.host.interfaces[11].metric == 7
    assert sh.host.profile.interface_metric(sh.host.interfaces[11]) == 7
    table = sh.ok("netsh interface ipv4 show interfaces 11").splitlines()
    assert table[-2:] == [" 11           7        1500  connected     Local Area Connection 1", ""]
    rows = sh.ok("route print -4 10.*").splitlines()
    assert "         10.0.0.0        255.0.0.0      192.168.0.1     192.168.0.20     10" in rows
    rows = sh.ok("route print -4 192.168.0.0").splitlines()
    assert "      192.168.0.0    255.255.255.0         On-link      192.168.0.20    263" in rows
    # netsh show route keeps the route metric alone; show config reports the interface metric
    assert "No       Manual    3    10.0.0.0/8                 11  192.168.0.1" in sh.ok(
        "netsh interface ipv4 show route"
    )
    assert "    InterfaceMetric:                      7" in sh.ok("netsh interface ipv4 show config 11")


def test_metric_decides_between_two_default_routes(sh) -> None:
    """Equal prefixes: the lower (route + interface) metric wins; the interface metric can swap them."""
    sh.ok("netsh interface ipv4 add address 11 192.168.0.20 255.255.255.0 gateway=192.168.0.1")
    sh.ok("netsh interface ipv4 add address 12 10.0.0.20 255.255.255.0 gateway=10.0.0.1")
    # automatic: 11 is 1 Gb/s (10), 12 is 100 Mb/s (20)
    assert sh.host.lookup(IP.parse("8.8.8.8")).ifindex == 11
    text = sh.ok("route print -4 0.*")
    assert "          0.0.0.0          0.0.0.0      192.168.0.1     192.168.0.20    266" in text
    assert "          0.0.0.0          0.0.0.0         10.0.0.1        10.0.0.20    276" in text
    sh.ok("netsh interface ipv4 set interface 11 metric=50")
    text = sh.ok("route print -4 0.*")
    assert "          0.0.0.0          0.0.0.0      192.168.0.1     192.168.0.20    306" in text
    assert "          0.0.0.0          0.0.0.0         10.0.0.1        10.0.0.20    276" in text
    assert sh.host.lookup(IP.parse("8.8.8.8")).ifindex == 12


def test_ipv6_context_sets_the_same_interface_metric(sh) -> None:
    assert sh.ok("netsh interface ipv6 set interface 11 metric=30") == OK
    assert " 11    286 fe80::/64                On-link" in sh.ok("route print -6").splitlines()
    assert sh.ok("netsh interface ipv4 show interfaces 11").splitlines()[-2].startswith(" 11          30 ")


def test_setting_the_same_value_again_is_ok(sh) -> None:
    assert sh.ok("netsh interface ipv4 set interface 11 metric=10") == OK
    assert sh.ok("netsh interface ipv4 set interface 11 metric=10") == OK
    assert sh.host.interfaces[11].metric == 10  # manual now, even if equal to the automatic value


# ------------------------------------------------------------------ mtu, store
@pytest.mark.parametrize(("family", "low"), [(4, 576), (6, 1280)])
def test_mtu_bounds(sh, family: int, low: int) -> None:
    assert sh.ok(f"netsh interface ipv{family} set interface 11 mtu={low}") == OK
    assert sh.host.interfaces[11].mtu == low
    assert sh.ok(f"netsh interface ipv{family} set interface 11 mtu=65535") == OK
    assert sh.host.interfaces[11].mtu == 65535
    for bad in (low - 1, 65536, "1k", "-1500"):
        out = sh.result(f"netsh interface ipv{family} set interface 11 mtu={bad}")
        assert (out.stderr, out.exit) == (netsh.INVALID + "\n\n", 1)
    assert sh.host.interfaces[11].mtu == 65535


def test_metric_and_mtu_together(sh) -> None:
    assert sh.ok("netsh interface ipv4 set interface 12 metric=15 mtu=9000") == OK
    iface = sh.host.interfaces[12]
    assert (iface.metric, iface.mtu) == (15, 9000)
    assert sh.ok("netsh interface ipv4 show interfaces 12").splitlines()[-2] == (
        " 12          15        9000  connected     Local Area Connection 2"
    )


@pytest.mark.parametrize("store", ["store=active", "store=persistent", "st=ac", "st=p"])
def test_store_is_accepted_and_the_setting_survives_a_reboot(sh, store: str) -> None:
    """store=active acts as persistent: the model keeps one value per interface setting."""
    assert sh.ok(f"netsh interface ipv4 set interface 11 metric=8 {store}") == OK
    sh.host.apply(op.Reboot())
    assert sh.host.interfaces[11].metric == 8


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("netsh int ipv4 set interface 11 metric=0", netsh.INVALID),
        ("netsh int ipv4 set interface 11 metric=10000", netsh.INVALID),
        ("netsh int ipv4 set interface 11 metric=automatic", netsh.INVALID),
        ("netsh int ipv4 set interface 11 metric=0x10", netsh.INVALID),
        ("netsh int ipv4 set interface 11 metric=5 mtu=100", netsh.INVALID),
        ("netsh int ipv4 set interface 11 mtu=1400 metric=0", netsh.INVALID),
        ("netsh int ipv4 set interface 99 metric=5", netsh.NO_INTERFACE),
        ('netsh int ipv4 set interface "No Such LAN" metric=5', netsh.NO_INTERFACE),
        ("netsh int ipv4 set interface", netsh.SYNTAX),
        ("netsh int ipv4 set interface 11", netsh.SYNTAX),
        ("netsh int ipv4 set interface 11 store=active", netsh.SYNTAX),
        ("netsh int ipv4 set interface 11 metric=5 store=forever", netsh.SYNTAX),
        ("netsh int ipv4 set interface 11 m=5", netsh.SYNTAX),
        ("netsh int ipv4 set interface 11 metric=5 metric=6", netsh.SYNTAX),
        ("netsh int ipv4 set interface 11 bogus=5", netsh.SYNTAX),
        ("netsh int ipv4 set interface 11 forwarding=maybe", netsh.SYNTAX),
        ("netsh int ipv4 set interface 11 forwarding=enabled", netsh.NOT_SUPPORTED),
        ("netsh int ipv4 set interface 11 forw=dis metric=5", netsh.NOT_SUPPORTED),
        ("netsh int ipv4 set interface 11 advertise=enabled", netsh.NOT_SUPPORTED),
        ("netsh int ipv4 set interface 11 siteprefixlength=48", netsh.NOT_SUPPORTED),
        ("netsh int ipv4 set interface 11 weakhostsend=enabled", netsh.NOT_SUPPORTED),
        ("netsh int ipv4 set interface 11 ignoredefaultroutes=enabled", netsh.NOT_SUPPORTED),
        ("netsh int ipv6 set interface 11 routerdiscovery=dhcp", netsh.NOT_SUPPORTED),
        ("netsh int ipv6 set interface 11 currenthoplimit=64 metric=5", netsh.NOT_SUPPORTED),
        ("netsh int ipv6 set interface 11 mtu=1279", netsh.INVALID),
    ],
)
def test_errors_change_nothing(new_host, state_of, line: str, text: str) -> None:
    host = new_host("hotfix", 2)
    before = state_of(host)
    out = run_raw(host, line)
    assert (out.stdout, out.stderr, out.exit) == ("", text + "\n\n", 1)
    assert state_of(host) == before


def test_prehotfix_metric_change_withdraws_nothing(new_shell) -> None:
    sh = new_shell("prehotfix", 1)
    sh.ok(f"netsh interface ipv4 add address {NAME} 192.168.0.20 255.255.255.0")
    sh.ok("route add -p 0.0.0.0 mask 0.0.0.0 192.168.0.1")
    table_before = sorted((r.prefix, r.nexthop, r.metric) for r in sh.host.table)
    assert sh.ok("netsh interface ipv4 set interface 11 metric=40 mtu=1400") == OK
    assert sorted((r.prefix, r.nexthop, r.metric) for r in sh.host.table) == table_before
    assert "     192.168.0.20     41" in sh.ok("route print -4 0.*")
