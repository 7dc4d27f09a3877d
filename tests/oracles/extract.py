"""The extract stage as it was written in Python: the oracle of the native extractor.

Raw ``posts`` records in, hashtag mentions per target partition out.

Parses and validates each record (one event or a JSON array of events),
normalises hashtags, and pre-aggregates the batch per (hashtag, base bucket):
one ``Mention`` carries the posts, views, new-account posts and distinct
authors of a hashtag in a bucket. A mention's target partition is a stable
hash of its hashtag (CRC-32) modulo the partition count, so every worker
agrees on it. Bad input comes back as ``Rejected`` (for the dead-letter topic),
and so does an event whose time is implausible: more than an hour after the
wall clock, or more than ``max_skew_ms`` away from its source's clock
(``detectors.eventtime``).

Examples
--------
>>> stage = Extract(base_ms=60_000, partitions=2)
>>> by_partition, rejected = stage.process([
...     b'[{"v":1,"type":"post","id":"p1","ts":61000,"author":"a","text":"#RedNote #fyp"},'
...     b'{"v":1,"type":"engagement","post_id":"p1","ts":62000,"hashtags":["rednote"],"views":7}]',
...     b'{"oops'])
>>> sorted((p, m.hashtag, m.bucket, m.posts, m.views, m.authors) for p, ms in by_partition.items() for m in ms)
[(0, 'rednote', 60000, 1, 7, ('a',)), (1, 'fyp', 60000, 1, 0, ('a',))]
>>> [r.reason for r in rejected], stage.clock(None)
(['bad_json'], 62000)
"""

from __future__ import annotations

import json
import time
import zlib

import orjson

from tests.oracles.eventtime import MAX_FUTURE_MS, MAX_SKEW_MS, EventClock
from tests.oracles.events import decode_record, is_new_author
from detectors.records import Mention, Post, Rejected
from streams.stages.extract import JoinedLines

__all__ = ["Extract", "partition_for"]


def partition_for(hashtag: str, partitions: int) -> int:
    """The ``hashtag-mentions`` partition of a hashtag: CRC-32 of its UTF-8 bytes mod ``partitions``.

    >>> partition_for("tiktokrefugee", 4), partition_for("小红书", 4)
    (3, 3)
    """
    return zlib.crc32(hashtag.encode("utf-8")) % partitions


class Extract:
    """Parse, validate, normalise and pre-aggregate batches of ``posts`` records.

    Parameters
    ----------
    base_ms
        The base bucket in ms (the smallest window size).
    partitions
        Number of ``hashtag-mentions`` partitions.
    metrics
        Optional ``streams.observe.metrics.Metrics`` to record events, invalid events
        and stage time into.
    max_skew_ms
        Largest distance of an event's time from its source's clock.
    wall_clock
        Wall-clock time in epoch ms, read once per batch (``None`` from it: no
        wall-clock bound).
    """

    def __init__(self, base_ms: int = 60_000, partitions: int = 1, metrics=None,
                 max_skew_ms: int = MAX_SKEW_MS, wall_clock=None):
        if base_ms < 1:
            raise ValueError(f"base_ms must be >= 1, got {base_ms}")
        if partitions < 1:
            raise ValueError(f"partitions must be >= 1, got {partitions}")
        self.base_ms = base_ms
        self.partitions = partitions
        self.metrics = metrics
        self.max_skew_ms = max_skew_ms
        self.wall_clock = _wall_ms if wall_clock is None else wall_clock
        self._clocks: dict[object, EventClock] = {}
        self._partitions: dict[str, int] = {}

    @classmethod
    def from_settings(cls, settings, metrics=None, partitions: int | None = None) -> Extract:
        return cls(min(settings.window_ms), partitions or settings.partitions, metrics)

    def clock(self, source=None) -> int:
        """The latest event time (ms) admitted from ``source`` (-1 before any)."""
        clock = self._clocks.get(source)
        return -1 if clock is None else clock.clock

    def _clock(self, source) -> EventClock:
        clock = self._clocks.get(source)
        if clock is None:
            clock = self._clocks[source] = EventClock(MAX_FUTURE_MS, self.max_skew_ms)
        return clock

    def process(self, values: list[bytes], source=None) -> tuple[dict[int, list[Mention]], list[Rejected]]:
        """Mentions per target partition and the rejected input of a batch of records."""
        started = time.perf_counter()
        cells: dict[tuple[str, int], list] = {}
        rejected: list[Rejected] = []
        posts = engagements = 0
        base, clock, now_ms = self.base_ms, self._clock(source), self.wall_clock()
        for value in values:
            joined = type(value) is JoinedLines
            saved = clock.snapshot() if joined else None
            events, bad = decode_record(value, _loads, clock, now_ms)
            if bad:
                if joined:  # again line by line: each rejected line's own bytes
                    clock.restore(saved)
                    events, bad = _line_by_line(value, clock, now_ms)
                rejected.extend(bad)
            p, e = _accumulate(events, cells, base)
            posts += p
            engagements += e
        out = self._partitioned(cells)
        if self.metrics is not None:
            self._record(posts, engagements, rejected, time.perf_counter() - started)
        return out, rejected

    def _partitioned(self, cells: dict) -> dict[int, list[Mention]]:
        out: dict[int, list[Mention]] = {}
        n, known = self.partitions, self._partitions
        if len(known) > 100_000:
            known.clear()
        for (tag, bucket), (p, v, new, max_ts, authors) in cells.items():
            part = known.get(tag)
            if part is None:
                part = known[tag] = partition_for(tag, n)
            out.setdefault(part, []).append(Mention(tag, bucket, max_ts, p, v, new, tuple(sorted(authors))))
        return out

    def _record(self, posts: int, engagements: int, rejected: list[Rejected], seconds: float) -> None:
        m = self.metrics
        if posts:
            m.events.labels(type="post").inc(posts)
        if engagements:
            m.events.labels(type="engagement").inc(engagements)
        for item in rejected:
            m.invalid.labels(reason=item.reason).inc()
        m.stage_seconds.labels(stage="extract").observe(seconds)


def _accumulate(events: list, cells: dict, base: int) -> tuple[int, int]:
    """Fold events into ``cells`` {(tag, bucket): [posts, views, new, max_ts, authors]}."""
    posts = engagements = 0
    for event in events:
        ts = event.ts
        bucket = ts - ts % base
        if type(event) is Post:
            posts += 1
            author, new = event.author, 1 if is_new_author(event) else 0
            for tag in event.hashtags:
                cell = cells.get((tag, bucket))
                if cell is None:
                    cells[(tag, bucket)] = [1, 0, new, ts, {author}]
                    continue
                cell[0] += 1
                cell[2] += new
                cell[4].add(author)
                if ts > cell[3]:
                    cell[3] = ts
        else:
            engagements += 1
            for tag in event.hashtags:
                cell = cells.get((tag, bucket))
                if cell is None:
                    cells[(tag, bucket)] = [0, event.views, 0, ts, set()]
                    continue
                cell[1] += event.views
                if ts > cell[3]:
                    cell[3] = ts
    return posts, engagements



def _line_by_line(value: JoinedLines, clock: EventClock, now_ms: int | None) -> tuple[list, list[Rejected]]:
    events, rejected = [], []
    for line in value.lines():
        good, bad = decode_record(line, _loads, clock, now_ms)
        events += good
        rejected += bad
    return events, rejected


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


def _loads(value: bytes):
    """``orjson.loads``, and ``json.loads`` for what orjson refuses but JSON allows (e.g. huge integers)."""
    try:
        return orjson.loads(value if type(value) is bytes else memoryview(value))  # not subclasses
    except orjson.JSONDecodeError:
        return json.loads(value)
