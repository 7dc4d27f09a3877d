"""Event-time bounds and nesting depth, through the stages' public API (``Extract.process``, ``backtest``).

One post dated 2096 in a replay of 2025 must not drag the stream's clock (and
the watermark) with it; one record of deeply nested JSON must not stop
extraction. Both are dead-lettered with a reason, the rest is counted.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from streams.cli import cli
from streams.stages import Extract
from streams.stages.extract import JoinedLines

pytestmark = pytest.mark.reliability

T0 = 1_736_726_400_000  # 2025-01-13T00:00:00Z
DAY = 86_400_000
NESTED = b"[" * 100_000 + b"]" * 100_000


def post(i: int, ts: int, tag: str = "rednote") -> dict:
    return {"v": 1, "type": "post", "id": f"p{i}", "ts": ts, "author": f"a{i % 7}", "text": f"#{tag} #t{i % 5}"}


def line(event: dict) -> bytes:
    return json.dumps(event).encode()


def test_nested_record_is_dead_lettered_not_raised():
    stage = Extract()
    out, rejected = stage.process([NESTED, line(post(1, T0))])
    assert [r.reason for r in rejected] == ["too_deep"]
    assert rejected[0].raw == NESTED
    assert sum(m.posts for ms in out.values() for m in ms) == 2  # one post, two tags


def test_nested_line_among_joined_lines_rejects_that_line_only():
    lines = [line(post(1, T0)), NESTED, line(post(2, T0 + 1000))]
    out, rejected = Extract().process([JoinedLines.join(lines)])
    assert [(r.reason, r.raw) for r in rejected] == [("too_deep", NESTED)]
    assert sum(m.posts for ms in out.values() for m in ms if m.hashtag == "rednote") == 2


def test_nested_element_inside_an_array_record():
    # as deep as orjson accepts, deeper than json.dumps can encode again
    record = b"[" + line(post(1, T0)) + b"," + b"[" * 1_019 + b'{"x":1}' + b"]" * 1_019 + b"]"
    out, rejected = Extract().process([record])
    assert [r.reason for r in rejected] == ["not_object"]
    assert rejected[0].raw == record
    assert out


def test_far_future_event_does_not_move_the_clock():
    stage = Extract(wall_clock=lambda: T0 + DAY)
    _, rejected = stage.process([line(post(1, T0)), line(post(2, 3_976_000_000_000)), line(post(3, T0 + 5))])
    assert [r.reason for r in rejected] == ["ts_future"]
    assert b'"p2"' in rejected[0].raw and "wall clock" in rejected[0].detail
    assert stage.clock(None) == T0 + 5


def test_without_wall_clock_the_stream_bounds_event_time():
    stage = Extract(wall_clock=lambda: None)
    events = [post(1, T0), post(2, 3_976_000_000_000), post(3, T0 + 5), post(4, 1000), post(5, T0 + 9)]
    _, rejected = stage.process([json.dumps(events).encode()])
    assert [r.reason for r in rejected] == ["ts_ahead", "ts_behind"]
    assert [json.loads(r.raw)["id"] for r in rejected] == ["p2", "p4"]
    assert stage.clock(None) == T0 + 9


def test_a_real_jump_costs_one_event_then_the_clock_follows():
    stage = Extract(wall_clock=lambda: None, max_skew_ms=DAY)
    later = T0 + 30 * DAY
    _, rejected = stage.process([line(post(1, T0)), line(post(2, later)), line(post(3, later + 1))])
    assert [r.reason for r in rejected] == ["ts_ahead"]
    assert stage.clock(None) == later + 1


def test_sources_have_their_own_clocks():
    stage = Extract(wall_clock=lambda: None, max_skew_ms=DAY)
    stage.process([line(post(1, T0))], source=0)
    _, rejected = stage.process([line(post(2, T0 + 30 * DAY))], source=1)
    assert rejected == [] and stage.clock(1) == T0 + 30 * DAY and stage.clock(0) == T0


def _backtest(path) -> dict:
    result = CliRunner().invoke(cli, ["backtest", "--json", str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.splitlines()[-1])


def test_backtest_closes_the_same_windows_with_an_outlier_and_a_nested_line(tmp_path):
    events = [post(i, T0 + i * 20_000, tag=f"tag{i % 40}") for i in range(3_000)]
    clean, hostile = tmp_path / "clean.jsonl", tmp_path / "hostile.jsonl"
    clean.write_bytes(b"\n".join(map(line, events)) + b"\n")
    lines = list(map(line, events))
    lines.insert(1_000, line(post(99_999, 3_976_000_000_000)))  # 2096
    lines.insert(2_000, NESTED)
    hostile.write_bytes(b"\n".join(lines) + b"\n")
    good, bad = _backtest(clean), _backtest(hostile)
    assert bad["rejected"] == 2 and good["rejected"] == 0
    assert bad["rejected_lines"] == [f"{hostile}:1001: ts_future: ts 3976000000000 is more than 3600000 ms after "
                                     f"the wall clock {bad['rejected_lines'][0].rsplit(' ', 1)[-1]}",
                                     f"{hostile}:2001: too_deep: arrays/objects nested deeper than the JSON "
                                     "decoder allows"]
    assert (bad["posts"], bad["windows"], bad["last_ts"]) == (good["posts"], good["windows"], good["last_ts"])
