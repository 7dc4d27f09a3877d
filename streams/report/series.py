"""The series a report plots: per hashtag, its windows at the detector's two sizes and a baseline band.

``SeriesRecorder`` takes closed windows (``Pipeline.on_windows``) and keeps,
for the fast and slow sizes only, the posts of every window per hashtag in
compact arrays. ``series(tag, size_ms)`` returns a dense ``Series`` (zero for
windows without posts) with its baseline: an exponentially weighted mean of
the tag's own earlier windows (the detector's half-life for that size) and
the level at which a window scores the detector's start threshold above it.
The detector itself also normalises by total volume and hour of day, so this
band is a guide to the eye, not its exact expectation.

Examples
--------
>>> from detectors.records import Window
>>> rec = SeriesRecorder(fast_ms=300_000, slow_ms=3_600_000)
>>> rec.windows([Window("cats", "5m", i * 300_000, (i + 1) * 300_000, posts=p) for i, p in enumerate([4, 4, 0, 4])])
>>> s = rec.series("cats", 300_000, half_life_ms=600_000, floor=1.0, z_on=5.0)
>>> s.posts, [round(e, 2) for e in s.expected], [round(u, 1) for u in s.upper][:2]
([4, 4, 0, 4], [4.0, 4.0, 4.0, 2.83], [20.2, 20.2])
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

from detectors.records import Window

__all__ = ["SeriesRecorder", "Series"]


@dataclass(frozen=True)
class Series:
    """A dense series of one hashtag at one window size, with its baseline band."""

    tag: str
    size_ms: int
    ends: list[int]
    posts: list[int]
    expected: list[float]
    upper: list[float]


class SeriesRecorder:
    """Per-hashtag window posts at two sizes, for plots (see the module docstring)."""

    def __init__(self, fast_ms: int, slow_ms: int):
        self.sizes = (fast_ms, slow_ms)
        self._data: dict[tuple[str, int], array] = {}

    def windows(self, windows: list[Window]) -> None:
        """Keep the windows of the two sizes (a re-published window's latest counts win when plotted)."""
        for w in windows:
            size = w.window_end - w.window_start
            if size in self.sizes:
                key = (w.hashtag, size)
                data = self._data.get(key)
                if data is None:
                    data = self._data[key] = array("q")
                data.append(w.window_end)
                data.append(w.posts)

    def tags(self) -> set[str]:
        return {tag for tag, _ in self._data}

    def series(self, tag: str, size_ms: int, *, half_life_ms: int, floor: float, z_on: float,
               span: tuple[int, int] | None = None) -> Series | None:
        """The dense series of ``tag`` at ``size_ms`` with its band; None if it has no window there.

        ``span=(first_ms, last_ms)`` widens it to those event times (zero posts where it had no window).
        """
        data = self._data.get((tag, size_ms))
        if not data:
            return None
        counts = dict(zip(data[0::2], data[1::2]))
        first, last = min(counts), max(counts)
        if span is not None:
            first = min(first, (span[0] // size_ms + 1) * size_ms)
            last = max(last, span[1] // size_ms * size_ms)
        ends = list(range(first, last + 1, size_ms))
        posts = [counts.get(end, 0) for end in ends]
        alpha = 1.0 - 0.5 ** (size_ms / half_life_ms)
        expected, mean = [], float(posts[0])
        for p in posts:
            expected.append(mean)
            mean += alpha * (p - mean)
        upper = [(math.sqrt(max(e, floor)) + z_on / 2) ** 2 for e in expected]
        return Series(tag, size_ms, ends, posts, expected, upper)
