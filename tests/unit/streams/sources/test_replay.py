"""Reading historical inputs: formats, event-time order, filters and bad lines."""

import gzip
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.errors import InputError, UsageError
from streams.sources.replay import ReplayStats, read_events, scan

T0 = 1_736_726_400_000  # 2025-01-13T00:00:00Z


def post(i, ts, **extra):
    return {"v": 1, "type": "post", "id": f"p{i}", "ts": ts, "author": f"a{i % 7}", "text": f"#t{i % 3}", **extra}


def write_jsonl(path, events, gz=False):
    data = "".join(json.dumps(e) + "\n" for e in events).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def test_jsonl_timestamps_become_epoch_ms_and_fields_are_kept(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [post(1, "2025-01-13T00:00:01Z", author_created="2025-01-12T00:00:00Z",
                                                     extra_field=5)])
    (event,) = read_events([path])
    assert event["ts"] == T0 + 1000 and event["author_created"] == T0 - 86_400_000 and event["extra_field"] == 5


def test_gzip_and_plain_give_the_same_events(tmp_path):
    events = [post(i, T0 + i) for i in range(50)]
    plain = write_jsonl(tmp_path / "a.jsonl", events)
    packed = write_jsonl(tmp_path / "b.jsonl.gz", events, gz=True)
    assert list(read_events([plain])) == list(read_events([packed])) == events


def test_slightly_out_of_order_input_is_reordered(tmp_path):
    events = [post(i, T0 + i * 1000) for i in range(500)]
    shuffled = events[:]
    for start in range(0, 500, 20):  # shuffle within windows of 20 events
        window = shuffled[start:start + 20]
        random.Random(start).shuffle(window)
        shuffled[start:start + 20] = window
    path = write_jsonl(tmp_path / "a.jsonl", shuffled)
    stats = ReplayStats()
    assert [e["id"] for e in read_events([path], reorder=40, stats=stats)] == [e["id"] for e in events]
    assert stats.out_of_order == 0
    late = ReplayStats()
    assert len(list(read_events([path], reorder=2, stats=late))) == 500 and late.out_of_order > 0


def test_files_are_merged_by_event_time_and_filtered(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [post(i, T0 + 2 * i) for i in range(10)])
    b = write_jsonl(tmp_path / "b.jsonl", [post(100 + i, T0 + 2 * i + 1) for i in range(10)])
    merged = list(read_events([a, b]))
    assert [e["ts"] for e in merged] == list(range(T0, T0 + 20))
    window = list(read_events([b, a], since=T0 + 5, until=T0 + 9))
    assert [e["ts"] for e in window] == [T0 + 5, T0 + 6, T0 + 7, T0 + 8]


def test_csv_posts(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("id,timestamp,author,text,hashtags,lang\n"
                    "1,2025-01-13T00:00:00Z,alice,\"hi, #RedNote\",,en\n"
                    "2,1736726401000,bob,hello,fyp;TikTok Refugee|x,\n")
    first, second = read_events([path])
    assert first == {"v": 1, "type": "post", "id": "1", "ts": T0, "author": "alice", "text": "hi, #RedNote",
                     "lang": "en"}
    assert second["hashtags"] == ["fyp", "TikTok", "Refugee", "x"] and second["ts"] == T0 + 1000


@pytest.mark.parametrize("stamp, factor", [(1736726400, 1000), (T0, 1), ("2025-01-13T00:00:00Z", None)])
def test_count_series_become_evenly_spread_posts(tmp_path, stamp, factor):
    def at(minute):
        if factor is None:
            return f"2025-01-13T00:{minute:02d}:00Z"
        return (T0 + minute * 60_000) // factor
    path = tmp_path / "TikTokRefugee.csv"
    path.write_text(f"timestamp,value\n{at(0)},4\n{at(1)},0.5\n{at(2)},1.5\n{at(3)},0\n")
    events = list(read_events([path]))
    assert len(events) == 6 and all(e["hashtags"] == ["tiktokrefugee"] for e in events)
    minutes = [(e["ts"] - T0) // 60_000 for e in events]
    assert minutes == [0, 0, 0, 0, 2, 2]
    assert len({e["author"] for e in events}) == 6 and len({e["id"] for e in events}) == 6
    assert [e["hashtags"] for e in read_events([path], tag="#Other")][0] == ["other"]


def test_grafana_style_series_export(tmp_path):
    path = tmp_path / "rednote.csv"
    path.write_text("Time,rednote posts\n2025-01-13 00:00:00,2\n2025-01-13 00:01:00,1\n")
    events = list(read_events([path]))
    assert [e["ts"] for e in events] == [T0 + 15_000, T0 + 45_000, T0 + 90_000]
    assert {tuple(e["hashtags"]) for e in events} == {("rednote",)}


@pytest.mark.parametrize("name, content, where", [
    ("a.jsonl", '{"v":1,"type":"post"}\n', "a.jsonl:1: missing_field"),
    ("b.jsonl", json.dumps(post(1, T0)) + "\n\n{oops\n", "b.jsonl:3: bad_json"),
    ("c.csv", "id,ts,author,text\n1,yesterday,a,b\n", "c.csv:2: bad_timestamp"),
    ("d.csv", "id,ts,author,text\n1,2\n", "d.csv:2: bad_csv"),
    ("e.csv", "timestamp,value\n1736726400,x\n", "e.csv:2: bad_value"),
    ("f.csv", "timestamp,value\n1736726400,-1\n", "f.csv:2: bad_value"),
])
def test_bad_lines_name_file_and_line(tmp_path, name, content, where):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=where):
        list(read_events([path]))
    stats = ReplayStats()
    list(read_events([path], skip_bad=True, stats=stats))
    assert stats.bad == 1 and where in str(stats.bad_lines[0])
    assert scan([path]).bad == 1


def test_file_level_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(read_events([tmp_path / "missing.jsonl"]))
    header = tmp_path / "h.csv"
    header.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match="header lacks id"):
        list(read_events([header]))
    with pytest.raises(UsageError):
        list(read_events([]))


def test_scan_counts_and_range(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [post(i, T0 + 10 * i) for i in range(10)])
    result = scan([path], since=T0 + 10)
    assert (result.events, result.first_ts, result.last_ts, result.bad) == (9, T0 + 10, T0 + 90, 0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=60), st.integers(0, 12))
def test_reorder_buffer_is_a_bounded_heap(stamps, capacity):
    """Same order as a heap of ``capacity`` events (ties in input order), same out-of-order count."""
    import heapq

    from streams.sources.replay import _reordered
    events = [{"ts": ts, "n": n} for n, ts in enumerate(stamps)]
    heap, expected, late, last = [], [], 0, -1
    for item in ((e["ts"], e["n"], e) for e in events):
        heapq.heappush(heap, item)
        if len(heap) > capacity:
            expected.append(heapq.heappop(heap))
    expected += [heapq.heappop(heap) for _ in range(len(heap))]
    for ts, _, _ in expected:
        late, last = (late + 1, last) if ts < last else (late, ts)
    stats = ReplayStats()
    assert [e["n"] for e in _reordered(events, capacity, stats)] == [n for _, n, _ in expected]
    assert stats.out_of_order == late
