"""``trendwatch kafka start|status|stop``: a local single-node Kafka broker."""

from __future__ import annotations

import time
from pathlib import Path

import click

from streams.errors import UsageError
from streams.kafka.broker import KAFKA_VERSION, LocalBroker
from streams.kafka.broker_security import BrokerSecurity
from streams.settings import Settings

__all__ = ["kafka"]

_DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                         help="Broker data directory [default: <data_dir>/kafka from TRENDWATCH_DATA_DIR].")
_PORT = click.IntRange(1, 65535)


def _broker(data_dir: Path | None, port: int = 9092, security: BrokerSecurity | None = None) -> LocalBroker:
    if data_dir is None:
        data_dir = Path(Settings.build({}).data_dir).expanduser() / "kafka"
    return LocalBroker(data_dir, port=port, security=security)


def _security(ports: dict[str, int | None], username: str | None, password_file: str | None) -> BrokerSecurity | None:
    """The secured listeners asked for, with the user (password from TRENDWATCH_SASL_PASSWORD or the file)."""
    ports = {protocol: port for protocol, port in ports.items() if port}
    if not ports:
        if username:
            raise UsageError("--sasl-username needs a SASL listener: --sasl-ssl-port or --sasl-plaintext-port")
        return None
    users = ()
    if username or any(p.startswith("SASL_") for p in ports):
        user = Settings.build({"security_protocol": "SASL_SSL", "sasl_username": username,
                               "sasl_password_file": password_file})
        users = ((user.sasl_username, user.sasl_password),)
    try:
        return BrokerSecurity(users=users, ports=ports)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


@click.group()
def kafka() -> None:
    """Run a local Apache Kafka broker (KRaft, 127.0.0.1 only) without Docker."""


@kafka.command()
@click.option("--port", type=_PORT, default=9092, show_default=True, help="PLAINTEXT client port on 127.0.0.1.")
@_DATA_DIR
@click.option("--timeout", type=click.FloatRange(1, 600), default=90, show_default=True,
              help="Seconds to wait for the broker to become ready.")
@click.option("--sasl-ssl-port", type=_PORT, default=None,
              help="Also listen for SASL_SSL (SCRAM-SHA-512, SCRAM-SHA-256) on this port.")
@click.option("--ssl-port", type=_PORT, default=None,
              help="Also listen for SSL with a client certificate required (mutual TLS) on this port.")
@click.option("--sasl-plaintext-port", type=_PORT, default=None,
              help="Also listen for SASL_PLAINTEXT (PLAIN, SCRAM-SHA-512, SCRAM-SHA-256) on this port.")
@click.option("--sasl-username", default=None, metavar="NAME",
              help="The SASL user to create; its password comes from TRENDWATCH_SASL_PASSWORD or "
                   "--sasl-password-file (SCRAM users are created when the data directory is first formatted).")
@click.option("--sasl-password-file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="File holding the SASL user's password.")
def start(port: int, data_dir: Path | None, timeout: float, sasl_ssl_port, ssl_port, sasl_plaintext_port,
          sasl_username, sasl_password_file) -> None:
    """Fetch Kafka (cached after the first time), start it and print its address.

    With a TLS listener, a CA, a broker and a client certificate are made in
    <data-dir>/tls (clients: --ssl-cafile tls/ca.pem; mutual TLS: also
    --ssl-certfile tls/client.pem --ssl-keyfile tls/client-key.pem). When a
    broker already runs from the data directory, print its address and exit 0.
    """
    security = _security({"SASL_SSL": sasl_ssl_port, "SSL": ssl_port, "SASL_PLAINTEXT": sasl_plaintext_port},
                         sasl_username, sasl_password_file)
    broker = _broker(data_dir, port, security)
    state = broker.status()
    if state["running"]:
        click.echo(f"Kafka already running from {broker.data_dir} (pid {state['pid']})")
        click.echo(state["bootstrap"])
        return
    if security and security.users and (broker.data_dir / "data" / "meta.properties").exists():
        click.echo(f"Note: {broker.data_dir} is already formatted; SCRAM users stay as they were created "
                   "(PLAIN users follow this start's options).", err=True)
    began = time.monotonic()
    broker.start(timeout=timeout)
    click.echo(f"Kafka {KAFKA_VERSION} ready in {time.monotonic() - began:.1f}s "
               f"(data in {broker.data_dir}, log {broker.log_file})")
    click.echo(f"kafka://{broker.bootstrap}")
    for protocol, address in broker.listeners().items():
        if protocol != "PLAINTEXT":
            click.echo(f"kafka://{address} {protocol}")
    if broker.tls_files is not None:
        tls = broker.tls_files
        click.echo(f"TLS: --ssl-cafile {tls.ca}" + (f" (mutual TLS: --ssl-certfile {tls.client_cert} "
                                                    f"--ssl-keyfile {tls.client_key})" if ssl_port else ""))


@kafka.command()
@_DATA_DIR
def status(data_dir: Path | None) -> None:
    """Say whether the local broker runs; exit 1 if it does not."""
    state = _broker(data_dir).status()
    if not state["running"]:
        click.echo(f"not running (data dir {state['data_dir']})")
        raise click.exceptions.Exit(1)
    click.echo(f"running: {state['bootstrap']} pid={state['pid']} data_dir={state['data_dir']}")
    for protocol, address in state.get("listeners", {}).items():
        if protocol != "PLAINTEXT":
            click.echo(f"  {protocol} listener: kafka://{address}")


@kafka.command()
@_DATA_DIR
def stop(data_dir: Path | None) -> None:
    """Stop the local broker (its data stays in the data directory)."""
    click.echo("stopped" if _broker(data_dir).stop() else "not running")
