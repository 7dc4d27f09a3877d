"""Per-hashtag series for the current top-K hashtags only.

A Prometheus series per hashtag would let a flood of unique hashtags explode
the series count (and Prometheus' memory). ``TopHashtags`` is a custom
collector that keeps the latest values of at most ``2 * k`` hashtags and, on
each scrape, exposes only the ``k`` with the highest trend score, plus every
hashtag pinned because it is in an active alert episode (``pin``; ``remove``
when the episode resolves), so a surge in progress never drops out of the
series whatever the scores of the others:

- ``trendwatch_hashtag_trend_score{hashtag,kind}``
- ``trendwatch_hashtag_posts_per_second{hashtag,kind}``
- ``trendwatch_hashtag_views_per_second{hashtag,kind}``

``kind`` is ``trend``, or ``suspicious`` for a surge the detector attributes
to a handful of accounts (alert rules page on trends only).

Examples
--------
>>> from prometheus_client import CollectorRegistry
>>> registry = CollectorRegistry()
>>> top = TopHashtags(k=2, registry=registry)
>>> top.update("tiktokrefugee", score=9.5, posts_rate=120.0, views_rate=4e4)
>>> top.update("goodmorning", score=0.5, posts_rate=3.0, views_rate=90.0)
>>> top.update("moonshotcoin", score=4.0, posts_rate=40.0, views_rate=1e4, kind="suspicious")
>>> [(tag, kind) for tag, kind, _, _, _ in top.top()]
[('tiktokrefugee', 'trend'), ('moonshotcoin', 'suspicious')]
>>> registry.get_sample_value("trendwatch_hashtag_trend_score", {"hashtag": "moonshotcoin", "kind": "suspicious"})
4.0
>>> registry.get_sample_value("trendwatch_hashtag_trend_score", {"hashtag": "goodmorning", "kind": "trend"}) is None
True
>>> top.pin("goodmorning")      # in an active episode: exported whatever its score
>>> sorted(tag for tag, *_ in top.top())
['goodmorning', 'moonshotcoin', 'tiktokrefugee']
"""

from __future__ import annotations

import heapq
import math
import threading

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

__all__ = ["TopHashtags", "KINDS"]

KINDS = ("trend", "suspicious")

_FAMILIES = (
    ("trendwatch_hashtag_trend_score",
     "Trend score of the hashtag (higher = surging more), top-K hashtags only."),
    ("trendwatch_hashtag_posts_per_second",
     "Posts per second mentioning the hashtag in its latest window, top-K hashtags only."),
    ("trendwatch_hashtag_views_per_second",
     "Views per second of posts with the hashtag in its latest window, top-K hashtags only."),
)


class TopHashtags(Collector):
    """Custom collector exposing per-hashtag gauges for the top ``k`` by trend score.

    Parameters
    ----------
    k
        How many hashtags are exposed (at least 1).
    registry
        Registry to register with; ``None`` registers nowhere.

    Memory is bounded: at most ``2 * k`` hashtags are kept; when more arrive,
    all but the ``k`` highest scores are forgotten. A forgotten hashtag comes
    back with its next ``update``.
    """

    def __init__(self, k: int = 50, registry: CollectorRegistry | None = None):
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, not {k!r}")
        self.k = k
        self._capacity = 2 * k
        self._values: dict[str, tuple[float, str, float, float]] = {}
        self._pinned: set[str] = set()
        self._lock = threading.Lock()
        if registry is not None:
            registry.register(self)

    def update(self, hashtag: str, *, score: float, posts_rate: float = 0.0,
               views_rate: float = 0.0, kind: str | None = None) -> None:
        """Record the latest trend score and rates (per second) of ``hashtag``.

        ``kind``: ``"suspicious"`` for a burst carried by a handful of accounts,
        ``"trend"`` or None otherwise.
        """
        if math.isnan(score):
            raise ValueError(f"score of {hashtag!r} is NaN")
        kind = kind or "trend"
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS} or None, not {kind!r}")
        with self._lock:
            self._values[hashtag] = (float(score), kind, float(posts_rate), float(views_rate))
            if len(self._values) > self._capacity + len(self._pinned):
                keep = {tag for tag, _ in heapq.nlargest(self.k, self._values.items(),
                                                         key=lambda item: item[1][0])}
                self._values = {tag: value for tag, value in self._values.items()
                                if tag in keep or tag in self._pinned}

    def pin(self, hashtag: str) -> None:
        """Export ``hashtag`` whatever its score (it is in an active episode) until ``remove``."""
        with self._lock:
            self._pinned.add(hashtag)

    def remove(self, hashtag: str) -> None:
        """Forget and unpin ``hashtag`` (its episode resolved, or its state is evicted); unknown tags are ignored."""
        with self._lock:
            self._values.pop(hashtag, None)
            self._pinned.discard(hashtag)

    def __len__(self) -> int:
        """How many hashtags are kept (at most ``2 * k`` plus the pinned ones)."""
        return len(self._values)

    def top(self) -> list[tuple[str, str, float, float, float]]:
        """``(hashtag, kind, score, posts_rate, views_rate)`` of the top ``k``, highest score first,
        then the pinned hashtags not among them."""
        with self._lock:
            items = heapq.nlargest(self.k, self._values.items(), key=lambda item: (item[1][0], item[0]))
            chosen = {tag for tag, _ in items}
            items += sorted((tag, self._values[tag]) for tag in self._pinned
                            if tag in self._values and tag not in chosen)
        return [(tag, kind, score, posts, views) for tag, (score, kind, posts, views) in items]

    def describe(self):
        return [GaugeMetricFamily(name, doc, labels=["hashtag", "kind"]) for name, doc in _FAMILIES]

    def collect(self):
        families = self.describe()
        for tag, kind, *values in self.top():
            for family, value in zip(families, values):
                family.add_metric([tag, kind], value)
        return families
