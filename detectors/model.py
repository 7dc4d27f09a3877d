"""The trend model: closed windows of every hashtag in, alerts out.

``TrendModel.update(windows)`` gathers the windows that end at the same time,
and once that moment is complete (a window ending later has arrived, or
``flush()`` is called, or a watermark passed with them says so) it normalises each tag against the volume of all tags
that are not surging, scores and learns every window with the ``SurgeScorer``
(fast and slow time scales), and turns verdicts into alert episodes with the
``AlertBook``. The result depends only on the windows and their order by end
time, not on how they were split into batches, so a worker and the embedded
runner give the same alerts.
"""

from __future__ import annotations

from river import stats

from detectors._native import ClosedWindows, Moments
from detectors.alerts import AlertBook
from detectors.records import Alert, Window
from detectors.surge import SurgeScorer, Verdict

__all__ = ["TrendModel"]


class TrendModel:
    """Online surge detection over the closed windows of every hashtag.

    Parameters
    ----------
    scorer
        The ``SurgeScorer`` (default: ``SurgeScorer()``: 5 min and 1 h windows).
    book
        The ``AlertBook`` (default: ``AlertBook(z_off=scorer.thresholds.z_off)``).
    normalise
        Compare each tag's share of the volume of non-surging tags (True), or
        its absolute counts (False: a single count series).

    Examples
    --------
    >>> model = TrendModel()              # learns without alerting for its first 3 hours
    >>> def minute5(t, **counts):
    ...     return [Window(tag, "5m", t, t + 300_000, **c) for tag, c in counts.items()]
    >>> alerts = []
    >>> for i in range(48):
    ...     alerts += model.update(minute5(i * 300_000, fyp=dict(posts=40, authors=35),
    ...                                    cats=dict(posts=2, authors=2)))
    >>> alerts
    []
    >>> alerts = model.update(minute5(48 * 300_000, fyp=dict(posts=41, authors=36),
    ...                               cats=dict(posts=90, views=9000, authors=80)))
    >>> alerts += model.flush()
    >>> [(a.hashtag, a.kind, a.state, a.observed) for a in alerts]
    [('cats', 'trend', 'started', 90.0)]
    """

    def __init__(self, scorer: SurgeScorer | None = None, book: AlertBook | None = None, normalise: bool = True):
        self.normalise = normalise
        self.scorer = scorer if scorer is not None else SurgeScorer()
        self.book = book if book is not None else AlertBook(z_off=self.scorer.thresholds.z_off)
        self._moments = Moments(self.scorer.fast_ms, self.scorer.slow_ms, Window)
        self._latest = -1
        self._done = -1
        self._totals: dict[tuple[int, int], int] = {}
        self._views_per_post = stats.EWMean(fading_factor=0.05)
        self.last_verdicts: list[Verdict] = []
        self.scored = 0
        """Windows the scorer scored and learnt so far (the others only counted in totals and the tail)."""

    def __setstate__(self, state):
        pending = state.pop("_pending", None)  # a model saved with its moments in a dict
        self.__dict__.update({"scored": 0, **state})
        if pending is not None:
            self._moments = Moments(self.scorer.fast_ms, self.scorer.slow_ms, Window)
            self._moments.add([w for end in sorted(pending) for w in pending[end]], -1)

    def update(self, windows: list[Window] | ClosedWindows, complete: int | None = None) -> list[Alert]:
        """Take closed windows (any sizes, any tags; ``Window`` records, or a native batch of the
        window aggregator); the alerts of every moment now complete.

        A moment is complete once a window ending later has arrived, or, with ``complete``, if it
        ends at or before ``complete`` (a watermark: the caller knows no window of it is to come).
        """
        alerts: list[Alert] = []
        self.last_verdicts = []
        latest, late = self._moments.add(windows, self._done)
        self._latest = max(self._latest, latest)
        for w in late:
            alerts += self._late(w)
        done = self._latest - 1 if complete is None else max(self._latest - 1, complete)
        for end in self._moments.ends(done):
            alerts += self._complete(end)
        return alerts

    def flush(self) -> list[Alert]:
        """Complete every moment still waiting (end of input)."""
        alerts: list[Alert] = []
        self.last_verdicts = []
        for end in self._moments.ends():
            alerts += self._complete(end)
        return alerts

    def _complete(self, end: int) -> list[Alert]:
        """Score the moment ending at ``end``: its fast windows, then its slow ones, each normalised
        by the posts of the tags not surging (only the windows that can change a state are scored;
        the others count in the totals)."""
        self._done = max(self._done, end)
        alerts: list[Alert] = []
        scorer, fast_ms = self.scorer, self.scorer.fast_ms
        count, scored, posts, views, total, events = self._moment(end, False)
        if count:
            if posts:
                self._views_per_post.update(views / posts)
            self._totals[(fast_ms, end)] = total
            self.scored += scored
            alerts += self._apply(events, False)
            scorer.tail_moment(self._moments, total if self.normalise else None)
        slow_count, scored, _, _, slow_total, events = self._moment(end, True)
        if slow_count:
            self._totals[(scorer.slow_ms, end)] = slow_total
            self.scored += scored
            alerts += self._apply(events, True)
        alerts += self.book.expire(end)
        if count:
            scorer.end_fast_window(keep=set(self.book.active))
        if len(self._totals) > 64:
            for key in sorted(self._totals)[:-32]:
                del self._totals[key]
        return alerts

    def _moment(self, end: int, slow: bool) -> tuple:
        """Score and learn one time scale of the moment ending at ``end`` (in native code, unless the
        scorer's ``observe`` hook wants every window's expectation: then as ``Window`` records).
        -> (windows, scored, posts, views, total, events), ``events``: ``(Window, Verdict | None)``
        of the windows that matter to the alert book, in order."""
        scorer, active = self.scorer, self.book.active
        if scorer.observe is None:
            return scorer.score_moment(self._moments, end, slow, active, self.normalise)
        windows, count, rest_posts, rest_views = scorer.take(self._moments, end, slow)
        total = sum(w.posts for w in windows if w.hashtag not in active) + rest_posts
        posts, views = sum(w.posts for w in windows) + rest_posts, sum(w.views for w in windows) + rest_views
        update, over = scorer.update, total if self.normalise else None
        return count, len(windows), posts, views, total, ((w, update(w, over, slow)) for w in windows)

    def _late(self, w: Window) -> list[Alert]:
        """A window for a moment already completed (several upstream partitions): scored on its own."""
        total = self._totals.get((w.size_ms, w.window_end), 0) + w.posts if self.normalise else None
        return self._score([w], total, w.size_ms != self.scorer.fast_ms)

    def _score(self, windows: list[Window], total: int | None, slow: bool) -> list[Alert]:
        self.scored += len(windows)
        update = self.scorer.update
        return self._apply(((w, update(w, total, slow)) for w in windows), slow)

    def _apply(self, events, slow: bool) -> list[Alert]:
        """Windows and their verdicts, in order, into the alert book: a fast window of a tag with an
        active episode adds to it, a verdict may start or continue one."""
        alerts = []
        active, book = self.book.active, self.book
        vpp = self._views_per_post.get() or 0.0
        for w, verdict in events:
            episode = active.get(w.hashtag)
            if episode is not None and not slow:
                book.accumulate(episode, w.posts, w.views, w.size_ms)
            if verdict is not None:
                self.last_verdicts.append(verdict)
                alert = book.observe(verdict, vpp)
                if alert is not None:
                    alerts.append(alert)
        return alerts

    @property
    def tracked_tags(self) -> int:
        """Tags with exact state in the scorer."""
        return self.scorer.tracked_tags

    @property
    def state_bytes(self) -> int:
        """Approximate memory of the detector's state, in bytes."""
        return self.scorer.state_bytes
