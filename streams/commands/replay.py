"""``trendwatch replay FILE...``: send historical posts to Kafka in event-time order.

Progress is checkpointed to a state file (every couple of seconds, after the
broker acknowledged everything sent so far, and on Ctrl-C/SIGTERM), so
``--resume`` continues after the last delivered event without duplicates.
After a hard kill (SIGKILL, power loss) the events sent since the last
checkpoint are sent again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import click

from detectors.events import InvalidEvent, parse_timestamp
from streams.errors import InputError, UsageError
from streams.commands.options import producer_options
from streams.output import FileSink, GracefulStop, Progress, Tee, parse_speed, pump
from streams.producer import KafkaSink
from streams.replay import DEFAULT_REORDER, ReplayStats, read_events, scan
from streams.settings import Settings

__all__ = ["replay", "ReplayState"]

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 2.0


class ReplayState:
    """How far a replay got: ``{"fingerprint", "sent", "done"}`` in a JSON file, replaced atomically."""

    def __init__(self, path: Path, fingerprint: str):
        self.path, self.fingerprint = path, fingerprint

    def load(self) -> dict | None:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the replay state {self.path}: {exc}; delete it to start over") from None
        if data.get("fingerprint") != self.fingerprint:
            raise UsageError(f"the inputs or options differ from the replay recorded in {self.path}; "
                             "run without --resume to start over")
        return data

    def save(self, sent: int, done: bool) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"fingerprint": self.fingerprint, "sent": sent, "done": done}))
        os.replace(tmp, self.path)


def _time_option(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_timestamp(int(value) if value.isdigit() else value, name)
    except InvalidEvent:
        raise UsageError(f"{name}: {value!r} is not an RFC 3339 time or epoch ms") from None


def _fingerprint(paths: list[Path], target: str, options: dict) -> str:
    files = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
        files.append([str(path.resolve()), stat.st_size, stat.st_mtime_ns])
    blob = json.dumps({"files": files, "target": target, **options}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _checkpointed(events, sink, state: ReplayState, skip: int, counter: list):
    """Yield events; every few seconds first flush the sink and record what was delivered."""
    last = time.monotonic()
    for event in events:
        if time.monotonic() - last >= CHECKPOINT_SECONDS:
            sink.flush()
            state.save(skip + counter[0], done=False)
            last = time.monotonic()
        yield event
        counter[0] += 1


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--broker", default=None, metavar="URL",
              help="Kafka bootstrap [env TRENDWATCH_BROKER; default kafka://localhost:9092].")
@click.option("--prefix", "topic_prefix", default=None, help="Prefix of the topic names.")
@click.option("--partitions", type=click.IntRange(1, 1024), default=None,
              help="Partitions of the topics if they must be created [default 4].")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write JSON Lines here instead of Kafka (.gz: gzip); with --broker, to both.")
@click.option("--speed", default="max", show_default=True, metavar="N|max",
              help="Event time runs N times faster than real time; max = no waiting.")
@click.option("--from", "since", default=None, metavar="TIME", help="Skip events before this (RFC 3339 or epoch ms).")
@click.option("--to", "until", default=None, metavar="TIME", help="Stop at events from this time on.")
@click.option("--tag", default=None, help="Hashtag of count-series CSV files [default: the file name].")
@click.option("--skip-bad", is_flag=True, help="Count and skip bad lines instead of refusing to start.")
@click.option("--resume", is_flag=True, help="Continue an interrupted replay of the same files and options.")
@click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Progress file [default: <data_dir>/replay/<fingerprint>.json].")
@click.option("--reorder", type=click.IntRange(0, 10_000_000), default=DEFAULT_REORDER, show_default=True,
              help="Events held back per file to restore event-time order.")
@producer_options
@click.option("--check", is_flag=True, help="Only check the input: count events and report bad lines; send nothing.")
def replay(files, broker, topic_prefix, partitions, out, speed, since, until, tag, skip_bad, resume,
           state_path, reorder, record_bytes, compression, progress, check) -> None:
    """Replay historical posts (JSONL/CSV, .gz) or count series in event-time order."""
    pace = parse_speed(speed)
    window = {"since": _time_option(since, "--from"), "until": _time_option(until, "--to")}
    if check:
        _check_only(files, tag, window)
        return
    settings = Settings.build({"broker": broker, "topic_prefix": topic_prefix, "partitions": partitions})
    to_kafka = out is None or broker is not None
    target = f"{settings.broker}/{settings.topic('posts')}" if to_kafka else ""
    target += f" {out.resolve()}" if out is not None else ""
    options = {"tag": tag, "skip_bad": skip_bad, "reorder": reorder, **window}
    state = ReplayState(state_path or Path(settings.data_dir).expanduser() / "replay"
                        / f"{_fingerprint(list(files), target, options)}.json",
                        _fingerprint(list(files), target, options))
    skip = _resume_point(state) if resume else 0
    if skip is None:
        click.echo("Nothing to resume: that replay already finished.", err=True)
        return
    total = None if skip_bad else _refuse_bad_input(files, tag, window) - skip
    log.info("replay files=%s target=%s speed=%s resume_from=%d %s", [str(f) for f in files], target,
             speed, skip, settings.describe())
    sinks = [KafkaSink(settings, max_record_bytes=record_bytes, compression=compression)] if to_kafka else []
    sinks += [FileSink(out, append=skip > 0)] if out is not None else []
    show = progress if progress is not None else sys.stderr.isatty()
    _run(files, Tee(sinks), state, skip, pace, options, Progress(sys.stderr, total=total) if show else None)


def _resume_point(state: ReplayState) -> int | None:
    data = state.load()
    if data is None:
        click.echo(f"No interrupted replay recorded in {state.path}; starting from the beginning.", err=True)
        return 0
    return None if data.get("done") else int(data.get("sent", 0))


def _check_only(files, tag, window) -> None:
    result = scan(files, tag=tag, **window)
    for bad in result.bad_lines:
        click.echo(str(bad))
    span = "" if result.first_ts is None else \
        f" from {_iso(result.first_ts)} to {_iso(result.last_ts)}"
    click.echo(f"{result.events} events{span}; {result.bad} bad line(s)")
    if result.bad:
        raise InputError(f"{result.bad} bad line(s) (first ones listed above)")


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def _refuse_bad_input(files, tag, window) -> int:
    """Check every line before sending anything; return the number of events."""
    result = scan(files, tag=tag, **window)
    if result.bad:
        shown = "; ".join(str(b) for b in result.bad_lines[:3])
        raise InputError(f"{result.bad} bad line(s), nothing sent: {shown}"
                         f"{' ...' if result.bad > 3 else ''} (fix them, or pass --skip-bad)")
    return result.events


def _run(files, sink: Tee, state: ReplayState, skip: int, pace, options: dict, progress: Progress | None) -> None:
    stats = ReplayStats()
    events = read_events(files, tag=options["tag"], since=options["since"], until=options["until"],
                         skip_bad=options["skip_bad"], reorder=options["reorder"], stats=stats)
    counter = [0]
    began = time.monotonic()
    with GracefulStop() as stop:
        stream = _checkpointed(itertools.islice(events, skip, None), sink, state, skip, counter)
        sent = pump(stream, sink, pace, progress, stop=stop)
    sink.close()
    finished = not stop.requested
    state.save(skip + sent, done=finished)
    if progress is not None:
        progress.done()
    elapsed = max(time.monotonic() - began, 1e-9)
    notes = [f"{stats.bad} bad line(s) skipped"] if stats.bad else []
    notes += [f"{stats.out_of_order} event(s) beyond the reorder buffer sent late"] if stats.out_of_order else []
    click.echo(f"{sent} events in {elapsed:.1f}s ({sent / elapsed:,.0f} events/s)"
               + (f"; {', '.join(notes)}" if notes else ""))
    if not finished:
        click.echo(f"Stopped after {skip + sent} events; continue with the same command and --resume.", err=True)
        raise SystemExit(130)
