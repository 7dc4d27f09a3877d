"""What a producer's records already on a topic say: end offsets, and events delivered since a checkpoint.

A replay tags every record it sends with a header (``RUN_HEADER`` = its run
id) and checkpoints, with its position in the input, the end offset of every
partition. After a hard kill, the events delivered between that checkpoint
and the kill are counted per partition from the tagged records past those
offsets; since the input order and the partition of each event are
deterministic and a partition holds a prefix of what was sent to it
(idempotent producer), skipping that many events per partition resumes
without duplicates or gaps.
"""

from __future__ import annotations

import logging
import time

import orjson
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from streams.kafka.security import check_connection, client_config
from streams.kafka.topics import broker_unreachable
from streams.settings import Settings

__all__ = ["RUN_HEADER", "end_offsets", "count_delivered"]

log = logging.getLogger(__name__)

RUN_HEADER = "trendwatch-run"


def _consumer(settings: Settings) -> KafkaConsumer:
    check_connection(settings)
    try:
        return KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, client_id=f"{settings.app_id}-delivery",
                             group_id=None, enable_auto_commit=False, request_timeout_ms=30_000,
                             **client_config(settings))
    except (KafkaError, OSError) as exc:
        log.debug("consumer connect failed: %r", exc)
        raise broker_unreachable(settings) from None


def end_offsets(settings: Settings, topic: str, partitions: int) -> dict[int, int]:
    """The current end offset of each partition of ``topic``."""
    consumer = _consumer(settings)
    try:
        parts = [TopicPartition(topic, p) for p in range(partitions)]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(parts).items()}
    finally:
        consumer.close()


def count_delivered(settings: Settings, topic: str, since: dict[int, int], run: str,
                    timeout: float = 60.0) -> tuple[dict[int, int], dict[int, int]]:
    """Events in the records tagged ``run`` at or after ``since[p]`` on each partition.

    Returns ``(counts, ends)``: events per partition, and the end offsets up
    to which it read. A record holds one event or a JSON array of them.
    """
    consumer = _consumer(settings)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(since)]
        ends = consumer.end_offsets(parts)
        todo = [tp for tp in parts if since[tp.partition] < ends[tp]]
        counts = {tp.partition: 0 for tp in parts}
        if todo:
            consumer.assign(todo)
            for tp in todo:
                consumer.seek(tp, since[tp.partition])
            deadline = time.monotonic() + timeout
            tag = run.encode()
            while any(consumer.position(tp) < ends[tp] for tp in todo):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"could not read {topic} up to its end in {timeout:.0f} s")
                for tp, records in consumer.poll(timeout_ms=1000).items():
                    for record in records:
                        if record.offset < ends[tp] and (RUN_HEADER, tag) in record.headers:
                            counts[tp.partition] += _events_in(record.value)
        return counts, {tp.partition: offset for tp, offset in ends.items()}
    finally:
        consumer.close()


def _events_in(value: bytes) -> int:
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError:
        return 1
    return len(data) if type(data) is list else 1
