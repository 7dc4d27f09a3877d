"""``trendwatch topics create``: the project's topics, idempotently."""

from __future__ import annotations

import click

from streams.kafka.topics import create_topics
from streams.settings import Settings

__all__ = ["topics", "broker_option"]

broker_option = click.option(
    "--broker", default=None, metavar="URL",
    help="Kafka bootstrap, e.g. kafka://localhost:9092 [env TRENDWATCH_BROKER; default kafka://localhost:9092].")


@click.group()
def topics() -> None:
    """Manage the project's Kafka topics."""


@topics.command()
@broker_option
@click.option("--partitions", type=click.IntRange(1, 1024), default=None,
              help="Partitions of posts and hashtag-mentions [env TRENDWATCH_PARTITIONS; default 4].")
@click.option("--prefix", "topic_prefix", default=None, help="Prefix for every topic name.")
def create(broker: str | None, partitions: int | None, topic_prefix: str | None) -> None:
    """Create posts, hashtag-mentions, hashtag-windows, trend-alerts and posts-dlq."""
    settings = Settings.build({"broker": broker, "partitions": partitions, "topic_prefix": topic_prefix})
    for name, what in create_topics(settings).items():
        click.echo(f"{what:8} {name}")
