"""``trendwatch worker`` against the real broker: published window counts equal counts
computed directly from the input, for 1 and 4 partitions, 1 and 2 workers, any replay
speed, and a worker joining mid-stream. Workers killed with SIGKILL (one five times in one
replay, one of two for good): ``tests/reliability/test_kill.py``."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time

from contextlib import contextmanager
from pathlib import Path

import pytest

from streams.cli import main

sys.path.insert(0, str(Path(__file__).parent))
from worker_harness import Workers, read_jsonl, reference_counts, stop_process, window_reader  # noqa: E402


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    path = tmp_path_factory.mktemp("history") / "flash.jsonl"
    assert main(["simulate", "--scenario", "surge-flash", "--scale", "0.02", "--seed", "3",
                 "--out", str(path)]) == 0
    return path


def replay(settings, path, *extra):
    code = main(["replay", str(path), "--broker", settings.broker, "--prefix", settings.topic_prefix,
                 "--partitions", str(settings.partitions), *extra])
    assert code == 0


@pytest.mark.parametrize("partitions, workers", [(1, 1), (4, 1), (4, 2)])
def test_published_counts_equal_counts_computed_from_the_file(
        kafka_settings, history, partitions, workers, python, subprocess_env, tmp_path):
    settings = dataclasses.replace(kafka_settings, partitions=partitions)
    expected = reference_counts(read_jsonl(history))
    replay(settings, history)
    with Workers(python, subprocess_env, settings, tmp_path) as pool, \
            window_reader(settings.bootstrap_servers, settings.topic("hashtag-windows")) as reader:
        for _ in range(workers):
            pool.start(partitions)
        got = reader.wait_for(expected, timeout=120, workers=pool.procs)
        assert got == expected, pool.tail()
        assert all(len(values) == 1 for values in reader.values.values()), "a window published with other counts"
        if workers == 1:
            assert reader.published == len(expected), "without rebalance or crash, every window is published once"


def test_max_speed_and_finite_speed_give_identical_windows(
        kafka_settings, history, python, subprocess_env, tmp_path):
    expected = reference_counts(read_jsonl(history))
    results = []
    for speed in ("max", "40000"):  # 72 h of event time in about 6.5 s
        settings = dataclasses.replace(kafka_settings, topic_prefix=f"{kafka_settings.topic_prefix}{speed}-",
                                       app_id=f"{kafka_settings.app_id}-{speed}", partitions=2)
        (tmp_path / speed).mkdir()
        with Workers(python, subprocess_env, settings, tmp_path / speed) as pool, \
                window_reader(settings.bootstrap_servers, settings.topic("hashtag-windows")) as reader:
            pool.start(2)
            replay(settings, history, "--speed", speed)
            results.append(reader.wait_for(expected, timeout=120, workers=pool.procs))
    assert results[0] == results[1] == expected


@contextmanager
def background_replay(settings, history, env):
    """Replay ``history`` into ``settings``' topics at 25,000x in a child process, stopped on exit."""
    producer = subprocess.Popen(
        [sys.executable, "-m", "streams", "replay", str(history), "--broker", settings.broker,
         "--prefix", settings.topic_prefix, "--partitions", str(settings.partitions), "--speed", "25000",
         "--record-bytes", "4096"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield producer
    finally:
        stop_process(producer, timeout=0)


@contextmanager
def streaming_history(kafka_settings, partitions, history, python, env, tmp_path):
    """``history`` replayed in the background into fresh topics with ``partitions`` partitions, a
    worker pool and a reader of ``hashtag-windows``: yields ``(expected counts, pool, reader)``."""
    settings = dataclasses.replace(kafka_settings, partitions=partitions)
    expected = reference_counts(read_jsonl(history))
    with background_replay(settings, history, env), Workers(python, env, settings, tmp_path) as pool, \
            window_reader(settings.bootstrap_servers, settings.topic("hashtag-windows")) as reader:
        yield expected, pool, reader


def published_a_quarter(reader, expected) -> int:
    """Wait (at most 60 s) until a quarter of the expected windows are out; how many there are."""
    deadline = time.monotonic() + 60
    while len(reader.poll()) < len(expected) // 4 and time.monotonic() < deadline:
        pass
    return len(reader.latest)


def test_second_worker_joining_mid_stream_keeps_counts_exact(
        kafka_settings, history, python, subprocess_env, tmp_path):
    with streaming_history(kafka_settings, 4, history, python, subprocess_env, tmp_path) as (expected, pool, reader):
        pool.start(4)
        before = published_a_quarter(reader, expected)
        pool.start(4)  # a rebalance while the first worker has messages in flight
        assert 0 < before < len(expected), "the second worker joined mid-stream"
        got = reader.wait_for(expected, timeout=120, workers=pool.procs)
        assert got == expected, pool.tail()
        assert all(len(values) == 1 for values in reader.values.values()), "a window published with other counts"
