"""`trendwatch backtest --counts`: real export formats, NAB scoring of labelled windows, honest alerts."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest

from streams.cli import main
from streams.sources.formats import read_file

START = dt.datetime(2015, 3, 1, tzinfo=dt.timezone.utc)
STEP = dt.timedelta(minutes=5)
DAYS = 6
SPIKE = 4 * 288 + 100  # a two-interval burst on day five


def nab_rows(seed: int = 0) -> list[tuple[str, int]]:
    """Six days of overdispersed 5-minute counts with a daily cycle and one burst, as NAB writes them."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(DAYS * 288):
        t = START + i * STEP
        mean = 20 * (1 + 0.5 * math.sin(2 * math.pi * i / 288))
        value = int(rng.negative_binomial(4, 4 / (4 + mean)))
        if i in (SPIKE, SPIKE + 1):
            value = 900
        rows.append((t.strftime("%Y-%m-%d %H:%M:%S"), value))
    return rows


@pytest.fixture
def nab_file(tmp_path):
    path = tmp_path / "Twitter_volume_TEST.csv"
    path.write_text("timestamp,value\n" + "".join(f"{t},{v}\n" for t, v in nab_rows()))
    windows = tmp_path / "windows.json"
    spike = START + SPIKE * STEP
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    windows.write_text(json.dumps({"realTweets/Twitter_volume_TEST.csv": [
        [(spike - dt.timedelta(hours=6)).strftime(fmt), (spike + dt.timedelta(hours=6)).strftime(fmt)]]}))
    return path, windows


def test_nab_file_is_read_and_the_burst_scored_with_nab_rules(capsys, nab_file):
    path, windows = nab_file
    assert main(["backtest", "--counts", str(path), "--windows", str(windows), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    trends = [a for a in doc["alerts"] if a["kind"] == "trend" and a["state"] == "started"]
    spike_ms = int((START + SPIKE * STEP).timestamp() * 1000)
    assert [a["window_start"] for a in trends] == [spike_ms]
    assert set(doc["nab"]["scores"]) == {"standard", "reward_low_FP_rate", "reward_low_FN_rate"}
    assert doc["nab"]["caught"] == 1 and doc["nab"]["false_alerts"] == 0
    assert doc["nab"]["windows"][0]["lead_min"] == 360.0
    assert doc["nab"]["scores"]["standard"] > 80


def test_count_series_alerts_invent_no_authors_and_no_views(capsys, nab_file):
    path, _ = nab_file
    assert main(["backtest", "--counts", str(path), "--json"]) == 0
    (alert,) = [a for a in json.loads(capsys.readouterr().out)["alerts"] if a["state"] == "started"]
    assert alert["unique_authors"] == 0 and alert["projected_views"] is None
    assert "author" not in alert["reason"] and "views" not in alert["reason"]


def test_the_text_report_has_profiles_windows_and_false_alerts_per_day(capsys, nab_file):
    path, windows = nab_file
    assert main(["backtest", "--counts", str(path), "--windows", str(windows)]) == 0
    out = capsys.readouterr().out
    assert "NAB score: standard" in out and "reward_low_FP_rate" in out and "1/1 windows caught" in out
    assert "caught 360 min after its start, 1 detection(s)" in out and "per day" in out


def test_tab_separated_epoch_ms_with_a_count_header(capsys, tmp_path):
    path = tmp_path / "cats.tsv"
    stamp = lambda t: int(t.timestamp() * 1000)  # noqa: E731
    path.write_text("ts\tcount\n" + "".join(f"{stamp(START + i * STEP)}\t{v}\n" for i, (_, v) in enumerate(nab_rows())))
    assert main(["backtest", "--counts", str(path), "--tag", "cats", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [a["hashtag"] for a in doc["alerts"]] == ["cats"]


def test_timezone_shifts_times_written_without_an_offset(capsys, nab_file):
    path, _ = nab_file
    assert main(["backtest", "--counts", str(path), "--json", "--timezone", "+02:00"]) == 0
    (alert,) = json.loads(capsys.readouterr().out)["alerts"]
    assert alert["window_start"] == int((START + SPIKE * STEP - dt.timedelta(hours=2)).timestamp() * 1000)


def test_a_short_run_says_why_it_cannot_alert(capsys, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("timestamp,value\n" + "".join(f"{t},{v}\n" for t, v in nab_rows()[:200]))
    assert main(["backtest", "--counts", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Too short to alert: history not warm yet: 16.7 h seen" in out and "only after 24 h" in out


@pytest.mark.parametrize("args,code,words", [
    (["--windows", "W"], 2, "--windows scores a count series"),
    (["--counts", "C", "--timezone", "Nowhere/Land"], 2, "--timezone: unknown time zone"),
    (["--counts", "C", "--windows", "OTHER"], 1, "have no entry for Twitter_volume_TEST.csv"),
    (["--counts", "BAD"], 1, "bad.csv:3: timestamp 'noon' is not a date-time"),
])
def test_errors_are_one_line_saying_what_to_do(capsys, nab_file, tmp_path, args, code, words):
    path, windows = nab_file
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"x.csv": []}))
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,value\n2015-03-01 00:00:00,3\nnoon,4\n")
    names = {"W": str(windows), "C": str(path), "OTHER": str(other), "BAD": str(bad)}
    assert main(["backtest", *[names.get(a, a) for a in args]]) == code
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and words in err and "Traceback" not in err


def test_the_replayer_reads_the_same_formats(tmp_path):
    path = tmp_path / "cats.csv"
    path.write_text("time\tposts\n2015-02-26 21:40:00\t2\n2015-02-26 21:45:00\t1\nnoon\t3\n")
    items = list(read_file(path, tz=dt.timezone(dt.timedelta(hours=1))))
    posts = [e for _, e in items if isinstance(e, dict)]
    assert [p["ts"] for p in posts] == [1_424_983_275_000, 1_424_983_425_000, 1_424_983_650_000]
    (bad,) = [str(e) for _, e in items if not isinstance(e, dict)]
    assert bad.endswith("cats.csv:4: bad_timestamp: timestamp 'noon' is not a date-time "
                                      "('2015-02-26 21:42:53', RFC 3339) or epoch seconds/ms")


def test_a_co_tag_flagged_before_its_own_labelled_start_says_so():
    from detectors.records import Alert
    from streams.commands.run import describe_summary
    from streams.embedded.runner import Summary

    hour, day = 3_600_000, 86_400_000
    truth = {"start": 0, "end": 2 * day, "decoys": [], "surges": [
        {"tag": "tiktokrefugee", "shape": "logistic", "start": 0, "end": day, "co_tags": ["rednote"],
         "co_trend_of": []},
        {"tag": "rednote", "shape": "logistic", "start": 6 * hour, "end": day, "co_tags": [],
         "co_trend_of": ["tiktokrefugee"]}]}
    alerts = [Alert("tiktokrefugee", "trend", "started", 0, 300_000, 9.0, 50, 2, 3.0, 40),
              Alert("rednote", "trend", "started", 0, hour, 9.0, 50, 2, 3.0, 40)]
    lines = describe_summary(Summary(alerts=alerts, tags_seen=2), truth)
    assert "  #tiktokrefugee flagged as a trend 5 min after its surge began (1970-01-01 00:00 UTC)." in lines
    assert ("  #rednote flagged as a trend 300 min before its own surge began (1970-01-01 06:00 UTC): "
            "it rode along with #tiktokrefugee from 1970-01-01 00:00 UTC.") in lines
