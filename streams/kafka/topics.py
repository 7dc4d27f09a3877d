"""The project's Kafka topics and their creation with kafka-python's admin client.

``create_topics`` is idempotent: topics that exist are left as they are.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError, UnknownTopicOrPartitionError

from streams.errors import BrokerUnavailable
from streams.kafka.security import check_connection, client_config
from streams.settings import Settings

__all__ = ["TopicSpec", "topic_specs", "create_topics", "delete_topics", "partition_counts", "admin_client",
           "broker_unreachable"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: tuple[tuple[str, str], ...] = ()


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """posts and hashtag-mentions carry the load and get ``settings.partitions``;
    closed windows and alerts are few and keep one partition so that detection
    sees every tag in order; the dead-letter topic keeps a week of bad input."""
    week = str(7 * 24 * 3600 * 1000)
    return [
        TopicSpec(settings.topic("posts"), settings.partitions),
        TopicSpec(settings.topic("hashtag-mentions"), settings.partitions),
        TopicSpec(settings.topic("hashtag-windows"), 1),
        TopicSpec(settings.topic("trend-alerts"), 1),
        TopicSpec(settings.topic("posts-dlq"), 1, (("retention.ms", week),)),
    ]


def broker_unreachable(settings: Settings) -> BrokerUnavailable:
    return BrokerUnavailable(
        f"cannot reach the Kafka broker at {settings.broker}; start one with "
        "'trendwatch kafka start' or pass --broker (or TRENDWATCH_BROKER)")


def admin_client(settings: Settings, timeout_ms: int = 10_000) -> KafkaAdminClient:
    """An admin client; the first one of a process checks the connection's security (``check_connection``)."""
    check_connection(settings)
    try:
        return KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers,
                                client_id=f"{settings.app_id}-admin",
                                request_timeout_ms=timeout_ms, bootstrap_timeout_ms=timeout_ms,
                                **client_config(settings))
    except (KafkaError, OSError) as exc:
        log.debug("admin connect failed: %r", exc)
        raise broker_unreachable(settings) from None


def create_topics(settings: Settings) -> dict[str, str]:
    """Create the missing topics; returns ``{topic: "created" | "exists"}``."""
    admin = admin_client(settings)
    try:
        existing = set(admin.list_topics())
        result = {}
        for spec in topic_specs(settings):
            if spec.name in existing:
                result[spec.name] = "exists"
                continue
            new = NewTopic(spec.name, spec.partitions, 1, topic_configs=dict(spec.config))
            try:
                admin.create_topics([new], timeout_ms=10_000)
                result[spec.name] = "created"
            except TopicAlreadyExistsError:
                result[spec.name] = "exists"
        return result
    except KafkaError as exc:
        raise BrokerUnavailable(f"the broker at {settings.broker} refused to create topics: {exc}") from None
    finally:
        admin.close()


def partition_counts(settings: Settings, names: list[str], wait: float = 0.0) -> dict[str, int]:
    """``{topic: number of partitions}`` for those of ``names`` that exist; waits up to ``wait``
    seconds for all of them to be listed (topics just created reach the metadata a moment later)."""
    admin = admin_client(settings)
    try:
        existing = set(admin.list_topics())
        deadline = time.monotonic() + wait
        while not set(names) <= existing and time.monotonic() < deadline:
            time.sleep(0.2)
            existing = set(admin.list_topics())
        wanted = [n for n in names if n in existing]
        described = admin.describe_topics(wanted) if wanted else []
    except KafkaError as exc:
        raise BrokerUnavailable(f"the broker at {settings.broker} did not describe topics: {exc}") from None
    finally:
        admin.close()
    return {t["name"]: len(t["partitions"]) for t in described}


def delete_topics(settings: Settings, prefixes: tuple[str, ...]) -> list[str]:
    """Delete every topic whose name starts with one of ``prefixes`` (never Kafka's own ``__`` topics)
    and wait (at most 30 s) until the broker no longer lists them; returns the names deleted, sorted."""
    if not all(prefixes):
        raise ValueError("an empty prefix would name every topic")
    admin = admin_client(settings)
    try:
        doomed = sorted(name for name in admin.list_topics()
                        if name.startswith(prefixes) and not name.startswith("__"))
        if doomed:
            try:
                admin.delete_topics(doomed, timeout_ms=30_000)
            except UnknownTopicOrPartitionError:  # deleted meanwhile by someone else
                pass
            deadline = time.monotonic() + 30
            while set(doomed) & set(admin.list_topics()) and time.monotonic() < deadline:
                time.sleep(0.2)
        return doomed
    except KafkaError as exc:
        raise BrokerUnavailable(f"the broker at {settings.broker} did not delete topics: {exc}") from None
    finally:
        admin.close()
