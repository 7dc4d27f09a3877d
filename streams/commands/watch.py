"""``trendwatch watch``: the live view of a running pipeline, read from Kafka.

Reads ``trend-alerts`` and ``hashtag-windows`` (from now, or
``--from-beginning``; ``streams.kafka.results``, as ``run --broker`` does) and shows them like ``trendwatch run`` does: the live
view on a terminal, one line per alert otherwise or with ``--plain``. The
status shows the event time of the newest closed window and how much of
``posts`` the workers' consumer group (``--app-id``) has read. It reads with
no consumer group of its own and commits nothing; Ctrl-C ends it.
"""

from __future__ import annotations

import logging
import time

import click
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from streams.commands.options import display_options, security_options
from streams.commands.topics import broker_option
from streams.errors import UsageError
from streams.kafka.results import ResultReader
from streams.kafka.topics import admin_client
from streams.live import display
from streams.settings import Settings, parse_duration_ms
from streams.sources.pacing import GracefulStop
from streams.stages import Detect

__all__ = ["watch", "InputProgress"]

log = logging.getLogger(__name__)


class InputProgress:
    """How much of ``posts`` a consumer group has committed, and how fast it moves (records/s)."""

    def __init__(self, settings: Settings, consumer: KafkaConsumer):
        self.settings, self.consumer = settings, consumer
        self.admin = admin_client(settings)
        topic = settings.topic("posts")
        self.partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        self._last: tuple[float, int] | None = None

    def read(self) -> tuple[float | None, float]:
        """``(share of posts committed, records/s since the last read)``; None before any commit."""
        try:
            offsets = self.admin.list_group_offsets(self.settings.app_id).get(self.settings.app_id, {})
            ends = self.consumer.end_offsets(self.partitions) if self.partitions else {}
        except (KafkaError, OSError) as exc:
            log.debug("cannot read the workers' progress: %r", exc)
            return None, 0.0
        done = sum(max(offsets[tp].offset, 0) for tp in self.partitions if tp in offsets)
        total = sum(ends.values())
        now, rate = time.monotonic(), 0.0
        if self._last is not None and now > self._last[0]:
            rate = max(0, done - self._last[1]) / (now - self._last[0])
        self._last = (now, done)
        if not offsets or not total:
            return None, rate
        return min(1.0, done / total), rate

    def close(self) -> None:
        self.admin.close()


@click.command()
@broker_option
@click.option("--prefix", "topic_prefix", default=None, help="Prefix of the topic names of the pipeline.")
@click.option("--app-id", default=None, help="Consumer group of the workers, for the input progress "
                                             "[env TRENDWATCH_APP_ID; default trendwatch].")
@click.option("--from-beginning", is_flag=True, help="Read the topics from their start, not from now.")
@click.option("--size", default=None, metavar="DURATION",
              help="Window size of the trending table, e.g. 5m [default: the detector's slow size, 1h].")
@display_options
@security_options
def watch(broker, topic_prefix, app_id, from_beginning, size, plain, progress, all_steps, security) -> None:
    """Show the trends of a running pipeline live: its alerts and closed windows, read from Kafka."""
    settings = Settings.build({"broker": broker, "topic_prefix": topic_prefix, "app_id": app_id, **security})
    size_ms = parse_duration_ms(size, "--size") if size else Detect.scales(settings.window_ms)[1]
    if size and size_ms not in settings.window_ms:
        raise UsageError(f"--size {size}: the workers publish windows of {', '.join(settings.window_sizes)}")
    reader = ResultReader(settings, from_beginning)
    workers = InputProgress(settings, reader.consumer)
    view = display(f"watching {settings.broker} ({settings.topic('*')})", plain=plain, all_steps=all_steps,
                   progress=progress, size_ms=size_ms)
    position, checked = -1, 0.0
    try:
        with GracefulStop() as stop, view:
            while not stop():
                position = max(position, reader.poll(view.alert, view.windows)[1])
                if time.monotonic() - checked >= 2.0:
                    checked = time.monotonic()
                    fraction, rate = workers.read()
                    view.progress(position=position, fraction=fraction, rate=rate, unit="posts records/s")
                elif position >= 0:
                    view.progress(position=position)
    finally:
        workers.close()
        reader.close()
