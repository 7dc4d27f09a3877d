"""``trendwatch run``: the main job. Without a broker it runs the whole pipeline in process.

By default it simulates the rednote-2025 scenario at a tenth of its volume
(``--scale 1``: all of it) through the same stages the Kafka workers run
(Extract -> Count -> Detect). On a terminal it shows the live view
(``streams.live``); otherwise, or with ``--plain``, it prints alerts as they
fire. Then a summary and what to try next; it serves Prometheus metrics while
it runs, and exits 0 when the input ends.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from detectors.evaluation import evaluate
from streams.commands.options import bind_option, display_options, security_options, timezone_option
from streams.commands.run_kafka import run_on_kafka, run_settings
from streams.embedded.counts import count_series, is_count_series, run_counts
from streams.embedded.runner import Pipeline, ReadShare, Summary, file_records, run as run_pipeline, scenario_records
from streams.errors import UsageError
from streams.live import display, plural
from streams.live.text import describe_alert, fmt_time
from streams.observe.api import Readiness
from streams.observe.metrics import Metrics, serve
from streams.observe.view import TrendView
from streams.settings import Settings, format_duration
from streams.sources.pacing import GracefulStop, parse_speed
from streams.sources.replay import read_events
from streams.sources.scenario import load_scenario
from streams.sources.simulator import generate, labels as scenario_labels
from streams.stages import Detect

__all__ = ["run", "describe_alert", "describe_summary", "describe_rejected", "fmt_time", "next_steps",
           "DEMO_SCALE"]

_UTC = dt.timezone.utc
log = logging.getLogger(__name__)

DEMO_SCALE = 0.1
"""Volume of the built-in demo when no ``--scenario`` or ``--scale`` is given: the whole story
(every surge and decoy) in well under a minute; ``--scale 1`` runs it at full volume."""
DEFAULT_SCENARIO = "rednote-2025"


def _sizes(sizes) -> str:
    sizes = list(sizes)
    return ", ".join(sizes[:-1]) + " and " + sizes[-1] if len(sizes) > 1 else "".join(sizes)


def describe_rejected(summary: Summary) -> list[str]:
    """One line per rejected input kept by name (``file:line: reason: detail``), then how many more.

    >>> from streams.sources.formats import BadLine
    >>> describe_rejected(Summary(rejected=3, bad=[BadLine("in.jsonl", 4, "bad_json", "unexpected x")]))
    ['rejected in.jsonl:4: bad_json: unexpected x', 'rejected: 2 more not listed']
    """
    lines = [f"rejected {bad}" for bad in summary.bad]
    if summary.rejected > len(summary.bad):
        lines.append(f"rejected: {summary.rejected - len(summary.bad)} more not listed")
    return lines


def describe_summary(summary: Summary, truth: dict | None, sizes: tuple[str, ...] = ()) -> list[str]:
    """The closing lines: volumes, speed, episodes and, with ground truth, what was caught when."""
    rate = summary.posts / max(summary.seconds, 1e-9)
    windows = ""
    if summary.windows >= 0:
        windows = f", {plural(summary.windows, 'window')}" + (f" at {_sizes(sizes)}" if sizes else "") + \
                  f", {plural(summary.tags_seen, 'hashtag')}"
    lines = [f"Summary: {plural(summary.posts, 'post')} and {plural(summary.engagements, 'engagement event')}"
             + (f" ({fmt_time(summary.first_ts)} to {fmt_time(summary.last_ts)} UTC)" if summary.first_ts >= 0 else "")
             + f" in {summary.seconds:.1f} s ({rate:,.0f} posts/s), {summary.rejected:,} rejected{windows}."]
    episodes = summary.episodes
    trends = sorted({a.hashtag for a in episodes if a.kind == "trend"})
    suspicious = sorted({a.hashtag for a in episodes if a.kind == "suspicious"})
    lines.append(f"Episodes: {sum(a.kind == 'trend' for a in episodes):,} trend "
                 f"({', '.join('#' + t for t in trends) or 'none'}), "
                 f"{sum(a.kind == 'suspicious' for a in episodes):,} suspicious "
                 f"({', '.join('#' + t for t in suspicious) or 'none'}).")
    lines += summary.notes
    if truth is None:
        return lines
    return lines + _evaluation(evaluate(summary.alerts, truth, tags_seen=max(summary.tags_seen, 0)))


def _evaluation(result: dict) -> list[str]:
    lines = [_surge_line(row) for row in result["surges"]]
    for row in result["decoys"]:
        lines.append(f"  #{row['tag']} ({row['kind']} decoy): {row['trend_episodes']:,} trend, "
                     f"{plural(row['suspicious_episodes'], 'suspicious episode')}.")
    if result["recall"] is None:
        lines.append(f"No labelled surge in this scenario; {plural(result['false_alerts'], 'trend episode')} "
                     "anyway.")
    else:
        lines.append(f"Precision {result['precision']}, recall {result['recall']}, F1 {result['f1']} "
                     f"against the scenario's labels.")
    return lines


def next_steps(port: int | None, demo: bool) -> list[str]:
    """What to try after a run: follow it live, the full scenario, own data, Kafka, a report."""
    steps = [("trendwatch run --follow", "keep the page, API and metrics" + (f" (http://127.0.0.1:{port}/)" if port else "")
              + " up after the input ends, until Ctrl-C")]
    if demo:
        steps.append(("trendwatch run --scale 1", "the whole scenario at full volume (ten times the posts)"))
    steps += [("trendwatch run --input posts.jsonl", "your own posts (format: docs/events.md)"),
              ("trendwatch kafka start && trendwatch run --broker kafka://127.0.0.1:9092",
               "the same job through a local Kafka broker and a worker"),
              ("trendwatch backtest --scenario rednote-2025 --report report.html",
               "a report with a plot of every alerted hashtag")]
    return ["Try next:"] + [line for cmd, what in steps for line in (f"  {what}:", f"      {cmd}")]


def _surge_line(row: dict) -> str:
    """When a labelled surge was flagged, against its labelled start (a co-tag can be flagged before it)."""
    if not row["detected"]:
        return f"  #{row['tag']} was NOT flagged (surge from {fmt_time(row['start'])} UTC)."
    flagged = row["onset"] + round(row["delay_min"] * 60_000)
    minutes = (flagged - row["start"]) / 60_000
    if minutes >= 0:
        return f"  #{row['tag']} flagged as a trend {minutes:g} min after its surge began ({fmt_time(row['start'])} UTC)."
    carriers = ", ".join("#" + t for t in row["co_trend_of"]) or "another surge"
    return (f"  #{row['tag']} flagged as a trend {-minutes:g} min before its own surge began "
            f"({fmt_time(row['start'])} UTC): it rode along with {carriers} from {fmt_time(row['onset'])} UTC.")


def _metrics_server(metrics: Metrics, settings: Settings, trends=None, readiness=None):
    port = settings.metrics_port
    try:
        return serve(metrics, port, addr=settings.bind, view=trends, readiness=readiness)
    except OSError as exc:
        raise UsageError(f"--metrics-port {port}: cannot listen on {settings.bind} ({exc.strerror or exc}); "
                         "pick another port (0 for any free one) or --bind address") from None


@click.command()
@click.option("--scenario", "name", default=None, metavar="NAME|FILE",
              help=f"Scenario to simulate in process (see `trendwatch simulate --list`) [default {DEFAULT_SCENARIO}].")
@click.option("--seed", type=int, default=0, show_default=True, help="Simulator seed.")
@click.option("--scale", type=float, default=None,
              help=f"Multiply every volume of the scenario [default {DEMO_SCALE:g} for the built-in demo, "
                   "1 for a --scenario you name; --scale 1 runs the demo at full volume].")
@click.option("--input", "inputs", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Replay this file (JSONL, CSV posts, .gz ok) instead of simulating; a count series "
                   "(timestamp,value) is scored at its own interval.")
@click.option("--tag", default=None, help="Hashtag of a count-series --input (default: the file name).")
@click.option("--timezone", "timezone_name", default="UTC", show_default=True, metavar="ZONE",
              help="Time zone of count-series times written without an offset (IANA name or +HH:MM).")
@click.option("--speed", default="max", show_default=True, metavar="N|max",
              help="Event time runs N times faster than real time; max = no waiting.")
@click.option("--follow", is_flag=True, help="Keep going after the input ends (follow a growing --input "
                                             "file; keep serving metrics) until Ctrl-C.")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="Serve Prometheus metrics on this local port, 0 = any free one [default 9464].")
@click.option("--broker", default=None, metavar="URL",
              help="Run through Kafka instead: a worker child process, this run's own topics.")
@display_options
@bind_option
@security_options
def run(name, seed, scale, inputs, tag, timezone_name, speed, follow, metrics_port, broker, plain, progress,
        all_steps, bind, security) -> None:
    """Detect hashtag surges end to end: simulate (or replay) -> extract -> count -> detect -> alerts."""
    settings = Settings.build({"metrics_port": metrics_port, "broker": broker, "bind": bind, **security})
    demo = not inputs and name is None
    scenario = None if inputs else load_scenario(name or DEFAULT_SCENARIO)
    scale = scale if scale is not None else (DEMO_SCALE if demo else 1.0)
    if scenario is not None and scale != 1.0:
        scenario = scenario.scaled(scale)
    job = _Job(scenario, seed, inputs, tag, parse_speed(speed), follow, demo and scale != 1.0,
               tz=timezone_option(timezone_name))
    log.info("run: %s", settings.describe())
    if broker is None and len(inputs) == 1 and is_count_series(inputs[0]):
        job.series = count_series(inputs[0], tag, job.tz or _UTC)  # scored at its own interval
    size = job.series[1] if job.series is not None else Detect.scales(settings.window_ms)[1]
    with GracefulStop() as stop:
        view = display(job.title(broker), plain=plain, all_steps=all_steps, progress=progress, size_ms=size)
        summary = _on_kafka(settings, job, view, stop) if broker is not None else \
            _in_process(settings, job, view, stop)
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
    demo: bool
    share: ReadShare = field(default_factory=ReadShare)
    tz: object = None  # the --timezone of count-series times; None: UTC
    series: tuple | None = None  # a count-series input, read: (tag, interval ms, windows)

    @property
    def source(self) -> str:
        if self.scenario is not None:
            scaled = f", {self.scenario.scale:g} of its volume" if self.scenario.scale != 1.0 else ""
            return f"scenario {self.scenario.name} (seed {self.seed}{scaled})"
        return ", ".join(map(str, self.inputs))

    def title(self, broker: str | None) -> str:
        return self.source + (f" through Kafka at {broker}" if broker else ", in process")

    def fraction(self, clock: int) -> float | None:
        """Share of the scenario's event time done, or of a JSON Lines file read (None when unknown)."""
        if self.scenario is None:
            return None if self.follow else self.share.value
        if clock < 0:
            return None
        span = self.scenario.end - self.scenario.start
        return min(1.0, max(0.0, (clock - self.scenario.start) / span))

    def reporter(self, view):
        def on_progress(clock: int, events: int, rate: float) -> None:
            view.progress(position=clock, fraction=self.fraction(clock), rate=rate, events=events)
        return on_progress

    def truth(self, stop) -> dict | None:
        return scenario_labels(self.scenario, self.seed) if self.scenario is not None and not stop() else None


def _in_process(settings: Settings, job: _Job, view, stop) -> Summary:
    metrics, trends = Metrics(top_k=settings.top_k), TrendView(settings.top_k)
    pipeline = Pipeline(settings, metrics, trends)
    readiness = pipeline.readiness = Readiness(recovering=False,
                                               seen=lambda: pipeline.clock() >= 0 or readiness.inputs > 0)
    server = _metrics_server(metrics, settings, trends, readiness)
    try:
        click.echo(f"trendwatch run: {job.source}, in process; page and API on {server.url}/, "
                   f"metrics on {server.url}/metrics")
        with view:
            summary = _process(job, pipeline, view, stop)
            view.progress(done=True)
        for line in describe_rejected(summary):
            click.echo(line, err=True)
        sizes = (format_duration(job.series[1]),) if job.series is not None else settings.window_sizes
        for line in describe_summary(summary, job.truth(stop), sizes):
            click.echo(line)
        if not stop():
            for line in next_steps(None if job.follow else server.port, job.demo):
                click.echo(line)
        if job.follow and (job.scenario is not None or job.series is not None) and not stop():
            click.echo(f"Following: the page, API and metrics stay up on {server.url}/ until Ctrl-C.")
            while not stop():
                time.sleep(0.2)
    finally:
        server.stop()
    return summary


def _process(job: _Job, pipeline: Pipeline, view, stop) -> Summary:
    """The input through the pipeline (a count series: its own detector), shown on ``view`` and the page."""
    if job.series is not None:
        summary = run_counts(job.inputs[0], series=job.series, on_alert=view.alert, metrics=pipeline.metrics,
                             view=pipeline.detect.view, on_windows=view.windows, readiness=pipeline.readiness)
        view.progress(position=summary.last_ts, fraction=1.0, events=summary.windows, unit="rows/s",
                      rate=summary.windows / max(summary.seconds, 1e-9))
        return summary
    records = (scenario_records(job.scenario, job.seed) if job.scenario is not None
               else file_records(job.inputs, tag=job.tag, follow=job.follow, stop=stop, share=job.share,
                                 tz=job.tz or _UTC))
    pipeline.on_windows = view.windows
    return run_pipeline(records, pipeline, speed=job.pace, on_alert=view.alert, stop=stop,
                        on_progress=job.reporter(view))


def _on_kafka(settings: Settings, job: _Job, view, stop) -> Summary:
    settings = run_settings(settings)
    events = (generate(job.scenario, job.seed) if job.scenario is not None
              else read_events(job.inputs, tag=job.tag, tz=job.tz or _UTC))
    click.echo(f"trendwatch run: {job.source} through Kafka at {settings.broker} (topics {settings.topic('*')}); "
               f"worker metrics on http://{settings.bind}:{settings.metrics_port}/metrics")
    with view:
        summary = run_on_kafka(settings, events, pace=job.pace, on_alert=view.alert, stop=stop,
                               on_progress=job.reporter(view), on_windows=view.windows)
        view.progress(done=True)
    for line in describe_summary(summary, job.truth(stop)):
        click.echo(line)
    return summary
