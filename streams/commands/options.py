"""Click options shared by the commands that produce events to Kafka (simulate, replay)."""

from __future__ import annotations

import click

from streams.kafka.producer import MAX_RECORD_BYTES

__all__ = ["producer_options"]


def producer_options(command):
    """``--record-bytes``, ``--compression`` and ``--progress/--no-progress``."""
    for option in reversed([
        click.option("--record-bytes", type=click.IntRange(0, 1024 * 1024), default=MAX_RECORD_BYTES,
                     show_default=True, help="Largest Kafka record of aggregated events; 0 = one event per record."),
        click.option("--compression", type=click.Choice(["gzip", "none", "lz4", "zstd", "snappy"]),
                     default="gzip", show_default=True, help="Kafka batch compression."),
        click.option("--progress/--no-progress", default=None,
                     help="Progress line on stderr [default: if a terminal]."),
    ]):
        command = option(command)
    return command
