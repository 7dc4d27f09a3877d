"""`trendwatch watch` against the real broker: what the workers publish, shown live or as lines."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import orjson
import pytest
from kafka import KafkaProducer

from detectors.records import Alert, Window
from streams.kafka.topics import create_topics
from streams.worker.window_records import WATERMARK_KEY, WINDOWS_KEY, batches

pytestmark = pytest.mark.integration

HOUR = 3_600_000
T0 = 1_736_726_400_000  # 2025-01-13 00:00 UTC


def _publish(settings, windows=(), alerts=()) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    for value in batches(list(windows)):  # the worker's record format
        producer.send(settings.topic("hashtag-windows"), key=WINDOWS_KEY, value=value)
    producer.send(settings.topic("hashtag-windows"), key=WATERMARK_KEY,
                  value=orjson.dumps({"partition": 0, "partitions": 1, "watermark": T0}))
    for a in alerts:
        producer.send(settings.topic("trend-alerts"), key=a.hashtag.encode(), value=orjson.dumps(a.to_dict()))
    producer.flush()
    producer.close()


def _surge(tag: str, hours: int = 12) -> list[Window]:
    return [Window(tag, "1h", T0 + h * HOUR, T0 + (h + 1) * HOUR, posts=10 if h < hours - 3 else 10 * 4 ** (h - 8),
                   authors=8) for h in range(hours)]


def _alert(tag: str, state: str, end: int) -> Alert:
    return Alert(tag, "trend", state, end - HOUR, end, 42.5, 2560.0, 12.0, 4.0, 2000,
                 reason=f"2560 posts in 1h vs 12.0 expected ({tag})")


def _watch(settings, *flags: str) -> list[str]:
    return [sys.executable, "-m", "streams", "watch", "--broker", settings.broker, "--prefix", settings.topic_prefix,
            "--app-id", settings.app_id, *flags]


def test_watch_shows_windows_and_alerts_live_in_a_terminal(kafka_settings, terminal):
    create_topics(kafka_settings)
    _publish(kafka_settings, _surge("tiktokrefugee") + _surge("小红书"),
             [_alert("tiktokrefugee", "started", T0 + 12 * HOUR)])
    screen = terminal(_watch(kafka_settings, "--from-beginning"))
    text = screen.wait_for("Trending now (1h windows)", "#tiktokrefugee", "#小红书", "Active episodes",
                           "trend since 2025-01-13 12:00: 2560 posts in 1h", "event time 2025-01-13 12:00 UTC")
    row = next(line for line in text.splitlines() if "#tiktokrefugee" in line and "│" in line)
    assert "42.5" in row and "x24.3" in row and "▁▁▁▁▁▁" in row and "█" in row  # 640 over the mean before
    _publish(kafka_settings, alerts=[_alert("tiktokrefugee", "resolved", T0 + 15 * HOUR)])
    screen.wait_for("TREND      resolved #tiktokrefugee", "2 alert steps")
    screen.keys("C-c")
    assert "[exit 0]" in screen.wait_for("[exit 0]", timeout=30)


def test_watch_plain_prints_only_what_arrives_after_it_starts(kafka_settings, subprocess_env):
    create_topics(kafka_settings)
    _publish(kafka_settings, _surge("old"), [_alert("old", "started", T0 + 12 * HOUR)])
    proc = subprocess.Popen(_watch(kafka_settings, "--plain"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=subprocess_env)
    try:
        time.sleep(8)  # positioned at the end of both topics by now
        _publish(kafka_settings, _surge("fresh"), [_alert("fresh", "started", T0 + 12 * HOUR)])
        time.sleep(6)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out.splitlines() == ["[2025-01-13 12:00] TREND      started  #fresh  score 42.5  "
                                "2560 posts in 1h vs 12.0 expected (fresh)"]
    assert "Traceback" not in err


def test_watch_a_missing_pipeline_is_one_error_line(kafka_settings):
    out = subprocess.run(_watch(kafka_settings, "--plain"), capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert out.stderr.startswith("Error: no topic") and "--prefix" in out.stderr and "Traceback" not in out.stderr
