"""Per-hashtag baselines that forget: exponentially weighted shares and dispersions on two
time scales, an hour-of-day profile and a day-of-week term.

A tag's *share* in a window is its posts divided by the posts of all tags that
are not surging in the same window (normalisation against total volume: the
daily cycle of the whole platform and the extra posts a surge drags along do
not look like surges of every tag). The baseline is an exponentially weighted
mean of that share: windows in which the tag did not appear count as zero,
applied in one step when the tag shows up again (``(1 - alpha) ** gaps``).

Each time scale also keeps the tag's own *dispersion*: an exponentially
weighted mean of squared residuals on the variance-stabilised scale
``2 sqrt(posts)``, where Poisson noise has variance 1. Real streams are far
noisier than Poisson (news-driven bursts, bots, retweet cascades); a tag whose
residuals are wide is judged against its own width, never narrower than
Poisson.

The hour-of-day profile keeps the mean share of each hour of the day, so a tag
that peaks every morning (#goodmorning) is expected to peak after its first day.

The day-of-week term keeps the mean share of each day of the week (UTC days,
only days the state saw whole). Once every day of the week has been learnt
``WEEKS`` (2) times, each day gets a factor, its mean over the mean of the
seven, which scales the hour-of-day profile (learnt from then on with the
factor taken out): a tag that is three times busier at weekends expects its
weekends. Before that, and on a tag with no weekly cycle (every factor 1),
the hour-of-day profile alone is used.
"""

from __future__ import annotations

import sys
from array import array

__all__ = ["TagState", "ew_alpha", "decayed", "weight", "DAY_MS", "HOUR_MS", "WEEKS"]

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
SLOTS = 24 + 7  # profile slots: hours of the day, days of the week
WEEKS = 2  # every day of the week learnt this many times before the weekly term is used


def ew_alpha(step_ms: int, half_life_ms: int) -> float:
    """Weight of one new observation every ``step_ms`` for a memory of ``half_life_ms``.

    >>> round(ew_alpha(3_600_000, 24 * 3_600_000), 4)
    0.0285
    """
    if step_ms <= 0:
        raise ValueError(f"step_ms must be positive, not {step_ms!r}")
    if half_life_ms <= 0:
        raise ValueError(f"half_life_ms must be positive, not {half_life_ms!r}")
    return 1.0 - 0.5 ** (step_ms / half_life_ms)


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


class TagState:
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
    >>> s = TagState(share=0.01, end=HOUR_MS)
    >>> for minute in range(0, 60, 5):    # 07:00-08:00, share 0.3 in every 5 min window
    ...     s.learn_hour(7 * HOUR_MS + minute * 60_000, 0.3, per_hour=12, beta_min=0.25)
    >>> s.seasonal(7 * HOUR_MS)           # the hour is not over yet: nothing known
    0.0
    >>> s.learn_hour(8 * HOUR_MS, 0.01, per_hour=12, beta_min=0.25)
    >>> round(s.seasonal(31 * HOUR_MS), 3), round(s.seasonal(30 * HOUR_MS), 3), s.seasonal(12 * HOUR_MS)
    (0.3, 0.3, 0.0)

    A tag at share 0.3 on two days of the week, 0.1 on the others (one window an hour):

    >>> s, week_day = TagState(end=0), lambda day: 0.3 if day % 7 in (2, 3) else 0.1  # epoch day 2: a Saturday
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
                    self._week_mean = sum(self._profile[24:]) / 7
            self._day_sum = 0.0

    def _fold(self, slot: int, mean: float, beta_min: float) -> None:
        n = self._seen[slot]
        beta = max(1.0 / (n + 1), beta_min)
        self._profile[slot] += beta * (mean - self._profile[slot])
        if n < 255:
            self._seen[slot] = n + 1

    @staticmethod
    def footprint() -> int:
        """Bytes of one state: the object, its profiles, its 7 floats and 5 large ints, a dict entry (no key)."""
        probe = TagState()
        return (sys.getsizeof(probe) + sys.getsizeof(probe._profile) + sys.getsizeof(probe._seen)
                + 7 * sys.getsizeof(0.5) + 5 * sys.getsizeof(10**12) + 100)

    def __getstate__(self):
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state):
        self._day_sum = self._week_mean = 0.0  # a state saved before the weekly term: it starts learning it
        for name, value in zip(self.__slots__, state):
            setattr(self, name, value)
        if len(self._profile) < SLOTS:
            self._profile.extend([0.0] * (SLOTS - len(self._profile)))
            self._seen.extend(bytes(SLOTS - len(self._seen)))
