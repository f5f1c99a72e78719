"""route.exe: parsing, every message of spec §3, the print layout, streaming, -f, DELETE and CHANGE."""

from __future__ import annotations

import types

import pytest

from routekeeper.core import operations as op
from routekeeper.core.values import IP, Prefix
from routekeeper.frontends import route

FAIL_ADD = "The route addition failed: {}\n\n"
PARAM = "The parameter is incorrect."


@pytest.fixture
def sh(new_shell):
    shell = new_shell("hotfix", 2)
    shell.ok('netsh interface ipv4 add address "Local Area Connection 1" 192.168.0.20 255.255.255.0')
    return shell


# ------------------------------------------------------------------ parsing
@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-p"],
        ["-4"],
        ["frob"],
        ["-x", "print"],
        ["-4", "-6", "print"],
        ["add", "10.0.0.0"],
        ["add", "10.0.0.0", "mask"],
        ["add", "10.0.0.0", "10.0.0.1", "10.0.0.2"],
        ["add", "10.0.0.0", "mask", "255.0.0.0", "mask", "255.0.0.0", "10.0.0.1"],
        ["print", "1.*", "2.*"],
        ["print", "mask", "255.0.0.0"],
        ["delete"],
        ["delete", "10.0.0.0", "metric", "5"],
        ["change", "10.0.0.0"],
        ["-f", "10.0.0.0"],
    ],
)
def test_bad_command_lines_print_the_usage_on_stderr(new_host, state_of, args: list[str]) -> None:
    host = new_host()
    before = state_of(host)
    out = route.run(host, args)
    assert (out.stdout, out.stderr, out.exit) == ("", route.USAGE, 1)
    assert state_of(host) == before


def test_help_goes_to_stdout(new_host) -> None:
    assert route.run(new_host(), ["/?"]).stdout == route.USAGE
    assert route.run(new_host(), ["-?"]).exit == 0


def test_usage_has_the_windows_7_shape() -> None:
    lines = route.USAGE.splitlines()
    assert lines[1] == "Manipulates network routing tables."
    assert lines[3] == "ROUTE [-f] [-p] [-4|-6] command [destination]"
    assert lines[4].strip() == "[MASK netmask]  [gateway] [METRIC metric]  [IF interface]"
    assert all(len(line) <= 110 for line in lines)


def test_switches_take_dash_or_slash_in_any_case_and_anywhere() -> None:
    cmd = route.parse(
        ["/P", "Add", "10.1.0.0", "MaSk", "255.255.0.0", "10.0.0.1", "metric", "5", "-4", "iF", "0xB"]
    )
    assert (cmd.verb, cmd.persistent, cmd.version) == ("ADD", True, 4)
    assert (cmd.destination, cmd.mask, cmd.gateway, cmd.metric, cmd.interface) == (
        "10.1.0.0",
        "255.255.0.0",
        "10.0.0.1",
        "5",
        "0xB",
    )
    assert route.parse(["-F"]).flush and route.parse(["/f"]).verb is None


def test_keywords_take_the_next_word_even_if_it_looks_like_a_switch() -> None:
    assert route.parse(["add", "1.0.0.0", "1.0.0.1", "metric", "-5"]).metric == "-5"


# ------------------------------------------------------------------ messages
def test_success_prints_ok_with_its_leading_space(sh) -> None:
    assert sh("route add 10.1.0.0 mask 255.255.0.0 192.168.0.1") == " OK!\n"
    assert sh("route change 10.1.0.0 mask 255.255.0.0 192.168.0.2") == " OK!\n"
    assert sh("route delete 10.1.0.0") == " OK!\n"


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("route add 10.1.0.0 mask 255.255.0.0 192.168.0.1", "The object already exists."),
        ("route add 10.1.0.0 mask 255.0.0.0 192.168.0.1", route.TEXTS[op.RefusalCode.BAD_MASK]),
        ("route add 10.1.0.0 mask 255.0.255.0 192.168.0.1", route.TEXTS[op.RefusalCode.BAD_MASK]),
        ("route add 0.0.0.0 mask 255.0.255.0 192.168.0.1", PARAM),  # non-contiguous
        ("route add 10.2.0.0 mask 255.255.0.0 10.9.9.9", PARAM),  # gateway not on-link
        ("route add 10.2.0.0 mask 255.255.0.0 192.168.0.1 metric 0", PARAM),
        ("route add 10.2.0.0 mask 255.255.0.0 192.168.0.1 metric 10000", PARAM),
        ("route add 10.2.0.0 mask 255.255.0.0 192.168.0.1 metric x", PARAM),
        ("route add 10.2.0.0 mask 255.255.0.0 192.168.0.1 if 99", PARAM),
        ("route add 10.2.0.0 mask 255.255.0.0 192.168.0.1 if 0xzz", PARAM),
        ("route add 10.2.0.0 mask 255.255.0.0 192.168.0.1 if 12", PARAM),  # not on-link there
        ("route add 10.2.0.0 mask 255.255.0.0 0.0.0.0", PARAM),  # on-link needs IF
        ("route add 300.2.0.0 192.168.0.1", PARAM),
        ("route add 10.2.0.0 mask 255.255.0.300 192.168.0.1", PARAM),
        ("route add 10.2.0.0 2001:db8::1", PARAM),
        ("route -6 add 10.2.0.0 192.168.0.1", PARAM),
        ("route add 10.2.0.0/16 192.168.0.1", PARAM),
        ("route add 2001:db8::/32 mask 255.0.0.0 fe80::1", PARAM),
        ("route add 2001:db8::1/32 fe80::1", route.TEXTS[op.RefusalCode.BAD_MASK]),
        ("route add 2001:db8::/129 fe80::1", PARAM),
    ],
)
def test_addition_failures(sh, state_of, line: str, text: str) -> None:
    sh.ok("route add 10.1.0.0 mask 255.255.0.0 192.168.0.1")
    before = state_of(sh.host)
    out = route.run(sh.host, line.split()[1:])
    assert (out.stdout, out.stderr, out.exit) == ("", FAIL_ADD.format(text), 1)
    assert state_of(sh.host) == before


def test_deletion_and_change_failures(sh) -> None:
    assert sh("route delete 10.9.0.0") == "The route deletion failed: Element not found.\n\n"
    assert sh("route delete 10.9.0.300") == f"The route deletion failed: {PARAM}\n\n"
    assert sh("route delete 10.9.0.1 mask 255.255.0.0") == f"The route deletion failed: {PARAM}\n\n"
    assert sh("route change 10.9.0.0 192.168.0.1") == "The route change failed: Element not found.\n\n"
    sh.ok("route add 10.1.0.0 mask 255.255.0.0 192.168.0.1")
    assert sh("route change 10.1.0.0 mask 255.255.0.0 10.7.7.7") == f"The route change failed: {PARAM}\n\n"
    assert sh("route change 10.1.0.0 mask 255.0.0.0 10.7.7.7").endswith(
        "(Destination & Mask) != Destination.\n\n"
    )


# ------------------------------------------------------------------ ADD semantics
def test_add_without_metric_stores_1_and_binds_only_with_if(sh) -> None:
    sh.ok("route -p add 10.1.0.0 mask 255.255.0.0 192.168.0.1")
    sh.ok("route -p add 10.2.0.0 mask 255.255.0.0 192.168.0.1 METRIC 7 IF 0xb")
    by_prefix = {p.prefix: p for p in sh.host.persistent.values()}
    assert by_prefix[Prefix.parse("10.1.0.0/16")].metric == 1
    assert by_prefix[Prefix.parse("10.1.0.0/16")].ifindex is None
    assert by_prefix[Prefix.parse("10.2.0.0/16")].ifindex == 11
    assert by_prefix[Prefix.parse("10.2.0.0/16")].metric == 7


def test_add_without_p_is_not_persistent(sh) -> None:
    sh.ok("route add 10.1.0.0 mask 255.255.0.0 192.168.0.1")
    assert sh.host.persistent == {}


def test_ipv6_add_and_delete(sh) -> None:
    assert sh("route add 2001:db8::/32 fe80::1 if 11") == " OK!\n"
    [r] = sh.host.table.with_prefix(Prefix.parse("2001:db8::/32"))
    assert (r.ifindex, r.nexthop, r.metric) == (11, IP.parse("fe80::1"), 1)
    assert sh("route -6 delete 2001:db8::/32") == " OK!\n"


# ------------------------------------------------------------------ DELETE
def test_delete_without_mask_matches_every_length(sh) -> None:
    sh.ok("route add 10.0.0.0 mask 255.0.0.0 192.168.0.1")
    sh.ok("route add 10.0.0.0 mask 255.255.0.0 192.168.0.1")
    sh.ok("route add 10.0.0.0 192.168.0.1")
    sh.ok("route delete 10.0.0.0 mask 255.255.0.0")
    assert {r.prefix.length for r in sh.host.manual_routes()} == {8, 32}
    sh.ok("route delete 10.0.0.0")
    assert sh.host.manual_routes() == []


def test_delete_patterns_and_gateway_filter(sh) -> None:
    for dest in ("10.1.0.0", "10.2.0.0", "10.12.0.0", "172.16.0.0"):
        sh.ok(f"route -p add {dest} mask 255.255.0.0 192.168.0.1")
    sh.ok("route add 10.3.0.0 mask 255.255.0.0 192.168.0.2")
    assert "Element not found" in sh("route delete 10.? 192.168.0.2")  # `?` is exactly one character
    sh.ok("route delete 10.?.0.0 192.168.0.2")
    left = sorted(str(r.prefix) for r in sh.host.manual_routes())
    assert left == ["10.1.0.0/16", "10.12.0.0/16", "10.2.0.0/16", "172.16.0.0/16"]
    sh.ok("route delete 10.* 192.168.*")
    assert [str(r.prefix) for r in sh.host.manual_routes()] == ["172.16.0.0/16"]
    assert [str(p.prefix) for p in sh.host.persistent.values()] == ["172.16.0.0/16"]


def test_delete_reaches_a_persistent_route_that_is_not_active(new_shell) -> None:
    sh = new_shell("prehotfix")
    sh.ok("netsh int ipv4 add address 11 192.168.0.20 255.255.255.0")
    sh.ok("netsh int ipv4 add address 11 192.168.0.21 255.255.255.0")
    sh.ok("route -p add 0.0.0.0 mask 0.0.0.0 192.168.0.1")
    sh.ok("netsh int ipv4 delete address 11 192.168.0.21")
    assert sh.host.manual_routes() == [] and len(sh.host.persistent) == 1
    assert sh("route delete 0.0.0.0") == " OK!\n"
    assert sh.host.persistent == {}


def test_delete_honours_if(sh) -> None:
    sh.ok("route add 10.1.0.0 mask 255.255.0.0 192.168.0.1")
    assert sh("route delete 10.1.0.0 if 12").startswith("The route deletion failed: Element not found.")
    assert sh("route delete 10.1.0.0 if 11") == " OK!\n"


# ------------------------------------------------------------------ CHANGE
def test_change_metric_of_the_route_with_that_gateway(sh) -> None:
    sh.ok("route -p add 10.1.0.0 mask 255.255.0.0 192.168.0.1")
    sh.ok("route add 10.1.0.0 mask 255.255.0.0 192.168.0.2")
    sh.ok("route change 10.1.0.0 mask 255.255.0.0 192.168.0.2 metric 9")
    metrics = {str(r.nexthop): r.metric for r in sh.host.manual_routes()}
    assert metrics == {"192.168.0.1": 1, "192.168.0.2": 9}


def test_change_gateway_updates_the_persistent_copy(sh) -> None:
    sh.ok("route -p add 10.1.0.0 mask 255.255.0.0 192.168.0.1")
    sh.ok("route change 10.1.0.0 mask 255.255.0.0 192.168.0.5 metric 4")
    [p] = sh.host.persistent.values()
    assert (str(p.nexthop), p.metric) == ("192.168.0.5", 4)
    [r] = sh.host.manual_routes()
    assert (str(r.nexthop), r.metric) == ("192.168.0.5", 4)


# ------------------------------------------------------------------ -f
def test_flush_alone_and_with_a_command(sh) -> None:
    sh.ok("route -p add 10.1.0.0 mask 255.255.0.0 192.168.0.1")
    sh.ok("route add 10.2.0.0 mask 255.255.0.0 192.168.0.1")
    assert sh("route -f") == ""
    assert sh.host.manual_routes() == [] and len(sh.host.persistent) == 1
    assert sh("route -f add 10.3.0.0 mask 255.255.0.0 192.168.0.1") == " OK!\n"
    assert [str(r.prefix) for r in sh.host.manual_routes()] == ["10.3.0.0/16"]


def test_flush_with_a_failing_command_changes_nothing(sh, state_of) -> None:
    sh.ok("route add 10.2.0.0 mask 255.255.0.0 192.168.0.1")
    before = state_of(sh.host)
    out = route.run(sh.host, ["-f", "add", "10.3.0.0", "mask", "255.255.0.0", "10.9.9.9"])
    assert out.exit == 1 and out.stderr == FAIL_ADD.format(PARAM)
    assert state_of(sh.host) == before


def test_flush_respects_the_family_switch(sh) -> None:
    sh.ok("route add 10.2.0.0 mask 255.255.0.0 192.168.0.1")
    sh.ok("route add 2001:db8::/32 fe80::1 IF 11")
    sh.ok("route -f -6")
    assert [r.prefix.version for r in sh.host.manual_routes()] == [4]


# ------------------------------------------------------------------ PRINT
def test_print_layout_columns(sh) -> None:
    sh.ok("route -p add 0.0.0.0 mask 0.0.0.0 192.168.0.1")
    text = sh.ok("route print -4")
    lines = text.splitlines()
    assert lines[0] == "=" * 75 and lines[1] == "Interface List"
    assert lines[2] == " 11...00 15 5d 01 02 03 ......Intel(R) PRO/1000 MT Network Connection"
    assert lines[3] == " 12...00 15 5d 01 02 04 ......Intel(R) 82574L Gigabit Network Connection"
    assert lines[4] == "  1...........................Software Loopback Interface 1"
    row = next(line for line in lines if line.startswith("          0.0.0.0"))
    assert row == "          0.0.0.0          0.0.0.0      192.168.0.1     192.168.0.20     11"
    onlink = next(line for line in lines if line.startswith("      192.168.0.0"))
    assert onlink == "      192.168.0.0    255.255.255.0         On-link      192.168.0.20    266"
    assert lines[-2] == "          0.0.0.0          0.0.0.0      192.168.0.1       1"
    assert lines[-1] == "=" * 75
    assert text.endswith("=\n")


def test_print_both_families_and_empty_persistent_blocks(sh) -> None:
    lines = sh.ok("route print").splitlines()
    assert lines.count("Persistent Routes:") == 2
    assert lines[-2:] == ["Persistent Routes:", "  None"]
    v6 = lines.index("IPv6 Route Table")
    assert lines[v6 - 1] == "" and lines[v6 - 2] == "  None"
    assert " If Metric Network Destination      Gateway" in lines
    assert "  1    306 ::1/128                  On-link" in lines
    assert " 11    266 fe80::215:5dff:fe01:203/128" in lines
    assert " " * 36 + "On-link" in lines


def test_print_hides_routes_of_a_disconnected_interface(sh) -> None:
    sh.host.apply(op.SetInterface(11, connected=False))
    text = sh.ok("route print -4")
    assert "192.168.0.20" not in text.split("Active Routes:")[1]


def test_print_filter_applies_to_both_blocks(sh) -> None:
    sh.ok("route -p add 10.1.0.0 mask 255.255.0.0 192.168.0.1")
    text = sh.ok("route print 10.*")
    assert "192.168.0.0" not in text and text.count("10.1.0.0") == 2
    assert "127.0.0.1" not in sh.ok("route print 192.168.0.2?")


def test_print_lines_streams_lazily(new_host) -> None:
    host = new_host()
    host.apply(op.AddAddress(11, IP.parse("10.0.0.5"), 8))
    for n in range(2000):
        host.apply(op.AddRoute(Prefix(4, (11 << 24) + (n << 8), 24), IP.parse("10.0.0.1")))
    lines = route.print_lines(host, ["print", "-4"])
    assert isinstance(lines, types.GeneratorType)
    first = [next(lines) for _ in range(3)]
    assert first == [
        "=" * 75,
        "Interface List",
        " 11...00 15 5d 01 02 03 ......Intel(R) PRO/1000 MT Network Connection",
    ]
    rest = list(lines)
    assert sum(1 for line in rest if line.endswith("10.0.0.1         10.0.0.5     11")) == 2000
    joined = "".join(f"{line}\n" for line in [*first, *rest])
    assert route.run(host, ["print", "-4"]).stdout == joined


def test_print_lines_rejects_other_commands(new_host) -> None:
    assert route.is_print(["PRINT", "-6"]) and not route.is_print(["add", "1.0.0.0", "1.0.0.1"])
    with pytest.raises(route.UsageError):
        route.print_lines(new_host(), ["add", "1.0.0.0", "1.0.0.1"])


def test_rows_sort_by_destination_length_interface_gateway(new_shell) -> None:
    sh = new_shell("hotfix", 2)
    sh.ok("netsh int ipv4 add address 11 10.0.0.5 255.255.255.0")
    sh.ok("netsh int ipv4 add address 12 10.0.1.5 255.255.255.0")
    sh.ok("route add 20.0.0.0 mask 255.0.0.0 10.0.1.1")
    sh.ok("route add 20.0.0.0 mask 255.0.0.0 10.0.0.9")
    sh.ok("route add 20.0.0.0 mask 255.0.0.0 10.0.0.1")
    sh.ok("route add 20.0.0.0 mask 255.255.0.0 10.0.0.1")
    rows = [line for line in sh.ok("route print -4 20.*").splitlines() if line.startswith("         20.")]
    assert [line.split()[1:3] for line in rows] == [
        ["255.0.0.0", "10.0.0.1"],
        ["255.0.0.0", "10.0.0.9"],
        ["255.0.0.0", "10.0.1.1"],
        ["255.255.0.0", "10.0.0.1"],
    ]


def test_the_interface_column_shows_the_first_added_address_of_the_subnet(new_shell) -> None:
    sh = new_shell()
    sh.ok("netsh int ipv4 add address 11 10.0.0.5 255.255.255.0 skipassource=true")
    sh.ok("netsh int ipv4 add address 11 10.0.0.6 255.255.255.0")
    sh.ok("netsh int ipv4 add address 11 10.0.0.7 255.255.255.0")
    sh.ok("route add 20.0.0.0 mask 255.0.0.0 10.0.0.1")
    rows = sh.ok("route print -4").splitlines()
    assert "         20.0.0.0        255.0.0.0         10.0.0.1         10.0.0.6     11" in rows
    assert "         10.0.0.5  255.255.255.255         On-link          10.0.0.5    266" in rows
