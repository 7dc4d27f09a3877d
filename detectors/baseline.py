"""Per-hashtag baselines that forget: exponentially weighted shares and dispersions on two
time scales, and an hour-of-day profile.

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
"""

from __future__ import annotations

import sys
from array import array

__all__ = ["TagState", "ew_alpha", "decayed", "weight"]

HOUR_MS = 3_600_000


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
    """

    __slots__ = ("fast", "slow", "fast_end", "slow_end", "fast_last", "slow_last", "born", "since",
                 "fast_var", "slow_var", "_profile", "_seen", "_hour", "_hour_sum")

    def __init__(self, share: float = 0.0, end: int = 0, born: int = -1):
        self.fast = self.slow = float(share)
        self.fast_end = self.slow_end = int(end)
        self.born = born
        self.since = int(end)
        self.fast_last = self.slow_last = 0
        self.fast_var = self.slow_var = 1.0
        self._profile = array("f", bytes(96))
        self._seen = bytearray(24)
        self._hour, self._hour_sum = -1, 0.0

    def seasonal(self, start_ms: int) -> float:
        """The share expected from previous days at the time of ``start_ms``.

        The larger of that hour's and the next hour's profile: the hour in
        progress is still being summed, so its value is from earlier days.
        """
        hour = (start_ms // HOUR_MS) % 24
        p = self._profile
        return max(p[hour], p[(hour + 1) % 24])

    def learn_hour(self, start_ms: int, share: float, per_hour: int, beta_min: float) -> None:
        """Add a window's share to its hour; a finished hour's mean goes into the profile.

        ``per_hour`` is the number of windows in an hour: windows without the
        tag count as zero share.
        """
        hour = start_ms // HOUR_MS
        if hour != self._hour:
            if self._hour >= 0:
                self._fold(self._hour % 24, self._hour_sum / per_hour, beta_min)
            self._hour, self._hour_sum = hour, 0.0
        self._hour_sum += share

    def _fold(self, slot: int, mean: float, beta_min: float) -> None:
        n = self._seen[slot]
        beta = max(1.0 / (n + 1), beta_min)
        self._profile[slot] += beta * (mean - self._profile[slot])
        if n < 255:
            self._seen[slot] = n + 1

    @staticmethod
    def footprint() -> int:
        """Bytes of one state: the object, its profile, its floats and ints, and a dict entry (key excluded)."""
        probe = TagState()
        return (sys.getsizeof(probe) + sys.getsizeof(probe._profile) + sys.getsizeof(probe._seen)
                + 4 * sys.getsizeof(0.5) + 4 * sys.getsizeof(10**12) + 100)

    def __getstate__(self):
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state):
        for name, value in zip(self.__slots__, state):
            setattr(self, name, value)
