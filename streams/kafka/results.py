"""Reading a pipeline's results back from Kafka: ``trend-alerts`` and ``hashtag-windows``.

``ResultReader`` is what ``trendwatch watch`` and ``trendwatch run --broker``
show from: it reads both topics with no consumer group of its own and commits
nothing, from their start or from now, and hands each alert and each closed
window to the caller (windows come in batch records,
``streams.worker.window_records``; a record that is not a trendwatch record is
logged and skipped). Of the watermark records, which the count stage
publishes for the detector, it keeps only whether each mentions partition
said last that it is idle-flushed (``flushed``, ``idle``): ``run --broker``
ends once all have.
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
from streams.worker.window_records import WATERMARK_KEY, decode_windows

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
        self.flushed: dict[int, bool] = {}
        """Whether each mentions partition's latest watermark record says it is idle-flushed."""
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
                    if record.topic == self.alerts_topic:
                        on_alert(Alert.from_dict(orjson.loads(record.value)))
                        alerts += 1
                    elif record.key == WATERMARK_KEY:
                        self._mark(orjson.loads(record.value))
                    else:
                        windows = decode_windows(record.key, record.value)
                        on_windows(windows)
                        newest = max([newest, *(w.window_end for w in windows)])
                except (orjson.JSONDecodeError, ValueError, TypeError, KeyError) as exc:
                    log.warning("%s[%d]@%d: not a trendwatch record, skipped: %r", record.topic, record.partition,
                                record.offset, exc)
        return alerts, newest

    def _mark(self, record: dict) -> None:
        for partition in range(int(record["partitions"])):
            self.flushed.setdefault(partition, False)
        self.flushed[int(record["partition"])] = record.get("flushed") is True

    @property
    def idle(self) -> bool:
        """True once every mentions partition has said last that it is idle-flushed."""
        return bool(self.flushed) and all(self.flushed.values())

    def drain(self, on_alert: Callable[[Alert], None], on_windows: Callable[[list[Window]], None],
              timeout: float = 30.0) -> None:
        """Everything up to the current end of ``trend-alerts``."""
        alerts = TopicPartition(self.alerts_topic, 0)
        end = self.consumer.end_offsets([alerts])[alerts]
        deadline = time.monotonic() + timeout
        while self.consumer.position(alerts) < end and time.monotonic() < deadline:
            self.poll(on_alert, on_windows)

    def close(self) -> None:
        self.consumer.close()
