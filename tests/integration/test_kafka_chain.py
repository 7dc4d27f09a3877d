"""The chain every later stage relies on, against the real broker:
kafka-python produces, a Faust agent (its own process) consumes and writes a
table, and the table's changelog read back with kafka-python holds the counts."""

from __future__ import annotations

import collections
import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer

from streams.kafka.topics import create_topics, partition_counts

sys.path.insert(0, str(Path(__file__).parent))
from worker_harness import stop_process  # noqa: E402

APP = Path(__file__).parent / "apps" / "chain_app.py"


def _read_changelog(bootstrap: str, topic: str, expected: dict, timeout: float, worker) -> dict:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=1000)
    latest: dict[str, int] = {}
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and latest != expected and worker.poll() is None:
            if topic in (consumer.topics() or set()):
                consumer.subscribe([topic])
                for record in consumer:
                    latest[json.loads(record.key)] = json.loads(record.value)
            else:
                time.sleep(0.5)
    finally:
        consumer.close()
    return latest


def test_producer_to_faust_table_and_back(kafka_settings, subprocess_env, python, unique, tmp_path):
    topic = kafka_settings.topic("words")
    words = ["surge", "trend", "surge", "rednote", "surge", "trend"] * 50
    producer = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all")
    for i in range(0, len(words), 3):
        producer.send(topic, " ".join(words[i:i + 3]).encode(), key=b"k")
    producer.flush()
    producer.close()

    env = dict(subprocess_env, CHAIN_APP_ID=kafka_settings.app_id, CHAIN_TOPIC=topic,
               CHAIN_BROKER=kafka_settings.broker)
    log = open(tmp_path / "worker.log", "wb")
    worker = subprocess.Popen([python, str(APP), "worker", "-l", "warn", "--without-web"],
                              env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        expected = dict(collections.Counter(words))
        seen = _read_changelog(kafka_settings.bootstrap_servers,
                               f"{kafka_settings.app_id}-counts-changelog", expected, timeout=90, worker=worker)
    finally:
        stop_process(worker, timeout=20)
        log.close()
    assert seen == expected, (tmp_path / "worker.log").read_text()[-3000:]


def test_topics_are_created_once(kafka_settings):
    kafka_settings = dataclasses.replace(kafka_settings, partitions=3)

    first = create_topics(kafka_settings)
    second = create_topics(kafka_settings)
    assert set(first.values()) == {"created"} and set(second.values()) == {"exists"}
    described = partition_counts(kafka_settings, list(first))
    assert described[kafka_settings.topic("posts")] == kafka_settings.partitions
    assert described[kafka_settings.topic("hashtag-windows")] == 1
