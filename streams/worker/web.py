"""The worker's HTTP side: where the API's view lives, readiness, and the lines it prints.

Only the worker that owns ``hashtag-windows`` (one partition) runs the
detector and so holds the ``TrendView`` behind the API. Every worker
announces the URL of its own server as Faust's ``canonical_url``, which the
partition assignor shares with the whole group; ``owner_url`` reads from that
shared assignment which worker owns ``hashtag-windows`` and the server
forwards ``/api/...`` there (``streams.observe.server``).

``InputLag`` measures, for ``/readyz``, how many input messages wait per
agent: per assigned partition of its topic, the consumer's high-water mark
minus the next offset the agent has to process (``streams.observe.readiness``
decides from that whether the worker is stalled).

``describe`` makes the line printed at start (after the first assignment) and
at each rebalance: broker, topics, the partitions this worker owns, and where
its page, API and metrics are.
"""

from __future__ import annotations

import logging
import socket

from aiokafka.errors import KafkaError

from streams.observe.server import NoOwner

__all__ = ["advertised_url", "owner_url", "describe", "TOPICS", "AGENTS", "InputLag"]

log = logging.getLogger(__name__)

TOPICS = ("posts", "hashtag-mentions", "hashtag-windows", "trend-alerts", "posts-dlq")
AGENTS = {"posts": "extract", "hashtag-mentions": "count", "hashtag-windows": "detect"}
"""The agent reading each input topic."""


class InputLag:
    """Input messages waiting per agent (``{"count": 120, ...}``), from the offsets the agents processed."""

    def __init__(self, settings):
        self.agents = {settings.topic(topic): agent for topic, agent in AGENTS.items()}
        self._next: dict = {}

    def processed(self, tp, offset: int) -> None:
        """The agent of ``tp`` is done with the message at ``offset``."""
        self._next[tp] = offset + 1

    def reassigned(self) -> None:
        """After a rebalance: positions restart from the committed offsets (Faust's read offsets)."""
        self._next.clear()

    def read(self, consumer) -> dict[str, int]:
        """Messages waiting per agent over the partitions ``consumer`` (Faust's) has; unknown counts none."""
        waiting: dict[str, int] = {}
        try:
            for tp in consumer.assignment():
                agent = self.agents.get(tp.topic)
                end = consumer.highwater(tp) if agent is not None else None
                position = self._next.get(tp)
                if position is None:  # nothing processed since the assignment: after Faust's last read
                    read = consumer._read_offset.get(tp)  # noqa: SLF001 - as the consumer-lag gauge reads it
                    position = None if read is None else read + 1
                if end is not None and position is not None and end > position:
                    waiting[agent] = waiting.get(agent, 0) + end - position
        except (AttributeError, KeyError, RuntimeError, KafkaError) as exc:  # between assignments: unknown
            log.debug("cannot read the input lag: %r", exc)
            return {}
        return waiting



def advertised_url(addr: str, port: int) -> str:
    """How other workers reach a server bound to ``addr:port``: the host name when bound to every address.

    >>> advertised_url("127.0.0.1", 9464)
    'http://127.0.0.1:9464'
    """
    host = socket.gethostname() if addr in ("", "0.0.0.0", "::") else addr
    return f"http://{host}:{port}"


def owner_url(app, settings, own_url: str) -> str | None:
    """Base URL of the worker running the detector; None if it is this one. NoOwner when none is known."""
    windows = settings.topic("hashtag-windows")
    try:
        distribution = app.router.external_topics_metadata()
    except (AttributeError, KeyError) as exc:  # no assignment yet
        raise NoOwner("no worker runs the detector yet") from exc
    for url, topics in distribution.items():
        if 0 in topics.get(windows, ()):
            return None if str(url).rstrip("/") == own_url.rstrip("/") else str(url)
    raise NoOwner("no worker runs the detector yet (the group is forming or rebalancing)")


def _owned(settings, assigned) -> dict[str, list[int]]:
    names = {settings.topic(name): name for name in TOPICS}
    owned: dict[str, list[int]] = {}
    for tp in assigned:
        if tp.topic in names:
            owned.setdefault(names[tp.topic], []).append(tp.partition)
    return {name: sorted(owned[name]) for name in TOPICS if name in owned}


def describe(settings, assigned, url: str, first: bool, posts_partitions: int) -> str:
    """The start-up line (``first``) or the rebalance line of a worker."""
    owned = _owned(settings, assigned)
    owns = "; ".join(f"{name} {parts}" for name, parts in owned.items()) or "no partition (more workers than partitions)"
    detector = " (runs the detector)" if "hashtag-windows" in owned else ""
    if not first:
        return f"trendwatch worker: rebalanced; now owns {owns}{detector}"
    topics = (f"{settings.topic('posts')} ({posts_partitions} partitions), "
              f"{settings.topic('hashtag-mentions')} ({settings.partitions}), "
              + ", ".join(settings.topic(name) for name in TOPICS[2:]))
    return (f"trendwatch worker: broker {settings.broker}; topics {topics}; owns {owns}{detector}; "
            f"page, API and metrics on {url}/")
