"""The Faust app of ``trendwatch worker``: thin agents around the stages.

- agent ``extract`` on ``posts``: ``Extract.process_packed`` on each record;
  rejected input goes to ``posts-dlq`` (original bytes, headers ``reason`` and
  ``detail``); the mentions go to ``hashtag-mentions`` packed, one message per
  target partition per record, with headers ``src`` (posts partition), ``off``
  (its offset), ``clk`` (latest event time seen on that partition) and ``fmt``
  (``packed``; see docs/architecture.md, "Records").
- agent ``count`` on ``hashtag-mentions``: ``Count.process`` for the message's
  partition; closed windows go to ``hashtag-windows`` in batch records
  (``streams.worker.window_records``).
- agent ``detect`` on ``hashtag-windows``: ``Detect.process`` on each window;
  alert steps go to ``trend-alerts`` (key = hashtag); see ``streams.worker.detect_flow``.
- a timer: checkpoints and idle flushes (``streams.worker.count_flow``, ``streams.worker.detect_flow``).
- with the web server on: ``/metrics`` serves the domain metrics and Faust's
  Prometheus sensor (prefix ``faust_``) from one registry.
- with ``web`` (the process's ``streams.observe.server.WebServer`` on the
  metrics port): its URL is the app's ``canonical_url``, ``/api/...`` is
  forwarded to the worker running the detector, ``/readyz`` follows recovery,
  rebalances and stalls (the agents' input lag, sampled every second), and a
  line is printed at the first assignment and at each rebalance
  (``streams.worker.web``).

Both agents iterate ``noack`` streams: a message is acknowledged (so its
offset may be committed) only after the checkpoint covering it has been
flushed to the changelog. See "Processing guarantee" in docs/architecture.md.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import faust

from streams.kafka.security import faust_credentials
from streams.settings import Settings
from streams.worker.count_flow import Flow
from streams.worker.detect_flow import DetectFlow
from streams.worker.gaps import CHECK_SECONDS, Gaps
from streams.worker.web import InputLag, advertised_url, describe, owner_url

__all__ = ["create_app", "ROCKSDB_OPTIONS"]

log = logging.getLogger(__name__)

ROCKSDB_OPTIONS = {"block_cache_size": 16 << 20, "block_cache_compressed_size": 4 << 20,
                   "write_buffer_size": 8 << 20, "max_write_buffer_number": 2,
                   "target_file_size_base": 8 << 20, "max_open_files": 256}
"""RocksDB sizes for a small machine (faust's defaults: a 2 GiB cache per partition)."""
_LAG_SECONDS = 1.0
"""How often the agents' input lag is sampled for ``/readyz``."""


PRODUCER_BATCH_BYTES = 1_000_000
"""Largest producer batch per partition (Faust's default, 16 KiB, sends the worker's large records and
checkpoints in many small requests: the broker, on the same machine, then spends as much CPU per post
as the worker); it fits the default ``message.max.bytes`` of a broker and ``producer_max_request_size``."""
PRODUCER_LINGER_SECONDS = 0.005
"""How long the producer waits to fill a batch (Faust's default: 0, a request per send)."""
FETCH_BYTES = 8 << 20
"""Most bytes one fetch takes from a partition (Faust's default, 1 MiB, is 16 records of 64 KiB: the
consumer then pays its fixed cost per fetch, in Python, for a few thousand posts; with 8 MiB the worker
spends about half the CPU per post)."""
STREAM_BUFFER = 1024
"""Records waiting per partition for their agent (Faust's default 4,096; 128 starved the agents between
fetches)."""


def create_app(settings: Settings, posts_partitions: int | None = None, web_port: int = 0,
               metrics=None, web=None, guard=None) -> faust.App:
    """The Faust app for ``settings``; ``web_port`` 0 disables Faust's web server; ``web`` see above;
    ``guard``: the process's ``TopicGuard``, asked whether a crash comes from a topic deleted under it."""
    partitions = settings.partitions
    datadir = Path(settings.data_dir).expanduser() / settings.app_id / f"worker-{web_port or 'noweb'}"
    datadir.parent.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id, broker=settings.broker, broker_credentials=faust_credentials(settings), datadir=str(datadir),
        store="rocksdb://" if settings.store == "rocksdb" else "memory://",
        web_enabled=bool(web_port), web_port=web_port or 6066, web_host=settings.bind,
        topic_partitions=partitions, topic_replication_factor=1, table_standby_replicas=0,
        key_serializer="raw", value_serializer="raw", consumer_auto_offset_reset="earliest",
        producer_acks=-1, broker_commit_interval=1.0, stream_buffer_maxsize=STREAM_BUFFER,
        consumer_max_fetch_size=FETCH_BYTES,
        producer_max_batch_size=PRODUCER_BATCH_BYTES, producer_linger=PRODUCER_LINGER_SECONDS,
        broker_session_timeout=10.0, broker_heartbeat_interval=1.0,
        # Revocation must not wait for acknowledgements: they come with checkpoints, and the
        # new owner replays from the last one anyway (idempotent by source offset).
        stream_wait_empty=False,
        consumer_group_instance_id=settings.group_instance_id or None,
        **({"canonical_url": advertised_url(web.addr, web.port)} if web is not None else {}),
    )
    topics = {name: app.topic(settings.topic(name), key_type=bytes, value_type=bytes,
                              key_serializer="raw", value_serializer="raw")
              for name in ("posts", "hashtag-mentions", "hashtag-windows", "trend-alerts", "posts-dlq")}
    table = app.Table("count-state", partitions=partitions, key_type=bytes, value_type=bytes,
                      options=ROCKSDB_OPTIONS)
    flow = Flow(app, settings, table, topics, posts_partitions or partitions, metrics)
    detect_table = app.Table("detect-state", partitions=1, key_type=bytes, value_type=bytes,
                             options=ROCKSDB_OPTIONS)
    detect_flow = DetectFlow(app, settings, detect_table, metrics, web.api.view if web is not None else None)
    readiness = web.api.readiness if web is not None else None
    lag = InputLag(settings)
    gaps = Gaps(settings)

    handlers = {
        topics["posts"].get_topic_name():
            _agent(app, topics["posts"], "extract", flow.on_posts, flow, gaps, readiness, lag, guard),
        topics["hashtag-mentions"].get_topic_name():
            _agent(app, topics["hashtag-mentions"], "count", flow.on_mentions, flow, gaps, readiness, lag, guard),
        topics["hashtag-windows"].get_topic_name():
            _agent(app, topics["hashtag-windows"], "detect", detect_flow.on_windows, detect_flow, gaps, readiness,
                   lag, guard),
    }

    @app.timer(0.5, name="checkpoint")
    async def tick():
        try:
            await flow.tick()
            await detect_flow.tick()
        except Exception as exc:  # noqa: BLE001 - no checkpoints, no progress: stop
            stop_on_crash("timer checkpoint", "its checkpoint or idle flush", exc, guard)

    @app.timer(CHECK_SECONDS, name="gaps")
    async def committed_past():
        """Records acknowledged by the consumer without reaching an agent, with no later message
        to reveal them (``streams.worker.gaps``): read and handled now, then checkpointed (they
        are acknowledged already)."""
        if app.rebalancing:
            return
        try:
            skipped = await gaps.committed_past()
            for event in skipped:
                message = event.message
                if app.rebalancing or (message.topic, message.partition) not in gaps.next:
                    continue  # no longer this worker's: its new owner starts at the committed offset
                await handlers[message.topic](event)
            if skipped:
                await flow.checkpoint()
                await detect_flow.checkpoint()
        except Exception as exc:  # noqa: BLE001 - a record it cannot read would be lost
            stop_on_crash("timer gaps", "records committed but not handled", exc, guard)

    @table.on_recover
    async def on_recovered():
        assigned = app.consumer.assignment()
        flow.on_recovered(assigned)
        detect_flow.on_recovered(assigned)
        gaps.keep(assigned)
        for partition, offset in flow.resume_at().items():  # after the last mentions offset it handled
            gaps.expect(settings.topic("hashtag-mentions"), partition, offset)
        posts = {tp.partition for tp in assigned if tp.topic == settings.topic("posts")}
        for partition, offset in flow.posts_resume_at().items():  # after the last post its counts applied
            if partition in posts and (settings.topic("posts"), partition) not in gaps.next:
                gaps.expect(settings.topic("posts"), partition, offset)
        if detect_flow.owns:  # restore the detector now: its view answers before the next window comes
            detect_flow.stage()
            if detect_flow.applied >= 0:  # what comes next is the window record after the last applied
                gaps.expect(settings.topic("hashtag-windows"), 0, detect_flow.applied + 1)
        inputs = {topic.get_topic_name() for topic in (topics["posts"], topics["hashtag-mentions"],
                                                         topics["hashtag-windows"])}
        await gaps.expect_committed([tp for tp in assigned if tp.topic in inputs])
        lag.reassigned()
        if web is not None:
            web.api.readiness.waiting({})  # a stall counts from now, not from input that waited for the rebalance
            _announce(app, settings, web, assigned, posts_partitions or partitions)

    if web is not None:
        own = advertised_url(web.addr, web.port)
        web.owner = lambda: owner_url(app, settings, own)
        web.api.readiness.rebalancing = lambda: bool(app.rebalancing)
        web.api.readiness.sampled_every = _LAG_SECONDS

        @app.timer(_LAG_SECONDS, name="input-lag")
        async def sample_lag():
            web.api.readiness.waiting(lag.read(app.consumer))

    if web_port and metrics is not None:
        # Faust's own sensor (messages, events, commits, rebalances, send latency) in the
        # same registry as the domain metrics: one /metrics on Faust's web server has both.
        from faust.sensors.prometheus import setup_prometheus_sensors

        setup_prometheus_sensors(app, pattern="/metrics", registry=metrics.registry, name_prefix="faust")
    app.flow, app.detect_flow = flow, detect_flow
    return app


def _announce(app, settings: Settings, web, assigned, posts_partitions: int) -> None:
    """The start-up line (first assignment) or a rebalance line, on the process's real stdout."""
    first = not getattr(app, "announced", False)
    app.announced = True
    web.api.readiness.recovering = False
    line = describe(settings, assigned, web.url, first, posts_partitions)
    print(line, file=sys.__stdout__, flush=True)  # Faust redirects sys.stdout into its logger
    log.info("%s", line)


def _agent(app, topic, name: str, handle, acks, gaps, readiness=None, lag=None, guard=None):
    """An agent that hands each event to ``handle`` and acknowledges it only at ``acks``' next checkpoint;
    returns the function that handles one event as the agent does (without acknowledging it).

    Records the stream skipped before an event (``streams.worker.gaps``) are
    read directly and handled first (they are already acknowledged). If
    ``handle`` raises, the worker process ends at once with exit code 1
    (see ``stop_on_crash``): a worker whose agent died must not look alive.
    """
    async def handled(event) -> None:
        message = event.message
        try:
            async with acks.exclusive():  # no checkpoint between a state change and its output
                await handle(event)
        except Exception as exc:  # noqa: BLE001 - the worker cannot go on without this agent
            stop_on_crash(f"agent {name}", f"{message.topic}[{message.partition}]@{message.offset}", exc, guard)

    async def agent(stream):
        manual = stream.noack()
        async for event in manual.events():
            message = event.message
            try:
                missed = await gaps.missed(message)
            except Exception as exc:  # noqa: BLE001 - a record it cannot read would be lost
                stop_on_crash(f"agent {name}", f"{message.topic}[{message.partition}] before @{message.offset}",
                              exc, guard)
            for skipped in missed:
                await handled(skipped)
            await handled(event)
            if readiness is not None:
                readiness.input(source=name)
                lag.processed(message.tp, message.offset)
            await acks.done(manual, event)

    app.agent(topic, name=name)(agent)
    return handled


def stop_on_crash(what: str, where: str, exc: BaseException, guard=None) -> None:
    """Log the failure, print one ``Error:`` line and end the process with exit code 1.

    The process ends like a kill: nothing after the last checkpoint was
    acknowledged, so a restarted worker replays it and counts it once. With
    ``guard``, a crash caused by a topic deleted under the worker (a send to
    a partition that no longer exists) is reported as that.
    """
    if guard is not None:
        guard.stop_if_changed()
    log.critical("%s failed on %s", what, where, exc_info=exc)
    logging.shutdown()
    line = (f"Error: {what} failed on {where} ({type(exc).__name__}: {str(exc)[:200]}); "
            "the worker stopped: restart it, it resumes from its last checkpoint\n")
    os.write(2, line.encode("utf-8", "replace"))  # fd 2 itself: Faust redirects sys.stderr into logging
    os._exit(1)
