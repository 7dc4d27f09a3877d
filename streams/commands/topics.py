"""``trendwatch topics create|delete``: the project's topics, created idempotently, deleted by prefix."""

from __future__ import annotations

import click

from streams.commands.options import security_options
from streams.errors import UsageError
from streams.kafka.topics import create_topics, delete_topics
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
@security_options
def create(broker: str | None, partitions: int | None, topic_prefix: str | None, security: dict) -> None:
    """Create posts, hashtag-mentions, hashtag-windows, trend-alerts and posts-dlq."""
    settings = Settings.build({"broker": broker, "partitions": partitions, "topic_prefix": topic_prefix,
                               **security})
    for name, what in create_topics(settings).items():
        click.echo(f"{what:8} {name}")


@topics.command()
@broker_option
@click.option("--prefix", "topic_prefix", required=True,
              help="Delete every topic whose name starts with this (e.g. the --prefix of a run or a test).")
@security_options
def delete(broker: str | None, topic_prefix: str, security: dict) -> None:
    """Delete the topics whose name starts with --prefix (Kafka's own __ topics are never touched)."""
    if not topic_prefix.strip():
        raise UsageError("--prefix must not be empty: it would name every topic")
    settings = Settings.build({"broker": broker, **security})
    deleted = delete_topics(settings, (topic_prefix,))
    for name in deleted:
        click.echo(f"deleted  {name}")
    click.echo(f"{len(deleted)} topic{'s' if len(deleted) != 1 else ''} deleted "
               f"(prefix {topic_prefix!r}).")
