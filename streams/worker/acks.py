"""Acknowledge input only once the state it produced is on the broker.

The worker's agents read with ``stream.noack()``: a processed message waits in
``pending`` until the next checkpoint, which writes the state
(``save_state``, one per flow), flushes the producer (so everything sent for
those messages is on the broker) and only then acknowledges them, so Faust
never commits an offset past checkpointed state. ``streams.worker.count_flow.Flow`` and
``streams.worker.detect_flow.DetectFlow`` are the two flows.

A checkpoint never falls inside the handling of a message (``process``): the
handler changes the state and then sends what the change produced (windows,
alerts), and a send may wait (the producer's batch for that partition is
full). A checkpoint taken in that wait would hold the change while its
output is not yet with the producer, so its flush would not cover it; after
a kill the replay skips the message (the state already has it) and the
output is lost. Handlers (``exclusive()``) and checkpoints hold one lock per flow.
"""

from __future__ import annotations

import asyncio
import logging
import time

__all__ = ["AckAfterCheckpoint", "CHECKPOINT_SECONDS"]

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 5.0
"""Seconds between checkpoints (and acknowledgements of input)."""


class AckAfterCheckpoint:
    """Pending acknowledgements and the checkpoint that releases them (see the module docstring)."""

    def __init__(self, app):
        self.app = app
        self.pending: list = []
        self._last_checkpoint = time.monotonic()
        self._lock = asyncio.Lock()

    @property
    def checkpoint_due(self) -> bool:
        return time.monotonic() - self._last_checkpoint >= CHECKPOINT_SECONDS

    def exclusive(self) -> asyncio.Lock:
        """Held while a message is handled (or the state changes otherwise, as in an idle flush) and
        its output sent; a checkpoint waits for it (see the module docstring)."""
        return self._lock

    async def done(self, stream, event) -> None:
        """The agent finished ``event``: ack it with the next checkpoint."""
        self.pending.append((stream, event))
        if self.checkpoint_due:
            await self.checkpoint()

    async def save_state(self) -> int:
        """Send the state changed since the last checkpoint; returns how many records."""
        raise NotImplementedError

    async def checkpoint(self) -> None:
        """Send changed state, flush the producer, then ack the messages it covers."""
        async with self._lock:
            pending, self.pending = self.pending, []
            self._last_checkpoint = time.monotonic()
            records = await self.save_state()
            await self.app.producer.flush()
            for stream, event in pending:
                await stream.ack(event)
            log.debug("%s checkpoint: %d state records, %d messages acked", type(self).__name__, records,
                      len(pending))
