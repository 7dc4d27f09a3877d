"""`trendwatch backtest --report`: the page opened in headless Chromium, plots and readable values checked."""

from __future__ import annotations

import json

import pytest

from streams.cli import main
from streams.report import LEGEND, missing_glyphs
from streams.sources.scenario import load_scenario
from streams.sources.simulator import generate, labels

HOUR = 3_600_000


@pytest.fixture(scope="module")
def rednote(tmp_path_factory):
    root = tmp_path_factory.mktemp("rednote")
    scenario = load_scenario("rednote-2025").scaled(0.05)
    data, truth = root / "posts.jsonl", root / "labels.json"
    data.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in generate(scenario, 3)))
    truth.write_text(json.dumps(labels(scenario, 3)))
    return data, truth


def _figures(browser) -> list[dict]:
    return browser.execute_script(
        "return [...document.querySelectorAll('figure img')].map(i => ({alt: i.alt, w: i.naturalWidth,"
        " h: i.naturalHeight, done: i.complete}))")


def test_report_plots_every_alerted_and_labelled_tag_and_reads_like_prose(rednote, tmp_path, browser, capsys):
    data, truth = rednote
    report = tmp_path / "report.html"
    assert main(["backtest", str(data), "--labels", str(truth), "--report", str(report), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    browser.get(report.as_uri())
    assert browser.title == f"trendwatch backtest: {data}"
    text = browser.find_element("tag name", "body").text
    cells = [td.text for td in browser.find_elements("css selector", "td")]
    assert len(cells) > 40 and not {"None", "True", "False", "nan", ""} & set(cells), cells
    assert "yes" in cells and "—" in cells  # a surge flagged; a measure without value (no flash surge)
    assert "Recall (labelled surges flagged)" in text and "Throughput:" in text and "posts/s" in text
    figures = _figures(browser)
    headings = [f["alt"] for f in figures]
    alerted = {a["hashtag"] for a in doc["alerts"]}
    labelled = {s["tag"] for s in doc["evaluation"]["surges"]} | {d["tag"] for d in doc["evaluation"]["decoys"]}
    assert {h.split(":")[0] for h in headings} == {"#" + t for t in alerted | labelled}
    assert "#小红书: 1 trend episode, labelled surge (logistic)" in headings
    assert "#moonshotcoin: 1 suspicious episode, bot decoy" in headings
    assert "#goodmorning: no episode, periodic decoy" in headings
    assert all(f["done"] and f["w"] > 600 and f["h"] > 200 for f in figures), figures  # decoded, not broken
    browser.save_screenshot(str(tmp_path / "report.png"))


def test_cjk_hashtags_have_glyphs_in_the_plot_fonts():
    assert missing_glyphs("#小红书 #ティックトック #틱톡") == []
    assert missing_glyphs("\U00013000 hieroglyph") != []  # the check can fail: no font here draws this


def test_counts_report_plots_the_one_series_with_its_labels(tmp_path, browser, capsys):
    rows = [f"{1736640000 + 3600 * i},{20 + (i % 3) + (400 if 60 <= i < 66 else 0)}" for i in range(120)]
    counts = tmp_path / "cats.csv"
    counts.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    start = 1736640000000
    truth = tmp_path / "labels.json"
    truth.write_text(json.dumps({"start": start, "end": start + 120 * HOUR, "decoys": [], "surges": [
        {"tag": "cats", "shape": "flash", "start": start + 60 * HOUR, "end": start + 66 * HOUR}]}))
    report = tmp_path / "counts.html"
    assert main(["backtest", "--counts", str(counts), "--labels", str(truth), "--report", str(report)]) == 0
    capsys.readouterr()
    browser.get(report.as_uri())
    figures = _figures(browser)
    assert [f["alt"] for f in figures] == ["#cats: 1 trend episode, labelled surge (flash)"]
    assert figures[0]["done"] and figures[0]["w"] > 600
    legend = browser.find_element("xpath", "//h2[text()='Series']/following-sibling::p[1]").text
    assert legend == LEGEND and "learnt dispersion" in legend and "not Poisson" in legend


def test_counts_report_draws_the_nab_windows_given_with_windows(tmp_path, browser, capsys):
    rows = [f"{1736640000 + 3600 * i},{20 + (i % 3) + (400 if 60 <= i < 66 else 0)}" for i in range(120)]
    counts = tmp_path / "cats.csv"
    counts.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    windows = tmp_path / "windows.json"
    windows.write_text(json.dumps({"cats.csv": [["2025-01-14 10:00:00", "2025-01-14 20:00:00"],
                                                ["2025-01-16 00:00:00", "2025-01-16 04:00:00"]]}))
    report = tmp_path / "counts.html"
    assert main(["backtest", "--counts", str(counts), "--windows", str(windows), "--report", str(report)]) == 0
    capsys.readouterr()
    browser.get(report.as_uri())
    figures = _figures(browser)
    assert [f["alt"] for f in figures] == ["#cats: 1 trend episode, 2 labelled windows"]
    assert figures[0]["done"] and figures[0]["w"] > 600
