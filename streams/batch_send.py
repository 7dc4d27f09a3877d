"""Many small Kafka messages handed to the producer as a few batches, one Kafka message each.

``BatchSender.add(topic, key, value, partition=None, headers=None)`` appends
one message to an aiokafka ``BatchBuilder`` of its topic partition, without
awaiting anything: an agent that changes its state and adds the messages that
change causes does both in one step of the event loop, so a checkpoint never
sees the state without its messages. ``await flush()`` hands every batch built
so far to the producer with ``send_batch`` (in the order they were built).
This skips ``producer.send``'s per-message work (metadata wait, partitioner,
size check, one future per message), tens of microseconds each in Python; the
topics carry exactly the messages ``send`` would have written, in the same
order per partition.

A message without an explicit partition goes where ``send`` would put it:
the partition Kafka's default partitioner picks for its key (murmur2 of the
key, positive, modulo the topic's partition count, as the Java client and
aiokafka's ``DefaultPartitioner`` compute it; hashes are cached per key). When
that cannot be known for sure — no key, a custom partitioner, the topic's
metadata not loaded yet, Faust producing in a transaction — the message is
sent alone with Faust's ``producer.send`` in its place in the queue.

Checkpoints: ``send_batch`` puts the batch into the producer's accumulator
(``MessageAccumulator.add_batch`` appends it to ``_batches[tp]``, as ``send``
does with its own batches), and ``AIOKafkaProducer.flush()`` waits for the
futures of every batch in ``_batches`` and ``_pending_batches`` (aiokafka
0.14, ``producer/message_accumulator.py``). So after ``await flush()`` and
``await app.producer.flush()`` everything added before is on the broker;
``check()`` then raises if Kafka refused any of it.

Examples
--------
>>> from aiokafka.partitioner import DefaultPartitioner
>>> [partition_for(key, [0, 1, 2]) for key in (b"fyp", b"cats", b"a")] == [
...     DefaultPartitioner()(key, [0, 1, 2], [0, 1, 2]) for key in (b"fyp", b"cats", b"a")]
True
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka.partitioner import DefaultPartitioner, murmur2

from streams.errors import BrokerUnavailable

__all__ = ["BatchSender", "partition_for", "BATCH_BYTES"]

log = logging.getLogger(__name__)

BATCH_BYTES = 256 * 1024
"""Size a batch may reach before a new one is started (the app sets the producer's
``max_batch_size`` to this; a single larger message still goes alone)."""
_HASHES_KEPT = 200_000
_hashes: dict[bytes, int] = {}


def partition_for(key: bytes, partitions: list[int]) -> int:
    """The partition Kafka's default partitioner picks for ``key`` among ``partitions`` (sorted)."""
    h = _hashes.get(key)
    if h is None:
        if len(_hashes) >= _HASHES_KEPT:
            _hashes.clear()
        h = _hashes[key] = murmur2(key) & 0x7FFFFFFF
    return partitions[h % len(partitions)]


class BatchSender:
    """Messages for the producer of Faust app ``app``, queued in batches (see the module docstring)."""

    def __init__(self, app):
        self.app = app
        self.messages = 0
        self.batches = 0
        self._open: dict[tuple[str, int], object] = {}
        self._queue: list[tuple] = []
        self._deliveries: list[asyncio.Future] = []
        self._lock = asyncio.Lock()
        self._checked, self._usable = None, False

    def _kafka(self):
        """The aiokafka producer under Faust's, or None when its batches cannot be used."""
        producer = getattr(self.app.producer, "_producer", None)
        if producer is not self._checked:  # judged once per producer (Faust starts one)
            self._checked, self._usable = producer, (
                producer is not None and not getattr(self.app, "in_transaction", False)
                and isinstance(getattr(producer, "_partitioner", None), DefaultPartitioner))
        return producer if self._usable else None

    def add(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None,
            headers: list | None = None) -> None:
        """Queue one message (``value`` None: a tombstone); sent at the next ``flush()``."""
        self.messages += 1
        kafka = self._kafka()
        if kafka is not None and partition is None and key is not None:
            known = kafka.client.cluster.partitions_for_topic(topic)
            if known:
                partition = partition_for(key, sorted(known))
        if kafka is None or partition is None:
            self._send_alone(topic, key, value, partition, headers)
            return
        builder = self._open.get((topic, partition))
        if builder is None:
            builder = self._open[(topic, partition)] = kafka.create_batch()
        if builder.append(timestamp=None, key=key, value=value, headers=headers or []) is None:
            self._queue.append((topic, partition, self._open.pop((topic, partition))))
            builder = self._open[(topic, partition)] = kafka.create_batch()
            builder.append(timestamp=None, key=key, value=value, headers=headers or [])

    def _send_alone(self, topic, key, value, partition, headers) -> None:
        """Queue a message for ``producer.send``, after the batches of its topic built so far."""
        for tp in [tp for tp in self._open if tp[0] == topic]:
            self._queue.append((*tp, self._open.pop(tp)))
        self._queue.append((topic, partition, None, key, value, headers))

    async def flush(self) -> None:
        """Hand every message added so far to the producer, in order (does not wait for delivery).

        Returns only once the messages of a flush under way in another task are
        handed over too: they may hold the windows of state a checkpoint covers.
        """
        if not self._queue and not self._open and not self._lock.locked():
            return
        async with self._lock:
            queue, self._queue = self._queue, []
            queue += [(*tp, builder) for tp, builder in self._open.items()]
            self._open = {}
            for item in queue:
                topic, partition, builder = item[:3]
                if builder is None:
                    key, value, headers = item[3:]
                    delivery = await self.app.producer.send(topic, key, value, partition, None, headers)
                else:  # a batch built by the producer running now, or by the one before a restart
                    kafka = self.app.producer._ensure_producer()
                    delivery = await kafka.send_batch(builder, topic, partition=partition)
                    self.batches += 1
                self._deliveries.append(delivery)

    def check(self) -> None:
        """After ``producer.flush()``: raise if Kafka refused anything handed over so far."""
        pending, failed = [], []
        for future in self._deliveries:
            if not future.done():
                pending.append(future)
            elif future.cancelled() or future.exception() is not None:
                failed.append(future)
        self._deliveries = pending
        if failed:
            exc = "cancelled" if failed[0].cancelled() else repr(failed[0].exception())
            raise BrokerUnavailable(f"Kafka did not take {len(failed)} batch(es) of messages ({exc}); "
                                    "check the broker, then restart the worker: it resumes from its "
                                    "last checkpoint")
