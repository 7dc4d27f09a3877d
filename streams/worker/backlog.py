"""Is input still on its way? End offsets against what the worker group has done.

A partition of ``hashtag-mentions`` that has had no message for
``settings.idle_flush`` seconds is not idle if posts are still waiting
upstream: another worker may be slow, restarting, or dead and not yet
replaced, and its mentions will come. Flushing then would close windows
before their counts are complete and publish them again, with other counts,
when the rest arrives. So the count agent flushes only once ``Backlog`` says
nothing is pending: every ``posts`` partition has been read to its end by the
group (its committed offset, or the last source offset this partition applied,
reaches the end offset), and so has the mentions partition itself. Each partition is idle-flushed once
per idle spell, and then says so in its watermark record (``"flushed": true``):
the detect agent completes its last moments once every partition has.

The queries are blocking kafka-python calls (one ``ListOffsets`` request, and
``OffsetFetch`` only for partitions the fast check leaves open); the worker
runs them in a thread, at most once a second, and only while some partition
waits to be flushed.
"""

from __future__ import annotations

import logging

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from streams.kafka.security import client_config
from streams.settings import Settings

__all__ = ["Backlog", "caught_up"]

log = logging.getLogger(__name__)

TIMEOUT_MS = 5_000
"""Longest wait for one offsets request (the broker may be down: the check runs again later)."""


def caught_up(end: int, done: int | None) -> bool:
    """True when ``done`` (the next offset to read, or None: nothing read) reaches ``end``.

    >>> caught_up(0, None), caught_up(5, None), caught_up(5, 5), caught_up(5, 4)
    (True, False, True, False)
    """
    return end <= (done or 0)


class Backlog:
    """End and committed offsets of the worker group, for the idle check (see the module docstring)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._consumer: KafkaConsumer | None = None

    def consumer(self) -> KafkaConsumer:
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                bootstrap_servers=self.settings.bootstrap_servers, group_id=self.settings.app_id,
                client_id=f"{self.settings.app_id}-backlog", enable_auto_commit=False,
                request_timeout_ms=10_000, **client_config(self.settings))
        return self._consumer

    def ready(self, wanted: dict[int, dict[TopicPartition, int | None]]) -> list[int]:
        """The keys of ``wanted`` (``{key: {partition: next offset done here, or None}}``) none of
        whose partitions has input pending: each is done to its end offset here or by the group's
        committed offset. On any error: none (the check runs again later)."""
        try:
            consumer = self.consumer()
            ends = consumer.end_offsets(list({tp for done in wanted.values() for tp in done}),
                                        timeout_ms=TIMEOUT_MS)
            committed: dict[TopicPartition, int | None] = {}
            out = []
            for key, done in wanted.items():
                for tp, offset in done.items():
                    if caught_up(ends[tp], offset):
                        continue
                    if tp not in committed:
                        committed[tp] = consumer.committed(tp, timeout_ms=TIMEOUT_MS)
                    if not caught_up(ends[tp], committed[tp]):
                        break
                else:
                    out.append(key)
            return out
        except (KafkaError, OSError, KeyError) as exc:
            log.debug("backlog query failed, input counted as pending: %r", exc)
            return []
