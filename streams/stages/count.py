"""Stage ``count``: hashtag mentions in, closed windows out, with idempotent replay.

``Count`` wraps a ``detectors.windows.WindowAggregator`` for one
``hashtag-mentions`` partition. Mentions come as ``Mention`` records or
already packed (``detectors.windows.pack_mentions``, the format of the
``hashtag-mentions`` topic). Called with only mentions (the embedded runner),
the batch's latest event time is the clock. Called by the worker, each message
also names its ``source`` (the ``posts`` partition it came from), that
source's ``offset`` and ``clock`` (latest event time seen there): a message at
or below the last applied offset of its source is skipped, so re-sent or
replayed messages are never counted twice.

``checkpoint()`` returns what changed since the last call as
``{key: bytes or None}`` (None deletes the key): one key per hashtag (and per
sketch window) plus the meta key ``""``; every value carries the
applied-offset vector it reflects and the unit's previous state.
``restore(items)`` rebuilds the stage from the latest values as of the meta
value: a unit written after it (a checkpoint cut short) is put back to its
previous state.

Examples
--------
>>> from detectors.records import Mention
>>> count = Count(sizes_ms=(60_000,), lateness_ms=0)
>>> count.process([Mention("fyp", 0, 59_000, posts=2, authors=("a",))])
[]
>>> count.process([Mention("fyp", 60_000, 61_000, posts=1)])
[Window(hashtag='fyp', size='1m', window_start=0, window_end=60000, posts=2, views=0, authors=1, new_authors=0)]
>>> again = Count(sizes_ms=(60_000,), lateness_ms=0)
>>> again.restore(count.checkpoint())
>>> [w.posts for w in again.flush()]
[1]
"""

from __future__ import annotations

import time

from detectors._native import ClosedWindows
from detectors.records import Mention, Window
from detectors.windows import WindowAggregator, pack_mentions
from streams.stages.detect import Detect

__all__ = ["Count", "META_KEY", "windows_of"]

META_KEY = ""


class Count:
    """Windowed counts of one mentions partition (see the module docstring).

    Parameters
    ----------
    sizes_ms, lateness_ms, late_policy
        Window sizes, allowed lateness and late policy (see ``WindowAggregator``).
    sources
        Sources whose clocks must all be known before windows close (the
        ``posts`` partitions); empty: those seen so far.
    metrics
        Optional ``streams.observe.metrics.Metrics``.
    max_tags, exact_authors
        Bounds of exact state (see ``WindowAggregator``). Past ``max_tags``, a hashtag is promoted
        out of the sketches by its posts in the window the detector scores (``Detect.scales``' fast
        size), so that a surge in a flood of new hashtags is promoted in time for that window.
    """

    def __init__(self, sizes_ms=(60_000, 300_000, 3_600_000, 86_400_000), lateness_ms: int = 60_000,
                 late_policy: str = "apply", sources=(), metrics=None, max_tags: int = 20_000,
                 exact_authors: int = 256):
        self.aggregator = WindowAggregator(sizes_ms, lateness_ms, late_policy, sources=sources,
                                           max_tags=max_tags, exact_authors=exact_authors,
                                           promote_size=Detect.scales(sizes_ms)[0])
        self.metrics = metrics
        self._late = (0, 0)

    @classmethod
    def from_settings(cls, settings, sources=(), metrics=None, **kwargs) -> Count:
        kwargs.setdefault("max_tags", settings.max_tags)
        return cls(settings.window_ms, settings.lateness_ms, settings.late_policy, sources, metrics, **kwargs)

    @property
    def applied(self) -> dict[str, int]:
        """The last applied offset of every source."""
        return self.aggregator.applied

    def process(self, mentions: list[Mention] | bytes, *, source=None, offset: int | None = None,
                clock: int | None = None) -> list[Window]:
        """Count a batch of mentions; returns the windows that closed (and corrections)."""
        started = time.perf_counter()
        packed = mentions if isinstance(mentions, bytes) else pack_mentions(mentions)
        out = [Window(*w) for w in self.aggregator.process(packed, source, offset, clock)]
        if self.metrics is not None:
            self._record(_sizes(out), time.perf_counter() - started)
        return out

    def process_batch(self, mentions: list[Mention] | bytes, *, source=None, offset: int | None = None,
                      clock: int | None = None) -> ClosedWindows:
        """``process``, with the closed windows kept native (``detectors._native.ClosedWindows``:
        ``Detect.process`` takes them as they are; ``windows_of`` makes ``Window`` records of them)."""
        started = time.perf_counter()
        packed = mentions if isinstance(mentions, bytes) else pack_mentions(mentions)
        out = self.aggregator.process_batch(packed, source, offset, clock)
        if self.metrics is not None:
            self._record(out.size_counts() if out else {}, time.perf_counter() - started)
        return out

    def flush(self) -> list[Window]:
        """Close every open window (end of input, or input idle)."""
        out = self.aggregator.flush()
        if self.metrics is not None:
            self._record(_sizes(out), 0.0)
        return out

    def checkpoint(self) -> dict[str, bytes | None]:
        """The changes since the last checkpoint: ``{key: bytes or None}``, meta key last."""
        return self.aggregator.checkpoint()

    def restore(self, items: dict[str, bytes | None]) -> None:
        """Rebuild from checkpoint values (the latest value of every key)."""
        self.aggregator.restore(items)
        self._late = (self.aggregator.late_applied, self.aggregator.late_dropped)

    def _record(self, sizes: dict[str, int], seconds: float) -> None:
        m, agg = self.metrics, self.aggregator
        for size, n in sizes.items():
            m.windows_closed.labels(size=size).inc(n)
        applied, dropped = agg.late_applied, agg.late_dropped
        if applied > self._late[0]:
            m.late.labels(action="applied").inc(applied - self._late[0])
        if dropped > self._late[1]:
            m.late.labels(action="dropped").inc(dropped - self._late[1])
        self._late = (applied, dropped)
        if agg.watermark is not None:
            m.watermark.labels(stage="count").set(agg.watermark / 1000)
        if seconds:
            m.stage_seconds.labels(stage="count").observe(seconds)


def _sizes(windows: list[Window]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for window in windows:
        sizes[window.size] = sizes.get(window.size, 0) + 1
    return sizes


def windows_of(batch: ClosedWindows) -> list[Window]:
    """The ``Window`` records of a native batch of closed windows, in order."""
    return [Window(*w) for w in batch.tuples()]
