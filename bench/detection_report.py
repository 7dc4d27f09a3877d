"""The detection results table of docs/detection.md: every shipped scenario, default configuration.

Each scenario is simulated in process (seed 0, its own scale) and run through
the embedded pipeline (Extract -> Count -> Detect) exactly as
``trendwatch backtest --scenario NAME`` does; the alerts are evaluated against
the scenario's labels. Prints a Markdown table per scenario, the pooled
figures and the check of every target.

Usage: python bench/detection_report.py [--scenario NAME ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics

from detectors.evaluation import evaluate
from streams.embedded.runner import Pipeline, run, scenario_records
from streams.settings import Settings
from streams.sources.scenario import load_scenario, scenario_names
from streams.sources.simulator import labels


def evaluate_scenario(name: str, seed: int = 0) -> dict:
    scenario = load_scenario(name)
    summary = run(scenario_records(scenario, seed), Pipeline(Settings()))
    result = evaluate(summary.alerts, labels(scenario, seed), tags_seen=summary.tags_seen)
    result.update(scenario=name, posts=summary.posts, seconds=round(summary.seconds, 1))
    return result


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(results: list[dict]) -> list[str]:
    lines = ["| scenario | surges caught | trend episodes (false) | precision | precision after day 1 | recall | F1 "
             "| delays (min) | slow-burn delay / duration | decoys: trend / suspicious episodes (after day 1) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        caught = f"{sum(s['detected'] for s in r['surges'])}/{len(r['surges'])}"
        delays = ", ".join(f"#{s['tag']} {_fmt(s['delay_min'], 0)}" for s in r["surges"]) or "–"
        decoys = ", ".join(f"#{d['tag']} ({d['kind']}) {d['trend_episodes']}/{d['suspicious_episodes']} "
                           f"({d['episodes_after_day_one']})" for d in r["decoys"]) or "–"
        lines.append(f"| {r['scenario']} | {caught} | {r['trend_episodes']} ({r['false_alerts']}) "
                     f"| {_fmt(r['precision'])} | {_fmt(r['precision_after_day_one'])} | {_fmt(r['recall'])} "
                     f"| {_fmt(r['f1'])} | {delays} | {_fmt(r['max_slow_burn_delay_fraction'], 3)} | {decoys} |")
    return lines


def targets(results: list[dict]) -> list[str]:
    """The target table; a target these scenarios cannot measure is named in a line after it, not failed."""
    surges = [s for r in results for s in r["surges"]]
    true = sum(r["true_alerts"] for r in results)
    trends = sum(r["trend_episodes"] for r in results)
    later_trends = sum(r["trend_episodes_after_day_one"] for r in results)
    later_true = later_trends - sum(r["false_trend_episodes_after_day_one"] for r in results)
    flash = [s["delay_min"] for s in surges if s["shape"] == "flash" and s["detected"]]
    slow = [s["delay_fraction"] for s in surges if s["shape"] in ("logistic", "ramp") and s["detected"]]
    steady = next((r for r in results if r["scenario"] == "steady-week"), None)
    bots = [d for r in results for d in r["decoys"] if d["kind"] == "bot"]
    periodic = [d for r in results for d in r["decoys"] if d["kind"] == "periodic"]
    checks = [  # (target, measured or None when nothing here measures it, its limit test)
        ("recall >= 0.95 (pooled)", _ratio(sum(s["detected"] for s in surges), len(surges)), lambda v: v >= 0.95),
        ("precision >= 0.95 (pooled, all episodes)", _ratio(true, trends), lambda v: v >= 0.95),
        ("precision >= 0.95 (pooled, episodes after day one)", _ratio(later_true, later_trends), lambda v: v >= 0.95),
        ("steady-week: zero trend episodes after day one",
         steady["false_trend_episodes_after_day_one"] if steady else None, lambda v: v == 0),
        ("bot-pushed tag never trend", sum(d["trend_episodes"] for d in bots) if bots else None, lambda v: v == 0),
        ("daily-periodic tag not alerted after day one",
         sum(d["episodes_after_day_one"] for d in periodic) if periodic else None, lambda v: v == 0),
        ("median flash delay <= 15 min", statistics.median(flash) if flash else None, lambda v: v <= 15),
        ("slow burns within the first 20% of their rise (max delay / duration)", max(slow) if slow else None,
         lambda v: v <= 0.2),
    ]
    digits = (3, 3, 3, 0, 0, 0, 1, 3)
    out = ["| target | measured | met |", "|---|---|---|"]
    out += [f"| {name} | {_fmt(value, d)} | {'yes' if ok(value) else 'NO'} |"
            for (name, value, ok), d in zip(checks, digits) if value is not None]
    missing = [name for name, value, _ in checks if value is None]
    if not surges:
        out += ["", NO_SURGE]
    elif missing:
        out += ["", "Not measured by these scenarios: " + "; ".join(missing) + "."]
    return out


NO_SURGE = ("No labelled surge in these scenarios: recall and detection delays are not measured (nor precision "
            "without a trend episode); give a scenario with surges to check them.")


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", help="only these scenarios (default: all shipped)")
    parser.add_argument("--json", action="store_true", help="print the raw evaluations as JSON")
    args = parser.parse_args()
    results = [evaluate_scenario(name) for name in (args.scenario or scenario_names())]
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
        return
    print("\n".join(table(results)))
    print()
    print("\n".join(targets(results)))


if __name__ == "__main__":
    main()
