"""Count stages per ``hashtag-mentions`` partition, made durable through a changelog.

``PartitionCounts`` keeps one ``Count`` per assigned partition. ``snapshot()``
turns what changed since the last snapshot into changelog records
``(partition, key, value)`` (key ``b"<partition>/<unit>"``, value the stage's
checkpoint bytes or None to delete); the worker sends them to the changelog partition of the same
number, flushes, and only then acknowledges the input messages they cover,
so committed offsets never pass un-checkpointed state. After a restart or a
rebalance ``restore`` rebuilds a partition's stage from the latest value of
every key, and the stage skips what its state already holds (by source offset).

No record is larger than ``streams.worker.chunks.CHUNK_BYTES``: a larger value (a
sketch window under a flood of distinct hashtags) goes as chunks and a head at its
key (``streams.worker.chunks``); ``restore`` joins them, and chunks no head names
(a checkpoint cut short) or that a newer head replaced are deleted by the next snapshot.

Examples
--------
>>> from detectors.records import Mention
>>> from streams.stages import Count
>>> counts = PartitionCounts(lambda: Count(sizes_ms=(60_000,), lateness_ms=0))
>>> _ = counts.get(3, table_items=list).process([Mention("fyp", 0, 5, posts=1)], source=0, offset=7, clock=5)
>>> records = counts.snapshot()
>>> [(p, key) for p, key, value in records]
[(3, b'3/fyp'), (3, b'3/')]
>>> again = PartitionCounts(lambda: Count(sizes_ms=(60_000,), lateness_ms=0))
>>> stage = again.get(3, table_items=lambda: [(k, v) for p, k, v in records])
>>> stage.applied, [w.posts for w in stage.flush()]
({'0': 7}, [1])
"""

from __future__ import annotations

import logging
import os
import time
from typing import Callable, Iterable

from streams.stages import Count
from streams.worker import chunks

__all__ = ["PartitionCounts"]

log = logging.getLogger(__name__)


class PartitionCounts:
    """The ``Count`` stages of the partitions this worker owns, with their checkpoints."""

    def __init__(self, make_count: Callable[[], Count]):
        self.make_count = make_count
        self.counts: dict[int, Count] = {}
        self.last_input: dict[int, float] = {}
        self.flushed: set[int] = set()
        """Partitions idle-flushed since their last input."""
        self._changed: set[int] = set()
        self._chunks: dict[int, dict[str, list[bytes]]] = {}
        """The chunk keys of every chunked unit value on the changelog, per partition."""
        self._garbage: dict[int, list[bytes]] = {}
        """Chunk keys to delete with the next snapshot (no head names them), per partition."""
        self._writes = 0

    def get(self, partition: int, table_items: Callable[[], Iterable[tuple[bytes, bytes]]]) -> Count:
        """The stage of ``partition``, restored from ``table_items()`` the first time."""
        count = self.counts.get(partition)
        if count is None:
            count = self.counts[partition] = self._restore(partition, table_items())
        self.last_input[partition] = time.monotonic()
        self.flushed.discard(partition)
        self._changed.add(partition)
        return count

    def _restore(self, partition: int, table_items) -> Count:
        prefix = f"{partition}/".encode()
        chunk_prefix = chunks.CHUNK_PREFIX + prefix
        items, pieces, live = {}, {}, {}
        for key, value in table_items:
            if value is None:
                continue
            if key.startswith(prefix):
                items[key[len(prefix):].decode("utf-8")] = bytes(value)
            elif key.startswith(chunk_prefix):
                pieces[key] = value
        for unit, value in items.items():
            if chunks.is_head(value):
                key = prefix + unit.encode("utf-8")
                items[unit] = chunks.join(key, value, pieces.get)
                live[unit] = chunks.chunk_keys(key, value)
        named = {key for keys in live.values() for key in keys}
        self._chunks[partition] = live
        self._garbage[partition] = sorted(key for key in pieces if key not in named)
        count = self.make_count()
        count.restore(items)
        log.info("partition %d: restored %d checkpointed units (%d chunked), applied offsets %s",
                 partition, len(items), len(live), count.applied)
        return count

    def keep_only(self, partitions: set[int]) -> None:
        """Forget the stages of partitions no longer assigned here."""
        for partition in [p for p in self.counts if p not in partitions]:
            del self.counts[partition]
            self._chunks.pop(partition, None)
            self._garbage.pop(partition, None)
            self.last_input.pop(partition, None)
            self.flushed.discard(partition)
            self._changed.discard(partition)

    def idle(self, seconds: float) -> list[tuple[int, Count]]:
        """Stages whose partition had no input for ``seconds`` and was not flushed since."""
        now = time.monotonic()
        return [(partition, count) for partition, count in self.counts.items()
                if partition not in self.flushed and now - self.last_input.get(partition, now) >= seconds]

    def mark_flushed(self, partition: int) -> None:
        """``partition`` was idle-flushed: its state changed, and it waits for input again."""
        self.flushed.add(partition)
        self._changed.add(partition)

    @property
    def tracked_tags(self) -> int:
        return sum(c.aggregator.tracked_tags for c in self.counts.values())

    def snapshot(self) -> list[tuple[int, bytes, bytes | None]]:
        """Changelog records for every change since the last snapshot (meta key last, then the deletion
        of chunks no head names any more), each value at most ``chunks.CHUNK_BYTES``."""
        records = []
        self._writes += 1
        token = f"{os.getpid():x}.{time.time_ns():x}.{self._writes:x}"  # never the same twice
        for partition in sorted(self._changed | self._garbage.keys()):
            count = self.counts.get(partition)
            if count is None:
                continue
            live = self._chunks.setdefault(partition, {})
            garbage = self._garbage.pop(partition, [])
            large = []
            if partition in self._changed:
                for unit, value in count.checkpoint().items():
                    key = f"{partition}/{unit}".encode("utf-8")
                    written = chunks.records(key, value, token)
                    records.extend((partition, k, v) for k, v in written)
                    garbage.extend(live.pop(unit, ()))
                    if len(written) > 1:
                        live[unit] = [k for k, _ in written[:-1]]
                        large.append(len(value))
            if large:
                log.info("partition %d: %d checkpoint value(s) over %d bytes sent in chunks, largest %d bytes",
                         partition, len(large), chunks.CHUNK_BYTES, max(large))
            records.extend((partition, key, None) for key in garbage)
        self._changed.clear()
        return records
