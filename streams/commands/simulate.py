"""``trendwatch simulate``: generate a labelled scenario to Kafka or to a file."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import click

from streams.commands.options import producer_options, security_options
from streams.errors import InputError
from streams.kafka.producer import KafkaSink
from streams.settings import Settings
from streams.sources.pacing import FileSink, GracefulStop, Progress, Tee, parse_speed, pump
from streams.sources.scenario import load_scenario, scenario_names
from streams.sources.simulator import generate, labels

__all__ = ["simulate"]

log = logging.getLogger(__name__)


def _write_labels(path: Path, truth: dict) -> None:
    try:
        path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write labels to {path}: {exc.strerror}") from None


@click.command()
@click.option("--scenario", "name", default="rednote-2025", show_default=True, metavar="NAME|FILE",
              help="A shipped scenario (see --list) or a YAML file (format: docs/scenarios.md).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="Multiply every volume of the scenario (posts, views, authors).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write JSON Lines here (.gz: gzip-compressed).")
@click.option("--broker", default=None, metavar="URL",
              help="Kafka bootstrap [env TRENDWATCH_BROKER; default kafka://localhost:9092]; "
                   "events go to Kafka unless only --out is given.")
@click.option("--prefix", "topic_prefix", default=None, help="Prefix of the topic names [env TRENDWATCH_TOPIC_PREFIX].")
@click.option("--partitions", type=click.IntRange(1, 1024), default=None,
              help="Partitions of the topics if they must be created [default 4].")
@click.option("--labels", "labels_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the ground truth (surges and decoys, event-time ms) as JSON here.")
@click.option("--speed", default="max", show_default=True, metavar="N|max",
              help="Event time runs N times faster than real time; max = no waiting.")
@producer_options
@security_options
@click.option("--list", "list_only", is_flag=True, help="List the shipped scenarios and exit.")
def simulate(name, seed, scale, out, broker, topic_prefix, partitions, labels_path, speed, record_bytes,
             compression, progress, list_only, security) -> None:
    """Generate post and engagement events of a scenario with known ground truth."""
    if list_only:
        for shipped in scenario_names():
            click.echo(f"{shipped:18} {load_scenario(shipped).description}")
        return
    pace = parse_speed(speed)
    scenario = load_scenario(name).scaled(scale) if scale != 1.0 else load_scenario(name)
    log.info("simulate scenario=%s seed=%d scale=%g speed=%s out=%s", scenario.name, seed, scenario.scale,
             speed, out)
    if labels_path is not None:
        _write_labels(labels_path, labels(scenario, seed))
    sinks = []
    if out is None or broker is not None:
        settings = Settings.build({"broker": broker, "topic_prefix": topic_prefix, "partitions": partitions,
                                   **security})
        log.info("settings %s", settings.describe())
        sinks.append(KafkaSink(settings, max_record_bytes=record_bytes, compression=compression))
    if out is not None:
        sinks.append(FileSink(out))
    _run(generate(scenario, seed), Tee(sinks), pace, progress)


def _run(events, sink: Tee, pace: float | None, show: bool | None) -> None:
    progress = Progress(sys.stderr) if (show if show is not None else sys.stderr.isatty()) else None
    began = time.monotonic()
    sent = 0
    with GracefulStop() as stop:
        sent = pump(events, sink, pace, progress, stop=stop)
    sink.close()
    if progress is not None:
        progress.done()
    elapsed = time.monotonic() - began
    click.echo(f"{sent} events in {elapsed:.1f}s ({sent / max(elapsed, 1e-9):,.0f} events/s)")
    if stop.requested:
        click.echo("Stopped early; the events counted above were delivered.", err=True)
        raise SystemExit(130)
