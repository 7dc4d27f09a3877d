"""Late and out-of-order events, bad input and the worker's metrics, on the real broker."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from streams.kafka.topics import create_topics
from streams.worker.window_records import WINDOWS_KEY, decode_windows

sys.path.insert(0, str(Path(__file__).parent))
from worker_harness import Workers, window_reader  # noqa: E402

T0 = 1_736_726_400_000  # 2025-01-13T00:00:00Z, a minute boundary
S = 1_000


def post(i, tag, ts):
    return {"v": 1, "type": "post", "id": f"p{i}", "ts": ts, "author": f"u{i}", "text": f"#{tag}"}


# One event per record, in this order (1 partition, 1 m windows, 1 m allowed lateness):
EVENTS = [
    post(0, "a", T0 + 10 * S),
    post(1, "a", T0 + 5 * S),     # out of order, within the allowed lateness: counted
    post(2, "b", T0 + 150 * S),   # watermark 90 s: window [0, 60 s) closes with a=2
    post(3, "a", T0 + 30 * S),    # late: its window closed, but it is retained until 120 s
    post(4, "b", T0 + 400 * S),
]


def metric(text: str, name: str, labels: str) -> float:
    match = re.search(rf"^{name}\{{{labels}\}} (\S+)$", text, re.M)
    assert match, f"{name}{{{labels}}} not in /metrics"
    return float(match.group(1))


def scrape(log_path: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"API and \w+ on http://127\.0\.0\.1:(\d+)/", log_path.read_text(errors="replace"))
        if found:
            return urllib.request.urlopen(f"http://127.0.0.1:{found.group(1)}/metrics", timeout=5).read().decode()
        time.sleep(0.2)
    raise AssertionError("the worker did not log its metrics address")


@pytest.mark.parametrize("policy, a_posts, published, applied, dropped", [
    ("drop", 2, [2], 0, 1),
    ("apply", 3, [2, 3], 1, 0),
])
def test_late_events_follow_the_policy_and_bad_input_goes_to_the_dlq(
        kafka_settings, python, subprocess_env, tmp_path, policy, a_posts, published, applied, dropped):
    settings = dataclasses.replace(kafka_settings, partitions=1)
    create_topics(settings)
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    for event in EVENTS[:3]:
        producer.send(settings.topic("posts"), json.dumps(event).encode(), key=b"k")
    producer.send(settings.topic("posts"), b"not json", key=b"k")
    for event in EVENTS[3:]:
        producer.send(settings.topic("posts"), json.dumps(event).encode(), key=b"k")
    producer.flush()
    producer.close()

    extra = {"TRENDWATCH_LATE_POLICY": policy, "TRENDWATCH_ALLOWED_LATENESS": "1m"}
    with Workers(python, subprocess_env, settings, tmp_path, extra) as pool, \
            window_reader(settings.bootstrap_servers, settings.topic("hashtag-windows")) as reader:
        pool.env["TRENDWATCH_WINDOW_SIZES"] = "1m"
        pool.start(1)
        expected = {("a", "1m", T0): (a_posts, 0, a_posts, 0), ("b", "1m", T0 + 120 * S): (1, 0, 1, 0),
                    ("b", "1m", T0 + 360 * S): (1, 0, 1, 0)}
        assert reader.wait_for(expected, timeout=60, workers=pool.procs) == expected, pool.tail()
        text = scrape(tmp_path / "worker0.log")

    assert metric(text, "trendwatch_late_events_total", 'action="applied"') == applied
    assert metric(text, "trendwatch_late_events_total", 'action="dropped"') == dropped
    assert metric(text, "trendwatch_invalid_events_total", 'reason="bad_json"') == 1
    assert metric(text, "trendwatch_events_total", 'type="post"') == len(EVENTS)

    consumer = KafkaConsumer(settings.topic("hashtag-windows"), settings.topic("posts-dlq"),
                             bootstrap_servers=settings.bootstrap_servers, auto_offset_reset="earliest",
                             consumer_timeout_ms=2000)
    records = list(consumer)
    consumer.close()
    a_windows = [w.posts for r in records if r.topic.endswith("hashtag-windows") and r.key == WINDOWS_KEY
                 for w in decode_windows(r.key, r.value) if w.hashtag == "a"]
    assert a_windows == published
    dlq = [r for r in records if r.topic.endswith("posts-dlq")]
    assert [(r.value, dict(r.headers)["reason"]) for r in dlq] == [(b"not json", b"bad_json")]
    assert dict(dlq[0].headers)["detail"]
