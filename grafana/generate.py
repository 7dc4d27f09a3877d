"""Generate trendwatch's Grafana dashboards as JSON (grafana/dashboards/*.json).

    python grafana/generate.py           # write the dashboards
    python grafana/generate.py --check   # exit 1 if the committed JSON differs

The overview tells the story top-down: is the pipeline healthy (throughput,
errors, latency), is Kafka keeping up (lag, rebalances, event time), what is
trending (top hashtags by trend score), and one hashtag's windows. The
drill-down dashboard shows one hashtag.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from panels import (dashboard, dashboard_link, prometheus_annotation, query, query_variable, row, stat,
                    table, thresholds, timeseries)

OUT = Path(__file__).resolve().parent / "dashboards"
OVERVIEW_UID, HASHTAG_UID = "trendwatch-overview", "trendwatch-hashtag"
J = '{job=~"$job"}'
RATE = "$__rate_interval"
TREND_THRESHOLD = 5
"""The score at which the detector starts a surge episode, as in prometheus/rules/trendwatch.yml."""
SCORE_STEPS = thresholds((None, "green"), (2, "yellow"), (TREND_THRESHOLD, "red"))


def health_panels() -> list[dict]:
    """Row 1: is the pipeline healthy right now?"""
    return [
        row("Pipeline health: throughput, errors, latency"),
        stat("Events/s", "Valid events read per second, all types.",
             query(f"sum(rate(trendwatch_events_total{J}[{RATE}]))"), "ops"),
        stat("Invalid share", "Share of input events sent to the dead-letter topic.",
             query(f"sum(rate(trendwatch_invalid_events_total{J}[{RATE}])) / (sum(rate(trendwatch_invalid_events_total"
                   f"{J}[{RATE}])) + sum(rate(trendwatch_events_total{J}[{RATE}])))"), "percentunit",
             steps=thresholds((None, "green"), (0.01, "yellow"), (0.05, "red"))),
        stat("Processes up", "trendwatch processes Prometheus scrapes successfully.",
             query('sum(up{job=~"$job"})'), steps=thresholds((None, "red"), (1, "green"))),
        stat("Trend alerts firing", "Hashtags with a firing TrendSpike alert.",
             query('count(ALERTS{alertname="TrendSpike", alertstate="firing"}) or vector(0)'),
             steps=thresholds((None, "green"), (1, "orange"))),
        stat("Event time", "Watermark of the count stage: how far event time has got.",
             query(f'max(trendwatch_watermark_timestamp_seconds{{job=~"$job", stage="count"}}) * 1000'),
             "dateTimeAsIso", width=8),
        timeseries("Events in, by type", "Valid post and engagement events per second.",
                   [query(f"sum by (type) (rate(trendwatch_events_total{J}[{RATE}]))", "{{type}}")], "ops",
                   stack=True, width=8),
        timeseries("Invalid events, by reason", "Events sent to posts-dlq per second, by reason code.",
                   [query(f"sum by (reason) (rate(trendwatch_invalid_events_total{J}[{RATE}]))", "{{reason}}")],
                   "ops", stack=True, width=8),
        timeseries("Late events", "Mentions behind the watermark per second: applied or dropped.",
                   [query(f"sum by (action) (rate(trendwatch_late_events_total{J}[{RATE}]))", "{{action}}")],
                   "ops", width=8),
        timeseries("Stage latency (p50, p99)", "Wall-clock seconds per batch and stage.",
                   [query(f"histogram_quantile(0.99, sum by (le, stage) (rate(trendwatch_stage_seconds_bucket{J}"
                          f"[{RATE}])))", "p99 {{stage}}"),
                    query(f"histogram_quantile(0.5, sum by (le, stage) (rate(trendwatch_stage_seconds_bucket{J}"
                          f"[{RATE}])))", "p50 {{stage}}", ref="B")], "s"),
        timeseries("Event to alert (p50, p90)",
                   "Wall-clock seconds from a window's newest event time to its alert: the delay on a live "
                   "stream. A replay of past events lands in the top bucket (shown as 1 day).",
                   [query(f"histogram_quantile(0.9, sum by (le) (rate(trendwatch_event_to_alert_seconds_bucket{J}"
                          f"[{RATE}])))", "p90"),
                    query(f"histogram_quantile(0.5, sum by (le) (rate(trendwatch_event_to_alert_seconds_bucket{J}"
                          f"[{RATE}])))", "p50", ref="B")], "s"),
    ]


def kafka_panels() -> list[dict]:
    """Row 2: is Kafka keeping up?"""
    return [
        row("Kafka and windows: lag, rebalances, windows closed"),
        timeseries("Consumer lag, by topic", "Messages waiting for the workers, summed over partitions.",
                   [query(f"sum by (topic) (trendwatch_consumer_lag{J})", "{{topic}}")], "short", width=8),
        timeseries("Rebalances", "Consumer group rebalances per process in each interval.",
                   [query(f"sum by (instance) (increase(trendwatch_rebalances_total{J}[{RATE}]))", "{{instance}}")],
                   "short", width=8),
        timeseries("Windows closed, by size", "Hashtag windows closed per second (detector input).",
                   [query(f"sum by (size) (rate(trendwatch_windows_closed_total{J}[{RATE}]))", "{{size}}")],
                   "ops", stack=True, width=8),
    ]


def trending_panels() -> list[dict]:
    """Row 3: what is trending?"""
    url = (f"/d/{HASHTAG_UID}/trendwatch-hashtag"
           "?var-hashtag=${__data.fields.hashtag:percentencode}&${__url_time_range}")
    link = dashboard_link("Drill into #${__data.fields.hashtag}", url, "This hashtag on the drill-down dashboard",
                          keep=False)
    return [
        row("Trending hashtags"),
        table("Top hashtags now", "The top-K hashtags by trend score (5 = a surge episode starts); "
              "kind 'suspicious' = a burst from a handful of accounts. Click a row to drill into its windows.",
              [query("max by (hashtag, kind) (trendwatch_hashtag_trend_score)", instant=True, ref="A"),
               query("max by (hashtag, kind) (trendwatch_hashtag_posts_per_second)", instant=True, ref="B"),
               query("max by (hashtag, kind) (trendwatch_hashtag_views_per_second)", instant=True, ref="C")],
              {"hashtag": "hashtag", "kind": "kind", "Value #A": "trend score", "Value #B": "posts/s",
               "Value #C": "views/s"},
              sort_by="Value #A", link=link, width=10),
        timeseries("Trend score, top 10", "Trend score of the ten highest-scoring hashtags.",
                   [query("topk(10, max by (hashtag) (trendwatch_hashtag_trend_score))", "#{{hashtag}}")],
                   steps=SCORE_STEPS, width=14, height=10),
        timeseries("Alert steps, by kind and state", "Alert steps the detector emitted in each interval.",
                   [query(f"sum by (kind, state) (increase(trendwatch_alerts_total{J}[{RATE}]))",
                          "{{kind}} {{state}}")], "short", width=12),
        timeseries("Detector state", "Hashtags with exact state per stage, and the detector's memory.",
                   [query(f"sum by (stage) (trendwatch_tracked_tags{J})", "tags in {{stage}}"),
                    query(f"sum(trendwatch_detector_memory_bytes{J})", "detector bytes", ref="B")],
                   "short", width=12),
    ]


def hashtag_panels(prefix: str = "") -> list[dict]:
    """One hashtag (``$hashtag``): its score and its windows' rates over time."""
    tag = '{hashtag="$hashtag"}'
    return [
        stat(f"{prefix}Trend score", "Latest trend score of the hashtag.",
             query(f"max(trendwatch_hashtag_trend_score{tag})"), steps=SCORE_STEPS),
        stat(f"{prefix}Rank", "Position among the top-K hashtags by trend score.",
             query(f"count(max by (hashtag) (trendwatch_hashtag_trend_score) >= scalar(max("
                   f"trendwatch_hashtag_trend_score{tag})))")),
        stat(f"{prefix}Posts/s", "Posts per second in the hashtag's latest window.",
             query(f"max(trendwatch_hashtag_posts_per_second{tag})"), "ops"),
        stat(f"{prefix}Views/s", "Views per second in the hashtag's latest window.",
             query(f"max(trendwatch_hashtag_views_per_second{tag})"), "ops"),
        stat(f"{prefix}Alert", "1 while a TrendSpike alert fires for the hashtag, else 0.",
             query(f'max(ALERTS{{alertname="TrendSpike", alertstate="firing", hashtag="$hashtag"}}) or vector(0)'),
             steps=thresholds((None, "green"), (1, "red")), width=8),
        timeseries(f"{prefix}Trend score over time", "Red line: the score that starts a surge episode.",
                   [query(f"max(trendwatch_hashtag_trend_score{tag})", "#$hashtag")], steps=SCORE_STEPS),
        timeseries(f"{prefix}Windows: posts and views per second", "Rates of the hashtag's latest windows.",
                   [query(f"max(trendwatch_hashtag_posts_per_second{tag})", "posts/s"),
                    query(f"max(trendwatch_hashtag_views_per_second{tag})", "views/s", ref="B")], "ops"),
    ]


def trend_annotation() -> dict:
    return prometheus_annotation(
        "Trend alerts", 'ALERTS{alertname="TrendSpike", alertstate="firing"}', "#{{hashtag}} trending",
        "TrendSpike firing for #{{hashtag}}", "hashtag", "red")


def job_variable() -> dict:
    return query_variable("job", "Job", "label_values(trendwatch_build_info, job)", multi=True,
                          include_all=True, description="Prometheus job(s) of the trendwatch processes.")


def hashtag_variable() -> dict:
    return query_variable("hashtag", "Hashtag", "label_values(trendwatch_hashtag_trend_score, hashtag)",
                          description="One of the current top-K hashtags.")


def overview() -> dict:
    panels = [*health_panels(), *kafka_panels(), *trending_panels(),
              row("One hashtag: #$hashtag"), *hashtag_panels("#$hashtag: ")]
    link = dashboard_link("Hashtag drill-down", f"/d/{HASHTAG_UID}/trendwatch-hashtag",
                          "The selected hashtag on its own dashboard")
    return dashboard(OVERVIEW_UID, "trendwatch overview",
                     "Pipeline health, Kafka, trending hashtags and one hashtag's windows.", panels,
                     variables=[job_variable(), hashtag_variable()], annotations=[trend_annotation()],
                     links=[link], tags=["trendwatch"])


def drill_down() -> dict:
    tag_annotation = prometheus_annotation(
        "Alerts of #$hashtag", 'ALERTS{alertname="TrendSpike", alertstate="firing", hashtag="$hashtag"}',
        "#{{hashtag}} trending", "TrendSpike firing", "hashtag", "red")
    link = dashboard_link("Overview", f"/d/{OVERVIEW_UID}/trendwatch-overview", "Back to the overview")
    return dashboard(HASHTAG_UID, "trendwatch hashtag", "One hashtag: trend score and window rates.",
                     [row("#$hashtag"), *hashtag_panels()], variables=[hashtag_variable()],
                     annotations=[tag_annotation], links=[link], tags=["trendwatch"])


DASHBOARDS = {"trendwatch-overview.json": overview, "trendwatch-hashtag.json": drill_down}


def render(build) -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Compare instead of writing; exit 1 on a difference.")
    args = parser.parse_args(argv)
    stale = []
    for name, build in DASHBOARDS.items():
        path, text = OUT / name, render(build)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            OUT.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for name in stale:
        print(f"grafana/dashboards/{name} differs from its generator: run python grafana/generate.py",
              file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
