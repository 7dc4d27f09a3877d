"""Reading a pipeline's results back from Kafka: ``trend-alerts`` and ``hashtag-windows``.

``ResultReader`` is what ``trendwatch watch`` and ``trendwatch run --broker``
show from: it reads both topics with no consumer group of its own and commits
nothing, from their start or from now, and hands each alert and each closed
window to the caller (records with the watermark key, which the count stage
publishes for the detector, are skipped; a record that is not a trendwatch
record is logged and skipped).
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import orjson
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from detectors.records import Alert, Window
from streams.errors import BrokerUnavailable
from streams.kafka.security import client_config
from streams.kafka.topics import admin_client
from streams.worker.count_flow import WATERMARK_KEY

__all__ = ["ResultReader", "RESULT_TOPICS"]

log = logging.getLogger(__name__)

RESULT_TOPICS = ("trend-alerts", "hashtag-windows")


def _partitions(consumer: KafkaConsumer, topic: str, wait: float) -> set[int] | None:
    deadline = time.monotonic() + wait
    while True:
        found = consumer.partitions_for_topic(topic)
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.2)


class ResultReader:
    """The alerts and closed windows of the pipeline named by ``settings`` (its topic prefix).

    ``from_beginning``: read both topics from their start (else from now).
    ``wait``: seconds to wait for topics just created to show up in the
    broker's metadata (0: a missing topic is an error at once).
    """

    def __init__(self, settings, from_beginning: bool, client: str = "watch", wait: float = 0.0):
        self.settings = settings
        self.alerts_topic = settings.topic("trend-alerts")
        admin_client(settings).close()  # unreachable broker: one clear error first
        try:
            self.consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False,
                                          client_id=f"{settings.app_id}-{client}", **client_config(settings))
            self._assign(from_beginning, wait)
        except (KafkaError, OSError) as exc:
            raise BrokerUnavailable(f"cannot read {', '.join(RESULT_TOPICS)} from {settings.broker}: {exc}") from None

    def _assign(self, from_beginning: bool, wait: float) -> None:
        partitions = []
        for name in RESULT_TOPICS:
            topic = self.settings.topic(name)
            found = _partitions(self.consumer, topic, wait)
            if not found:
                self.consumer.close()
                raise BrokerUnavailable(f"no topic {topic} at {self.settings.broker}: start a worker "
                                        f"(`trendwatch worker`) or pass the --prefix of the pipeline to watch")
            partitions += [TopicPartition(topic, p) for p in sorted(found)]
        self.consumer.assign(partitions)
        (self.consumer.seek_to_beginning if from_beginning else self.consumer.seek_to_end)()

    def poll(self, on_alert: Callable[[Alert], None], on_windows: Callable[[list[Window]], None],
             timeout_ms: int = 250) -> tuple[int, int]:
        """Hand what arrived within ``timeout_ms`` to ``on_alert`` and ``on_windows``:
        ``(alerts, newest window end or -1)``."""
        alerts, newest = 0, -1
        for records in self.consumer.poll(timeout_ms=timeout_ms).values():
            for record in records:
                try:
                    data = orjson.loads(record.value)
                    if record.topic == self.alerts_topic:
                        on_alert(Alert.from_dict(data))
                        alerts += 1
                    elif record.key != WATERMARK_KEY:
                        window = Window.from_dict(data)
                        on_windows([window])
                        newest = max(newest, window.window_end)
                except (orjson.JSONDecodeError, ValueError, TypeError, KeyError) as exc:
                    log.warning("%s[%d]@%d: not a trendwatch record, skipped: %r", record.topic, record.partition,
                                record.offset, exc)
        return alerts, newest

    def close(self) -> None:
        self.consumer.close()
