"""Click options shared by several commands: producing events (simulate, replay), Kafka security (all),
count-series time zones (backtest, replay, run), how alerts are shown (run, watch)."""

from __future__ import annotations

import functools

import click

from detectors.series import parse_timezone
from streams.errors import UsageError
from streams.kafka.producer import MAX_RECORD_BYTES
from streams.settings import SASL_MECHANISMS, SECURITY_PROTOCOLS

__all__ = ["producer_options", "security_options", "bind_option", "display_options", "timezone_option", "SECURITY_FIELDS"]

SECURITY_FIELDS = ("security_protocol", "sasl_mechanism", "sasl_username", "sasl_password_file", "ssl_cafile",
                   "ssl_certfile", "ssl_keyfile", "ssl_key_password_file", "ssl_check_hostname")
"""The settings that ``security_options`` collects into the command's ``security`` argument."""

_FILE = click.Path(dir_okay=False)

bind_option = click.option(
    "--bind", default=None, metavar="ADDRESS",
    help="Address the HTTP endpoints (metrics, Faust's web server) listen on; 0.0.0.0 for every interface "
         "[env TRENDWATCH_BIND; default 127.0.0.1].")


def display_options(command):
    """``--plain``, ``--progress/--no-progress`` and ``--all-steps``: how a command shows its alerts."""
    for option in reversed([
        click.option("--plain", is_flag=True, help="One line per alert instead of the live view (the default "
                                                    "when stdout is not a terminal)."),
        click.option("--progress/--no-progress", default=None,
                     help="With line output, a progress line on stderr [default: if stderr is a terminal]."),
        click.option("--all-steps", is_flag=True,
                     help="Print every ongoing alert step, not one per 6 h per episode."),
    ]):
        command = option(command)
    return command


def timezone_option(name: str):
    """The ``--timezone`` value as a ``tzinfo``; a usage error saying what is accepted otherwise."""
    try:
        return parse_timezone(name)
    except ValueError as exc:
        raise UsageError(f"--timezone: {exc}") from None


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


def security_options(command):
    """How to connect to a secured cluster: TLS, SASL user and mechanism, client certificate.

    The options reach the command as one dict argument, ``security``, to pass
    to ``Settings.build``. There is no password flag (a command line is
    visible to every user of the machine): the password comes from
    ``TRENDWATCH_SASL_PASSWORD`` or ``--sasl-password-file``.
    """
    options = [
        click.option("--security-protocol", default=None, metavar="|".join(SECURITY_PROTOCOLS),
                     help="How to talk to the brokers [env TRENDWATCH_SECURITY_PROTOCOL; default PLAINTEXT]."),
        click.option("--sasl-mechanism", default=None, metavar="|".join(SASL_MECHANISMS),
                     help="SASL mechanism for SASL_SSL and SASL_PLAINTEXT [env TRENDWATCH_SASL_MECHANISM; "
                          "default PLAIN]."),
        click.option("--sasl-username", default=None, metavar="NAME",
                     help="SASL user [env TRENDWATCH_SASL_USERNAME]; the password comes from "
                          "TRENDWATCH_SASL_PASSWORD or --sasl-password-file."),
        click.option("--sasl-password-file", type=_FILE, default=None, metavar="FILE",
                     help="File holding the SASL password [env TRENDWATCH_SASL_PASSWORD_FILE]."),
        click.option("--ssl-cafile", type=_FILE, default=None, metavar="FILE",
                     help="PEM CA certificate(s) that signed the brokers' certificates [env TRENDWATCH_SSL_CAFILE; "
                          "default: the system's CAs]."),
        click.option("--ssl-certfile", type=_FILE, default=None, metavar="FILE",
                     help="PEM client certificate for mutual TLS [env TRENDWATCH_SSL_CERTFILE]."),
        click.option("--ssl-keyfile", type=_FILE, default=None, metavar="FILE",
                     help="PEM private key of the client certificate [env TRENDWATCH_SSL_KEYFILE]."),
        click.option("--ssl-key-password-file", type=_FILE, default=None, metavar="FILE",
                     help="File holding the password of an encrypted --ssl-keyfile "
                          "[or env TRENDWATCH_SSL_KEY_PASSWORD]."),
        click.option("--ssl-check-hostname/--no-ssl-check-hostname", default=None,
                     help="Check that the broker's certificate names the host connected to "
                          "[env TRENDWATCH_SSL_CHECK_HOSTNAME; default on]."),
    ]

    @functools.wraps(command)
    def with_security(*args, **kwargs):
        security = {name: kwargs.pop(name) for name in SECURITY_FIELDS}
        return command(*args, security=security, **kwargs)

    for option in reversed(options):
        with_security = option(with_security)
    return with_security
