"""Make the README's screenshots from real runs: the live view, a backtest report, the page at ``/``.

    python scripts/screenshots.py [--out docs/images]

- ``live-view.svg``: the live view of ``trendwatch run`` (the built-in demo,
  seed 0) at 2025-01-14 06:00 of event time, drawn by the same code as in a
  terminal (rich's SVG export of a 120-column console).
- ``report.png``, ``report-plot.png``: ``trendwatch backtest --report`` of
  the rednote-2025 scenario at a tenth of its volume (simulated to a file
  with its labels) in headless Chromium: the top of the page and the plot of
  #tiktokrefugee.
- ``page.png``: the page served at ``/`` by ``trendwatch run`` of
  ``tests/data/short-surge.yaml`` at 2000x, in headless Chromium, while
  #earthquake is alerting (as in ``tests/browser/test_page.py``).

Needs Debian's ``chromium`` and ``chromium-driver`` and the dev extra (selenium).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from rich.console import Console

from streams.cli import main as trendwatch
from streams.embedded.runner import Pipeline, run, scenario_records
from streams.kafka.broker import free_port
from streams.live.board import Board
from streams.live.terminal import render
from streams.settings import Settings
from streams.sources.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_AT = 1_736_834_400_000  # 2025-01-14 06:00 UTC, the second day of the surge


def live_view(out: Path) -> None:
    scenario = load_scenario("rednote-2025").scaled(0.1)
    board, pipeline = Board(), Pipeline(Settings())
    pipeline.on_windows = board.windows
    span = scenario.end - scenario.start
    taken = []

    def progress(clock: int, events: int, rate: float) -> None:
        board.progress(position=clock, fraction=(clock - scenario.start) / span, rate=rate, events=events)
        if clock >= SNAPSHOT_AT and not taken:  # mid-run, as a terminal shows it (the end of a run flushes)
            console = Console(record=True, width=120, force_terminal=True, color_system="truecolor",
                              file=io.StringIO())
            console.print(render(board, "scenario rednote-2025 (seed 0, 0.1 of its volume), in process"))
            console.save_svg(str(out / "live-view.svg"), title="trendwatch run")
            taken.append(clock)

    run(scenario_records(scenario, 0), pipeline, on_alert=board.alert, on_progress=progress, stop=lambda: bool(taken))


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1300",
                "--hide-scrollbars"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def report(out: Path, browser) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        here = Path.cwd()
        os.chdir(tmp)  # the page names its input: a short relative name reads better
        try:
            made = trendwatch(["simulate", "--scenario", "rednote-2025", "--scale", "0.1", "--no-progress",
                               "--out", "rednote-2025.jsonl", "--labels", "labels.json"]) == 0 and \
                trendwatch(["backtest", "rednote-2025.jsonl", "--labels", "labels.json", "--report", "report.html"]) == 0
        finally:
            os.chdir(here)
        if not made:
            raise SystemExit("the backtest failed")
        browser.get((Path(tmp) / "report.html").as_uri())
        browser.save_screenshot(str(out / "report.png"))
        figure = browser.find_element("css selector", "figure img[alt^='#tiktokrefugee']")
        figure.screenshot(str(out / "report-plot.png"))


def page(out: Path, browser) -> None:
    """The page during a surge: ``tests/data/short-surge.yaml`` at 2000x, captured once #earthquake is alerting."""
    port = free_port()
    scenario = ROOT / "tests" / "data" / "short-surge.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "streams", "run", "--scenario", str(scenario), "--speed", "2000",
                             "--follow", "--plain", "--metrics-port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        browser.get(f"http://127.0.0.1:{port}/")
        selector = '#alerts li[data-hashtag="earthquake"]'
        while time.monotonic() < deadline and not browser.find_elements("css selector", selector):
            time.sleep(0.3)
        time.sleep(4.5)  # two more polls: the surge has a few hot windows on its chart
        browser.save_screenshot(str(out / "page.png"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    live_view(args.out)
    browser = _browser()
    try:
        report(args.out, browser)
        page(args.out, browser)
    finally:
        browser.quit()
    for made in sorted(args.out.iterdir()):
        print(f"{made.relative_to(ROOT) if made.is_relative_to(ROOT) else made}  {made.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
