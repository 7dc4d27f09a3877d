"""A flood of distinct one-post hashtags through a real worker on the real broker.

The count stage's exact cap (``TRENDWATCH_MAX_TAGS``, 1,000 here) is full within the flood's first
second; past it every new hashtag goes to the sketch windows, and the engagements of the flood carry
huge view counts (hostile, each within the accepted range), so the flooded 5-minute window's
checkpoint value with its previous state is over a megabyte: more than the producer sends in one
request (Faust's default, 1,000,000 bytes) or a broker accepts by default (1 MB), whatever this test
broker's own limit. Without chunking the checkpoint send fails and the worker stops.

The flood comes in two waves in the same 5-minute window; the second is sent once the first's
checkpoint is on the changelog, so the window's next value holds both states. Asserted: every
changelog record is at most ``CHUNK_BYTES`` and a chunked value stands for more than 1,000,000
bytes; the worker never exits; its peak RSS (VmHWM) stays under ``RSS_BOUND_MIB``; killed with
SIGKILL right after that value and restarted, it restores the chunked checkpoint, and the windows
of the hashtags that are not the flood's equal the counts computed from the input.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer

from streams.worker.chunks import CHUNK_BYTES, HEAD

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
from worker_harness import Workers, reference_counts, window_reader  # noqa: E402

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

MIN = 60_000
T0 = 1_700_000_000_000 // 3_600_000 * 3_600_000 + 10 * MIN  # 10 minutes into an hour
FLOOD_START = T0 + 5 * MIN  # the flood stays inside the 5-minute window [T0 + 5m, T0 + 10m)
NORMAL_TAGS = 20
FIRST_WAVE, SECOND_WAVE = 100_000, 30_000
FIRST_ENGAGED, SECOND_ENGAGED = 20_000, 8_000
"""Flood posts with an engagement, in each wave."""
VIEWS = 300_000_000_000_000
"""Views of each flood engagement: the 28,000 sum to 8.4e18, within a 64-bit total."""
MAX_TAGS = 1_000
IDLE_FLUSH = 10
"""Seconds of idleness before open windows are flushed: longer than the pause between the waves."""
RSS_BOUND_MIB = 600
KAFKA_REQUEST_LIMIT = 1_000_000


def normal_events(start: int, end: int) -> list[dict]:
    """Ordinary traffic: a post and an engagement of one of ``NORMAL_TAGS`` tags every second."""
    events = []
    for i, ts in enumerate(range(start, end, 1_000)):
        tag = f"news{i % NORMAL_TAGS}"
        events.append({"v": 1, "type": "post", "id": f"n{ts}", "ts": ts, "author": f"user{i % 97}",
                       "text": f"#{tag}", "hashtags": [tag]})
        events.append({"v": 1, "type": "engagement", "post_id": f"n{ts}", "ts": ts + 500, "hashtags": [tag],
                       "views": 10 + i % 7})
    return events


def flood_events(first: int, count: int, start: int, span: int, engaged: int) -> list[dict]:
    """``count`` posts with a new hashtag each (by a new account) over ``span`` ms; ``engaged`` of them,
    evenly spread, also get an engagement of ``VIEWS``."""
    events = []
    for i in range(count):
        ts, tag = start + i * span // count, f"flood{first + i}"
        events.append({"v": 1, "type": "post", "id": f"f{first + i}", "ts": ts, "author": f"bot{first + i}",
                       "author_created": ts - 60_000, "text": f"#{tag}", "hashtags": [tag]})
        if i * engaged // count != (i + 1) * engaged // count:  # spread evenly
            events.append({"v": 1, "type": "engagement", "post_id": f"f{first + i}", "ts": ts, "hashtags": [tag],
                           "views": VIEWS})
    return events


def send(bootstrap: str, topic: str, events: list[dict], per_record: int = 400) -> None:
    events = sorted(events, key=lambda e: e["ts"])
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    sent = [producer.send(topic, orjson.dumps(events[i:i + per_record]), partition=0)
            for i in range(0, len(events), per_record)]
    producer.flush()
    for future in sent:
        future.get(timeout=30)
    producer.close()


class Changelog:
    """Reads the count stage's changelog: the largest record, the chunked values' sizes."""

    def __init__(self, bootstrap: str, topic: str):
        self.consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                      enable_auto_commit=False, max_partition_fetch_bytes=8 << 20,
                                      fetch_max_bytes=16 << 20, metadata_max_age_ms=500)
        self.largest, self.records, self.heads, self.keys = 0, 0, {}, set()
        self.largest_value = 0

    def poll(self) -> None:
        for records in self.consumer.poll(timeout_ms=300).values():
            for record in records:
                self.records += 1
                self.keys.add(record.key)
                size = len(record.value or b"")
                self.largest = max(self.largest, size + len(record.key))
                if record.value is not None and record.value.startswith(HEAD):
                    self.heads[record.key] = orjson.loads(record.value[len(HEAD):])["bytes"]
                    self.largest_value = max(self.largest_value, self.heads[record.key])

    def wait(self, what, timeout: float, pool) -> None:
        deadline = time.monotonic() + timeout
        while not what():
            assert time.monotonic() < deadline, (f"the changelog never showed it ({self.records} records, "
                                                   f"chunked values {self.heads}):\n{pool.tail()}")
            assert all(p.poll() is None for p in pool.procs), f"the worker exited:\n{pool.tail()}"
            self.poll()


def ordinary(windows: dict) -> dict:
    """The windows of the hashtags that are not the flood's."""
    return {key: value for key, value in windows.items() if not key[0].startswith("flood")}


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_a_flood_of_distinct_hashtags_through_a_worker_is_checkpointed_in_bounded_records(
        kafka_settings, python, subprocess_env, tmp_path, report):
    settings = kafka_settings
    bootstrap, posts = settings.bootstrap_servers, settings.topic("posts")
    window = f"0/:{5 * MIN}:{FLOOD_START}".encode()
    # the 5-minute window [FLOOD_START, +5m) is flooded by both waves; the rest of the input closes it
    waves = [normal_events(T0, FLOOD_START + 2 * MIN)
             + flood_events(0, FIRST_WAVE, FLOOD_START, 2 * MIN, FIRST_ENGAGED),
             normal_events(FLOOD_START + 2 * MIN, FLOOD_START + 4 * MIN)
             + flood_events(FIRST_WAVE, SECOND_WAVE, FLOOD_START + 2 * MIN, 2 * MIN, SECOND_ENGAGED),
             normal_events(FLOOD_START + 4 * MIN, T0 + 20 * MIN)]
    expected = reference_counts([e for wave in waves for e in wave if not e["hashtags"][0].startswith("flood")])
    changelog = Changelog(bootstrap, f"{settings.app_id}-count-state-changelog")
    with Workers(python, subprocess_env, settings, tmp_path, {"TRENDWATCH_MAX_TAGS": str(MAX_TAGS)}) as pool, \
            window_reader(bootstrap, settings.topic("hashtag-windows")) as reader:
        pool.env["TRENDWATCH_IDLE_FLUSH"] = str(IDLE_FLUSH)
        started = time.monotonic()
        first = pool.start(1, instance="flood")  # static membership: the restart takes the partitions back at once
        send(bootstrap, posts, waves[0])
        changelog.wait(lambda: window in changelog.keys, 60, pool)  # the first wave is checkpointed
        send(bootstrap, posts, waves[1])
        changelog.wait(lambda: changelog.heads.get(window, 0) > KAFKA_REQUEST_LIMIT, 60, pool)
        rss = [peak_rss_mib(first.pid)]
        first.send_signal(signal.SIGKILL)
        first.wait()
        pool.start(1, instance="flood")
        text = pool.wait_for_line(1, "chunked)", 60)
        restored = [line for line in text.splitlines() if "checkpointed units" in line][-1]
        assert "(0 chunked)" not in restored, restored
        send(bootstrap, posts, waves[2])
        deadline = time.monotonic() + 60
        while (ours := ordinary(reader.poll())) != expected and time.monotonic() < deadline:
            assert pool.procs[1].poll() is None, f"the restarted worker exited:\n{pool.tail()}"
        rss.append(peak_rss_mib(pool.procs[1].pid))
        assert pool.procs[1].poll() is None, f"the restarted worker exited:\n{pool.tail()}"
        changelog.poll()
        changelog.consumer.close()
        seconds = time.monotonic() - started
    assert ours == expected, "the windows of the hashtags that are not the flood's are not the input's counts"
    assert changelog.largest <= CHUNK_BYTES + 64, f"a changelog record of {changelog.largest} bytes"
    assert max(rss) < RSS_BOUND_MIB, f"peak RSS {max(rss):.0f} MiB"
    report(f"flood through a worker: {FIRST_WAVE + SECOND_WAVE:,} one-post hashtags past {MAX_TAGS:,} exact slots; "
           f"largest chunked value {changelog.largest_value:,} bytes, largest changelog record "
           f"{changelog.largest:,} bytes; peak RSS {rss[0]:.0f} MiB (killed), {rss[1]:.0f} MiB (restored); "
           f"{seconds:.0f} s")

