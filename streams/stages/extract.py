"""Stage ``extract``: raw ``posts`` records in, hashtag mentions per target partition out.

Parses and validates each record (one event or a JSON array of events),
normalises hashtags, and pre-aggregates the batch per (hashtag, base bucket)
in one call into the native core (``detectors._native.Extractor``):
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

import time
import zlib

from detectors import _native
from detectors.eventtime import MAX_FUTURE_MS, MAX_SKEW_MS, EventClock
from detectors.records import Mention, Rejected

__all__ = ["Extract", "JoinedLines", "LineBlock", "partition_for"]


def partition_for(hashtag: str, partitions: int) -> int:
    """The ``hashtag-mentions`` partition of a hashtag: CRC-32 of its UTF-8 bytes mod ``partitions``.

    >>> partition_for("tiktokrefugee", 4), partition_for("小红书", 4)
    (3, 3)
    """
    return zlib.crc32(hashtag.encode("utf-8")) % partitions


class JoinedLines(bytes):
    """JSON Lines as one JSON array record, as producers aggregate events (built by ``join``).

    If any of it is rejected, ``Extract`` decodes the lines one by one (from the
    source's clock as it was before the record), so that only the bad lines are
    rejected, each with its own bytes.

    >>> JoinedLines.join([b'{"a":1}', b'x']), JoinedLines.join([b'{"a":1}', b'x']).lines()
    (b'[{"a":1}\\n,x]', [b'{"a":1}', b'x'])
    """

    @classmethod
    def join(cls, lines: list[bytes]) -> JoinedLines:
        """The lines (each without a newline) as ``[line\\n,line...]``: valid JSON if every line is."""
        return cls(b"[" + b"\n,".join(lines) + b"]")

    def lines(self) -> list[bytes]:
        return self[1:-1].split(b"\n,")


class LineBlock(bytes):
    """Whole lines of a JSON Lines file as one record, as read (each ends with a newline; the
    last one may not).

    ``Extract`` reads it as the ``JoinedLines`` of its lines, each stripped of the
    whitespace around it and blank ones left out (the native core joins them, so
    no ``bytes`` object is made per line): the same events and rejections.

    >>> LineBlock(b' {"a":1}\\r\\n\\n x').lines(), LineBlock(b' {"a":1}\\r\\n\\n x').numbered(7)
    ([b'{"a":1}', b'x'], [(7, b'{"a":1}'), (9, b'x')])
    """

    def numbered(self, first: int) -> list[tuple[int, bytes]]:
        """The lines that are not blank, stripped, with their numbers (the first line is ``first``)."""
        return [(n, line) for n, raw in enumerate(self.split(b"\n"), first) if (line := raw.strip())]

    def lines(self) -> list[bytes]:
        """The lines that are not blank, stripped: those of the ``JoinedLines`` it stands for."""
        return [line for _, line in self.numbered(0)]

    def newlines(self) -> int:
        """``self.count(b"\\n")``, counted natively."""
        return _native.count_newlines(self)


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
        if max_skew_ms < 1:
            raise ValueError(f"max_skew_ms must be >= 1, got {max_skew_ms}")
        self.base_ms = base_ms
        self.partitions = partitions
        self.metrics = metrics
        self.max_skew_ms = max_skew_ms
        self.wall_clock = _wall_ms if wall_clock is None else wall_clock
        self._clocks: dict[object, EventClock] = {}
        self._core = _native.Extractor(base_ms, partitions, JoinedLines, MAX_FUTURE_MS, max_skew_ms, LineBlock)
        self._posts = self._engagements = 0
        """Posts and engagements of the last batch (for metrics)."""

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
        parts, rejected = self._run(self._core.process, values, source)
        out = {part: [Mention(*m) for m in mentions] for part, mentions in parts}
        if self.metrics is not None:
            self._record(rejected, time.perf_counter() - started)
        return out, rejected

    def process_packed(self, values: list[bytes], source=None) -> tuple[dict[int, bytes], list[Rejected]]:
        """``process`` with each partition's mentions packed as ``Count.process`` reads them
        (``detectors.windows.pack_mentions``): no ``Mention`` record is built.

        >>> from streams.stages import Count
        >>> packed, _ = Extract(partitions=1).process_packed([b'{"v":1,"type":"post","id":"p","ts":5,'
        ...                                                   b'"author":"a","text":"#fyp"}'])
        >>> count = Count(sizes_ms=(60_000,)); count.process(packed[0]); [w.posts for w in count.flush()]
        []
        [1]
        """
        started = time.perf_counter()
        parts, rejected = self._run(self._core.process_packed, values, source)
        if self.metrics is not None:
            self._record(rejected, time.perf_counter() - started)
        return dict(parts), rejected

    def _run(self, call, values, source) -> tuple[list, list[Rejected]]:
        if type(values) is not list:
            values = list(values)
        clock = self._clock(source)
        parts, bad, *state, self._posts, self._engagements = call(values, *clock.snapshot(), self.wall_clock())
        clock.restore(state)
        return parts, [Rejected(*r) for r in bad]

    def _record(self, rejected: list[Rejected], seconds: float) -> None:
        m, posts, engagements = self.metrics, self._posts, self._engagements
        if posts:
            m.events.labels(type="post").inc(posts)
        if engagements:
            m.events.labels(type="engagement").inc(engagements)
        for item in rejected:
            m.invalid.labels(reason=item.reason).inc()
        m.stage_seconds.labels(stage="extract").observe(seconds)


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000
