"""The trend model's moments as they were kept in Python: the oracle of ``detectors._native.Moments``.

``OracleTrendModel`` is ``detectors.model.TrendModel`` with its moments in a
dict of ``Window`` lists and every window of a complete moment, long tail
included, scored by ``SurgeScorer.update``: what the model did before the
windows that cannot change a state were kept out of Python. The native
moments must give the same alerts, verdicts and scorer state
(``tests/unit/detectors/test_moments_oracle.py``).
"""

from __future__ import annotations

from collections import defaultdict

from detectors.model import TrendModel
from detectors.records import Alert, Window

__all__ = ["OracleTrendModel"]


class OracleTrendModel(TrendModel):
    """``TrendModel`` with Python moments (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending: dict[int, list[Window]] = defaultdict(list)

    def update(self, windows: list[Window], complete: int | None = None) -> list[Alert]:
        alerts: list[Alert] = []
        self.last_verdicts = []
        sizes = (self.scorer.fast_ms, self.scorer.slow_ms)
        for w in windows:
            if w.window_end > self._latest:
                self._latest = w.window_end
            if w.size_ms not in sizes:
                continue
            if w.window_end <= self._done:
                alerts += self._late(w)
            else:
                self._pending[w.window_end].append(w)
        done = self._latest - 1 if complete is None else max(self._latest - 1, complete)
        for end in sorted(e for e in self._pending if e <= done):
            alerts += self._complete_all(end, self._pending.pop(end))
        return alerts

    def flush(self) -> list[Alert]:
        alerts: list[Alert] = []
        self.last_verdicts = []
        for end in sorted(self._pending):
            alerts += self._complete_all(end, self._pending.pop(end))
        return alerts

    def _complete_all(self, end: int, windows: list[Window]) -> list[Alert]:
        self._done = max(self._done, end)
        alerts: list[Alert] = []
        fast = [w for w in windows if w.size_ms == self.scorer.fast_ms]
        slow = [w for w in windows if w.size_ms != self.scorer.fast_ms]
        if fast:
            posts, views = sum(w.posts for w in fast), sum(w.views for w in fast)
            if posts:
                self._views_per_post.update(views / posts)
        for group, is_slow in ((fast, False), (slow, True)):
            if group:
                total = sum(w.posts for w in group if w.hashtag not in self.book.active)
                self._totals[(group[0].size_ms, end)] = total
                total = total if self.normalise else None
                alerts += self._score(sorted(group, key=lambda w: w.hashtag), total, is_slow)
        alerts += self.book.expire(end)
        if fast:
            self.scorer.end_fast_window(keep=set(self.book.active))
        if len(self._totals) > 64:
            for key in sorted(self._totals)[:-32]:
                del self._totals[key]
        return alerts
