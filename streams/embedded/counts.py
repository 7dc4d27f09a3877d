"""Count series (``timestamp,value`` CSV of one hashtag) evaluated at their own interval.

A single series has nothing to normalise against, so the trend model compares
absolute counts, with memories measured in intervals (24 and 288). Used by
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

import csv
import io
import statistics
import time
from pathlib import Path
from typing import Callable

from detectors.baseline import HOUR_MS
from detectors.events import InvalidEvent, parse_timestamp
from detectors.hashtags import normalise_hashtag
from detectors.model import TrendModel
from detectors.records import Alert, Window
from detectors.alerts import AlertBook
from detectors.surge import SurgeScorer, Thresholds
from streams.embedded.runner import Summary
from streams.errors import InputError, UsageError
from streams.settings import format_duration
from streams.sources.formats import MAX_SERIES_VALUE, open_binary
from streams.stages import Detect

__all__ = ["count_series", "counts_detect", "is_count_series", "run_counts"]

_TS_COLUMNS = ("ts", "timestamp", "created_at", "time")


def is_count_series(path: str | Path) -> bool:
    """True if ``path`` is a CSV whose header is two columns, a time and a value (as the replayer reads it)."""
    path = Path(path)
    if path.name.lower().removesuffix(".gz").endswith((".jsonl", ".ndjson", ".json")) or not path.is_file():
        return False
    with open_binary(path) as handle:
        header = handle.readline().decode("utf-8", "replace").strip().lower().split(",")
    return len(header) == 2 and header[0].strip() in _TS_COLUMNS and header[1].strip() not in ("id", "author", "text")


def count_series(path: str | Path, tag: str | None = None) -> tuple[str, int, list]:
    """A ``timestamp,value`` CSV as windows of its own interval: ``(tag, interval_ms, windows)``.

    Each row's value is the posts of the interval that starts at its timestamp
    (each post by its own author, as the replayer reads count series); the
    interval is the median gap between rows.
    """
    path = Path(path)
    name = tag or normalise_hashtag(path.name.split(".")[0]) or ""
    if not normalise_hashtag(name):
        raise UsageError(f"--tag: {name!r} is not a hashtag; give --tag NAME")
    rows = []
    with open_binary(path) as handle:
        for number, row in enumerate(csv.reader(io.TextIOWrapper(handle, encoding="utf-8")), 1):
            if not row or (number == 1 and row[0].strip().lower() in _TS_COLUMNS):
                continue
            rows.append(_count_row(path, number, row))
    rows.sort()
    if len(rows) < 2:
        raise InputError(f"{path}: a count series needs at least two rows of timestamp,value")
    interval = int(statistics.median(b[0] - a[0] for a, b in zip(rows, rows[1:])))
    if interval <= 0:
        raise InputError(f"{path}: timestamps must increase")
    size = format_duration(interval)
    windows = [Window(normalise_hashtag(name), size, ts, ts + interval, posts=v) for ts, v in rows]
    return normalise_hashtag(name), interval, windows


def _count_row(path: Path, number: int, row: list[str]) -> tuple[int, int]:
    try:
        stamp, value = row[0].strip(), float(row[1])
        if stamp.replace(".", "").isdigit():
            ts = float(stamp)
            ts = int(ts * 1000) if ts < 1e11 else int(ts)
        else:
            ts = parse_timestamp(stamp)
    except (IndexError, ValueError, OverflowError, InvalidEvent):
        raise InputError(f"{path}:{number}: expected timestamp,value, got {','.join(row)[:80]!r}") from None
    if not 0 <= value <= MAX_SERIES_VALUE:
        raise InputError(f"{path}:{number}: value must be a count in 0..{MAX_SERIES_VALUE:,}")
    return ts, int(round(value))


COUNT_THRESHOLDS = Thresholds(z_on=6.0, confirm=5.0)


def counts_detect(interval_ms: int, metrics=None) -> Detect:
    """A detect stage for one series at its own interval: absolute counts, memories in intervals.

    A count series has no authors: neither breadth nor the bot checks apply,
    so a surge needs stronger evidence (``COUNT_THRESHOLDS``: 6 dispersions,
    confirmed by 5 in the next interval). One alert per burst: an episode ends
    after 12 quiet intervals, then the series rests for 288.
    """
    scorer = SurgeScorer(fast_ms=interval_ms, slow_ms=interval_ms * 12, fast_half_life_ms=288 * interval_ms,
                         slow_half_life_ms=288 * interval_ms, floor_per_hour=0.5 * HOUR_MS / interval_ms,
                         warmup_ms=24 * interval_ms, thresholds=COUNT_THRESHOLDS,
                         dispersion_half_life_ms=864 * interval_ms)
    book = AlertBook(z_off=COUNT_THRESHOLDS.z_off, quiet_ms=12 * interval_ms, cooldown_ms=288 * interval_ms)
    return Detect(TrendModel(scorer, book, normalise=False), metrics)


def run_counts(path: str | Path, tag: str | None = None, on_alert: Callable[[Alert], None] | None = None,
               on_verdicts: Callable[[list], None] | None = None) -> Summary:
    """Detection over one count series; a ``Summary`` like the pipeline's.

    ``on_verdicts`` sees the detector's verdicts on every window (for a report).
    """
    started = time.perf_counter()
    name, interval, windows = count_series(path, tag)
    detect = counts_detect(interval)
    summary = Summary(posts=sum(w.posts for w in windows), windows=len(windows), tags_seen=1,
                      first_ts=windows[0].window_start, last_ts=windows[-1].window_end)
    for window in windows:
        alerts = detect.process([window])
        if on_verdicts is not None:
            on_verdicts(detect.model.last_verdicts)
        summary.alerts += alerts
        for alert in alerts if on_alert else ():
            on_alert(alert)
    final = detect.flush()
    if on_verdicts is not None:
        on_verdicts(detect.model.last_verdicts)
    summary.alerts += final
    for alert in final if on_alert else ():
        on_alert(alert)
    summary.seconds = time.perf_counter() - started
    return summary
