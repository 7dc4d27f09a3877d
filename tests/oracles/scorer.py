"""The surge scorer's per-window arithmetic as it was written in Python: the oracle of the native one.

``OracleSurgeScorer`` is ``detectors.surge.SurgeScorer`` before its per-window
work moved to ``detectors._native.SurgeCore`` (``native/src/scorer.rs``):
per-tag ``TagState`` objects (the profile an ``array("f")``), the same
parameters, ``update`` and ``end_fast_window``. The native scorer must give
the same verdicts and end in the same state, bit for bit
(``tests/unit/detectors/test_scorer_oracle.py``, ``test_moments_oracle.py``);
``scorer_state`` puts the state of either in one comparable form.
"""

from __future__ import annotations

import math
from array import array

from detectors.baseline import DAY_MS, HOUR_MS, WEEKS
from detectors.records import Window
from detectors.scoring import Verdict
from detectors.surge import SurgeScorer

__all__ = ["OracleSurgeScorer", "OracleTagState", "scorer_state", "z_score"]

SLOTS = 24 + 7
ESTABLISHED = 4.0  # expected above this many noise floors: the tag has a level of its own
VAR_CLIP = 400.0  # a squared residual is learnt as at most 20^2 dispersions^2


def z_score(observed: float, expected: float) -> float:
    return 2.0 * (math.sqrt(observed) - math.sqrt(expected))


def unknown_authors(w: Window) -> bool:
    return w.authors == 0 and w.posts > 0


def spread(state, slow: int) -> float:
    """The tag's dispersion on the ``2 sqrt`` scale, never below Poisson's 1."""
    if state is None:
        return 1.0
    return math.sqrt(max(state.slow_var if slow else state.fast_var, 1.0))


def weight(alpha: float, size_ms: int, end: int, born: int) -> float:
    """The EW weight of a new window, or 1/n for the n-th window of a state born without history.

    >>> weight(0.01, 300_000, 3_000_000, born=0), weight(0.01, 300_000, 3_000_000, born=-1)
    (0.1, 0.01)
    """
    if born < 0 or end <= born:
        return alpha
    return min(1.0, max(alpha, size_ms / (end - born)))


def decayed(mean: float, alpha: float, gaps: int) -> float:
    """``mean`` after ``gaps`` observations of zero.

    >>> decayed(0.8, 0.5, 2)
    0.2
    """
    return mean * (1.0 - alpha) ** gaps if gaps > 0 else mean


class OracleTagState:
    """The exact state of one tracked hashtag (a few hundred bytes).

    ``fast`` and ``slow`` are the EW mean shares of the two time scales,
    ``fast_end``/``slow_end`` the end of the last window learnt on each,
    ``fast_last``/``slow_last`` that window's posts (for the growth rate),
    ``fast_var``/``slow_var`` the EW mean squared residual on the ``2 sqrt``
    scale (1.0, Poisson, until learnt).
    ``born`` is when the state started with no history (at the start of the
    stream): until the memory of a time scale has passed, its mean is the
    plain running mean since then; -1 means the state started from a known
    baseline (the long-tail sketch). ``since`` is when the state started.

    Parameters
    ----------
    share
        Initial share on both time scales.
    end
        End (epoch ms) of the window the state starts at.

    Examples
    --------
    >>> s = OracleTagState(share=0.01, end=HOUR_MS)
    >>> for minute in range(0, 60, 5):    # 07:00-08:00, share 0.3 in every 5 min window
    ...     s.learn_hour(7 * HOUR_MS + minute * 60_000, 0.3, per_hour=12, beta_min=0.25)
    >>> s.seasonal(7 * HOUR_MS)           # the hour is not over yet: nothing known
    0.0
    >>> s.learn_hour(8 * HOUR_MS, 0.01, per_hour=12, beta_min=0.25)
    >>> round(s.seasonal(31 * HOUR_MS), 3), round(s.seasonal(30 * HOUR_MS), 3), s.seasonal(12 * HOUR_MS)
    (0.3, 0.3, 0.0)

    A tag at share 0.3 on two days of the week, 0.1 on the others (one window an hour):

    >>> s, week_day = OracleTagState(end=0), lambda day: 0.3 if day % 7 in (2, 3) else 0.1  # epoch day 2: a Saturday
    >>> for hour in range(13 * 24):
    ...     s.learn_hour(hour * HOUR_MS, week_day(hour // 24), per_hour=1, beta_min=0.25)
    >>> s.weekly(), round(s.seasonal(14 * DAY_MS + 10 * HOUR_MS), 3)    # not two weeks yet: the daily profile
    (False, 0.157)
    >>> for hour in range(13 * 24, 21 * 24):
    ...     s.learn_hour(hour * HOUR_MS, week_day(hour // 24), per_hour=1, beta_min=0.25)
    >>> s.weekly(), round(s.seasonal(23 * DAY_MS + 10 * HOUR_MS), 3), round(s.seasonal(25 * DAY_MS + 10 * HOUR_MS), 3)
    (True, 0.296, 0.099)
    """

    __slots__ = ("fast", "slow", "fast_end", "slow_end", "fast_last", "slow_last", "born", "since",
                 "fast_var", "slow_var", "_profile", "_seen", "_hour", "_hour_sum", "_day_sum", "_week_mean")

    def __init__(self, share: float = 0.0, end: int = 0, born: int = -1):
        self.fast = self.slow = float(share)
        self.fast_end = self.slow_end = int(end)
        self.born = born
        self.since = int(end)
        self.fast_last = self.slow_last = 0
        self.fast_var = self.slow_var = 1.0
        self._profile = array("f", bytes(4 * SLOTS))  # 24 hours of the day, then 7 days of the week
        self._seen = bytearray(SLOTS)
        self._hour, self._hour_sum, self._day_sum, self._week_mean = -1, 0.0, 0.0, 0.0

    def seasonal(self, start_ms: int) -> float:
        """The share expected from previous days at the time of ``start_ms``.

        The larger of that hour's and the next hour's profile: the hour in
        progress is still being summed, so its value is from earlier days.
        Once the weekly term is trusted each is scaled by its day's factor.
        """
        hour = start_ms // HOUR_MS
        p = self._profile
        now, following = p[hour % 24], p[(hour + 1) % 24]
        if self._week_mean > 0.0:
            now, following = now * self._factor(hour), following * self._factor(hour + 1)
        return max(now, following)

    def weekly(self) -> bool:
        """Whether the day-of-week term is in use (every day of the week learnt ``weeks`` times)."""
        return self._week_mean > 0.0

    def _factor(self, hour: int) -> float:
        """The day-of-week factor of the day of ``hour`` (epoch hours): its mean share over the week's."""
        return self._profile[24 + (hour // 24) % 7] / self._week_mean

    def learn_hour(self, start_ms: int, share: float, per_hour: int, beta_min: float, weeks: int = WEEKS) -> None:
        """Add a window's share to its hour; a finished hour's mean goes into the profiles.

        ``per_hour`` is the number of windows in an hour: windows without the
        tag count as zero share. The day-of-week term is used once every day
        of the week has been learnt ``weeks`` times (0: never).
        """
        hour = start_ms // HOUR_MS
        if hour != self._hour:
            if self._hour >= 0:
                self._finish_hour(hour, per_hour, beta_min, weeks)
            self._hour, self._hour_sum = hour, 0.0
        self._hour_sum += share

    def _finish_hour(self, following: int, per_hour: int, beta_min: float, weeks: int) -> None:
        """Fold the hour in progress (the hour-of-day slot learns it without its day's factor); a
        finished day that the state saw whole goes into its day-of-week slot."""
        old, mean = self._hour, self._hour_sum / per_hour
        factor = self._factor(old) if self._week_mean > 0.0 else 1.0
        self._fold(old % 24, mean / factor if factor > 0.0 else mean, beta_min)
        self._day_sum += mean
        if following // 24 != old // 24:
            day = old // 24
            if day * DAY_MS >= self.since:
                self._fold(24 + day % 7, self._day_sum / 24, beta_min)
                if weeks and min(self._seen[24:]) >= weeks:
                    total = 0.0  # sum() as Python 3.11 adds floats: left to right (3.12 compensates)
                    for value in self._profile[24:]:
                        total += value
                    self._week_mean = total / 7
            self._day_sum = 0.0

    def _fold(self, slot: int, mean: float, beta_min: float) -> None:
        n = self._seen[slot]
        beta = max(1.0 / (n + 1), beta_min)
        self._profile[slot] += beta * (mean - self._profile[slot])
        if n < 255:
            self._seen[slot] = n + 1

    def __getstate__(self):
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state):
        for name, value in zip(self.__slots__, state):
            setattr(self, name, value)


class OracleSurgeScorer(SurgeScorer):
    """The former ``detectors.surge.SurgeScorer``: its per-window arithmetic in Python. The parameters and
    their checks are ``SurgeScorer``'s; ``update``, ``end_fast_window`` and the state are the oracle's own
    (the native part is left unused)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._states: dict[str, OracleTagState] = {}
        self._origin: int | None = None
        self._unconfirmed: dict[tuple[str, int], Verdict] = {}

    @property
    def tracked_tags(self) -> int:
        return len(self._states)

    # -- the hot path --------------------------------------------------------------
    def _capped(self, w: Window) -> int:
        return min(w.posts, self.thresholds.author_cap * w.authors) if w.authors > 0 else w.posts

    def _expected(self, state: OracleTagState | None, w: Window, total: int, slow: int) -> float:
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
            known = self._tail.take(w.hashtag)  # its share leaves the long tail for its state
            share = observed / total if warming else known
            born = w.window_start if warming else -1
            state = self._states[w.hashtag] = OracleTagState(math.sqrt(share), w.window_start, born)
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

    def _judge(self, w: Window, state: OracleTagState, observed: int, expected: float, slow: int) -> Verdict | None:
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

    def _learn(self, state: OracleTagState, w: Window, observed: int, total: int, expected: float, slow: int) -> None:
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
        """Drop the tags with the smallest slow share (never those in ``keep``) down to 90% of the cap;
        the share each learnt goes back into the long tail (admission took its estimate out)."""
        excess = len(self._states) - int(self.max_tags * 0.9)
        ranked = sorted((s.slow, tag) for tag, s in self._states.items() if tag not in keep)
        for _, tag in ranked[:excess]:
            state = self._states.pop(tag)
            self._unconfirmed.pop((tag, 0), None)
            self._unconfirmed.pop((tag, 1), None)
            self._tail.put(tag, state.slow * state.slow)


def scorer_state(scorer) -> tuple:
    """States (by tag: the 16 fields, the profile as floats), unconfirmed verdicts (by tag and
    channel), origin and long-tail sketch of an ``OracleSurgeScorer`` or a ``SurgeScorer``."""
    if isinstance(scorer, OracleSurgeScorer):
        states = {tag: s.__getstate__() for tag, s in scorer._states.items()}
        states = {tag: (*f[:10], list(f[10]), bytes(f[11]), *f[12:]) for tag, f in states.items()}
        unconfirmed, origin = scorer._unconfirmed, scorer._origin
    else:
        states, unconfirmed, origin = scorer.states(), scorer.unconfirmed(), scorer.origin
    return (sorted(states.items()), sorted(unconfirmed.items()), origin, scorer._tail.to_state())
