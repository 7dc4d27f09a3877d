"""Which hashtags a report plots, and their figures.

``tag_plots(recorder, scorer, alerts, truth)`` makes one figure per hashtag
that had an alert episode or is labelled (a surge, a decoy, or an anomaly
window of a count series: ``truth["windows"]``, rows of tag, start, end), at most
``MAX_PLOTS`` of them (episodes and labels first), and says how many it left
out. The band is what the scorer expected and the dispersion it learnt
(``SeriesRecorder.scored``), up to its start threshold.
"""

from __future__ import annotations

from detectors.baseline import HOUR_MS
from detectors.records import Alert
from streams.report.plots import tag_png
from streams.report.series import SeriesRecorder

__all__ = ["tag_plots", "MAX_PLOTS"]

MAX_PLOTS = 40


def _spans(tag: str, truth: dict | None) -> tuple[list, list[str]]:
    spans, what = [], []
    for row in (truth or {}).get("surges", []):
        if row["tag"] == tag:
            spans.append((row["start"], row["end"], "#2ca02c", "labelled surge"))
            what.append(f"labelled surge ({row.get('shape', '?')})")
    windows = [row for row in (truth or {}).get("windows", []) if row["tag"] == tag]
    for row in windows:
        spans.append((row["start"], row["end"], "#2ca02c", "labelled window"))
    if windows:
        what.append(f"{len(windows)} labelled window" + ("s" if len(windows) != 1 else ""))
    for row in (truth or {}).get("decoys", []):
        if row["tag"] == tag:
            what.append(f"{row['kind']} decoy")
            if row.get("start") is not None and (row["start"], row["end"]) != (truth["start"], truth["end"]):
                spans.append((row["start"], row["end"], "#7f7f7f", f"{row['kind']} decoy"))
    return spans, what


def tag_plots(recorder: SeriesRecorder, scorer, alerts: list[Alert], truth: dict | None,
              span: tuple[int, int] | None = None) -> tuple[list[tuple[str, bytes]], str]:
    """``([(heading, png)], note)`` for the report (see the module docstring); ``span``: the input's event times."""
    by_tag: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_tag.setdefault(alert.hashtag, []).append(alert)
    labelled = [r["tag"] for key in ("surges", "windows", "decoys") for r in (truth or {}).get(key, [])]
    episodes = sorted((t for t in by_tag if any(a.state == "started" for a in by_tag[t])),
                      key=lambda t: -max(a.score for a in by_tag[t]))
    wanted = list(dict.fromkeys(episodes + labelled))
    wanted = [t for t in wanted if t in recorder.tags()]
    shown, note = wanted[:MAX_PLOTS], ""
    if len(wanted) > MAX_PLOTS:
        note = f"{len(wanted) - MAX_PLOTS:,} more hashtags with an episode are not plotted."
    floors = {scorer.fast_ms: scorer.floor_per_hour * scorer.fast_ms / HOUR_MS,
              scorer.slow_ms: scorer.floor_per_hour * scorer.slow_ms / HOUR_MS}
    half = {scorer.fast_ms: scorer.fast_half_life_ms, scorer.slow_ms: scorer.slow_half_life_ms}
    plots = []
    for tag in shown:
        panels = [s for size in recorder.sizes
                  if (s := recorder.series(tag, size, half_life_ms=half[size], floor=floors[size],
                                           z_on=scorer.thresholds.z_on, span=span)) is not None]
        spans, what = _spans(tag, truth)
        steps = by_tag.get(tag, [])
        kinds = sorted({a.kind for a in steps if a.state == "started"})
        episodes_text = [f"{sum(a.state == 'started' and a.kind == k for a in steps)} {k} episode"
                         + ("s" if sum(a.state == 'started' and a.kind == k for a in steps) != 1 else "")
                         for k in kinds] or ["no episode"]
        heading = f"#{tag}: " + ", ".join(episodes_text + what)
        plots.append((heading, tag_png(heading, panels, steps, spans)))
    return plots, note
