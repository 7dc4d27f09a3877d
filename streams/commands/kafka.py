"""``trendwatch kafka start|status|stop``: a local single-node Kafka broker."""

from __future__ import annotations

import time
from pathlib import Path

import click

from streams.kafka.broker import KAFKA_VERSION, LocalBroker
from streams.settings import Settings

__all__ = ["kafka"]

_DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                         help="Broker data directory [default: <data_dir>/kafka from TRENDWATCH_DATA_DIR].")


def _broker(data_dir: Path | None, port: int = 9092) -> LocalBroker:
    if data_dir is None:
        data_dir = Path(Settings.build({}).data_dir).expanduser() / "kafka"
    return LocalBroker(data_dir, port=port)


@click.group()
def kafka() -> None:
    """Run a local Apache Kafka broker (KRaft, 127.0.0.1 only) without Docker."""


@kafka.command()
@click.option("--port", type=click.IntRange(1, 65535), default=9092, show_default=True,
              help="Client port on 127.0.0.1.")
@_DATA_DIR
@click.option("--timeout", type=click.FloatRange(1, 600), default=90, show_default=True,
              help="Seconds to wait for the broker to become ready.")
def start(port: int, data_dir: Path | None, timeout: float) -> None:
    """Fetch Kafka (cached after the first time), start it and print its address.

    When a broker already runs from the data directory, print its address and exit 0."""
    broker = _broker(data_dir, port)
    state = broker.status()
    if state["running"]:
        click.echo(f"Kafka already running from {broker.data_dir} (pid {state['pid']})")
        click.echo(state["bootstrap"])
        return
    began = time.monotonic()
    broker.start(timeout=timeout)
    click.echo(f"Kafka {KAFKA_VERSION} ready in {time.monotonic() - began:.1f}s "
               f"(data in {broker.data_dir}, log {broker.log_file})")
    click.echo(f"kafka://{broker.bootstrap}")


@kafka.command()
@_DATA_DIR
def status(data_dir: Path | None) -> None:
    """Say whether the local broker runs; exit 1 if it does not."""
    state = _broker(data_dir).status()
    if not state["running"]:
        click.echo(f"not running (data dir {state['data_dir']})")
        raise click.exceptions.Exit(1)
    click.echo(f"running: {state['bootstrap']} pid={state['pid']} data_dir={state['data_dir']}")


@kafka.command()
@_DATA_DIR
def stop(data_dir: Path | None) -> None:
    """Stop the local broker (its data stays in the data directory)."""
    click.echo("stopped" if _broker(data_dir).stop() else "not running")
