"""What makes a window hot: thresholds, the verdict, and how readiness and sizes are named.

A count is compared with its expectation on the variance-stabilised scale:
``2 (sqrt(observed) - sqrt(expected))`` is about N(0, 1) for Poisson noise;
divided by the tag's learnt dispersion (never below 1) it stays about N(0, 1)
for a tag that is noisier than Poisson. A tag whose expectation is above
``ESTABLISHED`` (4) noise floors has a level of its own; a squared residual is
learnt as at most ``VAR_CLIP`` (400, i.e. 20^2) dispersions^2. That arithmetic
runs in the native core (``native/src/scorer.rs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from detectors.baseline import HOUR_MS
from detectors.records import Window

__all__ = ["Thresholds", "Verdict", "readiness", "size_name", "span_text"]


@dataclass(frozen=True)
class Thresholds:
    """When a window is hot. ``z_on`` starts an episode, ``z_off`` keeps it going.

    ``confirm``: when the window's authors are unknown (``authors == 0``, a
    count series), a hot window becomes a trend only if the next window of the
    tag scores at least this much; ``None`` alerts at once.
    """

    z_on: float = 5.0
    z_off: float = 2.0
    min_posts: int = 10
    min_authors: int = 8
    min_ratio: float = 3.0
    author_cap: int = 3
    bot_posts_per_author: float = 5.0
    confirm: float | None = None

    def __post_init__(self):
        if not 0 < self.z_off <= self.z_on:
            raise ValueError(f"z_off must be in (0, z_on], not {self.z_off!r}")
        for name in ("min_posts", "min_authors", "author_cap"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)!r}")
        if self.min_ratio < 1 or self.bot_posts_per_author < 1:
            raise ValueError("min_ratio and bot_posts_per_author must be at least 1")
        if self.confirm is not None and self.confirm < self.z_off:
            raise ValueError(f"confirm must be None or at least z_off, not {self.confirm!r}")


class Verdict(NamedTuple):
    """What the scorer says about one window. ``kind`` is None when the window is warm, not hot."""

    window: Window
    kind: str | None
    score: float
    observed: float
    expected: float
    growth: float


def size_name(ms: int) -> str:
    """A window size as records name it: ``5m``, ``1h``, ``1500ms``."""
    for unit, size in (("d", 86_400_000), ("h", HOUR_MS), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def span_text(ms: int) -> str:
    """A duration for a person: ``3 h``, ``25 min``, ``2.5 d``."""
    if ms >= 48 * HOUR_MS:
        return f"{ms / (24 * HOUR_MS):g} d"
    return f"{round(ms / HOUR_MS, 1):g} h" if ms >= HOUR_MS else f"{ms // 60_000} min"


def readiness(now: int, origin: int | None, warmup_ms: int, history_ms: int) -> str | None:
    """Why a stream that started at ``origin`` and is seen up to ``now`` cannot have raised every trend yet.

    >>> readiness(0, None, HOUR_MS, 24 * HOUR_MS)
    'no window reached the detector'
    >>> readiness(5 * HOUR_MS, 0, 3 * HOUR_MS, 24 * HOUR_MS)
    'history not warm yet: 5 h seen; a tag with a level of its own (every count series) trends only after 24 h'
    """
    if origin is None:
        return "no window reached the detector"
    seen = now - origin
    if seen <= warmup_ms:
        return f"history not warm yet: {span_text(seen)} seen, the first {span_text(warmup_ms)} of a stream only learn"
    if seen < history_ms:
        return (f"history not warm yet: {span_text(seen)} seen; a tag with a level of its own (every count series) "
                f"trends only after {span_text(history_ms)}")
    return None
