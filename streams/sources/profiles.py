"""Time profiles of simulated activity: surge shapes and daily cycles.

A surge shape is a cumulative curve ``F(u)`` over the surge's normalised time
``u`` in [0, 1] with ``F(0) = 0`` and ``F(1) = 1``: the share of the surge's
posts written by time ``u``. Rates (background, decoys) are functions of event
time in posts per millisecond.

>>> [round(cumulative("ramp", u), 3) for u in (0, 0.5, 1)]
[0.0, 0.25, 1.0]
>>> round(cumulative("flash", 0.2), 2), round(cumulative("logistic", 0.5), 2)
(0.76, 0.5)
"""

from __future__ import annotations

import math

__all__ = ["cumulative", "daily_rate", "periodic_rate", "weekly_factor", "DAY_MS", "HOUR_MS"]

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

_FLASH_RISE = 0.05  # share of the duration spent rising
_FLASH_DECAY = 0.12  # e-folding time of the decay, as a share of the duration
_LOGISTIC_STEEPNESS = 12.0


def _flash(u: float) -> float:
    rise, tau = _FLASH_RISE, _FLASH_DECAY
    total = rise / 2 + tau * (1 - math.exp(-(1 - rise) / tau))
    if u < rise:
        return (u * u / (2 * rise)) / total
    return (rise / 2 + tau * (1 - math.exp(-(u - rise) / tau))) / total


def _logistic(u: float) -> float:
    def sigma(x: float) -> float:
        return 1 / (1 + math.exp(-_LOGISTIC_STEEPNESS * (x - 0.5)))
    low, high = sigma(0.0), sigma(1.0)
    return (sigma(u) - low) / (high - low)


_SHAPES = {"step": lambda u: u, "ramp": lambda u: u * u, "flash": _flash, "logistic": _logistic}


def cumulative(shape: str, u: float) -> float:
    """Share of a surge's posts written by normalised time ``u`` (clamped to [0, 1]).

    ``step``: constant rate; ``ramp``: rate rising linearly; ``flash``: a fast
    rise (5% of the time) then exponential decay; ``logistic``: a slow burn
    that accelerates, peaks half-way and saturates.
    """
    if shape not in _SHAPES:
        raise ValueError(f"shape must be one of {', '.join(sorted(_SHAPES))}, not {shape!r}")
    return _SHAPES[shape](min(1.0, max(0.0, u)))


def _hour(ts_ms: float) -> float:
    return (ts_ms % DAY_MS) / HOUR_MS


def daily_rate(ts_ms: float, per_second: float, amplitude: float, peak_hour: float) -> float:
    """Posts per ms with a cosine daily cycle peaking at ``peak_hour`` UTC (mean ``per_second``).

    >>> daily_rate(13 * HOUR_MS, 1.0, 0.5, 13.0) * 1000, daily_rate(HOUR_MS, 1.0, 0.5, 13.0) * 1000
    (1.5, 0.5)
    """
    phase = 2 * math.pi * (_hour(ts_ms) - peak_hour) / 24
    return per_second / 1000 * (1 + amplitude * math.cos(phase))


def weekly_factor(ts_ms: float, amplitude: float) -> float:
    """Rate multiplier of a weekly cycle: ``1 - amplitude`` on Saturdays and Sundays (UTC), the
    weekdays above 1 so that a week's mean stays 1.

    >>> weekly_factor(0, 0.3), round(weekly_factor(2 * DAY_MS, 0.3), 2)   # 1970-01-01 was a Thursday
    (1.12, 0.7)
    """
    if amplitude <= 0:
        return 1.0
    weekend = int(ts_ms // DAY_MS + 3) % 7 >= 5  # day 0 is a Thursday: +3 makes Monday 0
    return 1.0 - amplitude if weekend else 1.0 + 2.0 * amplitude / 5.0


def periodic_rate(ts_ms: float, per_day: float, peak_hour: float, width_hours: float,
                  floor: float = 0.1) -> float:
    """Posts per ms concentrated around ``peak_hour`` every day (mean ``per_day`` a day).

    A Gaussian bump of standard deviation ``width_hours`` over a floor of
    ``floor`` times the mean rate: the shape of a #goodmorning tag.

    >>> round(periodic_rate(7 * HOUR_MS, 24_000, 7, 1) / periodic_rate(19 * HOUR_MS, 24_000, 7, 1))
    87
    """
    distance = abs(_hour(ts_ms) - peak_hour) % 24
    distance = min(distance, 24 - distance)
    bump = math.exp(-0.5 * (distance / width_hours) ** 2)
    mean_bump = width_hours * math.sqrt(2 * math.pi) / 24
    return per_day / DAY_MS * (floor + (1 - floor) * bump / mean_bump)
