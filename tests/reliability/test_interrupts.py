"""``replay`` to the real broker interrupted with SIGINT, SIGTERM and SIGKILL, then resumed:
every event is on ``posts`` exactly once. ``simulate`` stops cleanly on SIGINT and SIGTERM
and has delivered exactly the events it says it sent."""

from __future__ import annotations

import dataclasses
import json
import re
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from kafka import KafkaConsumer, TopicPartition

pytestmark = [pytest.mark.reliability, pytest.mark.integration]


def posts_on_topic(settings) -> Counter:
    consumer = KafkaConsumer(settings.topic("posts"), bootstrap_servers=settings.bootstrap_servers,
                             auto_offset_reset="earliest", consumer_timeout_ms=4_000)
    ids = Counter()
    for record in consumer:
        value = json.loads(record.value)
        for event in value if isinstance(value, list) else [value]:
            ids[event.get("id") or f"{event['post_id']}@{event['ts']}"] += 1
    consumer.close()
    return ids


def has_posts(settings) -> bool:
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers)
    try:
        parts = consumer.partitions_for_topic(settings.topic("posts")) or set()
        ends = consumer.end_offsets([TopicPartition(settings.topic("posts"), p) for p in parts]) if parts else {}
        return sum(ends.values()) > 0
    finally:
        consumer.close()


def start(args, env, started_marker):
    proc = subprocess.Popen([sys.executable, "-m", "streams", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not started_marker() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(1.5)
    return proc


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
def test_replay_interrupted_then_resumed_delivers_every_event_once(
        sig, kafka_settings, flash_history, subprocess_env, tmp_path):
    lines = flash_history.read_bytes().splitlines()[:1_500]
    history = tmp_path / "part.jsonl"
    history.write_bytes(b"\n".join(lines) + b"\n")
    settings = dataclasses.replace(kafka_settings, partitions=2)
    state = tmp_path / "state.json"
    base = ["replay", str(history), "--broker", settings.broker, "--prefix", settings.topic_prefix,
            "--partitions", "2", "--state", str(state), "--record-bytes", "2048"]
    proc = start([*base, "--speed", "10000"], subprocess_env, state.exists)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err[-2000:]
    if sig != signal.SIGKILL:
        assert proc.returncode == 130 and b"--resume" in err, (proc.returncode, err[-2000:])
    first = posts_on_topic(settings)
    assert 0 < sum(first.values()) < len(lines), "the interruption landed mid-replay"
    done = subprocess.run([sys.executable, "-m", "streams", *base, "--speed", "max", "--resume"],
                          env=subprocess_env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    ids = posts_on_topic(settings)
    expected = Counter(e.get("id") or f"{e['post_id']}@{e['ts']}" for e in map(json.loads, lines))
    assert ids == expected


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_simulate_stopped_has_delivered_what_it_reports(sig, kafka_settings, subprocess_env, tmp_path):
    settings = dataclasses.replace(kafka_settings, partitions=2)
    proc = start(["simulate", "--scenario", "surge-flash", "--scale", "0.05", "--speed", "20000",
                  "--broker", settings.broker, "--prefix", settings.topic_prefix, "--partitions", "2"],
                 subprocess_env, lambda: has_posts(settings))
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and b"Traceback" not in err, (proc.returncode, err[-2000:])
    assert b"Stopped early" in err
    sent = int(re.match(rb"(\d+) events in", out).group(1))
    ids = posts_on_topic(settings)
    assert max(ids.values()) == 1 and sum(ids.values()) == sent
