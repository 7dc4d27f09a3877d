"""A count series against labelled anomaly windows (NAB's ``combined_windows.json`` shape).

``load_windows(path, series)`` reads the windows of one series from a file
mapping file names (matched by their last part) to ``[[start, end], ...]``;
``score_series`` runs the series exactly as ``trendwatch backtest --counts``
does and scores its trend alerts with NAB's rules
(``detectors.evaluation.nab_evaluation``); ``nab_lines`` says it for a
person. Used by ``trendwatch backtest --counts FILE --windows LABELS.json``
and by ``bench/nab.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from detectors.evaluation import nab_evaluation
from detectors.series import SeriesError, parse_time
from streams.embedded.counts import count_series
from streams.errors import InputError
from streams.live.text import fmt_time

__all__ = ["load_windows", "nab_lines", "score_series"]


def load_windows(path: Path, series: Path, tz: dt.tzinfo = dt.timezone.utc) -> list[tuple[int, int]]:
    """The labelled windows of ``series`` (epoch ms); ``InputError`` saying what is wrong otherwise."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read windows {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise InputError(f"windows {path} are not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"windows {path}: expected an object of file name -> [[start, end], ...] (NAB's shape)")
    key = next((k for k in data if Path(k).name == series.name), None)
    if key is None:
        raise InputError(f"windows {path} have no entry for {series.name} (they have: "
                         f"{', '.join(sorted(map(str, data)))[:200] or 'none'})")
    try:
        return [(parse_time(str(a), tz), parse_time(str(b), tz)) for a, b in data[key]]
    except (SeriesError, TypeError, ValueError):
        raise InputError(f"windows {path}: {key} needs a list of [start, end] times") from None


def score_series(series: Path, alerts: list, windows: list[tuple[int, int]], tag: str | None = None,
                 tz: dt.tzinfo = dt.timezone.utc) -> dict:
    """NAB's evaluation of ``alerts`` raised on ``series`` (its rows are the detections' positions)."""
    stamps = [w.window_start for w in count_series(series, tag, tz)[2]]
    return nab_evaluation(stamps, alerts, windows)


def nab_lines(nab: dict) -> list[str]:
    """The NAB evaluation for a person: the profiles, each window, false alerts per day."""
    scores = ", ".join(f"{name} {score}" for name, score in nab["scores"].items())
    lines = [f"NAB score: {scores}; {nab['caught']}/{len(nab['windows'])} windows caught, "
             f"{nab['alerts']} trend alerts ({nab['alerts'] / max(len(nab['windows']), 1):.2f} per window)"]
    for row in nab["windows"]:
        got = "missed" if row["first"] is None else f"caught {row['lead_min']:g} min after its start"
        lines.append(f"  window {fmt_time(row['start'])} to {fmt_time(row['end'])} UTC: {got}, "
                     f"{row['detections']} detection(s)")
    lines.append(f"false alerts: {nab['false_alerts']} ({nab['false_alerts_per_day']} per day); "
                 f"median lead {nab['median_lead_min']} min from window start")
    return lines
