"""The hostile corpus mixed into a valid stream on the real broker, through a real worker:
every bad record reaches ``posts-dlq`` with its reason and original bytes, every valid event
is counted exactly, and the invalid-events counter equals what was sent."""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from detectors.records import Mention
from detectors.windows import pack_mentions
from streams.kafka.topics import create_topics
from streams.worker.count_flow import DLQ_MAX_BYTES

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
from hostile import hostile  # noqa: E402
from worker_harness import Workers, read_jsonl, reference_counts, window_reader  # noqa: E402

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

PER_RECORD = 50
PACKED = [("fmt", b"packed")]
BAD_MENTIONS = [
    (b"\xff" * 40, PACKED),  # not packed mentions
    (pack_mentions([Mention("fyp", 0, 5, posts=1, authors=("a",))])[:-3], PACKED),  # cut short
    (b'{"oops', []),  # not JSON
    (b'[{"hashtag": 7}]', []),  # JSON of the wrong shape
]
"""Messages on ``hashtag-mentions`` that the count agent must skip (with one log line each)."""


def records(events: list[dict], cases) -> tuple[list[bytes], list[dict]]:
    """Aggregated records of the valid events with the cases (single records) in the middle;
    and the events the reference counts: the valid ones plus the valid cases."""
    values = [json.dumps(events[i:i + PER_RECORD]).encode() for i in range(0, len(events), PER_RECORD)]
    middle = len(values) // 2
    counted = list(events)
    for case in cases:
        if case.reason is None:
            event = json.loads(case.raw)
            counted.append(dict(event, hashtags=list(case.tags)))
    return values[:middle] + [c.raw for c in cases] + values[middle:], counted


def metric_sum(text: str, name: str) -> float:
    return sum(float(v) for v in re.findall(rf"^{name}{{[^}}]*}} (\S+)$", text, re.M))


def test_worker_dead_letters_every_hostile_record(kafka_settings, flash_history, python, subprocess_env, tmp_path):
    events = read_jsonl(flash_history)
    before = events[:(-(-len(events) // PER_RECORD) // 2) * PER_RECORD]  # the records before the cases
    cases = hostile(max(e["ts"] for e in before), big=3_000_000)  # the stream's clock there: never late
    values, counted = records(events, cases)
    expected = reference_counts(counted)
    create_topics(kafka_settings)
    producer = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all",
                             max_request_size=8 << 20, linger_ms=5)
    for value in values:
        producer.send(kafka_settings.topic("posts"), value, partition=0)
    for value, headers in BAD_MENTIONS:  # on the worker's own topic: skipped, nothing else changes
        producer.send(kafka_settings.topic("hashtag-mentions"), value, partition=0, headers=headers)
    producer.flush(timeout=60)
    producer.close()
    with Workers(python, subprocess_env, kafka_settings, tmp_path) as pool, \
            window_reader(kafka_settings.bootstrap_servers, kafka_settings.topic("hashtag-windows")) as reader:
        worker = pool.start(1)
        got = reader.wait_for(expected, timeout=150, workers=pool.procs)
        assert got == expected, pool.tail()
        dlq = KafkaConsumer(kafka_settings.topic("posts-dlq"), bootstrap_servers=kafka_settings.bootstrap_servers,
                            auto_offset_reset="earliest", consumer_timeout_ms=5_000, fetch_max_bytes=8 << 20,
                            max_partition_fetch_bytes=8 << 20)
        dead = [(dict(r.headers), r.value) for r in dlq]
        dlq.close()
        bad = [c for c in cases if c.reason]
        assert [h["reason"].decode() for h, _ in dead] == [c.reason for c in bad]
        for (headers, value), case in zip(dead, bad):
            if len(case.raw) > DLQ_MAX_BYTES:
                assert value == case.raw[:DLQ_MAX_BYTES] and headers["truncated"] == str(len(case.raw)).encode()
            else:
                assert value == case.raw, case.name
            assert headers["detail"] and headers["source"].startswith(kafka_settings.topic("posts").encode())
        port = re.search(r"metrics on http://127\.0\.0\.1:(\d+)", pool.tail(10**7)).group(1)
        deadline = time.monotonic() + 10
        while True:
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
            if metric_sum(text, "trendwatch_invalid_events_total") == len(bad) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert metric_sum(text, "trendwatch_invalid_events_total") == len(bad)
        assert worker.poll() is None
        assert pool.tail(10**7).count("not a mentions message, skipped") == len(BAD_MENTIONS)
