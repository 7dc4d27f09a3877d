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
"""

from __future__ import annotations

import statistics

__all__ = ["evaluate", "DAY_MS"]

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
