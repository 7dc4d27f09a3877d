"""Count series (``timestamp,value`` CSV of one hashtag) evaluated at their own interval.

A single series has nothing to normalise against, so the trend model compares
absolute counts (see ``counts_detect`` for its memories and thresholds). Used by
``trendwatch backtest --counts`` and by ``trendwatch run --input`` when the
input is a count series.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "cats.csv"
>>> rows = [f"{1736640000 + 3600 * i},{20 + i % 3}" for i in range(48)]
>>> _ = path.write_text("\\n".join(["timestamp,value", *rows]))
>>> tag, interval, windows = count_series(path)
>>> tag, interval, len(windows), windows[0].posts
('cats', 3600000, 48, 20)
>>> is_count_series(path)
True
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import statistics
import time
from pathlib import Path
from typing import Callable

from detectors.baseline import HOUR_MS
from detectors.hashtags import normalise_hashtag
from detectors.model import TrendModel
from detectors.records import Alert, Window
from detectors.series import SeriesError, delimiter_of, is_series_header, parse_row
from detectors.alerts import AlertBook
from detectors.surge import SurgeScorer, Thresholds
from streams.embedded.runner import Summary
from streams.errors import InputError, UsageError
from streams.settings import format_duration
from streams.sources.formats import MAX_SERIES_VALUE, open_binary
from streams.stages import Detect

__all__ = ["count_series", "counts_detect", "is_count_series", "run_counts"]

def _first_line(path: Path) -> str:
    with open_binary(path) as handle:
        return handle.readline().decode("utf-8", "replace").strip()


def is_count_series(path: str | Path) -> bool:
    """True if ``path`` is a CSV or TSV whose header is a time and a count (as the replayer reads it)."""
    path = Path(path)
    if path.name.lower().removesuffix(".gz").endswith((".jsonl", ".ndjson", ".json")) or not path.is_file():
        return False
    line = _first_line(path)
    return is_series_header(line.split(delimiter_of(line)))


def read_series(path: Path, tz: dt.tzinfo = dt.timezone.utc) -> list[tuple[int, float]]:
    """The ``(epoch ms, value)`` rows of a count series; ``InputError`` naming ``file:line`` otherwise."""
    rows = []
    delimiter = delimiter_of(_first_line(path))
    with open_binary(path) as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        try:
            for number, row in enumerate(csv.reader(text, delimiter=delimiter), 1):
                if not row or not "".join(row).strip():
                    continue
                if number == 1 and is_series_header(row):
                    continue
                try:
                    ts, value = parse_row(row, tz)
                    if value > MAX_SERIES_VALUE:
                        raise SeriesError(f"value {row[1].strip()[:40]!r} is not a count in 0..{MAX_SERIES_VALUE:,}")
                    rows.append((ts, value))
                except SeriesError as exc:
                    if number == 1:
                        raise InputError(f"{path}:1: expected a header timestamp,value (time|timestamp|ts and "
                                         f"value|count|posts), got {delimiter.join(row)[:80]!r}") from None
                    raise InputError(f"{path}:{number}: {exc}") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except csv.Error as exc:
            raise InputError(f"{path}: unreadable CSV: {exc}") from None
    return rows


def count_series(path: str | Path, tag: str | None = None, tz: dt.tzinfo = dt.timezone.utc) -> tuple[str, int, list]:
    """A count series as windows of its own interval: ``(tag, interval_ms, windows)``.

    Each row's value is the posts of the interval that starts at its
    timestamp; the interval is the median gap between rows. A count series
    knows no authors and no views: its windows say ``authors=0`` (unknown)
    and ``views=0``.
    """
    path = Path(path)
    name = tag or normalise_hashtag(path.name.split(".")[0]) or ""
    if not normalise_hashtag(name):
        raise UsageError(f"--tag: {name!r} is not a hashtag; give --tag NAME")
    rows = sorted(read_series(path, tz))
    if len(rows) < 2:
        raise InputError(f"{path}: a count series needs at least two rows of timestamp,value")
    interval = int(statistics.median(b[0] - a[0] for a, b in zip(rows, rows[1:])))
    if interval <= 0:
        raise InputError(f"{path}: timestamps must increase")
    size = format_duration(interval)
    windows = [Window(normalise_hashtag(name), size, ts, ts + interval, posts=int(round(v))) for ts, v in rows]
    return normalise_hashtag(name), interval, windows


COUNT_THRESHOLDS = Thresholds(z_on=6.0, confirm=5.0)


def counts_detect(interval_ms: int, metrics=None, view=None) -> Detect:
    """A detect stage for one series at its own interval: absolute counts.

    Memories are in event time, never shorter than a number of intervals:
    the level forgets with a half-life of a day (24 intervals at least), the
    dispersion with one of three days (72 intervals). A count series has no
    authors: neither breadth nor the bot checks apply, so a surge needs
    stronger evidence (``COUNT_THRESHOLDS``: 6 dispersions, confirmed by 5 in
    the next interval). One alert per burst: an episode ends after an hour
    (2 intervals at least) without a warm interval, then the series rests for
    a day.
    """
    day = max(24 * HOUR_MS, 24 * interval_ms)
    scorer = SurgeScorer(fast_ms=interval_ms, slow_ms=interval_ms * 12, fast_half_life_ms=day,
                         slow_half_life_ms=day, floor_per_hour=0.5 * HOUR_MS / interval_ms,
                         warmup_ms=24 * interval_ms, thresholds=COUNT_THRESHOLDS,
                         dispersion_half_life_ms=max(72 * HOUR_MS, 72 * interval_ms))
    book = AlertBook(z_off=COUNT_THRESHOLDS.z_off, quiet_ms=max(HOUR_MS, 2 * interval_ms),
                     cooldown_ms=max(24 * HOUR_MS, 2 * interval_ms))
    return Detect(TrendModel(scorer, book, normalise=False), metrics, view)


def run_counts(path: str | Path, tag: str | None = None, on_alert: Callable[[Alert], None] | None = None,
               on_verdicts: Callable[[list], None] | None = None, tz: dt.tzinfo = dt.timezone.utc, *,
               series: tuple[str, int, list] | None = None, metrics=None, view=None,
               on_windows: Callable[[list], None] | None = None, readiness=None) -> Summary:
    """Detection over one count series; a ``Summary`` like the pipeline's.

    ``on_verdicts`` sees the detector's verdicts on every window (for a report); ``tz`` is the zone of
    times written without an offset; ``series``: ``count_series(path, tag, tz)`` already read. Like
    ``streams.embedded.runner.Pipeline``, ``metrics``, ``view`` (the HTTP API's ``TrendView``),
    ``on_windows`` (the live view) and ``readiness`` follow the run.
    """
    started = time.perf_counter()
    name, interval, windows = series if series is not None else count_series(path, tag, tz)
    detect = counts_detect(interval, metrics, view)
    summary = Summary(posts=sum(w.posts for w in windows), windows=len(windows), tags_seen=1,
                      first_ts=windows[0].window_start, last_ts=windows[-1].window_end)
    for window in windows:
        if on_windows is not None:
            on_windows([window])
        with readiness.working(1, "pipeline") if readiness is not None else contextlib.nullcontext():
            _emit(detect.process([window]), detect, summary, on_alert, on_verdicts)
    _emit(detect.flush(), detect, summary, on_alert, on_verdicts)
    summary.seconds = time.perf_counter() - started
    note = detect.model.scorer.readiness(summary.last_ts)
    if note is not None:
        summary.notes.append(f"Too short to alert: {note}.")
    return summary


def _emit(alerts: list[Alert], detect: Detect, summary: Summary, on_alert, on_verdicts) -> None:
    if on_verdicts is not None:
        on_verdicts(detect.model.last_verdicts)
    summary.alerts += alerts
    for alert in alerts if on_alert else ():
        on_alert(alert)
