"""What the worker's agents do with each message, and when state is checkpointed.

``Flow`` adapts Kafka messages to the stages (``Extract``, ``Count``) and back,
and runs the checkpoint protocol: every ``streams.worker.acks.CHECKPOINT_SECONDS`` (and on idle
flushes) it takes a snapshot of the changed count state, flushes the producer
(mentions and windows on the broker), sends the snapshot to the table's
changelog, flushes again, and only then acknowledges the input messages processed before, so that Faust commits
their offsets. Open windows of a mentions partition idle for
``settings.idle_flush`` seconds are flushed (published), once no input is
pending upstream (``streams.worker.backlog``): a slow or dead worker's posts
still to come are no idleness.

Closed windows go to ``hashtag-windows`` in batch records, many windows each
(``streams.worker.window_records``). Each mentions partition also publishes its
watermark there (key ``WATERMARK_KEY``, value ``{"partition", "partitions",
"watermark"}``) whenever it crosses a minute or flushes, so that the detect
agent completes a moment only when every partition has published its windows
for it. The record of an idle flush says ``"flushed": true`` (its watermark may
be null: a partition that never had input); the first message after that, or
after the partition's assignment, is followed by a record without it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time

import orjson
from kafka import TopicPartition

from detectors.records import Mention, Rejected
from streams.stages import Count, Extract
from streams.worker.acks import AckAfterCheckpoint
from streams.worker.backlog import Backlog
from streams.worker.checkpoint import PartitionCounts
from streams.worker.window_records import WATERMARK_KEY, WINDOWS_KEY, batches

__all__ = ["Flow", "CHECKPOINT_EVENT_MS", "CLOCK_EVERY_MS", "DLQ_MAX_BYTES", "HANDLED_KEY", "WATERMARK_KEY",
           "WATERMARK_EVERY_MS", "dead_letter"]

log = logging.getLogger(__name__)

CLOCK_EVERY_MS = 1_000
"""A partition without mentions from a record still gets an (empty) message if the
source's clock moved this much, so that its watermark follows."""
WATERMARK_EVERY_MS = 60_000
"""A mentions partition publishes its watermark when it crosses a multiple of this."""
CHECKPOINT_EVENT_MS = 3_600_000
"""A checkpoint is also due once a partition's watermark has moved this much event time since
the last one. After a kill the replay publishes again the windows closed since the last
checkpoint; the detect agent recognises a window published again only within its last
``streams.worker.detect_flow.KEEP_MOMENTS`` moments, so a stream read fast (a backlog, a
catch-up after a restart: hours of event time in one ``CHECKPOINT_SECONDS``) must not carry
more than that between two checkpoints."""
BACKLOG_EVERY = 1.0
"""Seconds between two queries of the input pending upstream, while a partition waits to flush."""
PACKED = ("fmt", b"packed")
"""The header of a ``hashtag-mentions`` message whose value is packed mentions
(``detectors.windows.pack_mentions``: author names as 64-bit hashes); a message without it is
a JSON array of mention objects (what earlier versions wrote, still read)."""
HANDLED_KEY = b"handled/%d"
"""The ``count-state`` key (with the mentions partition) of the last ``hashtag-mentions`` offset
the count agent handled on that partition, saved with each checkpoint: after a restart the count
agent expects the offset after it (``streams.worker.gaps``), so records the consumer acknowledged
without handing them over before a kill are still found and read."""
DLQ_MAX_BYTES = 512 * 1024
"""Largest dead-letter value; a larger rejected record keeps its first this many bytes (the
producer's request limit is 1 MiB) and says so in its ``truncated`` header."""


def dead_letter(item: Rejected, source: str) -> tuple[bytes, None, list]:
    """``(value, partition, headers)`` of the ``posts-dlq`` message for a rejected record.

    >>> value, _, headers = dead_letter(Rejected("oversize", "too big", b"x" * (DLQ_MAX_BYTES + 5)), "posts:0:7")
    >>> len(value), headers[-1]
    (524288, ('truncated', b'524293'))
    """
    headers = [("reason", item.reason.encode()), ("detail", item.detail.encode("utf-8", "replace")),
               ("source", source.encode())]
    raw = item.raw
    if len(raw) > DLQ_MAX_BYTES:
        headers.append(("truncated", str(len(raw)).encode()))
        raw = raw[:DLQ_MAX_BYTES]
    return raw, None, headers


class Flow(AckAfterCheckpoint):
    """The per-message work of the ``extract`` and ``count`` agents (see module docstring)."""

    def __init__(self, app, settings, table, topics: dict, posts_partitions: int, metrics=None):
        super().__init__(app)
        self.settings, self.table, self.metrics = settings, table, metrics
        self.mentions = topics["hashtag-mentions"]
        self._names = {name: topic.get_topic_name() for name, topic in topics.items()}
        self.extract = Extract.from_settings(settings, metrics)
        self.posts_partitions = posts_partitions
        sources = tuple(range(posts_partitions))
        self.counts = PartitionCounts(lambda: Count.from_settings(settings, sources=sources, metrics=metrics))
        self.windows_published = 0
        self._sent_clock: dict[tuple[int, int], int] = {}
        self._sent_watermark: dict[int, int] = {}
        self._announced: set[int] = set()
        """Partitions that published a watermark record since their assignment or last idle flush."""
        self.backlog = Backlog(settings)
        self._backlog_checked = 0.0
        self._handled: dict[int, int] = {}
        """The last offset the count agent handled on each mentions partition."""
        self._saved_handled: dict[int, int] = {}
        self._checkpointed: dict[int, int] = {}
        """Each partition's watermark at the last checkpoint (or when its stage was first seen)."""

    async def on_posts(self, event) -> None:
        message = event.message
        source = message.partition
        try:
            by_partition, rejected = self.extract.process_packed([event.value], source=source)
        except Exception as exc:  # noqa: BLE001 - one record must not stop extraction
            log.error("%s[%d]@%d: extract failed, record dead-lettered", message.topic, source,
                      message.offset, exc_info=exc)
            by_partition, rejected = {}, [Rejected("stage_error", f"{type(exc).__name__}: {exc}"[:200],
                                                    bytes(event.value))]
            if self.metrics is not None:
                self.metrics.invalid.labels(reason="stage_error").inc()
        clock = self.extract.clock(source)
        headers = [("src", str(source).encode()), ("off", str(message.offset).encode()),
                   ("clk", str(clock).encode()), PACKED]
        for partition in range(self.extract.partitions):
            mentions = by_partition.get(partition)
            last = self._sent_clock.get((source, partition), -CLOCK_EVERY_MS)
            if mentions is None and clock - last < CLOCK_EVERY_MS:
                continue
            self._sent_clock[(source, partition)] = clock
            await self._send("hashtag-mentions", None, mentions or b"", partition, headers)
        if rejected:
            log.warning("%s[%d]@%d: %d rejected event(s), first: %s: %s", message.topic, source,
                        message.offset, len(rejected), rejected[0].reason, rejected[0].detail)
            for item in rejected:
                await self._send("posts-dlq", None, *dead_letter(item, f"{message.topic}:{source}:{message.offset}"))

    async def on_mentions(self, event) -> None:
        message = event.message
        self._handled[message.partition] = max(message.offset, self._handled.get(message.partition, -1))
        count = self.counts.get(message.partition, self._table_items)
        headers = dict(message.headers or ())
        try:
            packed = headers.get(PACKED[0]) == PACKED[1]
            mentions = bytes(event.value) if packed else [_mention(d) for d in orjson.loads(event.value)]
            source = int(headers["src"]) if "src" in headers else None
            offset = int(headers["off"]) if "off" in headers else None
            clock = int(headers["clk"]) if "clk" in headers else None
            windows = count.process_batch(mentions, source=source, offset=offset, clock=clock)
        except (orjson.JSONDecodeError, ValueError, TypeError, KeyError) as exc:
            log.error("%s[%d]@%d: not a mentions message, skipped: %r", message.topic,
                      message.partition, message.offset, exc)
            return
        await self._publish(windows)
        await self._publish_watermark(message.partition, count.aggregator.watermark,
                                      force=message.partition not in self._announced)

    async def _publish(self, windows) -> None:
        """Send closed windows (a native batch or ``Window`` records) as batch records."""
        for value in batches(windows):
            await self._send("hashtag-windows", WINDOWS_KEY, value, None, None)
        self.windows_published += len(windows)

    async def _publish_watermark(self, partition: int, watermark: int | None, force: bool = False,
                                 flushed: bool = False) -> None:
        """Tell the detect agent how far this partition's windows are complete (and whether it is idle)."""
        last = self._sent_watermark.get(partition)
        if not (flushed or force) and (watermark is None or last is not None
                                       and watermark // WATERMARK_EVERY_MS <= last // WATERMARK_EVERY_MS):
            return
        if watermark is not None:
            self._sent_watermark[partition] = watermark if last is None else max(last, watermark)
        record = {"partition": partition, "partitions": self.extract.partitions,
                  "watermark": self._sent_watermark.get(partition)}
        if flushed:
            record["flushed"] = True
            self._announced.discard(partition)
        else:
            self._announced.add(partition)
        await self._send("hashtag-windows", WATERMARK_KEY, orjson.dumps(record), None, None)

    async def _send(self, topic: str, key, value, partition, headers) -> None:
        """Hand one message to the producer (Faust's, without its per-message topic machinery)."""
        await self.app.producer.send(self._names[topic], key, value, partition, None, headers)

    def _table_items(self):
        return list(self.table.data.items())

    def on_recovered(self, assigned) -> None:
        """After a rebalance (the table is recovered): hold exactly the assigned partitions' stages.

        Stages are restored now, not at their next message: a partition taken
        over after its input ended still has open windows to flush.
        """
        mine = {tp.partition for tp in assigned if tp.topic == self.mentions.get_topic_name()}
        self.counts.keep_only(mine)
        self._handled = {p: offset for p, offset in self._handled.items() if p in mine}
        self._saved_handled = {p: offset for p, offset in self._saved_handled.items() if p in mine}
        for partition in mine - self._handled.keys():
            saved = self.table.data.get(HANDLED_KEY % partition)
            if saved is not None:
                self._handled[partition] = self._saved_handled[partition] = int(saved)
        self._announced &= mine  # a partition assigned again says first that it is not idle
        if self.metrics is not None:
            self.metrics.rebalances.inc()
        now = time.monotonic()
        for partition in sorted(mine):
            self.counts.get(partition, self._table_items)
            self.counts.last_input[partition] = now

    async def tick(self) -> None:
        """Timer: flush idle partitions, checkpoint when due.

        Input stops during a rebalance: that is no idleness, so nothing is
        flushed then, and idle time starts again once partitions are recovered.
        Pending messages are still checkpointed and acknowledged: Faust's
        revocation waits until every message taken is acknowledged.
        """
        if self.app.rebalancing:
            if self.pending:
                await self.checkpoint()
            return
        drained = await self._drained(self.counts.idle(self.settings.idle_flush))
        flushed = False
        async with self.exclusive():  # a checkpoint holds the flush only with its windows sent
            still_idle = dict(self.counts.idle(self.settings.idle_flush))
            for partition, count in drained:
                if still_idle.get(partition) is count:  # no input came during the backlog query
                    await self._flush(partition, count)
                    flushed = True
        if flushed or (self.pending and self.checkpoint_due):
            await self.checkpoint()
        if self.metrics is not None:
            self._gauges()

    async def _flush(self, partition: int, count) -> None:
        """Publish the open windows of idle ``partition`` and its flushed watermark record."""
        windows = count.flush()
        log.info("partition %d idle for %.1fs: flushed %d window(s)", partition,
                 self.settings.idle_flush, len(windows))
        await self._publish(windows)
        ends = [w.window_end for w in windows]
        await self._publish_watermark(partition, max(ends, default=count.aggregator.watermark), flushed=True)
        self.counts.mark_flushed(partition)

    async def _drained(self, idle: list) -> list:
        """Those of the ``idle`` stages with no input pending upstream (``streams.worker.backlog``):
        every posts partition done up to its end (by this partition's applied source offsets or
        the group's commits), and this mentions partition handled to its end."""
        now = time.monotonic()
        if not idle or now - self._backlog_checked < BACKLOG_EVERY:
            return []
        self._backlog_checked = now
        posts, mentions = self._names["posts"], self._names["hashtag-mentions"]
        wanted = {}
        for partition, count in idle:
            applied = count.applied
            done = {TopicPartition(posts, s): _next(applied.get(str(s))) for s in range(self.posts_partitions)}
            # handled, not fetched: a message fetched may still wait in the agent's buffer
            done[TopicPartition(mentions, partition)] = _next(self._handled.get(partition))
            wanted[partition] = done
        ready = await asyncio.get_running_loop().run_in_executor(None, self.backlog.ready, wanted)
        return [(partition, count) for partition, count in idle if partition in ready]

    def _gauges(self) -> None:
        metrics, consumer = self.metrics, self.app.consumer
        metrics.tracked_tags.labels(stage="count").set(self.counts.tracked_tags)
        read = getattr(consumer, "_read_offset", {})
        for tp in consumer.assignment():
            highwater, position = consumer.highwater(tp), read.get(tp)
            if highwater is not None and not tp.topic.endswith("-changelog"):
                lag = highwater - (position + 1 if position is not None else 0)
                metrics.consumer_lag.labels(topic=tp.topic, partition=str(tp.partition)).set(max(lag, 0))

    @property
    def checkpoint_due(self) -> bool:
        """Every ``CHECKPOINT_SECONDS``, or once a watermark moved ``CHECKPOINT_EVENT_MS``."""
        if super().checkpoint_due:
            return True
        for partition, count in self.counts.counts.items():
            watermark = count.aggregator.watermark
            if watermark is not None and watermark - self._checkpointed.setdefault(partition, watermark) \
                    >= CHECKPOINT_EVENT_MS:
                return True
        return False

    def state_records(self) -> list:
        """The changed count state, for the table's changelog (``AckAfterCheckpoint``)."""
        self._checkpointed = {partition: count.aggregator.watermark for partition, count in self.counts.counts.items()
                              if count.aggregator.watermark is not None}
        changelog = self.table.changelog_topic.get_topic_name()
        records = [(changelog, key, value, partition) for partition, key, value in self.counts.snapshot()]
        for partition, offset in self._handled.items():
            if self._saved_handled.get(partition) != offset:
                self._saved_handled[partition] = offset
                records.append((changelog, HANDLED_KEY % partition, b"%d" % offset, partition))
        return records

    def posts_resume_at(self) -> dict[int, int]:
        """The ``posts`` offset after the last one whose mentions a count stage held here applied, per
        posts partition: the extract agent has no state of its own, so after a restart it expects this
        one (records from there to the group's commit are read again; the count stage skips what it
        already holds), and a record the consumer skipped before a kill is still read."""
        out: dict[int, int] = {}
        for count in self.counts.counts.values():
            for source, offset in count.applied.items():
                out[int(source)] = max(out.get(int(source), 0), offset + 1)
        return out

    def resume_at(self) -> dict[int, int]:
        """The next ``hashtag-mentions`` offset the count agent expects on each partition it holds (after
        the last one it handled, or saved in a checkpoint: ``HANDLED_KEY``)."""
        return {partition: offset + 1 for partition, offset in self._handled.items()}


def _mention(d: dict, intern=sys.intern) -> Mention:
    """A mention from its JSON; author names interned, so every window shares one string."""
    return Mention(d["hashtag"], d["bucket"], d["max_ts"], d["posts"], d["views"], d["new_authors"],
                   tuple(map(intern, d["authors"])))


def _next(offset: int | None) -> int | None:
    """The next offset to read after ``offset`` (None: nothing read)."""
    return None if offset is None else offset + 1
