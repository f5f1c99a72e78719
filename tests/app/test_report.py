"""`routekeeper report --html`: the defect scenario's timeline, from the command line and in a real browser.

The scenario is the defect report's (`kb-default-route`) on a `prehotfix` and a `hotfix` host of one
state file, run through the Windows tools as a user would. The browser tests open the page in
Debian's headless chromium through Selenium and chromedriver: no console errors, the prehotfix host's
default route withdrawn and restored on the timeline, the reason shown on hover.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest

from routekeeper.cli import run

LAN = "Local Area Connection 1"
STEPS = [
    ["host", "add-interface", "index=11", f"name={LAN}", "mac=00-15-5D-01-02-03", "speed=1g"],
    ["netsh", "interface", "ipv4", "add", "address", LAN, "192.168.0.20", "255.255.255.0"],
    ["route", "add", "-p", "0.0.0.0", "mask", "0.0.0.0", "192.168.0.1"],
    ["netsh", "interface", "ipv4", "add", "address", LAN, "192.168.0.21", "255.255.255.0"],
    ["netsh", "interface", "ipv4", "delete", "address", LAN, "192.168.0.21"],
    ["netsh", "interface", "ipv4", "add", "address", LAN, "192.168.0.22", "255.255.255.0"],
]
WITHDRAWN = "the pre-hotfix stack withdraws every route not bound to an interface"


def rk(state: Path, *words: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(["--state", str(state), *words], out, err, env={})
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def defect_state(tmp_path: Path) -> Path:
    """A state file holding the defect scenario run on a prehotfix and a hotfix host."""
    state = tmp_path / "state.db"
    for profile in ("prehotfix", "hotfix"):
        assert rk(state, "host", "init", profile, "--profile", profile)[0] == 0
        for step in STEPS:
            status, _out, err = rk_host(state, profile, step)
            assert status == 0, err
    return state


def rk_host(state: Path, host: str, words: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(["--state", str(state), "--host", host, *words], out, err, env={})
    return status, out.getvalue(), err.getvalue()


def section(page: str, host: str) -> str:
    m = re.search(rf'<section class="host"[^>]*><h2>{host} .*?</section>', page, re.S)
    assert m, host
    return m.group(0)


# ------------------------------------------------------------------------------------------ the command
def test_report_writes_the_defect_timeline(defect_state: Path, tmp_path: Path) -> None:
    page_path = tmp_path / "report.html"
    status, out, err = rk(defect_state, "report", "--html", str(page_path))
    assert (status, err) == (0, "")
    assert out == f"wrote {page_path}: 2 hosts\n"
    page = page_path.read_text()
    pre, fixed = section(page, "prehotfix"), section(page, "hotfix")
    assert pre.count('class="marker withdrawn"') == 1 and pre.count('class="marker restored"') == 1
    assert WITHDRAWN in pre
    assert "route-withdrawn" not in fixed and 'class="marker' not in fixed
    assert 'class="state waiting"' in pre and 'class="state waiting"' not in fixed
    # self-contained: nothing fetched
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert "@import" not in page and "url(" not in page


def test_report_one_host(defect_state: Path, tmp_path: Path) -> None:
    page_path = tmp_path / "report.html"
    assert rk(defect_state, "report", "--html", str(page_path), "--host", "hotfix")[:2] == (
        0,
        f"wrote {page_path}: 1 hosts\n",
    )
    assert "prehotfix" not in page_path.read_text()


@pytest.mark.parametrize(
    ("words", "status", "message"),
    [
        (["report"], 2, "the following arguments are required: --html"),
        (["report", "--html"], 2, "expected one argument"),
        (["report", "--html", "X", "--pdf"], 2, "unrecognized arguments: --pdf"),
        (["report", "--html", "X", "--host", "nosuch"], 1, "no host 'nosuch'"),
    ],
)
def test_report_refuses_bad_input(defect_state: Path, tmp_path: Path, words, status, message) -> None:  # type: ignore[no-untyped-def]
    os.chdir(tmp_path)
    got, out, err = rk(defect_state, *words)
    assert got == status and out == ""
    assert err.startswith("routekeeper") and message in err and "Traceback" not in err
    assert not (tmp_path / "X").exists()


def test_report_without_state_file(tmp_path: Path) -> None:
    got, _out, err = rk(tmp_path / "missing.db", "report", "--html", str(tmp_path / "r.html"))
    assert got == 1 and "no state file" in err
    assert not (tmp_path / "missing.db").exists() and not (tmp_path / "r.html").exists()


def test_report_into_missing_directory(defect_state: Path, tmp_path: Path) -> None:
    got, _out, err = rk(defect_state, "report", "--html", str(tmp_path / "no" / "r.html"))
    assert got == 1 and err.startswith("routekeeper: cannot write")


def test_report_help_writes_nothing(defect_state: Path, tmp_path: Path) -> None:
    os.chdir(tmp_path)
    got, out, _err = rk(defect_state, "report", "--help")
    assert got == 0 and "--html FILE" in out
    assert set(os.listdir(tmp_path)) <= {"state.db", "state.db-wal", "state.db-shm"}


# ------------------------------------------------------------------------------------------ the browser
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
NEEDS_BROWSER = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)",
)


@pytest.fixture
def browser(tmp_path: Path):  # type: ignore[no-untyped-def]
    os.environ.setdefault("SE_AVOID_STATS", "true")  # Selenium's usage statistics: off
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1400,700", f"--user-data-dir={tmp_path / 'profile'}",
    ):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@NEEDS_BROWSER
def test_report_in_headless_chromium(defect_state: Path, tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    page_path = tmp_path / "report.html"
    assert rk(defect_state, "report", "--html", str(page_path))[0] == 0
    browser.get(page_path.as_uri())
    assert browser.title == "routekeeper report: state.db"
    problems = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert problems == []

    sections = {
        s.find_element(By.TAG_NAME, "h2").text.split()[0]: s
        for s in browser.find_elements(By.CSS_SELECTOR, "section.host")
    }
    assert set(sections) == {"prehotfix", "hotfix"}
    pre = sections["prehotfix"]
    (withdrawn,) = pre.find_elements(By.CSS_SELECTOR, "g.marker.withdrawn")
    (restored,) = pre.find_elements(By.CSS_SELECTOR, "g.marker.restored")
    (waiting,) = pre.find_elements(By.CSS_SELECTOR, "rect.state.waiting")
    for shown in (withdrawn, restored, waiting):
        assert shown.is_displayed() and shown.size["width"] > 0 and shown.size["height"] > 0
    # the withdrawal comes before the restoration, the waiting bar between them
    assert withdrawn.location["x"] < restored.location["x"]
    assert withdrawn.location["x"] <= waiting.location["x"] + 10 < restored.location["x"] + 10
    assert not sections["hotfix"].find_elements(By.CSS_SELECTOR, "g.marker")

    # the journal's reason on hover
    tip = browser.find_element(By.ID, "tip")
    assert not tip.is_displayed()
    ActionChains(browser).move_to_element(withdrawn).perform()
    assert tip.is_displayed() and WITHDRAWN in tip.text
    ActionChains(browser).move_to_element(restored).perform()
    assert "next hop 192.168.0.1 on-link on interface 11" in tip.text
    assert browser.get_screenshot_as_png()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


@NEEDS_BROWSER
def test_console_errors_are_seen(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    """The check above can fail: a page with a script error is reported by the browser's log."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>")
    browser.get(bad.as_uri())
    assert any("undefinedFunction" in e["message"] for e in browser.get_log("browser"))
