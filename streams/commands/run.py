"""``trendwatch run``: the main job. Without a broker it runs the whole pipeline in process.

By default it simulates the rednote-2025 scenario through the same stages the
Kafka workers run (Extract -> Count -> Detect), prints alerts as they fire and
a summary at the end, serves Prometheus metrics while it runs, and exits 0
when the input ends.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import click

from detectors.evaluation import evaluate
from detectors.records import Alert
from streams.commands.run_kafka import run_on_kafka, run_settings
from streams.embedded.counts import is_count_series, run_counts
from streams.embedded.runner import Pipeline, Summary, file_records, run as run_pipeline, scenario_records
from streams.errors import UsageError
from streams.observe.metrics import Metrics, serve
from streams.settings import Settings
from streams.sources.pacing import GracefulStop, parse_speed
from streams.sources.replay import read_events
from streams.sources.scenario import load_scenario
from streams.sources.simulator import generate, labels as scenario_labels

__all__ = ["run", "describe_alert", "describe_summary", "fmt_time"]

log = logging.getLogger(__name__)

SHOW_ONGOING_MS = 6 * 3_600_000


def fmt_time(ms: int) -> str:
    """Epoch ms as ``2025-01-13 00:05`` (UTC)."""
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _views(n: int | None) -> str:
    if n is None:
        return "?"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return str(n)


def describe_alert(alert: Alert) -> str:
    """One line for a person: when, tag, kind, state, score and why."""
    head = f"[{fmt_time(alert.window_end)}] {alert.kind.upper():10} {alert.state:8} #{alert.hashtag}"
    if alert.state == "resolved":
        return f"{head}  {alert.reason}"
    line = f"{head}  score {alert.score:.1f}  {alert.reason}"
    if alert.kind == "trend" and alert.projected_views is not None:
        line += (f"; on track for {_views(alert.projected_views)} views {alert.projection_horizon_h:g} h after "
                 "onset at the current rate")
    if alert.related:
        line += "; surging with " + ", ".join("#" + t for t in alert.related)
    return line


def describe_summary(summary: Summary, truth: dict | None) -> list[str]:
    """The closing lines: volumes, speed, episodes and, with ground truth, what was caught when."""
    rate = summary.posts / max(summary.seconds, 1e-9)
    lines = [f"Summary: {summary.posts:,} posts and {summary.engagements:,} engagement events"
             + (f" ({fmt_time(summary.first_ts)} to {fmt_time(summary.last_ts)} UTC)" if summary.first_ts >= 0 else "")
             + f" in {summary.seconds:.1f} s ({rate:,.0f} posts/s), {summary.rejected} rejected"
             + (f", {summary.windows:,} windows, {summary.tags_seen:,} hashtags." if summary.windows >= 0 else ".")]
    episodes = summary.episodes
    trends = sorted({a.hashtag for a in episodes if a.kind == "trend"})
    suspicious = sorted({a.hashtag for a in episodes if a.kind == "suspicious"})
    lines.append(f"Episodes: {sum(a.kind == 'trend' for a in episodes)} trend "
                 f"({', '.join('#' + t for t in trends) or 'none'}), "
                 f"{sum(a.kind == 'suspicious' for a in episodes)} suspicious "
                 f"({', '.join('#' + t for t in suspicious) or 'none'}).")
    if truth is None:
        return lines
    result = evaluate(summary.alerts, truth, tags_seen=max(summary.tags_seen, 0))
    for row in result["surges"]:
        if row["detected"]:
            lines.append(f"  #{row['tag']} flagged as a trend {row['delay_min']:g} min after its surge began "
                         f"({fmt_time(row['onset'])} UTC).")
        else:
            lines.append(f"  #{row['tag']} was NOT flagged (surge from {fmt_time(row['onset'])} UTC).")
    for row in result["decoys"]:
        lines.append(f"  #{row['tag']} ({row['kind']} decoy): {row['trend_episodes']} trend, "
                     f"{row['suspicious_episodes']} suspicious episodes.")
    if result["recall"] is None:
        lines.append(f"No labelled surge in this scenario; {result['false_alerts']} trend episodes anyway.")
    else:
        lines.append(f"Precision {result['precision']}, recall {result['recall']}, F1 {result['f1']} "
                     f"against the scenario's labels.")
    return lines


def _metrics_server(metrics: Metrics, port: int):
    try:
        return serve(metrics, port, addr="127.0.0.1")
    except OSError as exc:
        raise UsageError(f"--metrics-port {port}: cannot listen ({exc.strerror or exc}); "
                         "pick another port or 0 for any free one") from None


class _Printer:
    """Prints alerts as they fire; ongoing steps at most every 6 h per episode unless ``all_steps``."""

    def __init__(self, all_steps: bool):
        self.all_steps, self._shown = all_steps, {}

    def __call__(self, alert: Alert) -> None:
        key = (alert.hashtag, alert.kind)
        if alert.state == "ongoing" and not self.all_steps:
            if alert.window_end - self._shown.get(key, -SHOW_ONGOING_MS) < SHOW_ONGOING_MS:
                return
        self._shown[key] = alert.window_end
        click.echo(describe_alert(alert))


@click.command()
@click.option("--scenario", "name", default="rednote-2025", show_default=True, metavar="NAME|FILE",
              help="Scenario to simulate in process (see `trendwatch simulate --list`).")
@click.option("--seed", type=int, default=0, show_default=True, help="Simulator seed.")
@click.option("--scale", type=float, default=1.0, show_default=True, help="Multiply every volume of the scenario.")
@click.option("--input", "inputs", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Replay this file (JSONL, CSV posts, .gz ok) instead of simulating; a count series "
                   "(timestamp,value) is scored at its own interval.")
@click.option("--tag", default=None, help="Hashtag of a count-series --input (default: the file name).")
@click.option("--speed", default="max", show_default=True, metavar="N|max",
              help="Event time runs N times faster than real time; max = no waiting.")
@click.option("--follow", is_flag=True, help="Keep going after the input ends (follow a growing --input "
                                             "file; keep serving metrics) until Ctrl-C.")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="Serve Prometheus metrics on this local port, 0 = any free one [default 9464].")
@click.option("--broker", default=None, metavar="URL",
              help="Run through Kafka instead: a worker child process, this run's own topics.")
@click.option("--all-steps", is_flag=True, help="Print every ongoing alert step, not one per 6 h per episode.")
def run(name, seed, scale, inputs, tag, speed, follow, metrics_port, broker, all_steps) -> None:
    """Detect hashtag surges end to end: simulate (or replay) -> extract -> count -> detect -> alerts."""
    settings = Settings.build({"metrics_port": metrics_port, "broker": broker})
    scenario = None if inputs else load_scenario(name)
    if scenario is not None and scale != 1.0:
        scenario = scenario.scaled(scale)
    job = _Job(scenario, seed, inputs, tag, parse_speed(speed), follow, _Printer(all_steps))
    log.info("run: %s", settings.describe())
    with GracefulStop() as stop:
        summary = _on_kafka(settings, job, stop) if broker is not None else _in_process(settings, job, stop)
    if stop.requested and not follow:
        click.echo("Stopped early: the summary covers the input read so far.", err=True)
        raise SystemExit(130)


@dataclass
class _Job:
    scenario: object
    seed: int
    inputs: tuple
    tag: str | None
    pace: float | None
    follow: bool
    printer: _Printer

    @property
    def source(self) -> str:
        if self.scenario is not None:
            return f"scenario {self.scenario.name} (seed {self.seed})"
        return ", ".join(map(str, self.inputs))

    def truth(self, stop) -> dict | None:
        return scenario_labels(self.scenario, self.seed) if self.scenario is not None and not stop() else None


def _in_process(settings: Settings, job: _Job, stop) -> Summary:
    metrics = Metrics(top_k=settings.top_k)
    server = _metrics_server(metrics, settings.metrics_port)
    try:
        click.echo(f"trendwatch run: {job.source}, in process; metrics on http://127.0.0.1:{server.port}/metrics")
        if len(job.inputs) == 1 and is_count_series(job.inputs[0]):
            summary = run_counts(job.inputs[0], job.tag, on_alert=job.printer)
        else:
            records = (scenario_records(job.scenario, job.seed) if job.scenario is not None
                       else file_records(job.inputs, tag=job.tag, follow=job.follow, stop=stop))
            summary = run_pipeline(records, Pipeline(settings, metrics), speed=job.pace, on_alert=job.printer,
                                   stop=stop)
        for line in describe_summary(summary, job.truth(stop)):
            click.echo(line)
        if job.follow and job.scenario is not None and not stop():
            click.echo("Following: metrics stay up until Ctrl-C.")
            while not stop():
                time.sleep(0.2)
    finally:
        server.stop()
    return summary


def _on_kafka(settings: Settings, job: _Job, stop) -> Summary:
    settings = run_settings(settings)
    events = generate(job.scenario, job.seed) if job.scenario is not None else read_events(job.inputs, tag=job.tag)
    click.echo(f"trendwatch run: {job.source} through Kafka at {settings.broker} (topics {settings.topic('*')}); "
               f"worker metrics on http://127.0.0.1:{settings.metrics_port}/metrics")
    summary = run_on_kafka(settings, events, pace=job.pace, on_alert=job.printer, stop=stop)
    for line in describe_summary(summary, job.truth(stop)):
        click.echo(line)
    return summary
