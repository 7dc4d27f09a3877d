"""The series a report plots: per hashtag, its windows at the detector's two sizes and a band.

``SeriesRecorder`` takes closed windows (``Pipeline.on_windows``) and keeps,
for the fast and slow sizes only, the posts of every window per hashtag in
compact arrays. Given to a scorer (``SurgeScorer.observe = recorder.scored``)
it also keeps what the scorer expected of every window of a tracked tag and
the dispersion it judged it with. ``series(tag, size_ms)`` returns a dense
``Series`` (zero for windows without posts) with its band: from the expected
posts to the level at which a window scores the start threshold,
``(sqrt(expected) + z_on * dispersion / 2) ** 2``, the tag's learnt
dispersion on the ``2 sqrt`` scale (never below Poisson's 1). A window the
scorer did not see (the tag was absent) keeps the values of the one before;
before the scorer kept state for the tag (the long tail), the expectation is
an exponentially weighted mean of the tag's own earlier windows with
Poisson's dispersion, as the scorer treats the long tail.

Examples
--------
>>> from detectors.records import Window
>>> rec = SeriesRecorder(fast_ms=300_000, slow_ms=3_600_000)
>>> rec.windows([Window("cats", "5m", i * 300_000, (i + 1) * 300_000, posts=p) for i, p in enumerate([4, 4, 0, 4])])
>>> s = rec.series("cats", 300_000, half_life_ms=600_000, floor=1.0, z_on=5.0)
>>> s.posts, [round(e, 2) for e in s.expected], [round(u, 1) for u in s.upper][:2], s.learnt
([4, 4, 0, 4], [4.0, 4.0, 4.0, 2.83], [20.2, 20.2], False)
>>> rec.scored(Window("cats", "5m", 600_000, 900_000), 4.0, 3.0)   # the scorer: dispersion 3
>>> s = rec.series("cats", 300_000, half_life_ms=600_000, floor=1.0, z_on=5.0)
>>> [round(u, 1) for u in s.upper], s.learnt
([20.2, 20.2, 90.2, 90.2], True)

Widened to a span, in the series' own phase (NAB's ends are at 53 s past a 5-minute mark):

>>> rec.windows([Window("nab", "5m", 353_000, 653_000, posts=7)])
>>> s = rec.series("nab", 300_000, half_life_ms=600_000, floor=1.0, z_on=5.0, span=(0, 1_300_000))
>>> s.ends, s.posts
([353000, 653000, 953000, 1253000], [0, 7, 0, 0])
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
    learnt: bool = False
    """True when some of the band is the scorer's own expectation and learnt dispersion."""


class SeriesRecorder:
    """Per-hashtag window posts at two sizes, for plots (see the module docstring)."""

    def __init__(self, fast_ms: int, slow_ms: int):
        self.sizes = (fast_ms, slow_ms)
        self._data: dict[tuple[str, int], array] = {}
        self._scored: dict[tuple[str, int], array] = {}  # end, expected, dispersion of every scored window

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

    def scored(self, w: Window, expected: float, dispersion: float) -> None:
        """What the scorer expected of ``w`` and the dispersion it judged it with (``SurgeScorer.observe``)."""
        size = w.window_end - w.window_start
        if size in self.sizes:
            data = self._scored.get((w.hashtag, size))
            if data is None:
                data = self._scored[(w.hashtag, size)] = array("d")
            data.extend((w.window_end, expected, dispersion))

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
        if span is not None:  # in the series' own phase: a count series' ends need not be on the clock's grid
            if first - size_ms > span[0]:
                first -= (first - size_ms - span[0]) // size_ms * size_ms
            if last < span[1]:
                last += (span[1] - last) // size_ms * size_ms
        ends = list(range(first, last + 1, size_ms))
        posts = [counts.get(end, 0) for end in ends]
        trace = self._scored.get((tag, size_ms), ())
        scored = {int(end): (e, d) for end, e, d in zip(trace[0::3], trace[1::3], trace[2::3])}
        alpha = 1.0 - 0.5 ** (size_ms / half_life_ms)
        expected, upper, mean, known = [], [], float(posts[0]), None
        for end, p in zip(ends, posts):
            known = scored.get(end, known)
            e, width = known if known is not None else (max(mean, floor), 1.0)
            expected.append(mean if known is None else e)
            upper.append((math.sqrt(e) + z_on * width / 2) ** 2)
            mean += alpha * (p - mean)
        return Series(tag, size_ms, ends, posts, expected, upper, learnt=bool(scored))
