"""What the worker's ``detect`` agent does: closed windows in, alerts out.

``DetectFlow`` feeds each window read from ``hashtag-windows`` (one partition,
so one detector sees every tag in order; windows come in batch records,
``streams.worker.window_records``) to the ``Detect`` stage and sends the
alert steps to ``trend-alerts`` (key = hashtag). Its state — the detector, the
offset of the last window it applied, and the recent windows it has scored —
is checkpointed into the ``detect-state`` table's changelog every
``streams.worker.acks.CHECKPOINT_SECONDS``, and input messages are acknowledged only after that,
as in ``streams.worker.count_flow``.

Order: every ``hashtag-mentions`` partition publishes its windows and then its
watermark (``streams.worker.count_flow``). Windows wait in a buffer until every partition's
watermark has passed their end, then go to the stage in the order of their
end, with that watermark, so the detector sees whole moments, as in the
embedded runner, whatever the number of partitions, and completes (alerts on)
each as soon as the watermark has passed it rather than when the next moment
arrives (one fast window later). Once every partition has said it is idle-flushed
(``"flushed": true`` in its watermark record: its input is done, upstream
too), the buffer is released and the moments the model holds back are
completed; a wall clock here would race the count agent's own flushes.

Delivery: a window is applied once (by offset, and by its identity: the count
stage may publish a window again after its own restart, or as a late
correction; detection uses the first). After a crash of the detect agent the
alerts sent since its last checkpoint are sent again, identical.
"""

from __future__ import annotations

import logging
import pickle

import orjson

from detectors._native import WindowInbox, windows_batch
from streams.stages import Detect
from streams.worker.acks import AckAfterCheckpoint
from streams.worker.chunks import CHUNK_BYTES, split
from streams.worker.window_records import WATERMARK_KEY, decode_batch

__all__ = ["DetectFlow", "CHUNK_BYTES", "KEEP_MOMENTS"]

log = logging.getLogger(__name__)

KEEP_MOMENTS = 48
"""Moments remembered to recognise a window published again: the latest ``2 * KEEP_MOMENTS``
(size, end) pairs (``WindowInbox``), about 7 hours with 5-minute and 1-hour windows. The count agent checkpoints
at least every ``streams.worker.count_flow.CHECKPOINT_EVENT_MS`` of event time, so what it
publishes again after a kill is that recent."""
_HEAD = b"detect/head"


class DetectFlow(AckAfterCheckpoint):
    """The per-message work of the ``detect`` agent (see the module docstring)."""

    def __init__(self, app, settings, table, metrics=None, view=None):
        super().__init__(app)
        self.settings, self.table, self.metrics, self.view = settings, table, metrics, view
        self.owns = False
        self.alerts_topic = settings.topic("trend-alerts")
        self.windows_topic = settings.topic("hashtag-windows")
        self.detect: Detect | None = None
        self.applied = -1
        self.inbox: WindowInbox | None = None
        """The windows between their record and the model (``detectors._native.WindowInbox``): sizes the
        model ignores dropped, windows published again recognised, the rest held until released."""
        self.watermarks: dict[int, int] = {}
        self.released = -1
        self.flushed: set[int] = set()
        """Mentions partitions whose last watermark record was an idle flush."""
        self._held = False  # windows went to the model since its last flush
        self.alerts_sent = 0
        self._dirty = False
        self._slot = 0

    def stage(self) -> Detect:
        """The stage, restored from the table the first time it is needed."""
        if self.detect is None:
            self._restore(dict(self.table.data.items()))
        return self.detect

    def _restore(self, items: dict) -> None:
        head = items.get(_HEAD)
        if head is None:
            self.detect, self.applied = Detect.from_settings(self.settings, self.metrics, self.view), -1
            self.inbox = self._new_inbox()
            self.watermarks, self.released, self.flushed = {}, -1, set()
            return
        meta = orjson.loads(head)
        slot = meta["slot"]
        blob = b"".join(items[f"detect/{slot}/{i}".encode()] for i in range(meta["chunks"]))
        model, inbox, buffer, self.watermarks, self.released, *rest = pickle.loads(blob)  # buffer: None now
        self.flushed, self._held = rest if rest else (set(), True)  # a state saved before these two
        self.detect = Detect.restore(model, self.metrics, self.view)
        if isinstance(inbox, bytes):
            self.inbox = WindowInbox.from_state(inbox)
        else:  # saved with the seen windows (a dict) and the waiting ones (Window records) in Python
            self.inbox = self._new_inbox()
            for (size_ms, end), tags in inbox.items():
                self.inbox.load_seen(size_ms, end, sorted(tags))
            self.inbox.load_waiting(windows_batch(buffer))
        self.applied, self._slot = meta["offset"], slot
        log.info("detect state restored: %d bytes, windows applied up to offset %d", len(blob), self.applied)

    async def on_windows(self, event) -> None:
        message = event.message
        stage = self.stage()
        if message.offset <= self.applied:
            return
        self.applied = message.offset
        self._dirty = True
        try:
            if event.key == WATERMARK_KEY:
                data = orjson.loads(event.value)
                watermark = data["watermark"]
                await self._on_watermark(int(data["partition"]), int(data["partitions"]),
                                         None if watermark is None else int(watermark), data.get("flushed") is True)
                return
            batch = decode_batch(event.key, event.value)
        except (orjson.JSONDecodeError, TypeError, KeyError, ValueError) as exc:
            log.error("%s[%d]@%d: not a window record, skipped: %r", message.topic, message.partition,
                      message.offset, exc)
            return
        late = self.inbox.add(batch, self.released)
        if len(late):  # windows of moments already complete: each scored alone
            await self._send(stage.process(late))

    async def _on_watermark(self, partition: int, partitions: int, watermark: int | None, flushed: bool) -> None:
        if watermark is not None:
            self.watermarks[partition] = max(watermark, self.watermarks.get(partition, watermark))
        everyone = range(partitions)
        (self.flushed.add if flushed else self.flushed.discard)(partition)
        if flushed and all(p in self.flushed for p in everyone) and (len(self.inbox) or self._held):
            await self._release(None)  # all input done: complete what is held back
            await self._send(self.detect.flush())
            self._held = False
        elif all(p in self.watermarks for p in everyone):
            await self._release(min(self.watermarks[p] for p in everyone))

    async def _release(self, upto: int | None) -> None:
        """Hand the waiting windows ending at or before ``upto`` (None: all) to the stage, in order."""
        ready = self.inbox.release(upto)
        if not len(ready):
            return
        self.released = max(self.released, ready.max_end())
        self._held = True
        await self._send(self.detect.process(ready, upto))

    def _new_inbox(self) -> WindowInbox:
        scorer = self.detect.model.scorer
        return WindowInbox(scorer.fast_ms, scorer.slow_ms, 2 * KEEP_MOMENTS)

    async def _send(self, alerts) -> None:
        for alert in alerts:
            await self.app.producer.send(self.alerts_topic, alert.hashtag.encode("utf-8"),
                                         orjson.dumps(alert.to_dict()), None, None, None)
        self.alerts_sent += len(alerts)

    def on_recovered(self, assigned) -> None:
        """After a rebalance: forget the stage (and the API's view) unless this worker still owns the windows."""
        self.owns = any(tp.topic == self.windows_topic for tp in assigned)
        if not self.owns:
            self.detect, self.pending = None, []
            if self.view is not None:
                self.view.clear()

    async def tick(self) -> None:
        """Timer: checkpoint when due."""
        if self.detect is not None and (self._dirty or self.pending) and self.checkpoint_due:
            await self.checkpoint()

    def state_records(self) -> list:
        """The detector state, for the table's changelog (``AckAfterCheckpoint``), if it changed.

        Chunks (at most ``streams.worker.chunks.CHUNK_BYTES`` each) alternate between two slots and
        the head naming the slot is written last, so a crash while writing leaves the previous state whole.
        """
        if not self._dirty or self.detect is None:
            return []
        state = (self.detect.snapshot(), self.inbox.state(), None, self.watermarks, self.released, self.flushed,
                 self._held)
        blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        chunks = split(blob, CHUNK_BYTES)
        self._slot, self._dirty = 1 - self._slot, False
        changelog = self.table.changelog_topic.get_topic_name()
        records = [(changelog, f"detect/{self._slot}/{i}".encode(), chunk, 0) for i, chunk in enumerate(chunks)]
        head = {"slot": self._slot, "chunks": len(chunks), "offset": self.applied}
        return records + [(changelog, _HEAD, orjson.dumps(head), 0)]
