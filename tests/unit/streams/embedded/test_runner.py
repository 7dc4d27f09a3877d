"""The embedded runner: the real stages in process, from the simulator or from files."""

from __future__ import annotations

import gzip
import json
import time

import pytest

from detectors.evaluation import evaluate
from streams.embedded.counts import count_series, counts_detect
from streams.embedded.runner import Pipeline, file_records, run, scenario_records
from streams.errors import InputError
from streams.settings import Settings
from streams.sources.scenario import load_scenario
from streams.sources.simulator import generate, labels


@pytest.fixture(scope="module")
def flash():
    return load_scenario("surge-flash").scaled(0.2)


@pytest.fixture(scope="module")
def flash_run(flash):
    return run(scenario_records(flash, seed=3), Pipeline(Settings()))


def _alerts(summary):
    return [a.to_dict() for a in summary.alerts]


def test_the_flash_surge_is_flagged_and_nothing_else(flash, flash_run):
    e = evaluate(flash_run.alerts, labels(flash, 3), tags_seen=flash_run.tags_seen)
    assert e["recall"] == 1.0 and e["precision"] == 1.0
    assert e["median_flash_delay_min"] <= 15
    assert flash_run.posts > 20_000 and flash_run.rejected == 0 and flash_run.windows > 0


def test_a_file_gives_the_same_alerts_as_the_simulator(tmp_path, flash, flash_run):
    path = tmp_path / "flash.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for event in generate(flash, 3):
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    from_file = run(file_records([path], batch=1000), Pipeline(Settings()))
    assert _alerts(from_file) == _alerts(flash_run)
    assert from_file.posts == flash_run.posts


def test_record_size_does_not_change_the_alerts(flash, flash_run):
    small = run(scenario_records(flash, seed=3, batch=300), Pipeline(Settings()))
    assert _alerts(small) == _alerts(flash_run)


def test_bad_lines_are_rejected_and_the_rest_goes_on(tmp_path):
    path = tmp_path / "mixed.jsonl"
    good = {"v": 1, "type": "post", "id": "p1", "ts": 1_736_640_000_000, "author": "a", "text": "hi #cats"}
    path.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({**good, "id": "p2"}) + "\n")
    summary = run(file_records([path]), Pipeline(Settings()))
    assert (summary.posts, summary.rejected) == (2, 1)


def test_speed_keeps_event_time_ahead_of_wall_time_by_the_factor(tmp_path):
    path = tmp_path / "hour.jsonl"
    start = 1_736_640_000_000
    lines = [json.dumps({"v": 1, "type": "post", "id": f"p{i}", "ts": start + i * 60_000, "author": "a",
                         "text": "#cats"}) for i in range(61)]
    path.write_text("\n".join(lines) + "\n")
    began = time.perf_counter()
    run(file_records([path], batch=10), Pipeline(Settings()), speed=3600.0)
    assert time.perf_counter() - began >= 0.8  # one hour of event time at 3600x is one second


def test_count_series_at_its_own_interval_flags_a_spike(tmp_path):
    path = tmp_path / "views.csv"
    hour = 3_600_000
    rows = ["timestamp,value"] + [f"{1_736_640 + i * 3600},{20 + (i * 7) % 5}" for i in range(24 * 5)]
    rows += [f"{1_736_640 + (24 * 5 + i) * 3600},{400 + 50 * i}" for i in range(4)]
    path.write_text("\n".join(rows) + "\n")
    tag, interval, windows = count_series(path)
    assert (tag, interval, len(windows)) == ("views", hour, 124)
    detect = counts_detect(interval)
    alerts = [a for w in windows for a in detect.process([w])] + detect.flush()
    started = [a for a in alerts if a.state == "started"]
    assert [(a.hashtag, a.kind) for a in started] == [("views", "trend")]
    assert started[0].window_start == windows[120].window_start


@pytest.mark.parametrize("text,message", [("timestamp,value\n1,2\n", "at least two rows"),
                                          ("timestamp,value\n1,2\nnoon,x\n", ":3: timestamp .noon. is not a date-time")])
def test_count_series_errors_name_the_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        count_series(path)


def _lines_file(path, n=3000):
    good = {"v": 1, "type": "post", "ts": 1_736_640_000_000, "author": "a", "text": "hi #cats"}
    return b"".join(json.dumps({**good, "id": f"p{i}", "ts": good["ts"] + i}).encode() + b"\n" for i in range(n))


def test_a_gzip_file_of_several_members_gives_the_records_of_its_bytes(tmp_path):
    """Read natively, a gzip file (members one after another, zero padding between them) gives
    the records the same bytes give uncompressed: gzip.open's chunks, so the same records."""
    data = _lines_file(tmp_path) + b"{not json\n" + _lines_file(tmp_path, 20)
    plain, packed = tmp_path / "a.jsonl", tmp_path / "a.jsonl.gz"
    plain.write_bytes(data)
    packed.write_bytes(gzip.compress(data[:70_000]) + b"\0\0" + gzip.compress(data[70_000:], 1))
    assert list(file_records([packed], batch=500)) == list(file_records([plain], batch=500))
    summary = run(file_records([packed]), Pipeline(Settings()))
    assert (summary.posts, summary.rejected) == (3020, 1)
    assert [str(b) for b in summary.bad] == [f"{packed}:3001: bad_json: Expecting property name enclosed in "
                                             "double quotes: line 1 column 2 (char 1)"]


@pytest.mark.parametrize("cut, message", [(-9, "ended before the end-of-stream marker"), (30, "not a valid gzip")])
def test_a_truncated_or_corrupt_gzip_file_is_an_input_error(tmp_path, cut, message):
    path = tmp_path / "cut.jsonl.gz"
    packed = gzip.compress(_lines_file(tmp_path))
    path.write_bytes(packed[:cut] if cut < 0 else packed[:cut] + bytes(b ^ 0x55 for b in packed[cut:]))
    with pytest.raises(InputError, match=f"cannot read {path}: .*{message}"):
        list(file_records([path]))


def test_missing_input_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(file_records([tmp_path / "nope.jsonl"]))


def _spiky_series(path):
    rows = ["timestamp,value"] + [f"{1_736_640 + i * 3600},{20 + (i * 7) % 5}" for i in range(24 * 5)]
    rows += [f"{1_736_640 + (24 * 5 + i) * 3600},{400 + 50 * i}" for i in range(4)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_count_series_run_feeds_the_live_view_the_page_and_readiness(tmp_path):
    from streams.embedded.counts import run_counts
    from streams.live.board import Board
    from streams.observe.readiness import Readiness
    from streams.observe.view import TrendView

    path = _spiky_series(tmp_path / "views.csv")
    board, view, readiness = Board(size_ms=3_600_000), TrendView(top_k=5), Readiness(recovering=False)
    summary = run_counts(path, series=count_series(path), view=view, on_windows=board.windows,
                         on_alert=board.alert, readiness=readiness)
    assert [a.state for a in summary.alerts][:1] == ["started"]
    assert [row.hashtag for row in board.top()] == ["views"] and "views" in board.active
    trends = view.trends()
    assert [t["hashtag"] for t in trends] == ["views"] and trends[0]["episode"]["kind"] == "trend"
    assert 400 in [w["posts"] for w in view.trend("views")["windows"]["1h"]]
    assert readiness.inputs == 124 and readiness.check() == (True, [])
