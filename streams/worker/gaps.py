"""Records the consumer skipped: read them directly, so that every offset is handled.

Faust's stream hands a message to the agent only while its flow control is
active and the message is of the consumer's current generation; a message it
drops for either reason it acknowledges itself, and its commit then passes it.
Around the assignment that follows a restart this happened to a few records
in a row: the agent never saw them, the group's committed offset passed them,
and the detector went on without some windows of a moment (its alerts then
differ from an uninterrupted run's).

So each agent checks that the offsets it gets are consecutive (``Gaps``):
``expect`` says which offset comes next on a partition (the detect agent
knows it from its restored state: the offset after the last one applied;
after an assignment every agent expects the group's committed offset, where
the stream starts, ``expect_committed``; then each message handled says it),
and ``missed(message)``
returns the records between the expected offset and ``message``, read from
the broker with a consumer of its own (kafka-python, in a thread). The agent
handles them before ``message``. A message at or before the expected offset
(read again after a rebalance) is no gap; a partition no longer assigned
loses its expectation (``keep``), as another worker may handle it meanwhile.
Offsets without a record (transaction markers) end the read like records.

Records skipped at the end of what a partition holds have no later message to
reveal them: ``committed_past`` (run on a timer) finds partitions whose committed
offset passed the expected one (the agents acknowledge only what they handled,
so only the consumer's own acknowledgements can do that) and reads those records.
The count agent also saves the last offset it handled with its checkpoint and
expects the one after it on restart (``streams.worker.count_flow.HANDLED_KEY``),
so a kill between the skip and its discovery loses nothing either; the extract
agent, with no state of its own, expects the ``posts`` offset after the last one
its count stages applied (``Flow.posts_resume_at``). That one is often below the
group's commit (a post is acknowledged once its mentions are sent, not counted):
the records in between are read again (``committed_at``, at most ``REREAD_MAX``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from types import SimpleNamespace

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError, KafkaTimeoutError

from streams.kafka.security import client_config
from streams.settings import Settings

__all__ = ["Gaps", "CHECK_SECONDS", "READ_SECONDS", "REREAD_MAX"]

log = logging.getLogger(__name__)

CHECK_SECONDS = 5.0
"""Seconds between two ``committed_past`` checks."""
REREAD_MAX = 1_000
"""Most records below the group's commit read again after an assignment (an expectation set from a
checkpoint further back than that is dropped for the commit: such a range is no skip, and reading
it could pass ``READ_SECONDS``)."""
READ_SECONDS = 60.0
"""Longest time to read a gap; past it the agent fails (and the worker stops: restart it)."""


class Gaps:
    """Expected next offsets per ``(topic, partition)``, and the reading of what was skipped."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.next: dict[tuple[str, int], int] = {}
        self.committed_at: dict[tuple[str, int], int] = {}
        """The group's committed offset at the assignment, where it is past the expectation set from a
        checkpoint: records below it are read again because the checkpoint does not show them handled,
        not because the consumer skipped them."""
        self._consumer: KafkaConsumer | None = None
        self._group: KafkaConsumer | None = None
        self._lock = asyncio.Lock()

    def expect(self, topic: str, partition: int, offset: int) -> None:
        """The next record to handle on ``topic[partition]`` is at ``offset``."""
        self.next[(topic, partition)] = offset

    async def expect_committed(self, assigned) -> None:
        """Expect, on each of ``assigned`` (TopicPartitions) without an expectation yet, the group's
        committed offset: where the stream starts after an assignment (and note it where it is past the
        expectation: ``committed_at``). On error: no expectation."""
        wanted = [TopicPartition(tp.topic, tp.partition) for tp in assigned]
        if not wanted:
            return
        async with self._lock:
            committed = await asyncio.get_running_loop().run_in_executor(None, self._committed, wanted)
        for tp, offset in committed.items():
            key = (tp.topic, tp.partition)
            if offset is None:
                continue
            if self.next.setdefault(key, offset) < offset - REREAD_MAX:
                log.info("%s[%d]: expected offset %d from a checkpoint is more than %d records below the "
                         "group's commit %d: starting at the commit", tp.topic, tp.partition, self.next[key],
                         REREAD_MAX, offset)
                self.next[key] = offset
            elif self.next[key] < offset:
                self.committed_at[key] = offset

    def _committed(self, tps: list) -> dict:
        try:
            if self._group is None:
                self._group = KafkaConsumer(
                    bootstrap_servers=self.settings.bootstrap_servers, group_id=self.settings.app_id,
                    client_id=f"{self.settings.app_id}-gaps", enable_auto_commit=False,
                    request_timeout_ms=10_000, **client_config(self.settings))
            return {tp: self._group.committed(tp, timeout_ms=5_000) for tp in tps}
        except (KafkaError, OSError) as exc:
            log.warning("committed offsets not read, skipped records after this assignment go unnoticed: %r", exc)
            return {}

    def keep(self, assigned) -> None:
        """After a rebalance: forget partitions no longer assigned (``assigned``: TopicPartitions)."""
        mine = {(tp.topic, tp.partition) for tp in assigned}
        for key in [k for k in self.next if k not in mine]:
            del self.next[key]
        self.committed_at = {k: v for k, v in self.committed_at.items() if k in mine}

    async def missed(self, message) -> list:
        """The records skipped before ``message`` (event-like objects, in order), and ``message`` noted."""
        key = (message.topic, message.partition)
        expected = self.next.get(key)
        self.next[key] = max(message.offset + 1, expected or 0)
        if expected is None or message.offset <= expected:
            return []
        self._say(key, expected, message.offset, "were not handed to the agent")
        async with self._lock:
            records = await asyncio.get_running_loop().run_in_executor(
                None, self._read, message.topic, message.partition, expected, message.offset)
        return [_event(r) for r in records]

    async def committed_past(self) -> list:
        """The records of every partition with an expectation that the group's committed offset
        passed (read directly, in order, as event-like objects), each expectation moved to the
        committed offset. On error reading the committed offsets: none."""
        wanted = [TopicPartition(topic, partition) for topic, partition in self.next]
        if not wanted:
            return []
        loop = asyncio.get_running_loop()
        async with self._lock:
            committed = await loop.run_in_executor(None, self._committed, wanted)
        out = []
        for tp, offset in committed.items():
            key = (tp.topic, tp.partition)
            expected = self.next.get(key)
            if offset is None or expected is None or offset <= expected:
                continue
            self.next[key] = offset
            self._say(key, expected, offset, "were committed but not handed to the agent")
            async with self._lock:
                records = await loop.run_in_executor(None, self._read, tp.topic, tp.partition, expected, offset)
            out += [_event(r) for r in records]
        return out

    def _say(self, key: tuple[str, int], start: int, end: int, what: str) -> None:
        """Log a read of the records from ``start`` to before ``end``: a warning, unless they all lie below
        the offset the group had committed at the assignment (``committed_at``: read again after a
        restart, see there)."""
        (topic, partition), below = key, self.committed_at.pop(key, None)
        if below is not None and end <= below:
            log.info("%s[%d]: reading offsets %d to %d again: committed, but not in this worker's checkpoint",
                     topic, partition, start, end - 1)
        else:
            log.warning("%s[%d]: offsets %d to %d %s; reading them directly", topic, partition, start, end - 1, what)

    def _read(self, topic: str, partition: int, start: int, end: int) -> list:
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                bootstrap_servers=self.settings.bootstrap_servers, client_id=f"{self.settings.app_id}-gaps",
                enable_auto_commit=False, request_timeout_ms=30_000, **client_config(self.settings))
        consumer, tp = self._consumer, TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, start)
        deadline, out = time.monotonic() + READ_SECONDS, []
        while consumer.position(tp) < end:
            if time.monotonic() > deadline:
                raise KafkaTimeoutError(f"{topic}[{partition}]: offsets {start} to {end - 1} not read "
                                        f"within {READ_SECONDS:.0f} s")
            for records in consumer.poll(timeout_ms=500).values():
                out += [r for r in records if start <= r.offset < end]
        return out


def _event(record) -> SimpleNamespace:
    """A record read directly, shaped as the agents read Faust's events (key, value, message)."""
    message = SimpleNamespace(topic=record.topic, partition=record.partition, offset=record.offset,
                              headers=list(record.headers or ()))
    return SimpleNamespace(key=record.key, value=record.value, message=message)
