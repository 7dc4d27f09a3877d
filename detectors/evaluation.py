"""Evaluation against labelled surges: precision, recall, F1, detection delay, false alerts.

The unit is the *episode*: every ``started`` alert of kind ``trend``. An
episode is a true positive when its tag is a labelled surge (or a co-trending
tag of one) and its window overlaps the surge, from its start to ``grace_ms``
after its end; anything else is a false alert. Recall counts the surges that
got at least one true episode; the delay of a surge is the end of the window
that first flagged it minus the surge's onset (event time: the earliest moment
that window could be known). The onset is the surge's start, or earlier when
the tag is also a co-tag of a surge that started before (in rednote-2025,
#rednote rides along with #tiktokrefugee six hours before its own surge). Decoys (steady, daily-periodic, bot-pushed tags)
are reported one by one.

``precision_after_day_one`` counts only the episodes that start after the
first day of the run: a model that starts from nothing cannot know on day one
that a tag's peak comes back every day.

The labels are the JSON written by ``trendwatch simulate --labels``.

For a count series with labelled anomaly windows (the Numenta Anomaly
Benchmark's ``combined_windows.json`` shape) ``nab_score`` scores detections
with NAB's rules: a detection is a row of the series; the first 15 % of the
rows (at most 750) are a probation period; inside a window only the earliest
detection counts, worth ``tp`` scaled by a sigmoid of its position (about
``tp`` at the window's start, 0 at its end); a window without one costs
``fn``; a detection outside every window costs ``fp`` scaled by how far it
is past the previous window (a full ``fp`` with no window before it). The
normalised score is ``100 (S - S_null) / (S_perfect - S_null)`` over all
series, S_null being no detection at all and S_perfect every window caught
at its start.
"""

from __future__ import annotations

import bisect
import math
import statistics

__all__ = ["evaluate", "DAY_MS", "NAB_PROFILES", "nab_evaluation", "nab_rows", "nab_series", "nab_score"]

DAY_MS = 86_400_000
_MINUTE = 60_000


def _onsets(surges: list[dict]) -> list[dict]:
    """Surges with their onset: a declared surge that is also a co-tag of an earlier one starts with it."""
    out = []
    for s in surges:
        carriers = [o["start"] for o in surges if s["tag"] in o.get("co_tags", ()) and o is not s]
        out.append(dict(s, onset=min([s["start"], *carriers])))
    return out


def _matches(alert, surge: dict, grace_ms: int) -> bool:
    return (alert.hashtag == surge["tag"] and alert.window_end > surge["onset"]
            and alert.window_start < surge["end"] + grace_ms)


def _surge_row(surge: dict, hits: list) -> dict:
    first = min(hits, key=lambda a: a.window_end) if hits else None
    delay = max(0, first.window_end - surge["onset"]) if first else None
    duration = max(1, surge["end"] - surge["onset"])
    return {"tag": surge["tag"], "shape": surge.get("shape"), "start": surge["start"], "end": surge["end"],
            "onset": surge["onset"],
            "co_trend_of": surge.get("co_trend_of", []), "detected": first is not None, "episodes": len(hits),
            "delay_min": None if delay is None else round(delay / _MINUTE, 1),
            "delay_fraction": None if delay is None else round(delay / duration, 4)}


def _decoy_row(decoy: dict, starts: list, first_day_end: int) -> dict:
    mine = [a for a in starts if a.hashtag == decoy["tag"]]
    return {"tag": decoy["tag"], "kind": decoy["kind"],
            "trend_episodes": sum(a.kind == "trend" for a in mine),
            "suspicious_episodes": sum(a.kind == "suspicious" for a in mine),
            "episodes_after_day_one": sum(a.window_end > first_day_end for a in mine)}


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def evaluate(alerts: list, labels: dict, tags_seen: int = 0, grace_ms: int = 6 * 3_600_000) -> dict:
    """Score ``alerts`` (``Alert`` records, any states) against ``labels``.

    Parameters
    ----------
    alerts
        Every alert of the run; only ``started`` ones are episodes.
    labels
        Ground truth: ``start``/``end`` of the run, ``surges`` and ``decoys``.
    tags_seen
        Distinct tags in the run (for false alerts per tag-day).
    grace_ms
        How long after a surge's end an episode still belongs to it.

    Examples
    --------
    >>> from detectors.records import Alert
    >>> truth = {"start": 0, "end": 2 * DAY_MS, "decoys": [],
    ...          "surges": [{"tag": "cats", "shape": "flash", "start": 3_600_000, "end": 7_200_000}]}
    >>> hit = Alert("cats", "trend", "started", 3_900_000, 4_200_000, 9.0, 90, 3, 20.0, 80)
    >>> miss = Alert("dogs", "trend", "started", 3_900_000, 4_200_000, 7.0, 40, 3, 9.0, 30)
    >>> e = evaluate([hit, miss], truth, tags_seen=100)
    >>> e["precision"], e["recall"], e["f1"], e["surges"][0]["delay_min"], e["false_alerts_per_tag_day"]
    (0.5, 1.0, 0.6667, 10.0, 0.005)
    """
    if grace_ms < 0:
        raise ValueError(f"grace_ms must not be negative, not {grace_ms!r}")
    starts = [a for a in alerts if a.state == "started"]
    trends = [a for a in starts if a.kind == "trend"]
    surges = _onsets(labels.get("surges", []))
    rows = [_surge_row(s, [a for a in trends if _matches(a, s, grace_ms)]) for s in surges]
    true = [a for a in trends if any(_matches(a, s, grace_ms) for s in surges)]
    false = [a for a in trends if a not in true]
    precision = _ratio(len(true), len(trends))
    first_day_end = labels["start"] + DAY_MS
    later = [a for a in trends if a.window_end > first_day_end]
    precision_later = _ratio(sum(a in true for a in later), len(later))
    recall = _ratio(sum(r["detected"] for r in rows), len(rows))
    f1 = (round(2 * precision * recall / (precision + recall), 4)
          if precision and recall else (0.0 if precision == 0 or recall == 0 else None))
    days = max(labels["end"] - labels["start"], 1) / DAY_MS
    flash = [r["delay_min"] for r in rows if r["shape"] == "flash" and r["detected"]]
    slow = [r["delay_fraction"] for r in rows if r["shape"] in ("logistic", "ramp") and r["detected"]]
    return {
        "episodes": len(starts), "trend_episodes": len(trends), "true_alerts": len(true),
        "false_alerts": len(false), "precision": precision, "recall": recall, "f1": f1,
        "precision_after_day_one": precision_later,
        "false_alerts_per_tag_day": round(len(false) / (tags_seen * days), 6) if tags_seen else None,
        "trend_episodes_after_day_one": len(later),
        "false_trend_episodes_after_day_one": sum(a.window_end > first_day_end for a in false),
        "median_flash_delay_min": statistics.median(flash) if flash else None,
        "max_slow_burn_delay_fraction": max(slow) if slow else None,
        "surges": rows,
        "decoys": [_decoy_row(d, starts, first_day_end) for d in labels.get("decoys", [])],
        "false": [{"tag": a.hashtag, "window_end": a.window_end, "score": a.score, "reason": a.reason}
                  for a in false],
    }


NAB_PROFILES = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}


def _sigmoid(position: float) -> float:
    """NAB's scaled sigmoid: 1 well before a window's end, 0 at it, -1 far past it."""
    return -1.0 if position > 3.0 else 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def nab_rows(timestamps: list[int], starts: list[int]) -> set[int]:
    """The rows a detection at each time in ``starts`` stands for: the row at or just before it.

    >>> sorted(nab_rows([0, 300, 600], [300, 599, -5]))
    [1]
    """
    rows = (bisect.bisect_right(timestamps, t) - 1 for t in starts)
    return {i for i in rows if i >= 0}


def _spans(timestamps: list[int], windows) -> list[tuple[int, int]]:
    """Windows ``(start_ms, end_ms)`` as row spans: first row at or after the start, last at or before the end."""
    spans = [(bisect.bisect_left(timestamps, a), bisect.bisect_right(timestamps, b) - 1) for a, b in windows]
    return sorted((a, b) for a, b in spans if a <= b)


def nab_series(timestamps: list[int], detected: set[int], windows, profile: str = "standard") -> dict:
    """NAB's raw score of one series; also each window's earliest detection and the false ones.

    Examples
    --------
    >>> ts = list(range(0, 100 * 300, 300))                   # 100 rows; probation: the first 15
    >>> r = nab_series(ts, {50, 52, 90, 5}, [(ts[40], ts[59])])
    >>> round(r["score"], 3), r["windows"], r["first"], r["false"]
    (0.75, 1, [50], [90])
    """
    weights = NAB_PROFILES[profile]
    n = len(timestamps)
    probation = min(math.floor(0.15 * n), 750)
    spans = _spans(timestamps, windows)
    best_tp = _sigmoid(-1.0)
    first: dict[int, int | None] = {}
    false, fp_total = [], 0.0
    previous, k = None, 0
    for i in sorted(d for d in detected if d >= probation):
        while k < len(spans) and spans[k][1] < i:
            previous, k = spans[k], k + 1
        if k < len(spans) and spans[k][0] <= i:
            first.setdefault(k, i)
        else:
            false.append(i)
            if previous is None:
                fp_total -= weights["fp"]
            else:
                fp_total += weights["fp"] * _sigmoid(abs(previous[1] - i) / float(previous[1] - previous[0]))
    scored = [k for k, (a, b) in enumerate(spans) if b >= probation]
    total = fp_total
    for k in scored:
        if k in first:
            a, b = spans[k]
            total += _sigmoid(-(b - first[k] + 1) / (b - a + 1)) * weights["tp"] / best_tp
        else:
            total -= weights["fn"]
    return {"score": total, "windows": len(scored), "first": [first.get(k) for k in scored], "false": false}


def nab_score(series, profile: str = "standard") -> float:
    """Normalised NAB score (0: no detection, 100: every window caught at its start) over several series.

    ``series``: ``(timestamps, detected rows, windows)`` per series.

    >>> ts = list(range(0, 100 * 300, 300))
    >>> round(nab_score([(ts, {40}, [(ts[40], ts[59])])]), 1), nab_score([(ts, set(), [(ts[40], ts[59])])])
    (100.0, 0.0)
    """
    raw, windows = 0.0, 0
    for timestamps, detected, spans in series:
        result = nab_series(timestamps, set(detected), spans, profile)
        raw, windows = raw + result["score"], windows + result["windows"]
    weights = NAB_PROFILES[profile]
    null, perfect = -weights["fn"] * windows, weights["tp"] * windows
    return 100.0 * (raw - null) / (perfect - null) if windows else 0.0


def nab_evaluation(timestamps: list[int], alerts: list, windows) -> dict:
    """A count series' alerts against labelled windows: the three NAB profiles and what each window got.

    Detections are the ``started`` alerts of kind ``trend`` (the row at or
    before each one's ``window_start``); a false alert is one outside every
    window, after the probation period.

    >>> from detectors.records import Alert
    >>> ts = list(range(0, 1000 * 300_000, 300_000))
    >>> hit = Alert("x", "trend", "started", ts[310], ts[311], 9.0, 90, 3, 20.0, 0)
    >>> e = nab_evaluation(ts, [hit], [(ts[300], ts[349])])
    >>> e["scores"]["standard"], e["caught"], e["windows"][0]["lead_min"], e["false_alerts"]
    (98.9, 1, 50.0, 0)
    """
    starts = [a.window_start for a in alerts if a.kind == "trend" and a.state == "started"]
    detected = nab_rows(timestamps, starts)
    result = nab_series(timestamps, detected, windows)
    spans = _spans(timestamps, windows)
    scored = [s for s in spans if s[1] >= min(math.floor(0.15 * len(timestamps)), 750)]
    rows = []
    for (a, b), first in zip(scored, result["first"]):
        rows.append({"start": timestamps[a], "end": timestamps[b], "detections": sum(a <= i <= b for i in detected),
                     "first": None if first is None else timestamps[first],
                     "lead_min": None if first is None else round((timestamps[first] - timestamps[a]) / _MINUTE, 1)})
    days = max(timestamps[-1] - timestamps[0], 1) / DAY_MS if timestamps else 1.0
    leads = [r["lead_min"] for r in rows if r["lead_min"] is not None]
    return {"scores": {p: round(nab_score([(timestamps, detected, windows)], p), 1) for p in NAB_PROFILES},
            "alerts": len(detected), "caught": sum(r["first"] is not None for r in rows), "windows": rows,
            "false_alerts": len(result["false"]), "false_alerts_per_day": round(len(result["false"]) / days, 3),
            "median_lead_min": statistics.median(leads) if leads else None}
