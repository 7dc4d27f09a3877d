"""Whether a trendwatch process is ready: recovered, input seen, and not stalled.

``Readiness.check()`` answers ``GET /readyz`` (``streams.observe.api``). A
process is ready once its state is recovered (no rebalance running) and it has
read input; it stays ready while it keeps up. It is *stalled*, and not ready,
when input is waiting for one of its consumers (``source``: an agent of the
worker, or ``run``'s pipeline) and that consumer has processed nothing for
``stall_after`` seconds (default ``STALL_SECONDS``); it is ready again as soon
as that consumer makes progress or nothing waits any more. An idle stream with
nothing waiting stays ready however long it is quiet.

What waits is sampled: ``waiting({source: messages})`` says how much input
waits per consumer (the worker samples its consumer lag every second; ``run``
says how many records its pipeline has in hand). With ``sampled_every`` set,
a sample older than ``stall_after`` is a stall too: the process stopped
looking at its input (e.g. its event loop is blocked). Time is read from
``clock`` (``time.monotonic`` by default), so tests drive it. ``broker(False)``
says the broker did not answer (the worker's topic guard asks every 2 s): the
process is not ready until ``broker(True)``.

Examples
--------
>>> now = [0.0]
>>> ready = Readiness(recovering=False, stall_after=30, clock=lambda: now[0])
>>> ready.input(source="count"); ready.check()
(True, [])
>>> ready.waiting({"count": 120}); now[0] = 31.0
>>> ready.check()
(False, ['count: no input processed for 31 s while 120 messages wait (stalled)'])
>>> ready.input(source="count"); ready.check()
(True, [])
>>> ready.waiting({"count": 0}); now[0] = 600.0
>>> ready.check()
(True, [])
>>> ready.broker(False); now[0] = 612.0; ready.check()
(False, ['broker unreachable for 12 s (waiting for it to come back)'])
>>> ready.broker(True); ready.check()
(True, [])
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Callable, Mapping

__all__ = ["Readiness", "STALL_SECONDS"]

STALL_SECONDS = 30.0
"""Seconds without progress, while input waits, before a consumer counts as stalled."""


class Readiness:
    """Whether this process is ready (see the module docstring).

    Parameters
    ----------
    recovering
        True until the process's state is restored (the worker clears it at its first assignment).
    rebalancing
        Asked at each check (the worker passes its Faust app's flag).
    seen
        Whether input has been read, asked at each check (default: ``input()`` was called).
    stall_after
        Seconds without progress while input waits before a consumer is stalled.
    sampled_every
        How often ``waiting()`` is called; None: irregularly (no staleness check).
    clock
        Seconds, monotonic.
    """

    def __init__(self, recovering: bool = True, rebalancing: Callable[[], bool] = lambda: False,
                 seen: Callable[[], bool] | None = None, stall_after: float = STALL_SECONDS,
                 sampled_every: float | None = None, clock: Callable[[], float] = time.monotonic):
        if not stall_after > 0:
            raise ValueError(f"stall_after must be positive, not {stall_after!r}")
        self.recovering, self.rebalancing, self.seen, self.inputs = recovering, rebalancing, seen, 0
        self.stall_after, self.sampled_every, self.clock = stall_after, sampled_every, clock
        self._progress: dict[str, float] = {}
        self._waiting: dict[str, tuple[int, float]] = {}  # source -> (messages, waiting since)
        self._sampled: float | None = None
        self._unreachable: float | None = None  # since when the broker does not answer
        self._lock = threading.Lock()

    def input(self, n: int = 1, source: str = "input") -> None:
        """Count ``n`` input messages (records) processed by ``source``."""
        with self._lock:
            self.inputs += n
            self._progress[source] = self.clock()

    def waiting(self, pending: Mapping[str, int]) -> None:
        """How many input messages wait per source now (sources not named: none)."""
        now = self.clock()
        with self._lock:
            self._sampled = now
            before = self._waiting
            self._waiting = {source: (n, before[source][1] if source in before else now)
                             for source, n in pending.items() if n > 0}

    def broker(self, reachable: bool) -> None:
        """Whether the broker answered the latest request made to see it."""
        with self._lock:
            if reachable:
                self._unreachable = None
            elif self._unreachable is None:
                self._unreachable = self.clock()

    @contextlib.contextmanager
    def working(self, n: int, source: str = "input"):
        """Around processing ``n`` messages in hand: they wait until done, then count as progress."""
        self.waiting({source: n})
        try:
            yield
        finally:
            self.input(n, source)
            self.waiting({})

    def pending(self) -> dict[str, int]:
        """Input messages waiting per source at the latest sample (sources with none left out)."""
        with self._lock:
            return {source: n for source, (n, _) in sorted(self._waiting.items())}

    def stalls(self) -> list[str]:
        """Why input is not moving (empty: it is, or nothing waits)."""
        now = self.clock()
        with self._lock:
            reasons = []
            if self._unreachable is not None:
                reasons.append(f"broker unreachable for {now - self._unreachable:.0f} s (waiting for it to come back)")
            if self.sampled_every is not None and self._sampled is not None and now - self._sampled >= self.stall_after:
                reasons.append(f"input not checked for {now - self._sampled:.0f} s (the process is stuck or "
                               "overloaded)")
            for source, (n, since) in sorted(self._waiting.items()):
                idle = now - max(since, self._progress.get(source, since))
                if idle >= self.stall_after:
                    reasons.append(f"{source}: no input processed for {idle:.0f} s while "
                                   f"{n:,} {'message waits' if n == 1 else 'messages wait'} (stalled)")
            return reasons

    def check(self) -> tuple[bool, list[str]]:
        """(ready, why not)."""
        reasons = []
        if self.recovering:
            reasons.append("recovering state")
        if self.rebalancing():
            reasons.append("consumer group rebalancing")
        if not (self.seen() if self.seen is not None else self.inputs):
            reasons.append("no input read yet")
        reasons += self.stalls()
        return not reasons, reasons
