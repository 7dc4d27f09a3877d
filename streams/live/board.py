"""What the live view shows, kept up to date from closed windows and alerts.

``Board`` is fed the windows of one size (the detector's slow size, 1 h by
default) and every alert step. It keeps, per hashtag, the posts of its recent
windows (for a sparkline), the latest alert step, the active episodes and the
last few alert lines, plus a status (event-time position, share of the input
read, a rate). ``top(n)`` ranks the tags: those in an active episode by score
first, then the others by growth of their latest window over the mean of the
earlier ones. Memory is bounded: at most ``capacity`` tags are kept.

Examples
--------
>>> from detectors.records import Window
>>> board = Board(size_ms=3_600_000, history=4)
>>> board.windows([Window("cats", "1h", h * 3_600_000, (h + 1) * 3_600_000, posts=p)
...                for h, p in enumerate([2, 2, 2, 8])])
>>> row = board.top(1)[0]
>>> row.hashtag, row.posts, row.growth, row.spark
('cats', 8, 4.0, '▁▁▁█')
>>> sparkline([0, 1, 2, 3, 4, 5, 6, 7])
'▁▂▃▄▅▆▇█'
"""

from __future__ import annotations

import heapq
import threading
from collections import deque
from dataclasses import dataclass, field

from detectors.records import Alert, Window

__all__ = ["Board", "Row", "Status", "sparkline"]

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values) -> str:
    """One character per value, scaled from the smallest (``▁``) to the largest (``█``)."""
    values = list(values)
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1
    return "".join(_BARS[min(7, int((v - low) * 8 / span))] if high > low else _BARS[0] for v in values)


@dataclass(frozen=True)
class Row:
    """One line of the trending table."""

    hashtag: str
    posts: int
    growth: float | None
    spark: str
    score: float | None = None
    kind: str = ""
    state: str = ""
    excess: float = 0.0
    """Posts of the latest window minus the mean of the earlier non-empty ones."""


@dataclass
class Status:
    """Where the run is: event time (epoch ms), share of the input read (0-1), a rate and its unit."""

    position: int = -1
    fraction: float | None = None
    rate: float = 0.0
    unit: str = "events/s"
    events: int = 0
    done: bool = False


@dataclass
class _Series:
    posts: dict = field(default_factory=dict)  # window_end -> posts
    last_end: int = -1


class Board:
    """The state of the live view (see the module docstring); safe to read from another thread."""

    def __init__(self, size_ms: int = 3_600_000, history: int = 24, capacity: int = 5_000, recent: int = 6):
        self.size_ms, self.history, self.capacity = size_ms, history, capacity
        self.status = Status()
        self.active: dict[str, Alert] = {}
        self.since: dict[str, int] = {}
        self.recent: deque[Alert] = deque(maxlen=recent)
        self.alerts = 0
        self._series: dict[str, _Series] = {}
        self._end = -1
        self._lock = threading.Lock()

    def windows(self, windows: list[Window]) -> None:
        """Take closed windows; only those of the board's size are kept (a re-published one replaces)."""
        size, keep = self.size_ms, self.history
        mine = [w for w in windows if w.window_end - w.window_start == size]
        if not mine:
            return
        with self._lock:
            for w in mine:
                series = self._series.get(w.hashtag)
                if series is None:
                    series = self._series[w.hashtag] = _Series()
                series.posts[w.window_end] = w.posts
                if w.window_end > series.last_end:
                    series.last_end = w.window_end
                if w.window_end > self._end:
                    self._end = w.window_end
                if len(series.posts) > 2 * keep:
                    for end in sorted(series.posts)[:-keep]:
                        del series.posts[end]
            if len(self._series) > 2 * self.capacity:
                self._trim()

    def alert(self, alert: Alert) -> None:
        """Take one alert step (started, ongoing or resolved)."""
        with self._lock:
            self.alerts += 1
            if alert.state == "resolved":
                self.active.pop(alert.hashtag, None)
                self.since.pop(alert.hashtag, None)
            else:
                self.active[alert.hashtag] = alert
                if alert.state == "started" or alert.hashtag not in self.since:
                    self.since[alert.hashtag] = alert.window_end
            if alert.state != "ongoing":
                self.recent.append(alert)

    def progress(self, **values) -> None:
        """Update the status (``position``, ``fraction``, ``rate``, ``unit``, ``events``, ``done``)."""
        with self._lock:
            for name, value in values.items():
                setattr(self.status, name, value)

    def top(self, n: int = 10) -> list[Row]:
        """The ``n`` tags most worth a look (see the module docstring)."""
        with self._lock:
            episodes = sorted(self.active, key=lambda t: (-self.active[t].score, t))[:n]
            end = self._end
            busiest = heapq.nsmallest(n, (tag for tag in self._series if tag not in self.active),
                                      key=lambda t: (-self._series[t].posts.get(end, 0), t))
            return [self._row(tag) for tag in (episodes + busiest)[:n]]

    def episodes(self) -> list[Alert]:
        """The latest step of every active episode, highest score first."""
        with self._lock:
            return sorted(self.active.values(), key=lambda a: (-a.score, a.hashtag))

    def _values(self, series: _Series) -> list[int]:
        end = self._end
        return [series.posts.get(end - i * self.size_ms, 0) for i in range(self.history - 1, -1, -1)]

    def _row(self, tag: str) -> Row:
        series = self._series.get(tag)
        values = self._values(series) if series is not None else []
        last = values[-1] if values else 0
        earlier = [v for v in values[:-1] if v]
        mean = sum(earlier) / len(earlier) if earlier else 0.0
        growth = last / mean if last and mean else None
        episode = self.active.get(tag)
        if episode is not None:
            return Row(tag, last, growth, sparkline(values), episode.score, episode.kind, episode.state,
                       last - mean)
        return Row(tag, last, growth, sparkline(values), excess=last - mean)

    def _trim(self) -> None:
        def weight(item):
            tag, series = item
            return (tag in self.active, series.last_end, sum(series.posts.values()))

        keep = sorted(self._series.items(), key=weight, reverse=True)[:self.capacity]
        self._series = dict(keep)
