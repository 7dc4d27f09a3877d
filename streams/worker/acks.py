"""Acknowledge input only once the state it produced is on the broker.

The worker's agents read with ``stream.noack()``: a processed message waits in
``pending`` until the next checkpoint, which takes a snapshot of the changed
state (``state_records``, one per flow), flushes the producer (so everything
sent for those messages is on the broker before the state that holds them),
sends the snapshot, flushes again and only then acknowledges them, so Faust
never commits an offset past checkpointed state. ``streams.worker.count_flow.Flow`` and
``streams.worker.detect_flow.DetectFlow`` are the two flows.

A checkpoint never falls inside the handling of a message (``process``): the
handler changes the state and then sends what the change produced (windows,
alerts), and a send may wait (the producer's batch for that partition is
full). A checkpoint taken in that wait would hold the change while its
output is not yet with the producer, so its flush would not cover it; after
a kill the replay skips the message (the state already has it) and the
output is lost. Handlers (``exclusive()``) and the snapshot hold one lock per flow; the flushes
and sends of a checkpoint do not, so agents go on meanwhile (checkpoints run one at a time).
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
        self._checkpointing = asyncio.Lock()

    @property
    def checkpoint_due(self) -> bool:
        return time.monotonic() - self._last_checkpoint >= CHECKPOINT_SECONDS

    def exclusive(self) -> asyncio.Lock:
        """Held while a message is handled (or the state changes otherwise, as in an idle flush) and
        its output sent; a checkpoint takes its snapshot under it (see the module docstring)."""
        return self._lock

    async def done(self, stream, event) -> None:
        """The agent finished ``event``: ack it with the next checkpoint."""
        self.pending.append((stream, event))
        if self.checkpoint_due:
            await self.checkpoint()

    def state_records(self) -> list[tuple[str, bytes, bytes | None, int]]:
        """The state changed since the last checkpoint, as ``(topic, key, value, partition)`` records."""
        raise NotImplementedError

    async def checkpoint(self) -> None:
        """Snapshot the changed state, flush the producer (the output of every change the snapshot
        holds is on the broker before the snapshot is), send the snapshot, flush, then ack the
        messages it covers. One checkpoint at a time; agents wait only for the snapshot."""
        async with self._checkpointing:
            async with self._lock:
                pending, self.pending = self.pending, []
                self._last_checkpoint = time.monotonic()
                records = self.state_records()
            producer = self.app.producer
            await producer.flush()
            for topic, key, value, partition in records:
                await producer.send(topic, key, value, partition, None, None)
            await producer.flush()
            for stream, event in pending:
                await stream.ack(event)
            log.debug("%s checkpoint: %d state records, %d messages acked", type(self).__name__, len(records),
                      len(pending))
