"""Words and numbers for people: times, counts, views and one-line alerts.

>>> plural(1, "window"), plural(12345, "window"), plural(2, "hashtag", "hashtags")
('1 window', '12,345 windows', '2 hashtags')
>>> fmt_time(1736726700000)
'2025-01-13 00:05'
>>> views(370_000_000), views(950)
('370.0 M', '950')
"""

from __future__ import annotations

from datetime import datetime, timezone

from detectors.records import Alert

__all__ = ["plural", "fmt_time", "views", "describe_alert"]


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` with thousands separators and ``word`` in the singular or the plural."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def fmt_time(ms: int) -> str:
    """Epoch ms as ``2025-01-13 00:05`` (UTC)."""
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M")


def views(n: int | None) -> str:
    """A view count in k, M or G (``?`` when unknown)."""
    if n is None:
        return "?"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return str(n)


def describe_alert(alert: Alert) -> str:
    """One line for a person: when, tag, kind, state, score and why."""
    head = f"[{fmt_time(alert.window_end)}] {alert.kind.upper():10} {alert.state:8} #{alert.hashtag}"
    if alert.state == "resolved":
        return f"{head}  {alert.reason}"
    line = f"{head}  score {alert.score:.1f}  {alert.reason}"
    if alert.kind == "trend" and alert.projected_views is not None:
        line += (f"; on track for {views(alert.projected_views)} views {alert.projection_horizon_h:g} h after "
                 "onset at the current rate")
    if alert.related:
        line += "; surging with " + ", ".join("#" + t for t in alert.related)
    return line
