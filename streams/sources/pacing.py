"""Moving a stream of event dicts into a sink at a chosen speed, with progress on stderr.

``pump(events, sink, speed)`` sends every event; at a finite ``speed`` it keeps
event time ``speed`` times faster than wall-clock time (pushing partly
filled records out before it waits), at ``None`` (``max``) it does not wait.
``FileSink`` writes JSON Lines, gzip-compressed when the name ends in ``.gz``
(with a fixed header, so the same events give the same bytes).

>>> import io
>>> out = io.BytesIO()
>>> sink = FileSink(out)
>>> pump([{"ts": 1}, {"ts": 2}], sink, speed=None)
2
>>> out.getvalue()
b'{"ts":1}\\n{"ts":2}\\n'
"""

from __future__ import annotations

import gzip
import io
import signal
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, TextIO

from streams.errors import InputError, UsageError
from streams.kafka.producer import encode_event

__all__ = ["FileSink", "Tee", "Progress", "GracefulStop", "pump", "parse_speed"]


def parse_speed(text: str | None) -> float | None:
    """``"max"`` -> None (no waiting); ``"60"`` -> 60.0 (60x real time).

    >>> parse_speed("max"), parse_speed("2.5")
    (None, 2.5)
    """
    if text is None or str(text).strip().lower() == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = -1.0
    if not speed > 0 or speed == float("inf"):
        raise UsageError(f"--speed must be a positive number (times real time) or 'max', not {text!r}")
    return speed


class FileSink:
    """JSON Lines to a path (``.gz``: gzip) or to an open binary file.

    ``append=True`` adds to an existing file (a gzip file gets a new member,
    which gzip readers read as one stream).
    """

    def __init__(self, target: str | Path | io.BufferedIOBase, append: bool = False):
        self._own = not hasattr(target, "write")
        try:
            raw = open(target, "ab" if append else "wb") if self._own else target
        except OSError as exc:
            raise InputError(f"cannot write {target}: {exc.strerror}") from None
        self._raw = raw
        self._out = raw
        if self._own and str(target).endswith(".gz"):
            self._out = gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=6, mtime=0)
        self.events = 0

    def send(self, event: dict) -> None:
        self._out.write(encode_event(event) + b"\n")
        self.events += 1

    def push(self) -> None:
        self._out.flush()

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        if self._out is not self._raw:
            self._out.close()
        if self._own:
            self._raw.close()
        else:
            self._raw.flush()


class Tee:
    """Sends every event to several sinks."""

    def __init__(self, sinks: list):
        self.sinks = sinks

    def send(self, event: dict) -> None:
        for sink in self.sinks:
            sink.send(event)

    def push(self) -> None:
        for sink in self.sinks:
            sink.push()

    def flush(self) -> None:
        for sink in self.sinks:
            sink.flush()

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


class Progress:
    """A one-line progress report on a terminal stream, refreshed at most once a second."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic, every: float = 1.0,
                 total: int | None = None):
        self.stream, self.clock, self.every, self.total = stream, clock, every, total
        self.began = self._last = clock()
        self.count, self.position = 0, None

    def update(self, count: int, ts: int | None) -> None:
        self.count, self.position = count, ts
        now = self.clock()
        if now - self._last >= self.every:
            self._last = now
            self._write("\r")

    def _write(self, prefix: str, end: str = "") -> None:
        elapsed = max(self.clock() - self.began, 1e-9)
        where = "-" if self.position is None else \
            datetime.fromtimestamp(self.position / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        done = f"/{self.total:,} ({100 * self.count / max(self.total, 1):.0f}%)" if self.total else ""
        self.stream.write(f"{prefix}{self.count:,}{done} events  {self.count / elapsed:,.0f} events/s  "
                          f"event time {where}{end}")
        self.stream.flush()

    def done(self) -> None:
        self._write("\r", "\n")


class GracefulStop:
    """Turns the first Ctrl-C (SIGINT) or SIGTERM into a request to stop; a second one interrupts.

    Used as a context manager around ``pump(..., stop=flag)``, so a stop lands
    between two events, never inside a send. Outside the main thread it
    installs nothing and never requests a stop.
    """

    def __init__(self):
        self.requested = False
        self._saved: dict = {}

    def __call__(self) -> bool:
        return self.requested

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)
        self._saved.clear()


def pump(events: Iterable[dict], sink, speed: float | None, progress: Progress | None = None,
         stop: Callable[[], bool] | None = None, clock: Callable[[], float] = time.monotonic,
         sleep: Callable[[float], None] = time.sleep) -> int:
    """Send ``events`` to ``sink`` in order, paced to ``speed``; returns how many were sent.

    Stops early, between two events, once ``stop()`` is true. The sink is
    neither flushed nor closed here: the caller decides what was delivered.
    """
    sent, first_ts, began, ts = 0, None, clock(), None
    for event in events:
        if stop is not None and stop():
            break
        ts = event["ts"]
        if speed is not None:
            if first_ts is None:
                first_ts, began = ts, clock()
            due = began + (ts - first_ts) / 1000 / speed
            if due > clock():
                sink.push()
                while (wait := due - clock()) > 0 and not (stop is not None and stop()):
                    sleep(min(wait, 0.25))
                if stop is not None and stop():
                    break
        sink.send(event)
        sent += 1
        if progress is not None and (speed is not None or not sent & 1023):
            progress.update(sent, ts)
    if progress is not None:
        progress.update(sent, ts)
    return sent
