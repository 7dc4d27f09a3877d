"""Stage ``detect``: closed hashtag windows in, trend alerts out.

``Detect`` wraps a ``detectors.model.TrendModel`` (the River surge model and
the alert lifecycle) and records what it does into the metrics: alert steps by
kind and state, stage time, tracked tags, detector memory, its event-time
watermark and the top-K hashtags by score. The worker's ``detect`` agent and
the embedded runner call the same object; ``snapshot()``/``restore()`` carry
its whole state as bytes (for a table or a file), with what its view (the
HTTP API's ``TrendView``) shows, so a restored stage's view answers at once.

Examples
--------
>>> from detectors.records import Window
>>> detect = Detect()
>>> detect.process([Window("fyp", "5m", 0, 300_000, posts=40, authors=30)])
[]
>>> detect.flush()
[]
>>> Detect.restore(detect.snapshot()).model.tracked_tags
1
"""

from __future__ import annotations

import pickle
import time

from detectors._native import ClosedWindows
from detectors.model import TrendModel
from detectors.records import Alert, Window
from detectors.surge import SurgeScorer

__all__ = ["Detect", "FAST_MS", "SLOW_MS"]

FAST_MS = 300_000
SLOW_MS = 3_600_000


def _pick(sizes: tuple[int, ...], wanted: int) -> int:
    """The configured window size closest to ``wanted`` (ratio-wise)."""
    return min(sizes, key=lambda s: (max(s, wanted) / min(s, wanted), s))


class Detect:
    """The detect stage (see the module docstring).

    Parameters
    ----------
    model
        The ``TrendModel`` (default: 5 min fast and 1 h slow windows).
    metrics
        Optional ``streams.observe.metrics.Metrics``.
    view
        Optional ``streams.observe.view.TrendView`` fed with the verdicts and
        alerts (what the HTTP API shows).
    """

    def __init__(self, model: TrendModel | None = None, metrics=None, view=None):
        self.model = model if model is not None else TrendModel()
        self.metrics, self.view = metrics, view
        self.windows = 0
        if metrics is not None:  # a restored model's episodes stay exported
            for tag in self.model.book.active:
                metrics.top.pin(tag)

    @staticmethod
    def scales(sizes_ms) -> tuple[int, int]:
        """The fast and slow window sizes the model reads: those closest to 5 min and 1 h.

        >>> Detect.scales((60_000, 300_000, 3_600_000, 86_400_000))
        (300000, 3600000)
        """
        sizes = tuple(sizes_ms)
        fast = _pick(sizes, FAST_MS)
        return fast, _pick(tuple(s for s in sizes if s > fast) or sizes, SLOW_MS)

    @classmethod
    def from_settings(cls, settings, metrics=None, view=None) -> Detect:
        """Fast and slow time scales from the configured window sizes (see ``scales``)."""
        fast, slow = cls.scales(settings.window_ms)
        return cls(TrendModel(SurgeScorer(fast_ms=fast, slow_ms=slow)), metrics, view)

    def process(self, windows: list[Window] | ClosedWindows, complete: int | None = None) -> list[Alert]:
        """Score and learn a batch of closed windows (``Window`` records, or the native batch of
        ``Count.process_batch``); the alert steps they cause. ``complete``: a watermark (every
        moment ending at or before it is complete, see ``TrendModel.update``)."""
        started = time.perf_counter()
        alerts = self.model.update(windows, complete)
        self.windows += len(windows)
        if self.metrics is not None:
            self._record(alerts, windows, time.perf_counter() - started)
        if self.view is not None:
            self.view.record(self.model.last_verdicts, alerts)
        return alerts

    def flush(self) -> list[Alert]:
        """End of input: score the windows still waiting for their moment to complete."""
        alerts = self.model.flush()
        if self.metrics is not None:
            self._record(alerts, [], 0.0)
        if self.view is not None:
            self.view.record(self.model.last_verdicts, alerts)
        return alerts

    def snapshot(self) -> bytes:
        """The model's whole state, and what the view shows of it (with a view), as bytes."""
        shown = self.view.state() if self.view is not None else None
        return pickle.dumps((self.model, shown), protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def restore(cls, data: bytes, metrics=None, view=None) -> Detect:
        """A stage that continues from ``snapshot()`` bytes; ``view`` is filled with what the snapshot's
        view showed (without one: with the model's last verdicts), so it answers at once."""
        state = pickle.loads(data)
        model, shown = state if isinstance(state, tuple) else (state, None)  # a bare model: an older snapshot
        stage = cls(model, metrics, view)
        if view is not None:
            if shown is not None:
                view.load(shown)
            else:
                view.record(model.last_verdicts, [])
        return stage

    def _record(self, alerts: list[Alert], windows, seconds: float) -> None:
        m, model = self.metrics, self.model
        now = time.time()
        for alert in alerts:
            m.alerts.labels(kind=alert.kind, state=alert.state).inc()
            if alert.state == "resolved":
                m.top.remove(alert.hashtag)
            else:
                m.top.pin(alert.hashtag)
                m.event_to_alert_seconds.observe(max(0.0, now - alert.window_end / 1000))
        active = model.book.active
        for verdict in model.last_verdicts:
            w = verdict.window
            episode = active.get(w.hashtag)
            seconds_in_window = max(w.size_ms / 1000, 1e-3)
            m.top.update(w.hashtag, score=float(verdict.score), posts_rate=w.posts / seconds_in_window,
                         views_rate=w.views / seconds_in_window,
                         kind=episode.kind if episode is not None else verdict.kind)
        if windows:
            latest = windows.max_end() if isinstance(windows, ClosedWindows) else max(w.window_end for w in windows)
            m.watermark.labels(stage="detect").set(latest / 1000)
        m.stage_seconds.labels(stage="detect").observe(seconds)
        m.tracked_tags.labels(stage="detect").set(model.tracked_tags)
        m.detector_memory_bytes.set(model.state_bytes)
