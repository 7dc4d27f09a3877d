"""The online surge scorer: one closed window in, a verdict out, learning as it goes.

For each window of a hashtag the scorer compares the posts it saw with the
posts it expected, then learns the window (``score`` before ``learn``, as River
anomaly detectors do). Two time scales run side by side: *fast* windows (e.g.
5 min) against a baseline with a memory of hours, for flash spikes, and *slow*
windows (e.g. 1 h) against a memory of a day, for slow burns.

- expected = max(EW share, hour-of-day share) x volume of the non-surging tags,
  never below a noise floor (rare tags); once a tag has two whole weeks of
  history the hour-of-day share is scaled by its day of the week's factor;
- score = ``2 (sqrt(observed) - sqrt(expected)) / dispersion``: the deviation
  on the variance-stabilised square-root scale, in units of the tag's own
  learnt dispersion (EW root mean squared residual), never below Poisson's 1;
- robust learning: a window is learnt at most ``clip`` dispersions above what
  was expected, so a burst does not poison its own baseline, while a lasting
  new level is still absorbed within one episode;
- without author counts (a count series) there is no breadth to check, so a
  hot window must be confirmed by the next one staying above
  ``Thresholds.confirm`` (persistence instead of breadth);
- bots: each author counts for at most ``author_cap`` posts per window; a burst
  that only passes without the cap, or that has too few distinct authors, is
  ``suspicious``, never ``trend``.

Only tags that matter get exact state (``TagState``); the long tail lives in a
``DecayingCountMin`` sketch, and the number of tracked tags is capped.
"""

from __future__ import annotations

import math

from river import base as river_base

from detectors.baseline import HOUR_MS, WEEKS, TagState, decayed, ew_alpha, weight
from detectors.longtail import DecayingCountMin
from detectors.records import Window
from detectors.scoring import (ESTABLISHED, VAR_CLIP, Thresholds, Verdict, readiness, size_name, spread,
                               unknown_authors, z_score)

__all__ = ["Thresholds", "Verdict", "SurgeScorer"]  # Thresholds and Verdict live in detectors.scoring


class SurgeScorer(river_base.AnomalyDetector):
    """Scores hashtag windows against per-tag adaptive baselines on two time scales.

    Parameters
    ----------
    fast_ms, slow_ms
        Window sizes (ms) of the fast and slow time scales.
    fast_half_life_ms, slow_half_life_ms
        Memory of the baselines.
    floor_per_hour
        Noise floor: posts per hour a tag is always expected to have.
    thresholds
        When a window is hot (``Thresholds``).
    max_tags
        At most this many tags get exact state; the rest share a sketch.
    admit_posts
        A tag gets exact state from its first window with this many posts.
    warmup_ms
        During the first ``warmup_ms`` of the stream baselines start at what
        they see and nothing is hot.
    profile_beta
        Smallest weight of a new day in the hour-of-day profile.
    history_ms
        A tag that already had a level of its own when the stream started
        (expected above 4 noise floors) needs this much history before it can
        be a ``trend``: until its hour-of-day profile has seen a whole day, a
        daily peak looks like a surge. Tags that arrive later, out of the long
        tail, can trend at once.
    dispersion_half_life_ms
        Memory of each tag's dispersion (EW mean squared residual on the
        ``2 sqrt`` scale).
    clip
        A window is learnt as at most this many dispersions above expected
        (robust baselines).
    weekly_weeks
        The day-of-week term scales the hour-of-day profile once each day of
        the week has been learnt this many times (whole days); 0: never.

    Examples
    --------
    >>> scorer = SurgeScorer(warmup_ms=0)
    >>> quiet = [Window("cats", "5m", t, t + 300_000, posts=4, authors=4) for t in range(0, 7_200_000, 300_000)]
    >>> [scorer.update(w, total=100, slow=False) for w in quiet][-1] is None
    True
    >>> burst = Window("cats", "5m", 7_200_000, 7_500_000, posts=60, authors=50)
    >>> v = scorer.update(burst, total=156, slow=False)
    >>> v.kind, round(v.score, 1), v.observed, round(v.expected, 1), v.growth
    ('trend', 12.3, 60, 1.6, 12.2)
    >>> bots = Window("coin", "5m", 7_200_000, 7_500_000, posts=300, authors=4)
    >>> scorer.update(bots, total=456, slow=False).kind
    'suspicious'
    """

    def __init__(self, fast_ms: int = 300_000, slow_ms: int = HOUR_MS, fast_half_life_ms: int = 2 * HOUR_MS,
                 slow_half_life_ms: int = 24 * HOUR_MS, floor_per_hour: float = 3.0,
                 thresholds: Thresholds = Thresholds(), max_tags: int = 50_000, admit_posts: int = 3,
                 warmup_ms: int = 3 * HOUR_MS, profile_beta: float = 0.25, history_ms: int = 24 * HOUR_MS,
                 dispersion_half_life_ms: int = 72 * HOUR_MS, clip: float = 3.0, weekly_weeks: int = WEEKS):
        for name in ("fast_ms", "slow_ms", "fast_half_life_ms", "slow_half_life_ms", "dispersion_half_life_ms"):
            if not isinstance(locals()[name], int) or locals()[name] <= 0:
                raise ValueError(f"{name} must be a positive number of milliseconds, not {locals()[name]!r}")
        if floor_per_hour <= 0:
            raise ValueError(f"floor_per_hour must be positive, not {floor_per_hour!r}")
        if max_tags < 1 or admit_posts < 1 or warmup_ms < 0 or history_ms < 0 or not 0 < profile_beta <= 1:
            raise ValueError("max_tags and admit_posts must be >= 1, warmup_ms and history_ms >= 0, "
                             "profile_beta in (0, 1]")
        if not clip > 0 or not isinstance(weekly_weeks, int) or not 0 <= weekly_weeks <= 255:
            raise ValueError(f"clip must be positive and weekly_weeks in 0..255, not {clip!r}, {weekly_weeks!r}")
        self.fast_ms, self.slow_ms = fast_ms, slow_ms
        self.fast_half_life_ms, self.slow_half_life_ms = fast_half_life_ms, slow_half_life_ms
        self.floor_per_hour = floor_per_hour
        self.thresholds = thresholds
        self.max_tags, self.admit_posts = max_tags, admit_posts
        self.warmup_ms, self.profile_beta, self.history_ms = warmup_ms, profile_beta, history_ms
        self.dispersion_half_life_ms, self.clip, self.weekly_weeks = dispersion_half_life_ms, clip, weekly_weeks
        self._alpha = (ew_alpha(fast_ms, fast_half_life_ms), ew_alpha(slow_ms, slow_half_life_ms))
        self._var_alpha = (ew_alpha(fast_ms, dispersion_half_life_ms), ew_alpha(slow_ms, dispersion_half_life_ms))
        self._per_hour = max(1, HOUR_MS // fast_ms)
        self._floor = (floor_per_hour * fast_ms / HOUR_MS, floor_per_hour * slow_ms / HOUR_MS)
        self._states: dict[str, TagState] = {}
        self._tail = DecayingCountMin(alpha=ew_alpha(fast_ms, slow_half_life_ms))
        self._origin: int | None = None
        self._unconfirmed: dict[tuple[str, int], Verdict] = {}
        self.observe = None
        """None, or called with ``(window, expected, dispersion)`` of every window of a tracked tag as it
        is scored (expected never below the noise floor): what a report draws. Not part of the state."""

    def __getstate__(self):
        return {**self.__dict__, "observe": None}

    def __setstate__(self, state):  # a scorer saved before the day-of-week term learns it from now on
        keys, values = state.pop("_tail_keys", ()), state.pop("_tail_values", ())  # saved before deferring
        self.__dict__.update({"weekly_weeks": WEEKS, **state, "observe": None})
        for key, value in zip(keys, values):
            self._tail.defer(key, value)

    # -- River's interface ---------------------------------------------------------
    def learn_one(self, x: dict) -> None:
        """Learn a window given as a dict: Window fields plus ``total`` (River's verb)."""
        self.update(Window.from_dict(x), x.get("total"), x["size"] != size_name(self.fast_ms))

    def score_one(self, x: dict) -> float:
        """The score a window would get now, without learning it (River's verb)."""
        window, slow = Window.from_dict(x), x["size"] != size_name(self.fast_ms)
        state = self._states.get(window.hashtag)
        total = 1 if x.get("total") is None else max(x["total"], window.posts, 1)
        expected = self._expected(state, window, total, int(slow))
        return z_score(self._capped(window), max(expected, self._floor[int(slow)])) / spread(state, int(slow))

    # -- the hot path --------------------------------------------------------------
    def _capped(self, w: Window) -> int:
        return min(w.posts, self.thresholds.author_cap * w.authors) if w.authors > 0 else w.posts

    def _expected(self, state: TagState | None, w: Window, total: int, slow: int) -> float:
        if state is None:
            return self._tail[w.hashtag] * total
        mean, end = (state.slow, state.slow_end) if slow else (state.fast, state.fast_end)
        alpha = weight(self._alpha[slow], w.size_ms, w.window_end, state.born)
        gaps = (w.window_end - end) // w.size_ms - 1
        root = max(decayed(mean, alpha, gaps), state.seasonal(w.window_start))
        return root * root * total

    def update(self, w: Window, total: int | None, slow: bool) -> Verdict | None:
        """Score ``w`` (posts of all non-surging tags in its window: ``total``), then learn it.

        ``total=None`` scores absolute counts (a single series has nothing to normalise against).

        Returns a ``Verdict`` when the window is at least warm (score >= ``z_off``), else None.
        """
        if self._origin is None:
            self._origin = w.window_start
        channel = int(slow)
        observed = self._capped(w)
        total = 1 if total is None else max(total, w.posts, 1)
        state = self._states.get(w.hashtag)
        warming = w.window_end - self._origin <= self.warmup_ms
        if state is None and w.posts >= self.admit_posts:
            share = observed / total if warming else self._tail[w.hashtag]
            born = w.window_start if warming else -1
            state = self._states[w.hashtag] = TagState(math.sqrt(share), w.window_start, born)
        if state is None:
            if not slow:
                self._tail.defer(w.hashtag, observed / total)
            return None
        expected = self._expected(state, w, total, channel)
        if self.observe is not None:
            self.observe(w, max(expected, self._floor[channel]), spread(state, channel))
        verdict = None if warming else self._judge(w, state, observed, expected, channel)
        if self.thresholds.confirm is not None and unknown_authors(w):
            verdict = self._confirmed(w, channel, verdict)
        self._learn(state, w, observed, total, expected, channel)
        return verdict

    def take(self, moments, end: int, slow: bool) -> tuple[list[Window], int, int, int]:
        """From ``moments`` (``detectors._native.Moments``), the windows of one time scale of the moment
        ending at ``end`` that ``update`` would learn or admit (tracked tags, ``admit_posts`` posts), by
        hashtag; the rest only have a long-tail share (``tail_moment``). -> (windows, count, rest posts, views)"""
        windows, count, rest_posts, rest_views = moments.take(end, slow, self._states, self.admit_posts,
                                                              self.thresholds.author_cap)
        if count and self._origin is None:
            self._origin = end - (self.slow_ms if slow else self.fast_ms)
        return windows, count, rest_posts, rest_views

    def tail_moment(self, moments, total: int | None) -> None:
        """The fast windows ``take`` left out go to the long-tail sketch, as ``update`` sends them."""
        moments.defer_tail(self._tail, total)

    def _confirmed(self, w: Window, channel: int, verdict: Verdict | None) -> Verdict | None:
        """Persistence instead of breadth: a hot window is a trend once the next one holds."""
        first = self._unconfirmed.pop((w.hashtag, channel), None)
        if first is not None and verdict is not None and first.window.window_end == w.window_start \
                and verdict.score >= self.thresholds.confirm:
            return first
        if verdict is not None and verdict.kind == "trend":
            self._unconfirmed[(w.hashtag, channel)] = verdict
            return verdict._replace(kind=None)
        return verdict

    def _judge(self, w: Window, state: TagState, observed: int, expected: float, slow: int) -> Verdict | None:
        th, floor = self.thresholds, max(expected, self._floor[slow])
        width = spread(state, slow)
        score = z_score(observed, floor) / width
        raw = z_score(w.posts, floor) / width if w.posts > observed else score
        unknown = unknown_authors(w)
        if raw < th.z_off:
            return None
        kind = None
        established = expected >= ESTABLISHED * self._floor[slow]
        young = established and state.born >= 0 and w.window_end - state.since < self.history_ms
        if score >= th.z_on and observed >= th.min_posts and observed >= th.min_ratio * floor \
                and (unknown or w.authors >= th.min_authors) and not young:
            kind = "trend"
        elif not unknown and raw >= th.z_on and w.posts >= th.min_posts and w.posts >= th.min_ratio * floor and (
                w.authors < th.min_authors or w.posts >= th.bot_posts_per_author * w.authors):
            kind, score = "suspicious", raw
        last, last_end = (state.slow_last, state.slow_end) if slow else (state.fast_last, state.fast_end)
        previous = last if last_end == w.window_start else 0
        growth = round((observed + 1) / (previous + 1), 2)
        return Verdict(w, kind, score, observed, expected, growth)

    def _learn(self, state: TagState, w: Window, observed: int, total: int, expected: float, slow: int) -> None:
        floor = max(expected, self._floor[slow])
        residual = z_score(observed, floor)
        var = state.slow_var if slow else state.fast_var
        a = weight(self._var_alpha[slow], w.size_ms, w.window_end, state.born)
        upper = residual * residual
        var += a * (min(upper, VAR_CLIP * max(var, 1.0)) - var)
        ceiling = (math.sqrt(floor) + 0.5 * self.clip * math.sqrt(max(var, 1.0))) ** 2
        share = math.sqrt(min(observed, ceiling) / total)  # baselines live on the square-root scale
        alpha = weight(self._alpha[slow], w.size_ms, w.window_end, state.born)
        if slow:
            state.slow_var = var
            mean = decayed(state.slow, alpha, (w.window_end - state.slow_end) // w.size_ms - 1)
            state.slow, state.slow_end, state.slow_last = mean + alpha * (share - mean), w.window_end, w.posts
        else:
            state.fast_var = var
            mean = decayed(state.fast, alpha, (w.window_end - state.fast_end) // w.size_ms - 1)
            state.fast, state.fast_end, state.fast_last = mean + alpha * (share - mean), w.window_end, w.posts
            state.learn_hour(w.window_start, share, self._per_hour, self.profile_beta, self.weekly_weeks)

    # -- housekeeping ----------------------------------------------------------------
    def end_fast_window(self, keep: set[str] = frozenset()) -> None:
        """Close a fast window: the long tail's shares go into the sketch, the cap is enforced."""
        self._tail.decay(1)
        self._tail.commit()
        if len(self._states) > self.max_tags:
            self._evict(keep)

    def _evict(self, keep: set[str]) -> None:
        """Drop the tags with the smallest slow share (never those in ``keep``) down to 90% of the cap."""
        excess = len(self._states) - int(self.max_tags * 0.9)
        ranked = sorted((s.slow, tag) for tag, s in self._states.items() if tag not in keep)
        for _, tag in ranked[:excess]:
            state = self._states.pop(tag)
            self._unconfirmed.pop((tag, 0), None)
            self._unconfirmed.pop((tag, 1), None)
            self._tail.update([tag], [state.slow * state.slow / self._tail.alpha])

    def readiness(self, now: int) -> str | None:
        """Why a stream seen up to event time ``now`` cannot have raised every trend yet, or None.

        >>> scorer = SurgeScorer()
        >>> scorer.readiness(0)
        'no window reached the detector'
        >>> _ = scorer.update(Window("cats", "5m", 0, 300_000, posts=5, authors=5), total=50, slow=False)
        >>> scorer.readiness(2 * HOUR_MS), scorer.readiness(30 * HOUR_MS)
        ('history not warm yet: 2 h seen, the first 3 h of a stream only learn', None)
        """
        return readiness(now, self._origin, self.warmup_ms, self.history_ms)

    @property
    def tracked_tags(self) -> int:
        """Tags with exact state."""
        return len(self._states)

    @property
    def state_bytes(self) -> int:
        """Approximate memory of all per-tag state and the sketch, in bytes."""
        return self.tracked_tags * self.bytes_per_tag + self._tail.nbytes

    @property
    def bytes_per_tag(self) -> int:
        """Memory of one tracked tag: its state object, profile and dict entry (key excluded)."""
        return TagState.footprint()
