"""Workers killed with SIGKILL on the real broker: two workers, one killed for good mid-stream:
the survivor takes its partitions, counts stay exact; the time from the kill until everything is
published is reported. (One kill and restart: tests/integration/test_worker.py.)
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
from worker_harness import Workers, read_jsonl, reference_counts, stop_process, window_reader  # noqa: E402

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

@contextmanager
def background_replay(settings, history, env, speed: str):
    producer = subprocess.Popen(
        [sys.executable, "-m", "streams", "replay", str(history), "--broker", settings.broker,
         "--prefix", settings.topic_prefix, "--partitions", str(settings.partitions), "--speed", speed,
         "--record-bytes", "4096"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield producer
    finally:
        stop_process(producer, timeout=0)


def wait_for_more(reader, than: int, timeout: float, procs) -> float:
    """Seconds until ``reader`` has seen more than ``than`` messages."""
    started = time.monotonic()
    while reader.published <= than and time.monotonic() - started < timeout:
        reader.poll()
        assert all(p.poll() is None for p in procs), "a worker exited"
    assert reader.published > than, "nothing published"
    return time.monotonic() - started


def wait_until_owning(pool, index: int, topic: str, timeout: float) -> None:
    """Until worker ``index``'s log says it owns partitions of ``topic`` (its start-up line)."""
    log = pool.tmp_path / f"worker{index}.log"
    deadline = time.monotonic() + timeout
    while f"owns {topic} [" not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"worker {index} owns no {topic} partition:\n{pool.tail()}"
        assert all(p.poll() is None for p in pool.procs), "a worker exited"
        time.sleep(0.2)


def test_survivor_takes_over_a_worker_killed_for_good(
        kafka_settings, flash_history, python, subprocess_env, tmp_path, report):
    settings = dataclasses.replace(kafka_settings, partitions=4)
    expected = reference_counts(read_jsonl(flash_history))
    with background_replay(settings, flash_history, subprocess_env, "25000"), \
            Workers(python, subprocess_env, settings, tmp_path) as pool, \
            window_reader(settings.bootstrap_servers, settings.topic("hashtag-windows")) as reader:
        survivor, victim = pool.start(4), pool.start(4)
        wait_for_more(reader, 0, 120, pool.procs)
        wait_until_owning(pool, 1, "posts", 90)
        deadline = time.monotonic() + 60
        while len(reader.poll()) < len(expected) // 4 and time.monotonic() < deadline:
            pass
        assert len(reader.latest) < len(expected), "the kill landed mid-stream"
        victim.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        victim.wait(timeout=10)
        got = reader.wait_for(expected, timeout=180, workers=[survivor])
        caught_up = time.monotonic() - killed
        assert got == expected, pool.tail()
        assert all(len(values) == 1 for values in reader.values.values()), "a window published with other counts"
    report(f"two workers, one killed for good: survivor caught up {caught_up:.1f} s after the kill "
           f"(session timeout 10 s included)")
