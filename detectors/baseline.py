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

The arithmetic runs in the native core (``detectors._native.SurgeCore``,
``native/src/scorer.rs``), which keeps every tag's state in native memory
(the profile as 32-bit floats); ``TagState`` here only restores checkpoints
written when the states were Python objects.
"""

from __future__ import annotations

__all__ = ["TagState", "ew_alpha", "DAY_MS", "HOUR_MS", "WEEKS"]

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
WEEKS = 2  # every day of the week learnt this many times before the weekly term is used

_FIELDS = ("fast", "slow", "fast_end", "slow_end", "fast_last", "slow_last", "born", "since",
           "fast_var", "slow_var", "_profile", "_seen", "_hour", "_hour_sum", "_day_sum", "_week_mean")
_SLOTS = 24 + 7  # profile slots: hours of the day, days of the week


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


class TagState:
    """The state of one tracked hashtag as checkpoints held it when it was a Python object.

    Unpickling restores its fields (a state saved before the day-of-week term
    gets the slots and sums of it, empty); ``fields()`` gives them in the order
    ``detectors._native.SurgeCore.restore_state`` reads, which is how
    ``SurgeScorer`` converts such a checkpoint. Nothing scores with it.

    >>> import pickle
    >>> old = TagState.__new__(TagState)
    >>> old.__setstate__((0.1, 0.1, 0, 0, 0, 0, -1, 0, 1.0, 1.0, [0.0] * 24, bytes(24), -1, 0.0))
    >>> len(old.fields()[10]), old.fields()[15]
    (31, 0.0)
    """

    __slots__ = _FIELDS

    def __setstate__(self, state):
        self._day_sum = self._week_mean = 0.0  # a state saved before the weekly term: it starts learning it
        for name, value in zip(_FIELDS, state):
            setattr(self, name, value)

    def fields(self) -> tuple:
        """The 16 fields, the profile as 31 floats and the seen counters as 31 bytes."""
        profile, seen = list(self._profile), bytes(self._seen)
        profile += [0.0] * (_SLOTS - len(profile))
        seen += bytes(_SLOTS - len(seen))
        values = [getattr(self, name) for name in _FIELDS]
        values[10], values[11] = profile, seen
        return tuple(values)
