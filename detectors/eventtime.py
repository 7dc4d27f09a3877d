"""Bounds on event time: against wall-clock time and against the stream's own progress.

One event far ahead of the rest (a post dated 2096 in a replay of 2025) would
drag a stream's clock, and with it the watermark, so far that every later
event is late. ``EventClock`` keeps a stream's clock (the latest event time it
admitted) and refuses, with a reason code from ``detectors.events.REASONS``:

============== ==========================================================
reason         the event's time is
============== ==========================================================
ts_future      more than ``max_future_ms`` after the wall clock (``now_ms``)
ts_ahead       more than ``max_skew_ms`` after the stream's clock
ts_behind      more than ``max_skew_ms`` before the stream's clock
============== ==========================================================

A stream that really moves on (a gap in a replayed history longer than
``max_skew_ms``) costs one event: the first event past the bound is refused;
the next one past the bound, within ``max_skew_ms`` of it, is admitted and
moves the clock. The wall clock is data (``now_ms``), passed by the caller;
``None`` skips that bound (tests, synthetic time).

Examples
--------
>>> clock = EventClock(max_skew_ms=1_000)
>>> [clock.admit(ts) for ts in (5_000, 5_900, 99_000, 6_000, 3_000)]
[None, None, 'ts_ahead', None, 'ts_behind']
>>> clock.clock, [clock.admit(ts) for ts in (50_000, 50_500)], clock.clock
(6000, ['ts_ahead', None], 50500)
>>> EventClock().admit(4_000_000_000_000, now_ms=1_736_726_400_000)
'ts_future'
"""

from __future__ import annotations

from detectors import _native

__all__ = ["EventClock", "MAX_FUTURE_MS", "MAX_SKEW_MS"]

MAX_FUTURE_MS: int = _native.MAX_FUTURE_MS
"""Event time accepted at most this far after the wall clock (1 hour)."""
MAX_SKEW_MS: int = _native.MAX_SKEW_MS
"""Event time accepted at most this far from the stream's clock, either way (7 days)."""


class EventClock:
    """A stream's event-time clock that admits only plausible event times.

    The rules run in the native core, which the extract stage calls once per
    batch with the clock's state (``snapshot``) and gives the new state back
    (``restore``); ``admit`` checks one event time.

    Parameters
    ----------
    max_future_ms
        Largest distance after the wall clock.
    max_skew_ms
        Largest distance from the stream's clock (latest admitted event time).
    """

    def __init__(self, max_future_ms: int = MAX_FUTURE_MS, max_skew_ms: int = MAX_SKEW_MS):
        if max_future_ms < 0:
            raise ValueError(f"max_future_ms must be >= 0, got {max_future_ms}")
        if max_skew_ms < 1:
            raise ValueError(f"max_skew_ms must be >= 1, got {max_skew_ms}")
        self.max_future_ms = max_future_ms
        self.max_skew_ms = max_skew_ms
        self.clock = -1
        self._pending: int | None = None

    def admit(self, ts: int, now_ms: int | None = None) -> str | None:
        """``None`` if ``ts`` is admitted (the clock moves to it if later), else the reason code."""
        return self.check(ts, now_ms)[0]

    def check(self, ts: int, now_ms: int | None = None) -> tuple[str | None, str]:
        """``admit`` with the detail of a refusal: ``(reason or None, detail or "")``.

        >>> EventClock(max_skew_ms=1_000).check(5_000), EventClock().check(9, now_ms=-3_600_010)
        ((None, ''), ('ts_future', 'ts 9 is more than 3600000 ms after the wall clock -3600010'))
        """
        refused, self.clock, self._pending = _native.admit_time(ts, self.clock, self._pending, now_ms,
                                                                 self.max_future_ms, self.max_skew_ms)
        return (None, "") if refused is None else refused

    def snapshot(self) -> tuple[int, int | None]:
        """The clock's state, for ``restore`` (to admit the same events again).

        >>> clock = EventClock()
        >>> saved = clock.snapshot(); clock.admit(7); clock.restore(saved); clock.clock
        -1
        """
        return self.clock, self._pending

    def restore(self, state: tuple[int, int | None]) -> None:
        self.clock, self._pending = state
