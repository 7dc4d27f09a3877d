"""A crashed agent never leaves a worker that looks alive (real broker, real worker processes).

A defect is injected into one stage (``apps/faulty_worker.py``): in ``extract``
the record it fails on is dead-lettered (reason ``stage_error``) and the worker
goes on, counting everything else exactly; in ``count`` the worker process
ends with exit code 1 and one ``Error:`` line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from streams.kafka.topics import create_topics

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
from worker_harness import reference_counts, stop_process, window_reader  # noqa: E402

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

APP = Path(__file__).resolve().parent / "apps" / "faulty_worker.py"
T0 = 1_736_726_400_000
SIZES = {"1m": 60_000, "5m": 300_000, "1h": 3_600_000}


def faulty_worker(python, env, settings, tmp_path, fault: str) -> subprocess.Popen:
    env = dict(env, TRENDWATCH_TEST_FAULT=fault, TRENDWATCH_IDLE_FLUSH="2", TRENDWATCH_METRICS_PORT="0",
               TRENDWATCH_DATA_DIR=str(tmp_path / "data"), TRENDWATCH_WINDOW_SIZES=",".join(SIZES))
    return subprocess.Popen(
        [python, str(APP), "--log-level", "INFO", "worker", "--broker", settings.broker,
         "--prefix", settings.topic_prefix, "--app-id", settings.app_id, "--partitions", "1", "--web-port", "0"],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "worker.err", "wb"))


def posts(n: int) -> list[dict]:
    return [{"v": 1, "type": "post", "id": f"p{i}", "ts": T0 + i * 7_000, "author": f"a{i % 5}",
             "text": f"#calm{i % 3}", "hashtags": [f"calm{i % 3}"]} for i in range(n)]


def send(settings, values: list[bytes]) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    try:
        for value in values:
            producer.send(settings.topic("posts"), value)
        producer.flush(timeout=30)
    finally:
        producer.close()


def test_count_agent_crash_ends_the_worker_with_an_error_line(kafka_settings, python, subprocess_env, tmp_path):
    create_topics(kafka_settings)
    events = posts(20)
    boom = dict(events[10], id="boom", text="#boom", hashtags=["boom"])
    send(kafka_settings, [json.dumps(e).encode() for e in [*events[:10], boom, *events[10:]]])
    worker = faulty_worker(python, subprocess_env, kafka_settings, tmp_path, "count")
    try:
        code = worker.wait(timeout=90)
    finally:
        stop_process(worker, timeout=0)
    errors = [line for line in (tmp_path / "worker.err").read_text().splitlines() if line.startswith("Error:")]
    assert code == 1
    assert len(errors) == 1 and "agent count failed on" in errors[0] and "restart it" in errors[0], errors
    assert "injected count fault" in (tmp_path / "worker.err").read_text(), "it failed on something else"


def test_extract_failure_dead_letters_the_record_and_goes_on(kafka_settings, python, subprocess_env, tmp_path):
    create_topics(kafka_settings)
    events = posts(40)
    boom = json.dumps(dict(events[0], id="boom", text="#boom", hashtags=["boom"])).encode()
    send(kafka_settings, [json.dumps(e).encode() for e in events[:20]] + [boom]
         + [json.dumps(e).encode() for e in events[20:]])
    expected = reference_counts(events, sizes=SIZES)
    worker = faulty_worker(python, subprocess_env, kafka_settings, tmp_path, "extract")
    try:
        with window_reader(kafka_settings.bootstrap_servers, kafka_settings.topic("hashtag-windows")) as reader:
            assert reader.wait_for(expected, timeout=90, workers=[worker]) == expected
        dlq = KafkaConsumer(kafka_settings.topic("posts-dlq"), bootstrap_servers=kafka_settings.bootstrap_servers,
                            auto_offset_reset="earliest", consumer_timeout_ms=5_000)
        dead = [(r.value, dict(r.headers)) for r in dlq]
        dlq.close()
        assert [(value, headers["reason"]) for value, headers in dead] == [(boom, b"stage_error")]
        assert b"injected extract fault" in dead[0][1]["detail"]
        time.sleep(1)
        assert worker.poll() is None, "the worker goes on after a failed record"
    finally:
        stop_process(worker)
