"""The backtest report: one self-contained HTML page (styles inline, plots as embedded PNG).

``write_report(path, doc, alerts, plots)`` writes the page for a backtest
document (``streams.commands.backtest.backtest_document``): what was read and
how fast, the evaluation with readable names and values, labelled surges and
decoys, the alert episodes and a plot per hashtag (``plots``: ``(heading,
png bytes)``, made by ``streams.report.build.tag_plots``).

>>> readable(None), readable(True), readable(0.8333), readable(12000), readable("flash")
('—', 'yes', '0.833', '12,000', 'flash')
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from streams.errors import InputError
from streams.live.text import fmt_time, plural, views

__all__ = ["write_report", "report_html", "readable", "MEASURES", "LEGEND"]

MEASURES = {
    "precision": "Precision (trend episodes on a labelled surge)",
    "precision_after_day_one": "Precision after the first day (baselines learnt)",
    "recall": "Recall (labelled surges flagged)",
    "f1": "F1",
    "false_alerts_per_tag_day": "False alerts per tag and day",
    "median_flash_delay_min": "Median delay of flash surges (min)",
    "max_slow_burn_delay_fraction": "Longest slow-burn delay (share of its duration)",
}

LEGEND = ("Posts per window at the detector's fast and slow sizes. The band runs from the posts the detector "
          "expected of each window (its baseline, normalised by total volume, with its hour-of-day "
          "profile and, after two weeks, its day-of-week factors) to the level that would start an episode: "
          "the start threshold in units of "
          "the tag's own learnt dispersion, as the scorer used them, not Poisson noise, so a bursty tag has a "
          "wide band. Before the detector kept state for a tag (the long tail) the band is an exponentially "
          "weighted mean of its own windows with Poisson noise. Red line: a trend starts; orange: a suspicious "
          "burst; grey dashes: an episode resolves; shaded: a labelled span.")

_STYLE = ("body{font-family:'DejaVu Sans','Noto Sans CJK JP',sans-serif;margin:2em;max-width:70em;color:#222}"
          "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:3px 10px;text-align:left;"
          "border-bottom:1px solid #ddd}th{background:#f4f4f4}td.n{text-align:right}"
          "figure{margin:1em 0 2em}img{max-width:100%}.muted{color:#777}")


def readable(value) -> str:
    """A value as a person reads it: no Python ``None``/``True``, numbers rounded with separators."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(head: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    esc = html.escape
    body = "".join("<tr>" + "".join(f"<td class='n'>{esc(readable(v))}</td>" if i in numeric
                                    else f"<td>{esc(readable(v))}</td>" for i, v in enumerate(row)) + "</tr>"
                   for row in rows)
    return "<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + f"</tr>{body}</table>"


def _evaluation(ev: dict) -> str:
    measures = _table(["measure", "value"], [[MEASURES[k], ev.get(k)] for k in MEASURES if k in ev], {1})
    surges = _table(["labelled surge", "shape", "flagged", "delay (min)", "delay / duration", "episodes"],
                    [["#" + r["tag"], r["shape"], r["detected"], r["delay_min"],
                      None if r["delay_fraction"] is None else f"{r['delay_fraction']:.1%}", r["episodes"]]
                     for r in ev["surges"]], {3, 5})
    decoys = _table(["decoy", "kind", "trend episodes", "suspicious episodes", "episodes after the first day"],
                    [["#" + r["tag"], r["kind"], r["trend_episodes"], r["suspicious_episodes"],
                      r["episodes_after_day_one"]] for r in ev["decoys"]], {2, 3, 4})
    return (f"<h2>Evaluation</h2>{measures}<h3>Labelled surges</h3>{surges}"
            f"<h3>Decoys</h3>{decoys if ev['decoys'] else '<p class=muted>none in the labels</p>'}")


def _episodes(alerts: list[dict]) -> str:
    rows = [[fmt_time(a["window_end"]), "#" + a["hashtag"], a["kind"], f"{a['score']:.1f}", a["reason"],
             views(a["projected_views"]) if a.get("projected_views") is not None else None] for a in alerts]
    return "<h2>Alert episodes</h2>" + (_table(["started (UTC)", "hashtag", "kind", "score", "why",
                                                "projected views"], rows, {3, 5}) if rows
                                        else "<p class=muted>no alert</p>")


def report_html(doc: dict, plots: list[tuple[str, bytes]], note: str = "") -> str:
    """The page (see the module docstring)."""
    esc = html.escape
    span = f" ({fmt_time(doc['first_ts'])} to {fmt_time(doc['last_ts'])} UTC)" if doc.get("first_ts", -1) >= 0 else ""
    parts = [f"<!doctype html><html lang='en'><meta charset='utf-8'><title>trendwatch backtest: {esc(doc['input'])}"
             f"</title><style>{_STYLE}</style><h1>Backtest of {esc(doc['input'])}</h1>",
             f"<p>{esc(plural(doc['posts'], 'post'))} and {esc(plural(doc['engagements'], 'engagement event'))}"
             f"{esc(span)}, {esc(plural(doc['rejected'], 'rejected event'))}; "
             f"{esc(plural(doc['windows'], 'window'))}, {esc(plural(doc['hashtags'], 'hashtag'))}. "
             f"Throughput: {doc['posts_per_second']:,} posts/s ({doc['seconds']:.1f} s).</p>"]
    if doc.get("evaluation"):
        parts.append(_evaluation(doc["evaluation"]))
    parts.append(_episodes(doc["alerts"]))
    parts.append(f"<h2>Series</h2><p class=muted>{esc(LEGEND)}</p>"
                 + (f"<p class=muted>{esc(note)}</p>" if note else ""))
    for heading, png in plots:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<figure><img alt='{esc(heading)}' src='data:image/png;base64,{data}'></figure>")
    return "\n".join(parts) + "\n</html>\n"


def write_report(path: Path, doc: dict, plots: list[tuple[str, bytes]], note: str = "") -> None:
    """Write the page to ``path``; an unwritable path is an ``InputError`` naming it."""
    try:
        Path(path).write_text(report_html(doc, plots, note), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--report {path}: cannot write it ({exc.strerror})") from None
