"""``trendwatch backtest``: the whole pipeline over a file (or a scenario) at full speed, then evaluation.

Prints the alert episodes and, with labels, precision, recall, F1, detection
delay per surge and false alerts per tag-day; a count series with labelled
anomaly windows (``--counts FILE --windows LABELS.json``) is scored with NAB's
rules. ``--json`` prints one JSON document instead; ``--report`` also writes
an HTML page.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from detectors.evaluation import evaluate
from streams.commands.options import timezone_option
from streams.commands.run import describe_alert, describe_rejected
from streams.live.text import plural
from streams.embedded.counts import count_series, counts_detect, run_counts
from streams.embedded.labelled import load_windows, nab_lines, score_series
from streams.embedded.runner import Pipeline, Summary, file_records, run as run_pipeline, scenario_records
from streams.errors import InputError, UsageError
from streams.settings import Settings
from streams.sources.scenario import load_scenario
from streams.sources.simulator import labels as scenario_labels
from streams.stages import Detect

__all__ = ["backtest", "backtest_document", "detection_settings"]


def _load_labels(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read labels {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise InputError(f"labels {path} are not JSON: {exc}") from None
    if not isinstance(data, dict) or not {"start", "end", "surges"} <= set(data):
        raise InputError(f"labels {path} need start, end and surges (as written by `trendwatch simulate --labels`)")
    return data


def detection_settings(settings: Settings) -> Settings:
    """``settings`` counting only the window sizes the detector reads.

    A backtest reports alerts, so the other sizes (1 min and 1 day by
    default) would be counted for nothing; the alerts are the same.
    """
    scales = Detect.scales(settings.window_ms)
    keep = tuple(name for name, ms in zip(settings.window_sizes, settings.window_ms) if ms in scales)
    return dataclasses.replace(settings, window_sizes=keep)


def backtest_document(summary: Summary, source: str, truth: dict | None) -> dict:
    """The JSON document: run figures, the episode starts and, with labels, the evaluation."""
    doc = {"input": source, "posts": summary.posts, "engagements": summary.engagements, "notes": summary.notes,
           "rejected": summary.rejected, "rejected_lines": [str(bad) for bad in summary.bad],
           "windows": summary.windows, "hashtags": summary.tags_seen,
           "seconds": round(summary.seconds, 3),
           "posts_per_second": round(summary.posts / max(summary.seconds, 1e-9)),
           "first_ts": summary.first_ts, "last_ts": summary.last_ts,
           "alerts": [a.to_dict() for a in summary.episodes]}
    if truth is not None:
        doc["evaluation"] = evaluate(summary.alerts, truth, tags_seen=summary.tags_seen)
    return doc


def _window_note(doc: dict) -> str:
    """Which sizes were counted, and why ``trendwatch run`` on the same input counts more windows."""
    sizes = doc.get("window_sizes")
    if not sizes:
        return ""
    skipped = [s for s in Settings.build({}).window_sizes if s not in sizes]
    why = f"; `trendwatch run` also counts {' and '.join(skipped)}, which the detector does not read" if skipped else ""
    return f" (at {' and '.join(sizes)}{why})"


def _text(doc: dict, summary: Summary) -> list[str]:
    lines = [describe_alert(a) for a in summary.episodes]
    lines.append(f"{doc['input']}: {plural(doc['posts'], 'post')}, "
                 f"{plural(doc['engagements'], 'engagement event')}, {doc['rejected']:,} rejected, "
                 f"{plural(doc['windows'], 'window')}{_window_note(doc)} in {doc['seconds']:.1f} s "
                 f"({doc['posts_per_second']:,} posts/s); {plural(len(doc['alerts']), 'episode')}.")
    lines += summary.notes + (nab_lines(doc["nab"]) if "nab" in doc else [])
    ev = doc.get("evaluation")
    if ev:
        lines.append(f"precision {ev['precision']}  precision after day one {ev['precision_after_day_one']}  "
                     f"recall {ev['recall']}  F1 {ev['f1']}  false alerts/tag-day {ev['false_alerts_per_tag_day']}")
        for row in ev["surges"]:
            delay = f"{row['delay_min']:g} min ({row['delay_fraction']:.1%} of its duration)" if row["detected"] \
                else "missed"
            lines.append(f"  surge #{row['tag']} ({row['shape']}): {delay}, {plural(row['episodes'], 'episode')}")
        for row in ev["decoys"]:
            lines.append(f"  decoy #{row['tag']} ({row['kind']}): {row['trend_episodes']} trend, "
                         f"{row['suspicious_episodes']} suspicious, {row['episodes_after_day_one']} after day one")
    return lines


def _report(path: Path, doc: dict, summary: Summary, recorder, scorer, truth: dict | None) -> None:
    from streams.report import tag_plots, write_report  # matplotlib only when a report is asked for

    span = (summary.first_ts, summary.last_ts) if summary.first_ts >= 0 else None
    plots, note = tag_plots(recorder, scorer, summary.alerts, truth, span)
    write_report(path, doc, plots, note)


def _counts_recorded(path: Path, tag: str | None, tz, truth: dict | None, labelled: list | None):
    """The recorder, scorer and labels of a count-series report (``--windows`` spans drawn on its one series)."""
    from streams.report import SeriesRecorder

    name, interval, windows = count_series(path, tag, tz)
    detect = counts_detect(interval)  # the run's detector again, deterministic: its band as it scored
    scorer = detect.model.scorer
    recorder = SeriesRecorder(scorer.fast_ms, scorer.slow_ms)
    recorder.windows(windows)
    scorer.observe = recorder.scored
    for window in windows:
        detect.process([window])
    detect.flush()
    if labelled:
        truth = {**(truth or {}), "windows": [{"tag": name, "start": a, "end": b} for a, b in labelled]}
    return recorder, scorer, truth


def _recorded(pipeline: Pipeline, report: Path | None):
    if report is None:
        return None
    from streams.report import SeriesRecorder

    scorer = pipeline.detect.model.scorer
    recorder = SeriesRecorder(scorer.fast_ms, scorer.slow_ms)
    pipeline.on_windows = recorder.windows
    scorer.observe = recorder.scored
    return recorder


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--labels", "labels_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ground truth (from `trendwatch simulate --labels`): adds the evaluation.")
@click.option("--counts", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A timestamp,value CSV of one hashtag, evaluated at its own interval.")
@click.option("--tag", default=None, help="Hashtag of --counts (default: the file name).")
@click.option("--windows", "windows_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Labelled anomaly windows of --counts (NAB's shape: file name -> [[start, end], ...]): "
                   "adds NAB's scores.")
@click.option("--timezone", "timezone_name", default="UTC", show_default=True, metavar="ZONE",
              help="Time zone of --counts and --windows times written without an offset (IANA name or +HH:MM).")
@click.option("--scenario", "name", default=None, metavar="NAME|FILE",
              help="Simulate this scenario in process instead of reading files (labels included).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --scenario.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a self-contained HTML report here, with a plot of every alerted or "
                   "labelled hashtag.")
def backtest(files, labels_path, counts, tag, windows_path, timezone_name, name, seed, as_json, report) -> None:
    """Run detection over FILES (JSONL, .gz ok) at full speed and evaluate it against --labels."""
    if windows_path is not None and counts is None:
        raise UsageError("--windows scores a count series: give it with --counts FILE")
    tz = timezone_option(timezone_name)
    if sum(map(bool, (files, counts, name))) != 1:
        raise UsageError("give input files, or --counts FILE.csv, or --scenario NAME (exactly one of them)")
    truth = _load_labels(labels_path) if labels_path else None
    recorder = scorer = nab = None
    report_truth = None  # a count series with --windows: its labels with the windows added
    if counts is not None:
        if not counts.is_file():
            raise InputError(f"cannot read {counts}: no such file")
        windows = load_windows(windows_path, counts, tz) if windows_path is not None else None
        summary, source = run_counts(counts, tag, tz=tz), str(counts)
        nab = score_series(counts, summary.alerts, windows, tag, tz) if windows is not None else None
        if report is not None:
            recorder, scorer, report_truth = _counts_recorded(counts, tag, tz, truth, windows)
    else:
        settings = detection_settings(Settings.build({}))
        pipeline = Pipeline(settings)
        recorder, scorer = _recorded(pipeline, report), pipeline.detect.model.scorer
        if name is not None:
            scenario = load_scenario(name)
            truth = truth or scenario_labels(scenario, seed)
            summary = run_pipeline(scenario_records(scenario, seed), pipeline)
            source = f"scenario {scenario.name} (seed {seed})"
        else:
            summary = run_pipeline(file_records(files, tag=tag), pipeline)
            source = ", ".join(map(str, files))
    doc = backtest_document(summary, source, truth)
    if counts is None:
        doc["window_sizes"] = list(settings.window_sizes)
    if nab is not None:
        doc["nab"] = nab
    if report is not None:
        _report(report, doc, summary, recorder, scorer, report_truth or truth)
    for line in describe_rejected(summary):
        click.echo(line, err=True)
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False))
    else:
        for line in _text(doc, summary):
            click.echo(line)
