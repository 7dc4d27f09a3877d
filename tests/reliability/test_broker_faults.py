"""The broker under a running worker: stopped and restarted, out of disk, a topic deleted.

- One replay into a broker of the test's own (its data directory a small tmpfs) with a worker
  reading: the broker stopped and started again on the same data directory: the worker and the
  replay reconnect on their own, and the stall shows (``trendwatch_events_total`` flat, ``/readyz``
  says the broker is unreachable). Then the broker's disk full: the broker halts (Kafka stops a
  broker whose only log directory fails) and the worker stops after ``--broker-wait`` seconds
  with one ``Error:`` line. Disk freed, broker started, the replay resumed and the worker
  restarted: the windows equal the counts computed from the input (nothing lost in the restart,
  nothing counted twice after the disk-full stop).
- A topic of the worker deleted under it (on the session broker, which like Kafka's default
  recreates a topic a client asks for): the worker ends within seconds with exit code 1 and one
  ``Error:`` line naming the topic, instead of waiting for ever.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient

from streams.kafka.broker import LocalBroker, free_port
from streams.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
from worker_harness import Workers, read_jsonl, reference_counts, stop_process, window_reader  # noqa: E402

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

START_LINE = "page, API and metrics on "


def worker_url(pool, index: int, timeout: float) -> str:
    """The base URL of worker ``index``'s page, API and metrics (from its start-up line)."""
    return re.search(START_LINE + r"(\S+)/", pool.wait_for_line(index, START_LINE, timeout)).group(1)


def events_counted(url: str) -> float:
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("trendwatch_events_total{"))


def readiness(url: str) -> dict:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:  # 503: not ready, with the reasons
        return json.loads(exc.read())


def until(what: str, predicate, timeout: float, procs=(), pool=None) -> float:
    """Seconds until ``predicate()`` holds; AssertionError after ``timeout`` or if a process exits."""
    started = time.monotonic()
    while True:
        assert all(p.poll() is None for p in procs), f"exited while waiting: {what}\n{pool.tail() if pool else ''}"
        if predicate():
            return time.monotonic() - started
        assert time.monotonic() - started < timeout, f"not within {timeout} s: {what}\n{pool.tail() if pool else ''}"
        time.sleep(0.2)


@pytest.fixture
def broker_on_small_disk(tmp_path):
    """A broker of this test alone, its data directory a 64 MiB tmpfs the test fills; stopped and
    unmounted at the end (mounting needs root)."""
    disk = tmp_path / "kafka"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "trendwatch-test", str(disk)],
                             capture_output=True, text=True, timeout=30)
    assert mounted.returncode == 0, f"cannot mount a tmpfs for the broker (needs root): {mounted.stderr}"
    broker = LocalBroker(disk, port=free_port(), attached=True)
    try:
        broker.start(timeout=120)
        yield broker
    finally:
        broker.stop()
        subprocess.run(["umount", "--lazy", str(disk)], capture_output=True, timeout=30)


def fill(disk: Path) -> None:
    """Write zeros to ``disk`` until it is full."""
    subprocess.run(["dd", "if=/dev/zero", f"of={disk / 'filler'}", "bs=1M"], capture_output=True, timeout=60)


@pytest.mark.timeout(280)
def test_broker_restarted_then_out_of_disk_mid_stream_loses_nothing(
        broker_on_small_disk, flash_history, python, subprocess_env, tmp_path, report):
    broker = broker_on_small_disk
    settings = Settings(broker=f"kafka://{broker.bootstrap}", topic_prefix="faults-", app_id="faults-app",
                        partitions=2)
    expected = reference_counts(read_jsonl(flash_history))
    replay = [python, "-m", "streams", "replay", str(flash_history), "--broker", settings.broker, "--prefix",
              settings.topic_prefix, "--partitions", "2", "--record-bytes", "4096", "--state", str(tmp_path / "at")]
    with Workers(python, subprocess_env, settings, tmp_path, extra_env={"TRENDWATCH_BROKER_WAIT": "30"}) as pool, \
            window_reader(settings.bootstrap_servers, settings.topic("hashtag-windows")) as reader:
        worker = pool.start(2)
        url = worker_url(pool, 0, 120)
        producer = subprocess.Popen([*replay, "--speed", "5000"],  # 72 h of event time in about 50 s
                                    env=subprocess_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            # The broker stopped and started again: the worker and the replay wait, then go on.
            until("a fifth of the windows out", lambda: len(reader.poll()) >= len(expected) // 5, 120,
                  [worker, producer])
            broker.stop()
            down = time.monotonic()
            until("/readyz says the broker is unreachable",
                  lambda: any("broker unreachable" in r for r in readiness(url)["reasons"]), 30, [worker], pool)
            flat = events_counted(url)
            time.sleep(1)
            assert events_counted(url) == flat, "events counted while the broker was down"
            broker.start(timeout=120)
            outage = time.monotonic() - down
            # The replay may finish first: it catches up on its pacing in one burst once the broker is back.
            back = until("events counted again", lambda: events_counted(url) > flat, 120, [worker], pool)
            assert producer.poll() in (None, 0), producer.stderr.read().decode()[-2000:]
            # Its disk full: the broker halts; the worker stops after --broker-wait with one Error: line.
            until("two fifths of the windows out", lambda: len(reader.poll()) >= 2 * len(expected) // 5, 120,
                  [worker], pool)
            assert producer.poll() in (None, 0), producer.stderr.read().decode()[-2000:]
            fill(broker.data_dir)
            full = time.monotonic()
            assert worker.wait(timeout=90) == 1, pool.tail()
            stopped = time.monotonic() - full
        finally:
            stop_process(producer, timeout=0)
        log = (tmp_path / "worker0.log").read_text(errors="replace")
        errors = [line for line in log.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "has not answered for 30 s" in errors[0], log[-3000:]
        assert not broker.running(), "a broker out of disk halts"
        # Disk freed, broker back, the replay resumed and the worker restarted: counts exact.
        (broker.data_dir / "filler").unlink()
        broker.stop()
        broker.start(timeout=120)
        resumed = subprocess.run([*replay, "--speed", "max", "--resume"], env=subprocess_env, capture_output=True,
                                 timeout=120)  # a replay stuck on the halted broker was killed
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        worker = pool.start(2)
        got = reader.wait_for(expected, timeout=150, workers=[worker])
        # Exact in the end. Not each window published once: the outages pause the stream for longer
        # than the idle flush (2 s here), so windows open then may be published idle, then again whole.
        assert got == expected, pool.tail()
    report(f"broker stopped for {outage:.1f} s mid-stream: the worker counted again {back:.1f} s after it was "
           f"back, the replay went on; then its disk full: the broker halted, the worker stopped {stopped:.1f} s "
           "later (--broker-wait 30, longer than the restart above) with one Error: line; after restarts counts exact")


@pytest.mark.timeout(150)
@pytest.mark.parametrize("topic", ["posts", "hashtag-mentions"])
def test_topic_deleted_under_a_running_worker_stops_it_with_one_error(
        kafka_settings, flash_history, python, subprocess_env, tmp_path, topic, report):
    settings = dataclasses.replace(kafka_settings, partitions=2)
    replay = subprocess.run(
        [python, "-m", "streams", "replay", str(flash_history), "--broker", settings.broker,
         "--prefix", settings.topic_prefix, "--partitions", "2", "--record-bytes", "4096"],
        env=subprocess_env, capture_output=True, timeout=120)
    assert replay.returncode == 0, replay.stderr[-2000:]
    with Workers(python, subprocess_env, settings, tmp_path) as pool, \
            window_reader(settings.bootstrap_servers, settings.topic("hashtag-windows")) as reader:
        worker = pool.start(2)
        until("windows published", lambda: len(reader.poll()) > 0, 120, [worker])
        admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
        try:
            admin.delete_topics([settings.topic(topic)])
            deleted = time.monotonic()
            code = worker.wait(timeout=60)
            stopped = time.monotonic() - deleted
        finally:
            admin.close()
        log = (tmp_path / "worker0.log").read_text(errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("Error:")]
    assert code == 1, log[-3000:]
    assert len(errors) == 1 and f"topic {settings.topic(topic)} was deleted" in errors[0], log[-3000:]
    report(f"topic {topic} deleted under a running worker: it stopped {stopped:.1f} s later with exit 1 and "
           f"one Error: line")
