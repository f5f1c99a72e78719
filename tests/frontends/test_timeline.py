"""The timeline page, pure: journal rows in, lanes and HTML out."""

from __future__ import annotations

import re

from routekeeper.frontends.timeline import (
    Current,
    Entry,
    HostHistory,
    command_lines,
    keeper_entries,
    lanes,
    moments,
    render,
    route_key,
)

T1, T2, T3 = "2026-01-01T00:00:01.000+00:00", "2026-01-01T00:00:02.000+00:00", "2026-01-01T00:00:03.000+00:00"
ADD = "route add -p 0.0.0.0 mask 0.0.0.0 192.168.0.1"
DEL = 'netsh interface ipv4 delete address "LAN" 192.168.0.21'
BACK = 'netsh interface ipv4 add address "LAN" 192.168.0.22 255.255.255.0'
ROUTE = "0.0.0.0/0 via 192.168.0.1 on interface 11"


def defect() -> HostHistory:
    entries = [
        Entry(T1, ADD, "persisted", "0.0.0.0/0 via 192.168.0.1", "added by administrator"),
        Entry(T1, ADD, "route-added", ROUTE, "added by administrator"),
        Entry(T2, DEL, "address-removed", "192.168.0.21/24 on interface 11", "deleted"),
        Entry(T2, DEL, "route-withdrawn", ROUTE, "the stack <withdraws> it"),
        Entry(T3, BACK, "address-added", "192.168.0.22/24 on interface 11", "added"),
        Entry(T3, BACK, "route-restored", ROUTE, "next hop on-link again"),
    ]  # fmt: skip
    now = [Current("0.0.0.0/0 via 192.168.0.1", "active", "in the active table")]
    return HostHistory("prehotfix", "simulated", entries, now)


def test_route_key_names_the_persistent_route() -> None:
    assert route_key(ROUTE) == "0.0.0.0/0 via 192.168.0.1"
    assert route_key("10.0.0.0/8 on-link on interface 3") == "10.0.0.0/8 on-link"
    assert route_key("interface 11 (LAN)") is None


def test_lanes_follow_the_defect() -> None:
    history = defect()
    columns = moments(history.entries)
    assert len(columns) == 3
    (lane,) = lanes(history, columns)
    assert lane.route == "0.0.0.0/0 via 192.168.0.1"
    assert [(at, state, marker) for at, state, marker, _ in lane.changes] == [
        (0, "active", None),
        (1, "waiting", "withdrawn"),  # withdrawn by the stack, still persistent: waiting
        (2, "active", "restored"),
        (3, "active", None),  # now
    ]


def test_a_manual_route_that_is_not_persistent_gets_no_lane() -> None:
    entries = [
        Entry(
            "t1",
            "route add 10.0.0.0 mask 255.0.0.0 192.168.0.1",
            "route-added",
            "10.0.0.0/8 via 192.168.0.1 on interface 11",
            "",
        )
    ]
    assert lanes(HostHistory("h", "", entries, []), moments(entries)) == []


def test_parked_and_waiting_now() -> None:
    now = [
        Current("10.0.0.0/8 via 10.1.1.1", "parked", "until reboot"),
        Current("0.0.0.0/0 via 10.9.9.9", "waiting", "no next hop"),
    ]
    page = render([HostHistory("linux", "linux backend", [], now, "no journal yet")], "t", "g")
    assert 'class="state parked"' in page and 'class="state waiting"' in page
    assert "no journal yet" in page and "until reboot" in page


def test_page_escapes_and_is_self_contained() -> None:
    page = render([defect()], "report <1>", "generated")
    assert "the stack &lt;withdraws&gt; it" in page and "<withdraws>" not in page
    assert "report &lt;1&gt;" in page
    assert page.count('class="marker withdrawn"') == 1 and page.count('class="marker restored"') == 1
    assert not re.search(r"(src|href)\s*=", page), "nothing is loaded from elsewhere"
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_command_lines_keep_what_changes() -> None:
    assert command_lines(DEL) == ["ipv4 delete address", "192.168.0.21"]
    assert command_lines(ADD) == ["route add -p 0.0.0.0", "mask 0.0.0.0\u2026"]
    assert all(len(line) <= 21 for line in command_lines("x" * 60))


def test_keeper_journal_rows_become_a_lane() -> None:
    """Rows shaped as store.linux's keeper journal: (unix time, prefix, kind, detail)."""
    rows = [
        (1000.0, "10.5.0.0/16", "kept", "via 10.0.0.1 metric 0"),
        (1001.0, "10.5.0.0/16", "flushed", "dev va0: address 10.0.0.2/24 deleted"),
        (1001.0, "*", "flushed", "12 routes dev va0: address 10.0.0.2/24 deleted"),
        (1002.5, "10.5.0.0/16", "restored", "via 10.0.0.1 dev 2 metric 0: address 10.0.0.2/24 added"),
        (1003.0, "10.6.0.0/16", "conflict", "via 10.0.0.1 dev va0: slot held"),
    ]
    entries = keeper_entries(rows)
    assert all(e.subject != "*" for e in entries)
    history = HostHistory("ns", "linux backend", entries, [Current("10.5.0.0/16", "active", "in the table")])
    by_route = {lane.route: lane for lane in lanes(history, moments(entries))}
    assert [(s, m) for _, s, m, _ in by_route["10.5.0.0/16"].changes] == [
        ("active", None),
        ("waiting", "withdrawn"),
        ("active", "restored"),
        ("active", None),
    ]
    assert [s for _, s, _, _ in by_route["10.6.0.0/16"].changes] == ["conflicting"]
    page = render([history], "t", "g")
    assert "address 10.0.0.2/24 deleted" in page and "1970-01-01T00:16:41.000+00:00" in page
