"""``trendwatch run --broker``: the same job through Kafka.

Starts a ``trendwatch worker`` (extract, count and detect agents) as a child
process, sends the scenario's events (or the replayed file's) to its ``posts``
topic, reads the alerts and closed windows back from ``trend-alerts`` and
``hashtag-windows`` as they are published (``streams.kafka.results``, as
``trendwatch watch`` does), and
stops the worker once the input has been sent and the alerts have settled.
Each run gets topics and a consumer group of its own (prefix
``<prefix>run<epoch seconds>-``), so a run never resumes an earlier one, and
deletes them when it ends (also on Ctrl-C and on failure): its five topics
and the worker's changelog topics (``<app id>-...``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Callable, Iterable

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from detectors.records import Alert
from streams.embedded.runner import Summary
from streams.errors import BrokerUnavailable, UsageError
from streams.kafka.producer import KafkaSink
from streams.kafka.results import ResultReader
from streams.kafka.topics import admin_client, create_topics, delete_topics
from streams.settings import Settings
from streams.sources.pacing import pump

__all__ = ["run_on_kafka", "run_settings", "worker_detects", "SETTLE_SECONDS"]

log = logging.getLogger(__name__)

SETTLE_SECONDS = 40.0
"""After the last event is sent, the run ends once every mentions partition has said it is
idle-flushed (its watermark record on ``hashtag-windows``) and the worker has committed all its
input, so the detector's last moment is out; at the latest after this long without a new alert."""
MAX_WAIT_SECONDS = 300.0
_WORKER_INPUTS = ("posts", "hashtag-mentions", "hashtag-windows")


def run_settings(settings: Settings) -> Settings:
    """The settings of one run: fresh topics and consumer group."""
    stamp = f"run{int(time.time())}-"
    return dataclasses.replace(settings, topic_prefix=settings.topic_prefix + stamp,
                               app_id=f"{settings.app_id}-{stamp.rstrip('-')}")


def worker_detects(settings: Settings) -> bool:
    """True if the worker's Faust app has a ``detect`` agent (publishing to ``trend-alerts``)."""
    from streams.worker.app import create_app  # Faust is only imported on the Kafka path

    with tempfile.TemporaryDirectory() as tmp:
        return "detect" in create_app(dataclasses.replace(settings, data_dir=tmp)).agents


def _worker_env(settings: Settings) -> dict[str, str]:
    """The worker's environment: these settings as ``TRENDWATCH_*`` variables (the password too, unless it
    comes from a file: never on a command line)."""
    return {**os.environ, **dataclasses.replace(settings, web_port=0).to_env()}


class _Producer(threading.Thread):
    """Sends the events in the background so that alerts print while the input is still flowing."""

    def __init__(self, events: Iterable[dict], sink: KafkaSink, pace: float | None, stop: Callable[[], bool]):
        super().__init__(daemon=True, name="trendwatch-run-producer")
        self.events, self.sink, self.pace, self.stop = events, sink, pace, stop
        self.posts = self.engagements = 0
        self.first_ts = self.last_ts = -1
        self.error: BaseException | None = None

    def _counted(self):
        for event in self.events:
            if event.get("type") == "post":
                self.posts += 1
            else:
                self.engagements += 1
            if self.first_ts < 0:
                self.first_ts = event["ts"]
            self.last_ts = event["ts"]
            yield event

    def run(self) -> None:
        try:
            pump(self._counted(), self.sink, self.pace, stop=self.stop)
            self.sink.close()
        except BaseException as exc:  # reported by the main thread
            self.error = exc


def run_on_kafka(settings: Settings, events: Iterable[dict], *, pace: float | None,
                 on_alert: Callable[[Alert], None], stop: Callable[[], bool],
                 settle: float = SETTLE_SECONDS,
                 on_progress: Callable[[int, int, float], None] | None = None,
                 on_windows: Callable[[list], None] | None = None) -> Summary:
    """Run the job through Kafka with a worker child process; returns what it saw and said.

    ``on_progress(event_time_ms, events_sent, events_per_second)`` follows the producer;
    ``on_windows`` sees the closed windows the worker publishes (the live view's input).
    """
    started = time.perf_counter()
    admin_client(settings).close()  # unreachable broker: BrokerUnavailable, before anything else
    if not worker_detects(settings):
        raise UsageError("--broker: this installation's worker has no detect agent, so no alert would come "
                         "back from Kafka; run without --broker (same stages, in process)")
    create_topics(settings)
    try:
        summary, producer = _run(settings, events, pace, on_alert, stop, settle, on_progress,
                                 on_windows or (lambda windows: None))
    finally:
        _delete_topics(settings)
    summary.posts, summary.engagements = producer.posts, producer.engagements
    summary.first_ts, summary.last_ts = producer.first_ts, producer.last_ts
    summary.windows = summary.tags_seen = -1  # counted by the worker (its metrics), not here
    summary.seconds = time.perf_counter() - started
    return summary


def _run(settings: Settings, events, pace, on_alert, stop, settle, on_progress,
         on_windows) -> tuple[Summary, _Producer]:
    """Worker, producer and result reader until the alerts settle; the worker is stopped on the way out."""
    started = time.perf_counter()
    reader, admin = ResultReader(settings, from_beginning=True, client="alerts", wait=15.0), admin_client(settings)
    summary = Summary()

    def alert(a: Alert) -> None:
        summary.alerts.append(a)
        on_alert(a)

    # The worker's stdout carries Faust's terminal spinner: only its stderr (warnings, errors) is shown.
    worker = subprocess.Popen([sys.executable, "-m", "streams", "worker"], env=_worker_env(settings),
                              stdout=subprocess.DEVNULL)
    try:
        producer = _Producer(events, KafkaSink(settings, create=False), pace, stop)
        producer.start()
        done_at = last_alert = None
        checked = 0.0
        while True:
            fresh = reader.poll(alert, on_windows, timeout_ms=500)[0]
            if on_progress is not None and producer.last_ts >= 0:
                sent = producer.posts + producer.engagements
                on_progress(producer.last_ts, sent, sent / max(time.perf_counter() - started, 1e-9))
            if worker.poll() is not None:
                raise BrokerUnavailable(f"the worker stopped (exit {worker.returncode}); see its messages above")
            if producer.error is not None:
                raise producer.error
            if producer.is_alive():
                continue
            now = time.monotonic()
            done_at = done_at or now
            last_alert = now if fresh else (last_alert or done_at)
            if now - checked >= 1.0:  # the settling time starts once the worker has read everything
                checked = now
                if _worker_behind(admin, reader.consumer, settings):
                    last_alert = now
                elif reader.idle:  # every partition flushed and all committed: the last moment is out
                    reader.drain(alert, on_windows)
                    log.info("the worker is done, %.1f s after the last event was sent", now - done_at)
                    break
            if stop() or now - last_alert >= settle or now - done_at >= MAX_WAIT_SECONDS:
                break
    finally:
        _stop_worker(worker)
        reader.close()
        admin.close()
    return summary, producer


def _delete_topics(settings: Settings) -> None:
    """Delete the run's topics; a failure here is reported, not raised over the run's own outcome."""
    try:
        deleted = delete_topics(settings, (settings.topic_prefix, settings.app_id + "-"))
    except BrokerUnavailable as exc:
        log.warning("the run's topics were not deleted (%s); delete them with: trendwatch topics delete "
                    "--broker %s --prefix %s", exc, settings.broker, settings.topic_prefix)
        return
    log.info("deleted the run's %d topics: %s", len(deleted), ", ".join(deleted))


def _worker_behind(admin, consumer: KafkaConsumer, settings: Settings) -> bool:
    """True while the worker's group has not committed the end of every input topic."""
    try:
        offsets = admin.list_group_offsets(settings.app_id).get(settings.app_id, {})
        committed = {tp: meta.offset for tp, meta in offsets.items()}
        tps = [TopicPartition(topic, p) for topic in (settings.topic(n) for n in _WORKER_INPUTS)
               for p in consumer.partitions_for_topic(topic) or ()]
        ends = consumer.end_offsets(tps)
    except (KafkaError, OSError) as exc:
        log.debug("cannot read the worker's progress: %r", exc)
        return False
    return any(committed.get(tp, 0) < end for tp, end in ends.items())


def _stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            log.warning("worker %d did not stop in 30 s; killing it", worker.pid)
            worker.kill()
            worker.wait()
