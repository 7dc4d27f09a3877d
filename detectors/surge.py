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

Only tags that matter get exact state; the long tail lives in a
``DecayingCountMin`` sketch, and the number of tracked tags is capped.

The per-window arithmetic and every tag's state are native
(``detectors._native.SurgeCore``, ``native/src/scorer.rs``): this class holds
the parameters and is the River face over it. Windows come one at a time
(``update``, as ``Window`` records) or a whole moment at a time from the
trend model's native moments (``score_moment``: only verdicts, and the windows
the alert book needs, become Python objects).
"""

from __future__ import annotations

import inspect

from river import base as river_base

from detectors import _native
from detectors.baseline import HOUR_MS, WEEKS, ew_alpha
from detectors.longtail import DecayingCountMin
from detectors.records import Window
from detectors.scoring import Thresholds, Verdict, readiness, size_name

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

    The parameters are read-only once the scorer is made (its native core
    holds them): setting one is an ``AttributeError``; make a new scorer
    (``scorer.clone({"max_tags": ...})``) instead.

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
        self._tail = DecayingCountMin(alpha=ew_alpha(fast_ms, slow_half_life_ms))
        self._core = self._new_core()
        self.observe = None
        """None, or called with ``(window, expected, dispersion)`` of every window of a tracked tag as it
        is scored (expected never below the noise floor): what a report draws. Not part of the state."""

    def __setattr__(self, name: str, value) -> None:
        if name in _PARAMETERS and "_core" in self.__dict__:
            raise AttributeError(f"SurgeScorer.{name} is fixed when the scorer is made (its native core holds it): "
                                 f"make a new SurgeScorer({name}=...) instead")
        super().__setattr__(name, value)

    def _new_core(self) -> _native.SurgeCore:
        th = self.thresholds
        return _native.SurgeCore(
            fast_ms=self.fast_ms, slow_ms=self.slow_ms, alpha=self._alpha, var_alpha=self._var_alpha,
            per_hour=self._per_hour, floor=self._floor, max_tags=self.max_tags, admit_posts=self.admit_posts,
            warmup_ms=self.warmup_ms, profile_beta=self.profile_beta, history_ms=self.history_ms, clip=self.clip,
            weekly_weeks=self.weekly_weeks, tail=self._tail, window=Window, verdict=Verdict,
            thresholds=(th.z_on, th.z_off, th.min_posts, th.min_authors, th.min_ratio, th.author_cap,
                        th.bot_posts_per_author, th.confirm))

    def __getstate__(self):
        return {**self.__dict__, "_core": self._core.to_state(), "observe": None}

    def __setstate__(self, state):
        keys, values = state.pop("_tail_keys", ()), state.pop("_tail_values", ())  # saved before deferring
        core = state.pop("_core", None)
        states, unconfirmed = state.pop("_states", {}), state.pop("_unconfirmed", {})
        origin = state.pop("_origin", None)
        self.__dict__.update({"weekly_weeks": WEEKS, **state, "observe": None})  # no weekly term: it learns it
        self._core = self._new_core()
        if core is not None:
            self._core.load_state(core)
        else:  # saved when the states were Python objects (``detectors.baseline.TagState``): converted
            for tag, tag_state in states.items():
                self._core.restore_state(tag, tag_state.fields())
            for (_, channel), verdict in unconfirmed.items():
                self._core.restore_unconfirmed(channel, verdict)
            self._core.origin = origin
        for key, value in zip(keys, values):
            self._tail.defer(key, value)

    # -- River's interface ---------------------------------------------------------
    def learn_one(self, x: dict) -> None:
        """Learn a window given as a dict: Window fields plus ``total`` (River's verb)."""
        self.update(Window.from_dict(x), x.get("total"), x["size"] != size_name(self.fast_ms))

    def score_one(self, x: dict) -> float:
        """The score a window would get now, without learning it (River's verb)."""
        return self._core.score_one(Window.from_dict(x), x.get("total"), x["size"] != size_name(self.fast_ms))

    # -- the hot path --------------------------------------------------------------
    def update(self, w: Window, total: int | None, slow: bool) -> Verdict | None:
        """Score ``w`` (posts of all non-surging tags in its window: ``total``), then learn it.

        ``total=None`` scores absolute counts (a single series has nothing to normalise against).

        Returns a ``Verdict`` when the window is at least warm (score >= ``z_off``), else None.
        """
        if self.observe is None:
            return self._core.update(w, total, slow)
        scored = self._core.update_observed(w, total, slow)
        if scored is None:
            return None
        verdict, expected, dispersion = scored
        self.observe(w, expected, dispersion)
        return verdict

    def take(self, moments, end: int, slow: bool) -> tuple[list[Window], int, int, int]:
        """From ``moments`` (``detectors._native.Moments``), the windows of one time scale of the moment
        ending at ``end`` that ``update`` would learn or admit (tracked tags, ``admit_posts`` posts), by
        hashtag; the rest only have a long-tail share (``tail_moment``). -> (windows, count, rest posts, views)"""
        return moments.take(end, slow, self._core)

    def score_moment(self, moments, end: int, slow: bool, active, normalise: bool):
        """Score and learn, in native code, the windows ``take`` would give, normalised by the posts of the
        tags not in ``active`` (unless not ``normalise``). -> (count, scored, posts, views, total, events):
        ``events`` are ``(Window, Verdict | None)`` of the windows with a verdict or of a tag in ``active``
        (``detectors._native.Moments.score``). ``observe`` is not called: use ``take`` and ``update`` then."""
        return moments.score(end, slow, self._core, active, normalise)

    def tail_moment(self, moments, total: int | None) -> None:
        """The fast windows ``take`` left out go to the long-tail sketch, as ``update`` sends them."""
        moments.defer_tail(self._tail, total)

    # -- housekeeping ----------------------------------------------------------------
    def end_fast_window(self, keep: set[str] = frozenset()) -> None:
        """Close a fast window: the long tail's shares go into the sketch, the cap is enforced (the tags
        with the smallest slow share, never those in ``keep``, go down to 90% of the cap)."""
        self._core.end_fast_window(keep)

    def readiness(self, now: int) -> str | None:
        """Why a stream seen up to event time ``now`` cannot have raised every trend yet, or None.

        >>> scorer = SurgeScorer()
        >>> scorer.readiness(0)
        'no window reached the detector'
        >>> _ = scorer.update(Window("cats", "5m", 0, 300_000, posts=5, authors=5), total=50, slow=False)
        >>> scorer.readiness(2 * HOUR_MS), scorer.readiness(30 * HOUR_MS)
        ('history not warm yet: 2 h seen, the first 3 h of a stream only learn', None)
        """
        return readiness(now, self._core.origin, self.warmup_ms, self.history_ms)

    @property
    def origin(self) -> int | None:
        """The start of the first window the scorer saw (None before any)."""
        return self._core.origin

    def states(self) -> dict[str, tuple]:
        """Every tracked tag's state: ``{tag: (fast, slow, fast_end, slow_end, fast_last, slow_last, born,
        since, fast_var, slow_var, profile, seen, hour, hour_sum, day_sum, week_mean)}``."""
        return self._core.states()

    def unconfirmed(self) -> dict[tuple[str, int], Verdict]:
        """The trends waiting for their next window (``Thresholds.confirm``), by (tag, 0 fast / 1 slow)."""
        return self._core.unconfirmed()

    def seasonal(self, tag: str, start_ms: int) -> float | None:
        """The share ``tag``'s hour-of-day profile (and day-of-week term) expects at ``start_ms``."""
        return self._core.seasonal(tag, start_ms)

    def weekly(self, tag: str) -> bool | None:
        """Whether ``tag``'s day-of-week term is in use (every day of the week learnt ``weekly_weeks`` times)."""
        return self._core.weekly(tag)

    @property
    def weekly_tags(self) -> int:
        """Tracked tags whose day-of-week term is in use."""
        return self._core.weekly_tags()

    @property
    def tracked_tags(self) -> int:
        """Tags with exact state."""
        return len(self._core)

    @property
    def state_bytes(self) -> int:
        """Approximate memory of all per-tag state and the sketch, in bytes."""
        return self.tracked_tags * self.bytes_per_tag + self._tail.nbytes

    @property
    def bytes_per_tag(self) -> int:
        """Memory of one tracked tag: its native state and map entry (key excluded)."""
        return _native.SurgeCore.bytes_per_tag()


_PARAMETERS = frozenset(inspect.signature(SurgeScorer.__init__).parameters) - {"self"}
"""The parameters of ``SurgeScorer``: read-only once it is made (the native core has its own copy)."""
