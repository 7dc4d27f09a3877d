"""Line output: one line per alert as it fires, and an optional progress line on stderr.

This is what ``trendwatch run`` and ``trendwatch watch`` print when stdout
is not a terminal, or with ``--plain``. Ongoing steps of an episode are
printed at most every 6 h of event time unless ``all_steps``. The progress
line (event time, share of the input, rate) is rewritten in place at most once
a second and cleared before an alert line is printed.
"""

from __future__ import annotations

import time
from typing import Callable, TextIO

import click

from detectors.records import Alert
from streams.live.board import Status
from streams.live.text import describe_alert, fmt_time

__all__ = ["PlainDisplay", "progress_text", "SHOW_ONGOING_MS"]

SHOW_ONGOING_MS = 6 * 3_600_000


def progress_text(status: Status) -> str:
    """``event time 2025-01-13 04:00 UTC  40%  52,311 events/s``.

    >>> progress_text(Status(position=1736740800000, fraction=0.4, rate=52311.4))
    'event time 2025-01-13 04:00 UTC  40%  52,311 events/s'
    """
    where = "-" if status.position < 0 else f"{fmt_time(status.position)} UTC"
    share = "" if status.fraction is None else f"  {100 * status.fraction:.0f}%"
    return f"event time {where}{share}  {status.rate:,.0f} {status.unit}"


class PlainDisplay:
    """Prints alerts to stdout; with ``progress`` (a stream) also a progress line there."""

    def __init__(self, all_steps: bool = False, progress: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.all_steps, self.stream, self.clock = all_steps, progress, clock
        self.status = Status()
        self._shown: dict = {}
        self._drawn = False
        self._last = float("-inf")

    def __enter__(self) -> PlainDisplay:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def alert(self, alert: Alert) -> None:
        key = (alert.hashtag, alert.kind)
        if alert.state == "ongoing" and not self.all_steps:
            if alert.window_end - self._shown.get(key, -SHOW_ONGOING_MS) < SHOW_ONGOING_MS:
                return
        self._shown[key] = alert.window_end
        self._clear()
        click.echo(describe_alert(alert))
        self._draw()

    def windows(self, windows) -> None:
        """Windows are not shown in line output."""

    def progress(self, **values) -> None:
        for name, value in values.items():
            setattr(self.status, name, value)
        if self.stream is not None and self.clock() - self._last >= 1.0:
            self._last = self.clock()
            self._draw()

    def close(self) -> None:
        if self.stream is not None and self._drawn:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def _clear(self) -> None:
        if self.stream is not None and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def _draw(self) -> None:
        if self.stream is None or self.status.position < 0:
            return
        self.stream.write("\r" + progress_text(self.status))
        self.stream.flush()
        self._drawn = True
