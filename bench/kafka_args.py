"""The Kafka security flags of the benchmarks: the same names as the ``trendwatch`` commands'.

``add_security_arguments(parser)`` adds ``--security-protocol``,
``--sasl-mechanism``, ``--sasl-username``, ``--sasl-password-file``,
``--ssl-cafile``, ``--ssl-certfile``, ``--ssl-keyfile``,
``--ssl-key-password-file`` and ``--no-ssl-check-hostname`` (the password
also from ``TRENDWATCH_SASL_PASSWORD``); ``security_settings(args)`` builds
the one settings object from them and the ``TRENDWATCH_*`` environment;
``security_env(settings)`` hands them to worker subprocesses without a
command line.
"""

from __future__ import annotations

import argparse

from streams.commands.options import SECURITY_FIELDS
from streams.settings import Settings

__all__ = ["add_security_arguments", "security_settings", "security_env"]

_ENV_FIELDS = (*SECURITY_FIELDS, "sasl_password", "ssl_key_password")


def add_security_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Kafka security (as for the trendwatch commands)")
    group.add_argument("--security-protocol", help="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
    group.add_argument("--sasl-mechanism", help="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
    group.add_argument("--sasl-username")
    group.add_argument("--sasl-password-file", help="file holding the password (or TRENDWATCH_SASL_PASSWORD)")
    group.add_argument("--ssl-cafile")
    group.add_argument("--ssl-certfile")
    group.add_argument("--ssl-keyfile")
    group.add_argument("--ssl-key-password-file")
    group.add_argument("--no-ssl-check-hostname", dest="ssl_check_hostname", action="store_const", const=False,
                       default=None)


def security_settings(args: argparse.Namespace, broker: str | None = None) -> Settings:
    return Settings.build({"broker": broker, **{name: getattr(args, name) for name in SECURITY_FIELDS}})


def security_env(settings: Settings) -> dict[str, str]:
    """The security part of ``settings.to_env()``."""
    return {key: value for key, value in settings.to_env().items()
            if key[len(Settings.ENV_PREFIX):].lower() in _ENV_FIELDS}
