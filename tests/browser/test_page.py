"""The page at / in a real headless Chromium, against a real `trendwatch run` serving it.

A short scenario (``tests/data/short-surge.yaml``: 12 hours of event time, one
flash surge of #earthquake after 6 hours) runs at 2000x, so the page sees the surge arrive: the surging tag
shows up among the active alerts and the top trends, the event time on the
page moves on, and a screenshot is saved (``page.png`` in the test's tmp
directory; ``scripts/screenshots.py`` makes ``docs/images/page.png`` the same
way). Browser and run are stopped on exit, also on failure.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from streams.kafka.broker import free_port

pytestmark = pytest.mark.browser

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SURGE_START_MS = 1740960000000 + 6 * 3_600_000  # 2025-03-03T06:00:00Z
SCENARIO = Path(__file__).parent.parent / "data" / "short-surge.yaml"


def _wait(what: str, check, timeout: float, proc: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"trendwatch run exited while waiting for {what}:\n{log.read_text()[-3000:]}"
        try:
            found = check()
        except (OSError, WebDriverException):
            found = None
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"no {what} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def trendwatch_run(tmp_path, python, subprocess_env):
    """`trendwatch run` of the scenario at 2000x, serving the page; (base URL, process, log)."""
    scenario = SCENARIO
    port, log = free_port(), tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([python, "-m", "streams", "run", "--scenario", str(scenario), "--speed", "2000",
                                 "--follow", "--metrics-port", str(port)],
                                env=subprocess_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait("page", lambda: urllib.request.urlopen(url + "/healthz", timeout=2).status == 200, 60, proc, log)
        yield url, proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def browser(tmp_path):
    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), (
        "the browser test needs Debian's chromium and chromium-driver (.ci/run installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,900", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _state(driver) -> tuple[int, int, bool]:
    """(updates so far, event time shown, #earthquake among the alerts), read from one rendering."""
    updates, clock, alerted = driver.execute_script(
        "const s = document.getElementById('status');"
        "return [s.dataset.updates, s.dataset.clock,"
        " !!document.querySelector('#alerts li[data-hashtag=\"earthquake\"]')];")
    return int(updates or 0), int(clock or -1), bool(alerted)


def test_the_page_shows_the_surge_as_it_happens(trendwatch_run, browser, tmp_path):
    url, proc, log = trendwatch_run
    browser.get(url + "/")
    assert browser.title == "trendwatch"
    updates, clock, alerted = _wait("first update of the page", lambda: (lambda s: s[0] >= 1 and s)(_state(browser)),
                                    60, proc, log)
    if clock < SURGE_START_MS:  # loaded before the surge: it must arrive while we look
        assert not alerted
    alert = _wait("#earthquake among the active alerts",
                  lambda: browser.find_elements(By.CSS_SELECTOR, '#alerts li[data-hashtag="earthquake"]'),
                  90, proc, log)[0]
    assert "trend" in alert.text and "#earthquake" in alert.text and "expected" in alert.text
    card = browser.find_element(By.CSS_SELECTOR, '#trends .card[data-hashtag="earthquake"]')
    assert card.find_elements(By.CSS_SELECTOR, "svg rect"), "the card has a chart of its windows"
    later = _wait("a later update", lambda: (lambda s: s[0] > updates and s[1] > clock and s)(_state(browser)),
                  30, proc, log)
    assert later[1] > clock
    shot = tmp_path / "page.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    api = json.loads(urllib.request.urlopen(url + "/api/trends/earthquake", timeout=5).read())
    assert api["alerts"][0]["state"] == "started"
