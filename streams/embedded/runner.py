"""The embedded runner: the worker's stages as plain function calls, no broker.

``Pipeline`` wires the very stage objects the Faust agents use:
posts records -> ``Extract`` -> ``Count`` -> ``Detect`` -> alerts. Records come
from the simulator (``scenario_records``) or from files (``file_records``:
JSON Lines lines go to ``Extract`` as they are; CSV posts and count series go
through the replayer's readers first). ``run`` pumps records through a
pipeline, optionally at ``speed`` times real time, and returns a ``Summary``.

Examples
--------
>>> from streams.sources.scenario import load_scenario
>>> from streams.settings import Settings
>>> pipeline = Pipeline(Settings())
>>> summary = run(scenario_records(load_scenario("surge-flash").scaled(0.05), seed=1), pipeline)
>>> summary.posts > 0, summary.rejected
(True, 0)
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from detectors._native import ClosedWindows
from detectors.events import encode_events
from detectors.records import Alert, Rejected
import orjson
from prometheus_client import CollectorRegistry

from streams.errors import InputError
from streams.observe.metrics import Metrics
from streams.sources.formats import BadLine, open_binary
from streams.sources.replay import read_events
from streams.sources.simulator import generate
from streams.stages import Count, Detect, Extract
from streams.stages.count import windows_of
from streams.stages.extract import JoinedLines, LineBlock

__all__ = ["Pipeline", "Summary", "ReadShare", "run", "scenario_records", "file_records", "bad_lines", "BATCH",
           "RECORD_BYTES", "SHOWN_BAD"]

log = logging.getLogger(__name__)

BATCH = 4096
"""Events per record handed to ``Extract`` (the record aggregation of the producers)."""
RECORD_BYTES = 256 * 1024
"""Size of the aggregated records made of JSON Lines input (Extract accepts up to 1 MiB)."""
SHOWN_BAD = 20
"""Rejected input lines a run keeps (and reports) by name; the rest are counted."""
_JSONL = (".jsonl", ".ndjson", ".json")
PROGRESS_SECONDS = 0.5
"""How often (wall time) ``run`` reports progress, and its longest sleep at a finite speed."""


class Pipeline:
    """Extract -> Count -> Detect in one process, one partition, sharing ``metrics``; ``view``
    (a ``streams.observe.view.TrendView``) is fed by ``Detect`` for the HTTP API."""

    def __init__(self, settings, metrics=None, view=None):
        self.metrics = metrics if metrics is not None else Metrics(CollectorRegistry())
        metrics = self.metrics
        self.extract = Extract.from_settings(settings, metrics, partitions=1)
        self.count = Count.from_settings(settings, metrics=metrics)
        self.detect = Detect.from_settings(settings, metrics, view)
        self.tags: set[str] = set()
        self.first_window = -1
        self.on_windows: Callable[[list], None] | None = None
        """Called with every batch of closed windows (the live view's input)."""
        self.on_verdicts: Callable[[list], None] | None = None
        """Called with the detector's verdicts (window, score, observed, expected) of every batch (reports)."""
        self.bad: list[BadLine] = []
        self.readiness = None
        """A ``streams.observe.readiness.Readiness`` told of every batch in hand (``/readyz`` sees a stall)."""

    def feed(self, records: list[bytes]) -> tuple[list[Alert], int]:
        """Push a batch of ``posts`` records through; the alerts and the number of rejected events.

        The first ``SHOWN_BAD`` rejected events are kept in ``bad`` (with
        ``file:line`` when they came from a file) and logged.
        """
        if self.readiness is None:
            return self._feed(records)
        with self.readiness.working(len(records), "pipeline"):
            return self._feed(records)

    def _feed(self, records: list[bytes]) -> tuple[list[Alert], int]:
        by_partition, rejected = self.extract.process_packed(records)
        if rejected and len(self.bad) < SHOWN_BAD:
            for bad in bad_lines(records, rejected)[:SHOWN_BAD - len(self.bad)]:
                log.warning("rejected %s", bad)
                self.bad.append(bad)
        windows = self.count.process_batch(by_partition.get(0, b""))
        self._seen(windows)
        return self._detect(windows), len(rejected)

    def finish(self) -> list[Alert]:
        """End of input: close every window and complete every pending moment."""
        windows = self.count.flush()
        self._seen(windows)
        alerts = self._detect(windows)
        alerts += self.detect.flush()
        if self.on_verdicts is not None:
            self.on_verdicts(self.detect.model.last_verdicts)
        return alerts

    def _detect(self, windows) -> list[Alert]:
        alerts = self.detect.process(windows)
        if self.on_verdicts is not None:
            self.on_verdicts(self.detect.model.last_verdicts)
        return alerts

    def clock(self) -> int:
        """Latest event time seen (epoch ms, -1 before any)."""
        return self.extract.clock(None)

    def _seen(self, windows) -> None:
        """Windows closed (``Window`` records, or a native batch: made records only for ``on_windows``)."""
        if not windows:
            return
        native = isinstance(windows, ClosedWindows)
        if self.on_windows is not None:
            self.on_windows(windows_of(windows) if native else windows)
        if self.first_window < 0:
            self.first_window = windows.min_start() if native else min(w.window_start for w in windows)
        if len(self.tags) < 5_000_000:
            self.tags.update(windows.hashtags() if native else (w.hashtag for w in windows))


@dataclass
class Summary:
    """What a run saw and said."""

    posts: int = 0
    engagements: int = 0
    rejected: int = 0
    windows: int = 0
    first_ts: int = -1
    last_ts: int = -1
    seconds: float = 0.0
    alerts: list[Alert] = field(default_factory=list)
    tags_seen: int = 0
    bad: list[BadLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def episodes(self) -> list[Alert]:
        """The ``started`` alerts: one per episode (kind upgrades start a new one)."""
        return [a for a in self.alerts if a.state == "started"]


def scenario_records(scenario, seed: int = 0, batch: int = BATCH) -> Iterator[bytes]:
    """The simulator's events as aggregated ``posts`` records (JSON arrays of ``batch`` events)."""
    events = generate(scenario, seed)
    while chunk := list(itertools.islice(events, batch)):
        yield orjson.dumps(chunk)  # the bytes of encode_events, four times faster


class ReadShare:
    """How much of an input file has been read: ``value`` from 0 to 1, None while unknown."""

    def __init__(self):
        self.value: float | None = None

    def update(self, handle, size: int) -> None:
        raw = getattr(handle, "fileobj", handle)  # a gzip file: the compressed bytes read so far
        if size > 0:
            self.value = min(1.0, raw.tell() / size)


def _jsonl_lines(path: Path, batch: int, follow: bool, stop: Callable[[], bool],
                 share: ReadShare | None = None) -> Iterator[list[bytes]]:
    """Records of up to ``batch`` lines and about ``RECORD_BYTES``, read in large chunks.

    A chunk's whole lines go to ``Extract`` as they are (a ``LineBlock``: the native
    core strips and joins them) when they are at most ``batch``; more (short lines) are
    split here into ``JoinedLines`` of ``batch`` lines: the same records either way.
    Each record's ``origin`` is ``(path, line numbers)`` (a ``LineBlock``'s: ``(path,
    number of its first line)``), so rejected lines can be named.
    """
    with open_binary(path, native=True) as handle:
        rest, number = b"", 0
        while True:
            chunk = handle.read(RECORD_BYTES)
            if share is not None:
                share.update(handle, path.stat().st_size)
            if not chunk:
                if not follow or stop():
                    break
                time.sleep(0.5)
                continue
            end = chunk.rfind(b"\n") + 1
            if not end:
                rest += chunk
                continue
            block, rest = LineBlock(b"".join((rest, memoryview(chunk)[:end]))), chunk[end:]
            lines = block.newlines()
            if lines <= batch:
                if not block.isspace():
                    block.origin = (str(path), number + 1)
                    yield [block]
            else:
                numbered = block.numbered(number + 1)
                for i in range(0, len(numbered), batch):
                    yield [_located(path, numbered[i:i + batch])]
            number += lines
        if rest.strip():
            yield [_located(path, [(number + 1, rest.strip())])]
        if not follow and hasattr(handle, "finish"):
            handle.finish()


def _located(path: Path, numbered: list[tuple[int, bytes]]) -> JoinedLines:
    record = JoinedLines.join([line for _, line in numbered])
    record.origin = (str(path), [n for n, _ in numbered])
    return record


def bad_lines(records: list[bytes], rejected: list[Rejected]) -> list[BadLine]:
    """``file:line`` of each rejected event that came from a located record (``_jsonl_lines``).

    >>> record = _located(Path("in.jsonl"), [(3, b'{"v":1}'), (5, b'x')])
    >>> [str(b) for b in bad_lines([record], [Rejected("bad_json", "unexpected x", b"x")])]
    ['in.jsonl:5: bad_json: unexpected x']
    """
    where: dict[bytes, list[tuple[str, int]]] = {}
    for record in records:
        origin = getattr(record, "origin", None)
        if origin is not None:
            path, numbers = origin
            numbered = record.numbered(numbers) if isinstance(record, LineBlock) else zip(numbers, record.lines())
            for n, line in numbered:
                where.setdefault(line, []).append((path, n))
    out = []
    for item in rejected:
        places = where.get(item.raw)
        path, n = places.pop(0) if places else ("<record>", 0)
        out.append(BadLine(path, n, item.reason, item.detail))
    return out


def file_records(paths: Iterable[str | Path], *, tag: str | None = None, batch: int = BATCH,
                 follow: bool = False, stop: Callable[[], bool] = lambda: False,
                 share: ReadShare | None = None, tz: dt.tzinfo = dt.timezone.utc) -> Iterator[list[bytes]]:
    """Batches of ``posts`` records read from files.

    A single JSON Lines file goes to ``Extract`` in aggregated records of up
    to ``batch`` lines and ``RECORD_BYTES`` (bad lines are rejected one by
    one) and can be
    followed as it grows (``share`` then follows how much of it was read); other inputs
    (CSV posts, ``timestamp,value`` count series, several files merged in event
    time) go through ``streams.sources.replay.read_events`` (``tz``: the zone
    of count-series times written without an offset).
    """
    paths = [Path(p) for p in paths]
    name = paths[0].name.lower().removesuffix(".gz") if len(paths) == 1 else ""
    if len(paths) == 1 and tag is None and name.endswith(_JSONL):
        if not paths[0].is_file():
            raise InputError(f"cannot read {paths[0]}: no such file")
        yield from _jsonl_lines(paths[0], batch, follow, stop, share)
        return
    events = read_events(paths, tag=tag, tz=tz)
    while chunk := list(itertools.islice(events, batch)):
        yield [encode_events(chunk)]


def run(records: Iterable[bytes] | Iterable[list[bytes]], pipeline: Pipeline, *, speed: float | None = None,
        on_alert: Callable[[Alert], None] | None = None, stop: Callable[[], bool] = lambda: False,
        on_progress: Callable[[int, int, float], None] | None = None) -> Summary:
    """Pump ``records`` (single records or batches of them) through ``pipeline``.

    At a finite ``speed`` event time runs ``speed`` times faster than wall
    time (the runner sleeps between batches); ``None`` runs flat out.
    ``on_alert`` sees every alert as it fires; ``stop()`` ends the run early.
    ``on_progress(event_time_ms, events, events_per_second)`` is called at
    most every ``PROGRESS_SECONDS`` of wall time and once at the end.
    """
    summary, started = Summary(), time.perf_counter()
    posts0, engagements0 = _events(pipeline.metrics)
    reported = started
    for item in records:
        alerts, rejected = pipeline.feed([item] if isinstance(item, (bytes, bytearray)) else item)
        summary.rejected += rejected
        _emit(alerts, summary, on_alert)
        clock = pipeline.clock()
        if summary.first_ts < 0 and clock >= 0:
            summary.first_ts = clock
        while True:
            if on_progress is not None and time.perf_counter() - reported >= PROGRESS_SECONDS:
                reported = time.perf_counter()
                _progress(on_progress, pipeline, clock, posts0 + engagements0, reported - started)
            ahead = (clock - summary.first_ts) / 1000 / speed - (time.perf_counter() - started) \
                if speed and summary.first_ts >= 0 else 0
            if ahead <= 0 or stop():
                break
            time.sleep(min(ahead, PROGRESS_SECONDS))
        if stop():
            break
    _emit(pipeline.finish(), summary, on_alert)
    if on_progress is not None:
        _progress(on_progress, pipeline, pipeline.clock(), posts0 + engagements0, time.perf_counter() - started)
    summary.last_ts = pipeline.clock()
    summary.first_ts = pipeline.first_window if pipeline.first_window >= 0 else summary.first_ts
    summary.posts, summary.engagements = (a - b for a, b in zip(_events(pipeline.metrics), (posts0, engagements0)))
    summary.windows = pipeline.detect.windows
    summary.tags_seen = len(pipeline.tags)
    summary.bad = list(pipeline.bad)
    summary.seconds = time.perf_counter() - started
    note = pipeline.detect.model.scorer.readiness(summary.last_ts)
    if note is not None:
        summary.notes.append(f"Too short to alert on everything: {note}.")
    return summary


def _progress(on_progress, pipeline: Pipeline, clock: int, before: int, seconds: float) -> None:
    events = sum(_events(pipeline.metrics)) - before
    on_progress(clock, events, events / max(seconds, 1e-9))


def _emit(alerts: list[Alert], summary: Summary, on_alert) -> None:
    summary.alerts += alerts
    if on_alert is not None:
        for alert in alerts:
            on_alert(alert)


def _events(metrics: Metrics) -> tuple[int, int]:
    read = metrics.registry.get_sample_value
    return (int(read("trendwatch_events_total", {"type": "post"}) or 0),
            int(read("trendwatch_events_total", {"type": "engagement"}) or 0))

