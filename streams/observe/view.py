"""What the HTTP API shows: the detector's current picture of every hashtag that matters.

``TrendView`` is fed by the ``Detect`` stage (its verdicts and alert steps,
in the worker and in the embedded runner alike) and read by the HTTP API
(``streams.observe.api``) from another thread:

- ``trends()``: the top-K hashtags by their latest score, and every hashtag in
  an active episode whatever its score, with what the detector said of them;
- ``trend(tag)``: a hashtag's recent scored windows at each size and its alert
  history;
- ``alerts(since=, kind=)``: recent alert steps.

A hashtag whose latest scored window ended more than ``stale_ms`` before the
latest window seen has gone quiet: it leaves the top (unless in an active
episode). Memory is bounded like ``streams.observe.topk``: at most ``2 * top_k``
hashtags (plus those in an active episode and the ``top_k`` alerted last) with at most ``keep_windows``
windows per size each, and the last ``keep_alerts`` alert steps.

Examples
--------
>>> from detectors.records import Alert, Window
>>> from detectors.surge import Verdict
>>> view = TrendView(top_k=2)
>>> w = Window("earthquake", "5m", 0, 300_000, posts=90, views=9000, authors=80)
>>> view.record([Verdict(w, "trend", 9.5, 90.0, 3.0, 30.0)],
...             [Alert("earthquake", "trend", "started", 0, 300_000, 9.5, 90.0, 3.0, 30.0, 80,
...                    reason="90 posts in 5m")])
>>> [(t["hashtag"], t["score"], t["episode"]["state"]) for t in view.trends()]
[('earthquake', 9.5, 'started')]
>>> [(w["posts"], w["expected"]) for w in view.trend("earthquake")["windows"]["5m"]]
[(90, 3.0)]
>>> len(view.alerts(kind="suspicious")), view.trend("nosuchtag") is None
(0, True)
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import deque

__all__ = ["TrendView", "KEEP_WINDOWS", "KEEP_ALERTS", "ALERTS_PER_TAG", "STALE_MS"]

KEEP_WINDOWS = 48
"""Scored windows kept per hashtag and window size (4 h of 5-minute windows)."""
KEEP_ALERTS = 2000
"""Alert steps kept for ``/api/alerts``."""
ALERTS_PER_TAG = 100
"""Alert steps kept per hashtag for ``/api/trends/{hashtag}``."""
STALE_MS = 2 * 3_600_000
"""A hashtag without a scored window for this long (event time) has left the top."""
_ALERT_TAGS = 5000


class _Tag:
    """One hashtag's verdicts (``detectors.surge.Verdict``, turned into JSON only when read)."""

    __slots__ = ("latest", "windows")

    def __init__(self):
        self.latest = None
        self.windows: dict[str, deque] = {}


class TrendView:
    """The detector's picture for the HTTP API (see the module docstring).

    Parameters
    ----------
    top_k
        How many hashtags ``trends()`` returns besides those in an active episode.
    keep_windows
        Scored windows kept per hashtag and size.
    keep_alerts
        Alert steps kept in all.
    stale_ms
        How long (event time) a hashtag without a new scored window stays in the top.
    """

    def __init__(self, top_k: int = 50, keep_windows: int = KEEP_WINDOWS, keep_alerts: int = KEEP_ALERTS,
                 stale_ms: int = STALE_MS):
        if top_k < 1 or keep_windows < 1 or keep_alerts < 1 or stale_ms < 1:
            raise ValueError("top_k, keep_windows, keep_alerts and stale_ms must be positive")
        self.top_k, self.keep_windows, self.stale_ms = top_k, keep_windows, stale_ms
        self._tags: dict[str, _Tag] = {}
        self._active: dict[str, dict] = {}
        self._alerts: deque = deque(maxlen=keep_alerts)
        self._by_tag: dict[str, deque] = {}
        self._clock = -1
        self._lock = threading.Lock()

    def record(self, verdicts, alerts) -> None:
        """Take the verdicts of the windows just scored and the alert steps they caused."""
        with self._lock:
            for v in verdicts:
                self._verdict(v)
            for alert in alerts:
                self._alert(alert.to_dict())
            if len(self._tags) > 2 * self.top_k:
                self._prune()

    def clear(self) -> None:
        """Forget everything (this process no longer runs the detector)."""
        with self._lock:
            self._tags.clear()
            self._active.clear()
            self._alerts.clear()
            self._by_tag.clear()
            self._clock = -1

    def state(self) -> dict:
        """What the view holds, as plain picklable data (``load`` takes it back): checkpointed with the
        detector, so a worker taking the detector over answers at once with what it had shown."""
        with self._lock:
            return {"tags": {tag: (entry.latest, {size: list(points) for size, points in entry.windows.items()})
                             for tag, entry in self._tags.items()},
                    "active": dict(self._active), "alerts": list(self._alerts),
                    "by_tag": {tag: list(history) for tag, history in self._by_tag.items()}, "clock": self._clock}

    def load(self, state: dict) -> None:
        """Replace what the view holds with ``state()`` of another (the restored detector's)."""
        with self._lock:
            self._tags = {}
            for tag, (latest, sizes) in state["tags"].items():
                entry = self._tags[tag] = _Tag()
                entry.latest = latest
                entry.windows = {size: deque(points, maxlen=self.keep_windows) for size, points in sizes.items()}
            self._active = dict(state["active"])
            self._alerts = deque(state["alerts"], maxlen=self._alerts.maxlen)
            self._by_tag = {tag: deque(history, maxlen=ALERTS_PER_TAG) for tag, history in state["by_tag"].items()}
            self._clock = state["clock"]

    def _verdict(self, v) -> None:
        w = v.window
        tag = self._tags.get(w.hashtag)
        if tag is None:
            tag = self._tags[w.hashtag] = _Tag()
        series = tag.windows.get(w.size)
        if series is None:
            series = tag.windows[w.size] = deque(maxlen=self.keep_windows)
        series.append(v)
        tag.latest = v
        if w.window_end > self._clock:
            self._clock = w.window_end

    def _alert(self, alert: dict) -> None:
        self._alerts.append(alert)
        tag = alert["hashtag"]
        history = self._by_tag.pop(tag, None) or deque(maxlen=ALERTS_PER_TAG)
        history.append(alert)
        self._by_tag[tag] = history  # most recently alerted last
        if len(self._by_tag) > _ALERT_TAGS:
            del self._by_tag[next(iter(self._by_tag))]
        if alert["state"] == "resolved":
            self._active.pop(tag, None)
        else:
            previous = self._active.get(tag)
            since = previous["since"] if previous and alert["state"] != "started" else alert["window_start"]
            self._active[tag] = {**alert, "since": since}
        self._clock = max(self._clock, alert["window_end"])

    def _current(self):
        oldest = self._clock - self.stale_ms
        return ((tag, entry) for tag, entry in self._tags.items()
                if entry.latest is not None and entry.latest.window.window_end >= oldest)

    def _prune(self) -> None:
        ranked = heapq.nlargest(self.top_k, self._current(), key=_rank)
        recent = itertools.islice(reversed(self._by_tag), self.top_k)  # the latest alerted keep their windows
        keep = {tag for tag, _ in ranked} | set(self._active) | set(recent)
        self._tags = {tag: value for tag, value in self._tags.items() if tag in keep}

    def trends(self, limit: int | None = None) -> list[dict]:
        """The top ``limit`` (default ``top_k``) hashtags by latest score, then any other in an
        active episode; each with its latest verdict and its episode (None when not alerting)."""
        with self._lock:
            ranked = heapq.nlargest(limit or self.top_k, self._current(), key=_rank)
            tags = [tag for tag, _ in ranked]
            tags += sorted(set(self._active) - set(tags))
            return [self._summary(tag) for tag in tags]

    def _summary(self, tag: str) -> dict:
        entry = self._tags.get(tag)
        latest = _latest(entry.latest) if entry is not None and entry.latest is not None else {}
        return {"hashtag": tag, **latest, "episode": _episode(self._active.get(tag))}

    def trend(self, hashtag: str) -> dict | None:
        """Recent scored windows by size and the alert history of ``hashtag``; None if unknown."""
        with self._lock:
            entry, history = self._tags.get(hashtag), self._by_tag.get(hashtag)
            if entry is None and history is None:
                return None
            windows = {size: [_point(v) for v in points] for size, points in entry.windows.items()} if entry else {}
            return {**self._summary(hashtag), "windows": windows, "alerts": list(history or ())}

    def alerts(self, since: int | None = None, kind: str | None = None, limit: int = 100) -> list[dict]:
        """The latest ``limit`` alert steps (oldest first) ending after ``since`` (epoch ms), of ``kind``."""
        with self._lock:
            picked = [a for a in reversed(self._alerts)
                      if (since is None or a["window_end"] > since) and (kind is None or a["kind"] == kind)]
        return picked[:limit][::-1]

    @property
    def clock(self) -> int:
        """End (epoch ms) of the latest window or alert seen; -1 before any."""
        return self._clock


def _rank(item) -> tuple:
    tag, entry = item
    return (entry.latest.score, tag)


def _point(v) -> dict:
    w = v.window
    return {"window_start": w.window_start, "window_end": w.window_end, "posts": w.posts, "views": w.views,
            "authors": w.authors, "score": round(float(v.score), 3), "expected": round(float(v.expected), 3),
            "hot": v.kind}


def _latest(v) -> dict:
    w = v.window
    return {"score": round(float(v.score), 3), "observed": float(v.observed), "expected": round(float(v.expected), 3),
            "growth": float(v.growth), "unique_authors": w.authors, "posts": w.posts, "views": w.views,
            "size": w.size, "window_end": w.window_end, "hot": v.kind}


def _episode(alert: dict | None) -> dict | None:
    if alert is None:
        return None
    keys = ("kind", "state", "since", "score", "reason", "related", "projected_views", "projection_horizon_h",
            "window_start", "window_end", "observed", "expected", "growth", "unique_authors")
    return {key: alert.get(key) for key in keys}
