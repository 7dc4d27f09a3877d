"""``trendwatch replay FILE...``: send historical posts to Kafka in event-time order.

Progress is checkpointed to a state file (every couple of seconds, after the
broker acknowledged everything sent so far, and on Ctrl-C/SIGTERM), so
``--resume`` continues after the last delivered event without duplicates.
After a hard kill (SIGKILL, power loss) the checkpoint lags behind what was
delivered: the state also holds the end offset of every partition and every
record carries the replay's run id, so the resumed replay counts the events
delivered after the checkpoint on each partition and does not send them again
(``streams.kafka.delivery``). A ``--out`` file gets the events since the last
checkpoint again after a hard kill.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import click

from detectors.events import InvalidEvent, parse_timestamp
from streams.commands.options import producer_options, security_options, timezone_option
from streams.errors import InputError, UsageError
from streams.kafka.delivery import count_delivered, end_offsets
from streams.kafka.producer import KafkaSink
from streams.settings import Settings
from streams.sources.pacing import FileSink, GracefulStop, Progress, Tee, parse_speed, pump
from streams.sources.replay import DEFAULT_REORDER, ReplayStats, read_events, scan

__all__ = ["replay", "ReplayState"]

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 2.0


class ReplayState:
    """How far a replay got, in a JSON file replaced atomically.

    ``{"fingerprint", "sent", "done"}`` and, for Kafka, ``"run"`` (the id in
    every record's header), ``"ends"`` (end offset per partition) and
    ``"skip"`` (events per partition still to drop as already delivered).
    """

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

    def save(self, sent: int, done: bool, **kafka) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"fingerprint": self.fingerprint, "sent": sent, "done": done, **kafka}))
        os.replace(tmp, self.path)


class KafkaPosition:
    """Where a replay stands on the topic: its run id, the partitions' end offsets, what to skip.

    ``start`` prepares a fresh run, or one resuming ``previous`` (the saved
    state): it counts what the interrupted run delivered after its last
    checkpoint and has the sink skip exactly that.
    """

    def __init__(self, sink: KafkaSink | None, run: str):
        self.sink, self.run, self.ends = sink, run, {}

    @staticmethod
    def run_id(previous: dict | None) -> str:
        """The run id to tag records with: the interrupted run's, or a new one."""
        return previous["run"] if previous and "run" in previous else uuid.uuid4().hex

    def start(self, settings: Settings, previous: dict | None) -> None:
        """Set up the sink: its partitions' end offsets, and the delivered events it must skip."""
        sink = self.sink
        if sink is None:
            return
        if not previous or previous.get("run") != self.run or previous.get("partitions") != sink.partitions:
            if previous and previous.get("sent"):
                log.warning("no partition offsets to resume from: events since the last checkpoint are sent again")
            self.ends = end_offsets(settings, sink.topic, sink.partitions)
            return
        since = {int(p): offset for p, offset in previous["ends"].items()}
        counts, self.ends = count_delivered(settings, sink.topic, since, self.run)
        for p, n in previous.get("skip", {}).items():
            counts[int(p)] = counts.get(int(p), 0) + n
        sink.skip = {p: n for p, n in counts.items() if n > 0}

    def state(self) -> dict:
        """The Kafka part of a checkpoint, taken right after a flush."""
        if self.sink is None:
            return {}
        return {"run": self.run, "partitions": self.sink.partitions, "ends": {**self.ends, **self.sink.acked},
                "skip": dict(self.sink.skip)}


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


def _checkpointed(events, sink, state: ReplayState, skip: int, counter: list, position: KafkaPosition):
    """Yield events; every few seconds first flush the sink and record what was delivered."""
    last = time.monotonic()
    for event in events:
        if time.monotonic() - last >= CHECKPOINT_SECONDS:
            sink.flush()
            state.save(skip + counter[0], done=False, **position.state())
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
@click.option("--timezone", "timezone_name", default="UTC", show_default=True, metavar="ZONE",
              help="Time zone of count-series times written without an offset (IANA name or +HH:MM).")
@click.option("--skip-bad", is_flag=True, help="Count and skip bad lines instead of refusing to start.")
@click.option("--resume", is_flag=True, help="Continue an interrupted replay of the same files and options.")
@click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Progress file [default: <data_dir>/replay/<fingerprint>.json].")
@click.option("--reorder", type=click.IntRange(0, 10_000_000), default=DEFAULT_REORDER, show_default=True,
              help="Events held back per file to restore event-time order.")
@producer_options
@security_options
@click.option("--check", is_flag=True, help="Only check the input: count events and report bad lines; send nothing.")
def replay(files, broker, topic_prefix, partitions, out, speed, since, until, tag, timezone_name, skip_bad, resume,
           state_path, reorder, record_bytes, compression, progress, check, security) -> None:
    """Replay historical posts (JSONL/CSV, .gz) or count series in event-time order."""
    pace = parse_speed(speed)
    window = {"since": _time_option(since, "--from"), "until": _time_option(until, "--to"),
              "tz": timezone_option(timezone_name)}
    if check:
        _check_only(files, tag, window)
        return
    settings = Settings.build({"broker": broker, "topic_prefix": topic_prefix, "partitions": partitions,
                               **security})
    to_kafka = out is None or broker is not None
    target = f"{settings.broker}/{settings.topic('posts')}" if to_kafka else ""
    target += f" {out.resolve()}" if out is not None else ""
    options = {"tag": tag, "skip_bad": skip_bad, "reorder": reorder, **window, "tz": timezone_name}
    fingerprint = _fingerprint(list(files), target, options)
    state = ReplayState(state_path or Path(settings.data_dir).expanduser() / "replay" / f"{fingerprint}.json",
                        fingerprint)
    previous = state.load() if resume else None
    skip = _resume_point(state, previous) if resume else 0
    if skip is None:
        click.echo("Nothing to resume: that replay already finished.", err=True)
        return
    total = None if skip_bad else _refuse_bad_input(files, tag, window) - skip
    log.info("replay files=%s target=%s speed=%s resume_from=%d %s", [str(f) for f in files], target,
             speed, skip, settings.describe())
    run = KafkaPosition.run_id(previous)
    kafka = KafkaSink(settings, max_record_bytes=record_bytes, compression=compression, run=run) if to_kafka else None
    position = KafkaPosition(kafka, run)
    position.start(settings, previous)
    sinks = ([kafka] if kafka is not None else []) + ([FileSink(out, append=skip > 0)] if out is not None else [])
    show = progress if progress is not None else sys.stderr.isatty()
    _run(files, Tee(sinks), state, skip, pace, options, Progress(sys.stderr, total=total) if show else None,
         position)


def _resume_point(state: ReplayState, data: dict | None) -> int | None:
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


def _run(files, sink: Tee, state: ReplayState, skip: int, pace, options: dict, progress: Progress | None,
         position: KafkaPosition) -> None:
    stats = ReplayStats()
    events = read_events(files, tag=options["tag"], since=options["since"], until=options["until"],
                         skip_bad=options["skip_bad"], reorder=options["reorder"], stats=stats,
                         tz=timezone_option(options["tz"]))
    counter = [0]
    began = time.monotonic()
    state.save(skip, done=False, **position.state())
    with GracefulStop() as stop:
        stream = _checkpointed(itertools.islice(events, skip, None), sink, state, skip, counter, position)
        sent = pump(stream, sink, pace, progress, stop=stop)
    sink.close()
    finished = not stop.requested
    state.save(skip + sent, done=finished, **position.state())
    if progress is not None:
        progress.done()
    elapsed = max(time.monotonic() - began, 1e-9)
    already = position.sink.skipped if position.sink is not None else 0
    notes = [f"{already} delivered before the interruption, not sent again"] if already else []
    notes += [f"{stats.bad} bad line(s) skipped"] if stats.bad else []
    notes += [f"{stats.out_of_order} event(s) beyond the reorder buffer sent late"] if stats.out_of_order else []
    click.echo(f"{sent - already} events in {elapsed:.1f}s ({(sent - already) / elapsed:,.0f} events/s)"
               + (f"; {', '.join(notes)}" if notes else ""))
    if not finished:
        click.echo(f"Stopped after {skip + sent} events; continue with the same command and --resume.", err=True)
        raise SystemExit(130)
