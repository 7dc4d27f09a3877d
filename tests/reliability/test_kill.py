"""Workers killed with SIGKILL on the real broker, compared with counts computed from the input.

- One worker killed at five random moments (a seeded RNG) of one replay and restarted each
  time: the final windows equal the input's counts and the alert steps on ``trend-alerts``
  equal the embedded run's of the same file (the clean run); recovery time per restart is
  reported.
- Two workers, one killed for good mid-stream: the survivor takes its partitions, counts stay
  exact; the time from the kill until everything is published is reported.
"""

from __future__ import annotations

import dataclasses
import json
import random
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from streams.embedded.runner import Pipeline, file_records, run
from streams.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
from worker_harness import SIZES_MS, Workers, read_jsonl, reference_counts, stop_process, window_reader  # noqa: E402

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

KILLS = 5

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


class AlertReader:
    """Reads ``trend-alerts`` from the start: the distinct alert steps in the order first seen."""

    def __init__(self, bootstrap: str, topic: str):
        self.consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                      enable_auto_commit=False, consumer_timeout_ms=2000)
        self.steps: list[dict] = []
        self.copies = 0

    def read(self, until: list[dict] | None = None, timeout: float = 0) -> list[dict]:
        """The steps so far; with ``until``, read on (at most ``timeout`` s) until they are those."""
        deadline = time.monotonic() + timeout
        self._poll()
        while until is not None and self.steps != until and time.monotonic() < deadline:
            self._poll()
        return self.steps

    def _poll(self) -> None:
        for record in self.consumer:
            step = json.loads(record.value)
            if step in self.steps:
                self.copies += 1  # sent again by a worker that replayed from its last checkpoint
            else:
                self.steps.append(step)

    def close(self) -> None:
        self.consumer.close()


def clean_run_alerts(history) -> list[dict]:
    """The alert steps of the embedded run of ``history`` (same stages, no broker, nothing killed)."""
    alerts = []
    run(file_records([history]), Pipeline(Settings(window_sizes=tuple(SIZES_MS))), on_alert=alerts.append)
    assert any(a.kind == "trend" and a.state == "started" for a in alerts), "the history must alert"
    return [a.to_dict() for a in alerts]


def first_difference(got: list[dict], want: list[dict]) -> str:
    """Where two lists of alert steps first differ, field by field."""
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            fields = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
            return f"step {i} ({b['hashtag']} {b['state']}): (after kills, clean run) {fields}"
    return f"{len(got)} steps after kills, {len(want)} in the clean run"


def recovery(pool, reader, out_at_kill: int) -> tuple[float, float]:
    """Seconds from the start of the newest worker until it is ready (its start-up line: assigned,
    state restored), and until the windows published go past ``out_at_kill`` (it caught up)."""
    restarted, worker, index = time.monotonic(), pool.procs[-1], len(pool.procs) - 1
    pool.wait_for_line(index, "page, API and metrics on", 120)
    ready = time.monotonic() - restarted
    while len(reader.poll()) <= out_at_kill:
        assert time.monotonic() - restarted < 120, f"worker {index} publishes nothing new:\n{pool.tail()}"
        assert worker.poll() is None, f"worker {index} exited:\n{pool.tail()}"
    return ready, time.monotonic() - restarted


@pytest.mark.timeout(280)
def test_kill_9_at_five_random_moments_keeps_windows_and_alerts_exact(
        kafka_settings, flash_history, python, subprocess_env, tmp_path, report):
    settings = dataclasses.replace(kafka_settings, partitions=2)
    expected = reference_counts(read_jsonl(flash_history))
    rng = random.Random(13)  # the kill moments: fractions of the windows published
    moments = sorted(rng.uniform(0.05, 0.6) for _ in range(KILLS))
    recoveries, sending = [], 0
    with background_replay(settings, flash_history, subprocess_env, "3000") as producer, \
            Workers(python, subprocess_env, settings, tmp_path) as pool, \
            window_reader(settings.bootstrap_servers, settings.topic("hashtag-windows")) as reader:
        worker = pool.start(2, instance="worker-a")  # static membership: restarts take the partitions back
        for kill, moment in enumerate(moments):
            deadline = time.monotonic() + 120
            while len(reader.poll()) < moment * len(expected):
                assert time.monotonic() < deadline, f"kill {kill + 1}: stream stopped:\n{pool.tail()}"
                assert worker.poll() is None, f"worker exited:\n{pool.tail()}"
            worker.send_signal(signal.SIGKILL)
            sending += producer.poll() is None
            worker.wait(timeout=10)
            out_at_kill = len(reader.drain())
            assert out_at_kill < len(expected), f"kill {kill + 1} landed after the stream"
            worker = pool.start(2, instance="worker-a")
            recoveries.append(recovery(pool, reader, out_at_kill))
        got = reader.wait_for(expected, timeout=120, workers=[worker])
        assert got == expected, pool.tail()
        assert all(len(values) == 1 for values in reader.values.values()), "a window published with other counts"
        clean = clean_run_alerts(flash_history)
        alerts = AlertReader(settings.bootstrap_servers, settings.topic("trend-alerts"))
        try:
            steps = alerts.read(until=clean, timeout=60)
            assert steps == clean, first_difference(steps, clean)
        finally:
            alerts.close()
    report(f"kill -9 at five moments of one replay ({sending} of them while it was still sending), restarted "
           "each time; recovery per restart (ready = assigned and state restored / caught up = publishing "
           "windows past the kill): " + ", ".join(f"{r:.1f} / {c:.1f} s" for r, c in recoveries))
