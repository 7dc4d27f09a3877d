"""``trendwatch worker``: the Faust worker that turns posts into windowed hashtag counts."""

from __future__ import annotations

import dataclasses
import logging

import click

from streams.commands.options import bind_option, security_options
from streams.commands.topics import broker_option
from streams.errors import BrokerUnavailable, UsageError
from streams.kafka.topics import create_topics, partition_counts
from streams.settings import Settings

__all__ = ["worker"]

log = logging.getLogger(__name__)


@click.command()
@broker_option
@click.option("--partitions", type=click.IntRange(1, 1024), default=None,
              help="Partitions of posts and hashtag-mentions when they are created "
                   "[env TRENDWATCH_PARTITIONS; default 4].")
@click.option("--store", type=click.Choice(["memory", "rocksdb"]), default=None,
              help="Where Faust keeps table data [env TRENDWATCH_STORE; default memory].")
@click.option("--web-port", type=click.IntRange(0, 65535), default=None,
              help="Port of Faust's web server, 0 to disable [env TRENDWATCH_WEB_PORT; default 6066].")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="Port of the Prometheus metrics, 0 = any free one [env TRENDWATCH_METRICS_PORT; default 9464].")
@click.option("--windows", "window_sizes", default=None, metavar="SIZES",
              help="Window sizes, comma-separated [env TRENDWATCH_WINDOW_SIZES; default 1m,5m,1h,1d].")
@click.option("--allowed-lateness", default=None, metavar="DURATION",
              help="How late an event may arrive and still be counted in order [env TRENDWATCH_ALLOWED_LATENESS; "
                   "default 1m].")
@click.option("--late-policy", type=click.Choice(["apply", "drop"]), default=None,
              help="What happens to events later than that [env TRENDWATCH_LATE_POLICY; default apply].")
@click.option("--idle-flush", type=float, default=None, metavar="SECONDS",
              help="Seconds without input before open windows are published [env TRENDWATCH_IDLE_FLUSH; "
                   "default 10].")
@click.option("--broker-wait", type=float, default=None, metavar="SECONDS",
              help="How long to wait for a broker that stopped answering (down, restarting, out of disk) "
                   "before stopping with an error; 0 waits for ever [env TRENDWATCH_BROKER_WAIT; default 300].")
@click.option("--top-k", type=int, default=None,
              help="Hashtags with their own series on /metrics [env TRENDWATCH_TOP_K; default 50].")
@click.option("--max-tags", type=int, default=None,
              help="Hashtags counted exactly per mentions partition; past it new ones go to Count-Min "
                   "sketches until promoted (bounds memory under a flood of distinct hashtags) "
                   "[env TRENDWATCH_MAX_TAGS; default 20000].")
@click.option("--app-id", default=None, help="Faust app id = consumer group [env TRENDWATCH_APP_ID].")
@click.option("--group-instance-id", default=None, metavar="ID",
              help="This worker's static member id in the consumer group, the same across its restarts and "
                   "unique among running workers (e.g. the host or pod name): a restarted worker takes its "
                   "partitions back at once instead of after the session timeout [env "
                   "TRENDWATCH_GROUP_INSTANCE_ID; default none: dynamic membership].")
@click.option("--prefix", "topic_prefix", default=None, help="Prefix for every topic name.")
@bind_option
@security_options
def worker(security: dict, **flags) -> None:
    """Run a worker: extract, count and detect agents; several workers share the partitions."""
    settings = Settings.build({**flags, **security})
    if settings.group_instance_id and settings.metrics_port == 0:
        raise UsageError("--group-instance-id needs a fixed --metrics-port, not 0: the worker's URL is part of "
                         "the assignment it takes back after a restart, so it must stay the same")
    if settings.store == "rocksdb":
        try:
            import rocksdict  # noqa: F401
        except ImportError:
            raise UsageError("--store rocksdb needs rocksdict: pip install 'trendwatch[rocksdb]', "
                             "or use --store memory") from None
    create_topics(settings)
    counts = partition_counts(settings, [settings.topic("posts"), settings.topic("hashtag-mentions")], wait=15.0)
    missing = [name for name in (settings.topic("posts"), settings.topic("hashtag-mentions")) if name not in counts]
    if missing:
        raise BrokerUnavailable(f"the broker at {settings.broker} does not list {', '.join(missing)} "
                                "15 s after creating it; check the broker's log, then start the worker again")
    mentions = counts[settings.topic("hashtag-mentions")]
    if mentions != settings.partitions:
        settings = dataclasses.replace(settings, partitions=mentions)
    log.info("worker starting: %s", settings.describe())
    metrics, web = _serve(settings)
    guard = _guard_topics(settings, web.api.readiness)
    run_worker(settings, posts_partitions=counts[settings.topic("posts")], metrics=metrics, web=web, guard=guard)


def run_worker(settings: Settings, posts_partitions: int, metrics=None, web=None, guard=None) -> None:
    """Start the Faust worker in this process; returns when it stops."""
    import faust

    from streams.worker.app import create_app

    app = create_app(settings, posts_partitions=posts_partitions, web_port=settings.web_port,
                     metrics=metrics, web=web, guard=guard)
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower()
    faust.Worker(app, loglevel=level if level in ("debug", "info") else "warning",
                 quiet=True).execute_from_commandline()


def _guard_topics(settings: Settings, readiness):
    """Stop the worker with an ``Error:`` line if one of its topics is deleted or recreated under it,
    and tell ``readiness`` when the broker does not answer (``streams.worker.topic_guard``); the
    topics as they are now are the ones it guards."""
    from kafka.errors import KafkaError

    from streams.worker.topic_guard import TopicGuard

    guard = TopicGuard(settings, readiness=readiness)
    try:
        guard.check()
    except (KafkaError, OSError) as exc:  # learnt at its next look instead
        log.debug("cannot describe the worker's topics yet: %r", exc)
    guard.start()
    return guard


def _serve(settings: Settings):
    """The shared metrics, the API's view and the page, served on ``settings.metrics_port`` (0: any
    free port): ``(metrics, server)``."""
    from streams.observe.api import Readiness
    from streams.observe.metrics import Metrics, serve
    from streams.observe.view import TrendView

    metrics = Metrics(top_k=settings.top_k)
    try:
        server = serve(metrics, settings.metrics_port, addr=settings.bind, view=TrendView(settings.top_k),
                       readiness=Readiness())
    except OSError as exc:
        raise UsageError(f"cannot serve metrics on {settings.bind} port {settings.metrics_port} "
                         f"({exc.strerror or exc}); pass another --metrics-port (0: any free port) "
                         "or --bind address") from None
    log.info("metrics, API and page on %s/", server.url)
    return metrics, server
