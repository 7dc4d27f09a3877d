"""The replayer's event stream: historical files in, validated events in event-time order out.

``read_events(paths)`` is what ``trendwatch replay`` sends and what the
embedded runner consumes in-process. Each file is read in order
(``streams.sources.formats``), put back in event-time order by a bounded
reorder buffer (input slightly out of order is common in exports), and the
files are merged by event time. ``since``/``until`` keep the events with
``since <= ts < until``. A bad line raises ``InputError`` naming file and
line, unless ``skip_bad`` is set: then it is counted in ``stats`` and skipped.
``scan(paths)`` checks everything without producing, so a replay can refuse
to start on bad input.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiktokrefugee.csv"
>>> _ = path.write_text("timestamp,value\\n1736726400,2\\n1736726460,1\\n")
>>> [(e["ts"], e["hashtags"]) for e in read_events([path])]
[(1736726415000, ['tiktokrefugee']), (1736726445000, ['tiktokrefugee']), (1736726490000, ['tiktokrefugee'])]
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import logging
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from streams.errors import InputError, UsageError
from streams.sources.formats import BadLine, read_file

__all__ = ["read_events", "scan", "ReplayStats", "ScanResult", "DEFAULT_REORDER"]

log = logging.getLogger(__name__)

_END = object()
DEFAULT_REORDER = 10_000
"""Events held back per file to restore event-time order."""
_SHOWN = 20


@dataclass
class ReplayStats:
    """What a replay skipped or could not fully order."""

    bad: int = 0
    out_of_order: int = 0
    bad_lines: list = field(default_factory=list)

    def record_bad(self, bad: BadLine) -> None:
        self.bad += 1
        if len(self.bad_lines) < _SHOWN:
            self.bad_lines.append(bad)
            log.warning("skipping %s", bad)


@dataclass
class ScanResult:
    events: int = 0
    first_ts: int | None = None
    last_ts: int | None = None
    bad: int = 0
    bad_lines: list = field(default_factory=list)


def _checked(path: Path, tag: str | None, skip_bad: bool, stats: ReplayStats, tz: dt.tzinfo) -> Iterator[dict]:
    for _, item in read_file(path, tag, tz):
        if type(item) is BadLine:
            if not skip_bad:
                raise InputError(f"{item} (fix the line, or pass --skip-bad to skip bad lines)")
            stats.record_bad(item)
            continue
        yield item


def _reordered(events: Iterable[dict], capacity: int, stats: ReplayStats) -> Iterator[dict]:
    """Events in ts order within a window of ``capacity`` (ties in input order).

    The buffer is kept sorted: input in order (the common case) is an append
    and a pop; an event older than the newest buffered one is inserted.
    """
    buffer: deque = deque()
    append, pop, last, newest = buffer.append, buffer.popleft, -1, -1
    for seq, event in enumerate(itertools.chain(events, (_END,))):
        if event is not _END:
            ts = event["ts"]
            if ts < newest:
                buffer.insert(bisect.bisect_right(buffer, (ts, seq), key=lambda entry: entry[:2]), (ts, seq, event))
            else:
                append((ts, seq, event))
                newest = ts
        while len(buffer) > (capacity if event is not _END else 0):
            ts, _, out = pop()
            if ts < last:
                stats.out_of_order += 1
            else:
                last = ts
            yield out


def _paths(paths: Iterable[str | Path]) -> list[Path]:
    out = [Path(p) for p in paths]
    if not out:
        raise UsageError("give at least one input file")
    for path in out:
        if not path.is_file():
            raise InputError(f"cannot read {path}: no such file")
    return out


def read_events(paths: Iterable[str | Path], *, tag: str | None = None, since: int | None = None,
                until: int | None = None, skip_bad: bool = False, reorder: int = DEFAULT_REORDER,
                stats: ReplayStats | None = None, tz: dt.tzinfo = dt.timezone.utc) -> Iterator[dict]:
    """Every valid event of ``paths`` in event-time order (the same order every time).

    Parameters
    ----------
    paths
        JSON Lines, CSV posts or count-series CSV files, optionally gzipped.
    tag
        The hashtag of count-series files (default: each file's name).
    since, until
        Keep events with ``since <= ts < until`` (epoch ms).
    skip_bad
        Count and skip bad lines instead of raising ``InputError``.
    reorder
        Events held back per file to put them in event-time order.
    stats
        Receives the counts of skipped and out-of-order events.
    tz
        Time zone of count-series times written without an offset.
    """
    if reorder < 0:
        raise UsageError(f"--reorder must be >= 0, not {reorder}")
    stats = stats if stats is not None else ReplayStats()
    streams = [_reordered(_checked(p, tag, skip_bad, stats, tz), reorder, stats) for p in _paths(paths)]
    merged = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=lambda e: e["ts"])
    if since is None and until is None:
        yield from merged
        return
    low, high = -1 if since is None else since, float("inf") if until is None else until
    for event in merged:
        if low <= event["ts"] < high:
            yield event


def scan(paths: Iterable[str | Path], *, tag: str | None = None, since: int | None = None,
         until: int | None = None, tz: dt.tzinfo = dt.timezone.utc) -> ScanResult:
    """Read everything once without producing: counts, event-time range and bad lines."""
    result = ScanResult()
    for path in _paths(paths):
        for _, item in read_file(path, tag, tz):
            if isinstance(item, BadLine):
                result.bad += 1
                if len(result.bad_lines) < _SHOWN:
                    result.bad_lines.append(item)
                continue
            ts = item["ts"]
            if (since is None or ts >= since) and (until is None or ts < until):
                result.events += 1
                result.first_ts = ts if result.first_ts is None else min(result.first_ts, ts)
                result.last_ts = ts if result.last_ts is None else max(result.last_ts, ts)
    return result
