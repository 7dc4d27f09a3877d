"""A worker killed while a send waits: the checkpoint on the broker and the output on the broker agree.

The flows (``streams.worker.count_flow.Flow``, ``streams.worker.detect_flow.DetectFlow``) run here
on an in-process producer with aiokafka's contract as far as the flows rely on it: ``send``
may wait before the record is queued (the batch of its partition is full) and ``flush``
delivers what is queued, not what still waits to be. The worker is "killed" at a chosen
moment: what is delivered then is what a restarted worker finds (changelog and outputs),
it restores its state from the changelog and replays every message not acknowledged, as
after a kill -9. The output must then be what an uninterrupted run gives.
"""

from __future__ import annotations

import asyncio
import pickle
from collections import defaultdict
from types import SimpleNamespace

import orjson
import pytest

from detectors import _native
from detectors.records import Mention, Window
from streams.stages.count import windows_of
from streams.settings import Settings
from streams.worker.count_flow import CHECKPOINT_EVENT_MS, Flow
from streams.worker.detect_flow import KEEP_MOMENTS, DetectFlow
from streams.worker.window_records import WATERMARK_KEY, WINDOWS_KEY, batches, decode_windows

MIN5 = 300_000


class Broker:
    """Delivered records per topic: ``(key, value, partition, headers)``."""

    def __init__(self):
        self.log: dict[str, list] = defaultdict(list)

    def table(self, topic: str) -> dict:
        """The latest value of every key of a changelog (None deletes), as a table recovers it."""
        data = {}
        for key, value, _, _ in self.log[topic]:
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data


class Producer:
    """``send`` waits while its topic's gate is closed (a full batch), then queues; ``flush`` delivers."""

    def __init__(self, broker: Broker):
        self.broker, self.queued = broker, []
        self.gates: dict[str, asyncio.Event] = {}

    def close_gate(self, topic: str) -> asyncio.Event:
        self.gates[topic] = asyncio.Event()
        return self.gates[topic]

    async def send(self, topic, key, value, partition, timestamp, headers):
        gate = self.gates.get(topic)
        if gate is not None:
            await gate.wait()
        self.queued.append((topic, (key, value, partition, headers)))

    async def flush(self):
        await asyncio.sleep(0)
        for topic, record in self.queued:
            self.broker.log[topic].append(record)
        self.queued = []


class Stream:
    """Acknowledged offsets; a restart replays from the first one not acknowledged."""

    def __init__(self):
        self.acked: set[int] = set()

    async def ack(self, event):
        self.acked.add(event.message.offset)

    def committed(self) -> int:
        n = 0
        while n in self.acked:
            n += 1
        return n


def app_on(broker: Broker):
    consumer = SimpleNamespace(assignment=lambda: [], _read_offset={})
    return SimpleNamespace(producer=Producer(broker), rebalancing=False, consumer=consumer)


def table(broker: Broker, changelog: str):
    return SimpleNamespace(data=broker.table(changelog),
                           changelog_topic=SimpleNamespace(get_topic_name=lambda: changelog))


def event(topic: str, offset: int, value: bytes, key=None, headers=()):
    return SimpleNamespace(key=key, value=value, message=SimpleNamespace(
        topic=topic, partition=0, offset=offset, headers=list(headers)))


async def consume(flow, handle, stream, ev):
    """What the worker's agent does with one message (``streams.worker.app``)."""
    async with flow.exclusive():
        await handle(ev)
    await flow.done(stream, ev)


async def kill_while_waiting(make_flow, handler, events, gated: str, at: int):
    """Run ``events`` through a flow. With ``gated`` an output topic, the send of ``events[at]``
    waits while a checkpoint runs, and the worker is killed then; with ``gated`` the changelog,
    the checkpoint's sends wait while ``events[at]`` comes, and the worker is killed once the
    checkpoint is done. Then it restarts from the broker and replays; returns the broker and
    the restarted flow."""
    broker, stream = Broker(), Stream()
    flow = make_flow(broker)
    for ev in events[:at]:
        await consume(flow, handler(flow), stream, ev)
    gate = flow.app.producer.close_gate(gated)
    if gated == flow.table.changelog_topic.get_topic_name():
        checkpoint = asyncio.create_task(flow.checkpoint())
        await asyncio.sleep(0.01)  # the checkpoint waits to send its state
        busy = asyncio.create_task(consume(flow, handler(flow), stream, events[at]))
        await asyncio.sleep(0.01)
        gate.set()
        await asyncio.wait_for(checkpoint, 1)
    else:
        busy = asyncio.create_task(consume(flow, handler(flow), stream, events[at]))
        await asyncio.sleep(0.01)  # the message is handled up to its waiting send
        checkpoint = asyncio.create_task(flow.checkpoint())
        await asyncio.wait([checkpoint], timeout=0.05)
    busy.cancel(), checkpoint.cancel()  # kill -9: nothing more is sent
    await asyncio.gather(busy, checkpoint, return_exceptions=True)
    gate.set()
    restarted = make_flow(broker)
    for ev in events[stream.committed():]:
        await consume(restarted, handler(restarted), Stream(), ev)
    return broker, restarted


async def uninterrupted(make_flow, handler, events):
    broker = Broker()
    flow = make_flow(broker)
    for ev in events:
        await consume(flow, handler(flow), Stream(), ev)
    return broker, flow


# count: mentions in, windows out

COUNT_SETTINGS = Settings(window_sizes=("1m",), allowed_lateness="1s", partitions=1)


def count_flow(broker: Broker) -> Flow:
    topics = {name: SimpleNamespace(get_topic_name=lambda name=name: name)
              for name in ("posts", "hashtag-mentions", "hashtag-windows", "trend-alerts", "posts-dlq")}
    return Flow(app_on(broker), COUNT_SETTINGS, table(broker, "count-changelog"), topics, posts_partitions=1)


def mentions(n: int = 6) -> list:
    """One mentions message a minute (source 0, its offset), each closing the minute before."""
    out = []
    for i in range(n):
        ts = i * 60_000 + 5_000
        value = orjson.dumps([Mention("zen", i * 60_000, ts, posts=i + 1, authors=("a",)).to_dict()])
        headers = [("src", b"0"), ("off", str(i).encode()), ("clk", str(ts).encode())]
        out.append(event("hashtag-mentions", i, value, headers=headers))
    return out


async def published_windows(broker: Broker, flow: Flow) -> dict:
    """Every window on the broker (the last value of each), after flushing what is still open."""
    await flow._publish(flow.counts.counts[0].flush())
    await flow.app.producer.flush()
    out = {}
    for key, value, _, _ in broker.log["hashtag-windows"]:
        if key == WINDOWS_KEY:
            for w in decode_windows(key, value):
                out[(w.hashtag, w.window_start)] = w.posts
    return out


@pytest.mark.parametrize("at", [1, 3, 5])
def test_a_kill_while_a_window_waits_to_be_sent_loses_no_window(at):
    async def run():
        events = mentions()
        broker, flow = await kill_while_waiting(count_flow, lambda f: f.on_mentions, events, "hashtag-windows", at)
        clean_broker, clean = await uninterrupted(count_flow, lambda f: f.on_mentions, events)
        return await published_windows(broker, flow), await published_windows(clean_broker, clean)

    got, clean = asyncio.run(run())
    assert clean == {("zen", i * 60_000): i + 1 for i in range(6)}
    assert got == clean


def test_a_stream_read_fast_is_checkpointed_by_event_time_too():
    """Twelve hours of event time in much less than ``CHECKPOINT_SECONDS``, then a kill: the
    replay publishes again only windows of the last ``CHECKPOINT_EVENT_MS``, which the detect
    agent recognises (``KEEP_MOMENTS``)."""
    async def run():
        broker, stream = Broker(), Stream()
        flow, events = count_flow(broker), mentions(12 * 60)
        for ev in events:
            await consume(flow, flow.on_mentions, stream, ev)
        await flow.app.producer.flush()  # all sent is delivered, then kill -9
        before = len(broker.log["hashtag-windows"])
        restarted = count_flow(broker)
        for ev in events[stream.committed():]:
            await consume(restarted, restarted.on_mentions, Stream(), ev)
        await restarted.app.producer.flush()
        return [w for key, value, _, _ in broker.log["hashtag-windows"][before:] if key == WINDOWS_KEY
                for w in decode_windows(key, value)]

    again = asyncio.run(run())
    assert again, "the replay published windows again"
    oldest = 12 * 3_600_000 - min(w.window_end for w in again)
    assert oldest <= CHECKPOINT_EVENT_MS + 60_000
    assert (CHECKPOINT_EVENT_MS + 60_000) // MIN5 + 2 < 2 * KEEP_MOMENTS  # 5-minute moments, plus 1-hour ones


# detect: windows in, alerts out

DETECT_SETTINGS = Settings(window_sizes=("5m", "1h"), partitions=1)


def detect_flow(broker: Broker) -> DetectFlow:
    flow = DetectFlow(app_on(broker), DETECT_SETTINGS, table(broker, "detect-changelog"))
    flow.stage()
    return flow


def moments(n: int = 80, surge_at: int = 60) -> list:
    """Window records then watermark records, one moment of 5 minutes each; a surge from ``surge_at``."""
    out = []
    for i in range(n):
        t = i * MIN5
        batch = [Window("fyp", "5m", t, t + MIN5, posts=40, views=4000, authors=35),
                 Window("cats", "5m", t, t + MIN5, posts=4, views=400, authors=4)]
        if i >= surge_at:
            batch.append(Window("earthquake", "5m", t, t + MIN5, posts=120, views=50_000, authors=110))
        out.append(event("hashtag-windows", len(out), batches(batch)[0], key=WINDOWS_KEY))
        mark = orjson.dumps({"partition": 0, "partitions": 1, "watermark": t + MIN5})
        out.append(event("hashtag-windows", len(out), mark, key=WATERMARK_KEY))
    return out


async def alert_steps(broker: Broker, flow: DetectFlow) -> list:
    """The distinct alert steps on the broker in the order sent (a replay sends some again)."""
    await flow.app.producer.flush()
    steps = []
    for _, value, _, _ in broker.log["trend-alerts"]:
        if orjson.loads(value) not in steps:
            steps.append(orjson.loads(value))
    return steps


def surge_watermark() -> int:
    """The index of the first watermark record whose moment alerts (in an uninterrupted run)."""
    async def run():
        flow = detect_flow(Broker())
        for i, ev in enumerate(moments()):
            await consume(flow, flow.on_windows, Stream(), ev)
            if flow.alerts_sent:
                return i
    return asyncio.run(run())


@pytest.mark.parametrize("gated, offset", [("trend-alerts", 0), ("detect-changelog", -1)])
def test_a_kill_while_an_alert_or_the_state_waits_to_be_sent_keeps_the_alerts(gated, offset):
    """An alert waiting to be sent while a checkpoint runs; or the checkpoint's own chunks waiting
    while the surge's windows come (the checkpoint must not say they are applied)."""
    at = surge_watermark() + offset

    async def run():
        events = moments()
        broker, flow = await kill_while_waiting(detect_flow, lambda f: f.on_windows, events, gated, at)
        clean_broker, clean = await uninterrupted(detect_flow, lambda f: f.on_windows, events)
        return await alert_steps(broker, flow), await alert_steps(clean_broker, clean)

    got, clean = asyncio.run(run())
    assert any(step["state"] == "started" and step["hashtag"] == "earthquake" for step in clean)
    assert got == clean



def legacy(blob: bytes) -> bytes:
    """A detect checkpoint blob as written before the inbox was native."""
    model, inbox, _, *rest = pickle.loads(blob)
    inbox = _native.WindowInbox.from_state(inbox)
    seen = {(size_ms, end): set(tags) for size_ms, end, tags in inbox.seen()}
    return pickle.dumps((model, seen, windows_of(inbox.waiting()), *rest))


def test_a_detect_state_saved_with_its_windows_in_python_restores_and_alerts_the_same():
    """A checkpoint written before the inbox was native (the seen windows a dict of sets, the waiting
    ones ``Window`` records) restores into the native inbox: the run goes on as if uninterrupted."""
    at = surge_watermark()  # the surge's window record read, its watermark not: its windows wait

    async def run():
        events = moments()
        broker, stream = Broker(), Stream()
        flow = detect_flow(broker)
        for ev in events[:at]:
            await consume(flow, flow.on_windows, stream, ev)
        assert len(flow.inbox) and flow.inbox.moments
        await flow.checkpoint()
        data = broker.table("detect-changelog")
        head = orjson.loads(data[b"detect/head"])
        keys = [f"detect/{head['slot']}/{i}".encode() for i in range(head["chunks"])]
        old = legacy(b"".join(data[k] for k in keys))
        broker.log["detect-changelog"].append((keys[0], old, 0, None))
        for key in keys[1:]:
            broker.log["detect-changelog"].append((key, b"", 0, None))
        restarted = detect_flow(broker)
        assert len(restarted.inbox) == len(flow.inbox) and restarted.inbox.seen() == flow.inbox.seen()
        for ev in events[stream.committed():]:
            await consume(restarted, restarted.on_windows, Stream(), ev)
        clean_broker, clean = await uninterrupted(detect_flow, lambda f: f.on_windows, events)
        return await alert_steps(broker, restarted), await alert_steps(clean_broker, clean)

    got, clean = asyncio.run(run())
    assert any(step["state"] == "started" and step["hashtag"] == "earthquake" for step in clean)
    assert got == clean
