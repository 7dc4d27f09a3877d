"""How trendwatch's Kafka clients authenticate: one function per client library.

``client_config(settings)`` gives the keyword arguments that kafka-python's
``KafkaProducer``/``KafkaConsumer``/``KafkaAdminClient`` and aiokafka's
clients take (the two libraries use the same names);
``faust_credentials(settings)`` gives Faust's ``broker_credentials``. Both
build their TLS context with ``ssl_context(settings)``. ``check_connection``
logs in once and turns a refusal into one clear error.

>>> client_config(Settings())
{'security_protocol': 'PLAINTEXT'}
>>> s = Settings(security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-512",
...              sasl_username="alice", sasl_password="secret")
>>> sorted(client_config(s))
['sasl_mechanism', 'sasl_plain_password', 'sasl_plain_username', 'security_protocol']
>>> faust_credentials(s)
<SASLCredentials: username=alice>
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl

from streams.errors import AccessDenied, TrendwatchError, UsageError
from streams.settings import Settings

__all__ = ["client_config", "faust_credentials", "ssl_context", "check_connection"]

log = logging.getLogger(__name__)


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The client TLS context of ``settings`` (None without TLS): CA, client certificate, hostname check."""
    if not settings.uses_ssl:
        return None
    cafile = os.path.expanduser(settings.ssl_cafile) if settings.ssl_cafile else None
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(f"--ssl-cafile {settings.ssl_cafile}: not a PEM CA certificate ({_reason(exc)})") from None
    context.check_hostname = settings.ssl_check_hostname
    if settings.ssl_certfile:
        try:
            context.load_cert_chain(os.path.expanduser(settings.ssl_certfile),
                                    os.path.expanduser(settings.ssl_keyfile) if settings.ssl_keyfile else None,
                                    password=settings.ssl_key_password or None)
        except (ssl.SSLError, OSError) as exc:
            raise UsageError(f"--ssl-certfile {settings.ssl_certfile}: cannot load the client certificate and "
                             f"its key ({_reason(exc)}); check --ssl-keyfile and the key password") from None
    return context


def _reason(exc: BaseException) -> str:
    return getattr(exc, "reason", None) or getattr(exc, "strerror", None) or type(exc).__name__


def client_config(settings: Settings) -> dict:
    """Security keyword arguments for kafka-python and aiokafka clients."""
    config: dict = {"security_protocol": settings.security_protocol}
    if settings.uses_sasl:
        config.update(sasl_mechanism=settings.sasl_mechanism, sasl_plain_username=settings.sasl_username,
                      sasl_plain_password=settings.sasl_password)
    if settings.uses_ssl:
        config["ssl_context"] = ssl_context(settings)
    return config


def faust_credentials(settings: Settings):
    """Faust's ``broker_credentials`` for ``settings`` (None for PLAINTEXT)."""
    import faust

    if settings.uses_sasl:
        return faust.SASLCredentials(username=settings.sasl_username, password=settings.sasl_password,
                                     ssl_context=ssl_context(settings), mechanism=settings.sasl_mechanism)
    if settings.uses_ssl:
        return faust.SSLCredentials(ssl_context(settings))
    return None


CHECK_SECONDS = 10.0
_checked: set[Settings] = set()


def check_connection(settings: Settings, timeout: float = CHECK_SECONDS) -> None:
    """Open one connection to a bootstrap server with ``settings``' security; raise a clear error if refused.

    Kafka clients retry a refused login or handshake until their own timeout
    and then report only that they could not bootstrap (Faust's worker keeps
    retrying); this check names the cause within seconds: ``AccessDenied``
    for a rejected password, mechanism or certificate, ``BrokerUnavailable``
    for a broker that cannot be reached. Done once per process and settings.
    """
    if settings in _checked:
        return
    try:
        asyncio.get_running_loop()
        return  # inside an event loop (a running worker): its clients report for themselves
    except RuntimeError:
        pass
    config = client_config(settings)
    unreachable: list[str] = []
    for server in settings.bootstrap_servers.split(","):
        host, _, port = server.rpartition(":")
        try:
            asyncio.run(asyncio.wait_for(_connect(host, int(port), config), timeout))
        except (OSError, asyncio.TimeoutError) as exc:
            if isinstance(exc, ssl.SSLError):
                raise _tls_error(settings, server, exc) from None
            timed_out = isinstance(exc, asyncio.TimeoutError)
            unreachable.append(f"{server}: {'timed out' if timed_out else _reason(exc)}")
            continue
        except Exception as exc:  # aiokafka's errors: refused login, mechanism, closed connection
            raise _refused(settings, server, exc) from None
        _checked.add(settings)
        return
    log.debug("no bootstrap server reachable: %s", unreachable)
    from streams.kafka.topics import broker_unreachable

    raise broker_unreachable(settings)


async def _connect(host: str, port: int, config: dict) -> None:
    from aiokafka.conn import create_conn

    conn = await create_conn(host, port, security_protocol=config["security_protocol"],
                             ssl_context=config.get("ssl_context"),
                             sasl_mechanism=config.get("sasl_mechanism", "PLAIN"),
                             sasl_plain_username=config.get("sasl_plain_username"),
                             sasl_plain_password=config.get("sasl_plain_password"))
    conn.close()


def _tls_error(settings: Settings, server: str, exc: ssl.SSLError) -> AccessDenied:
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or _reason(exc)
        if "hostname" in str(detail).lower() or "ip address mismatch" in str(detail).lower():
            return AccessDenied(f"the TLS certificate of the broker at {server} is not valid for that name ({detail}); "
                                "connect by a name the certificate lists, or pass --no-ssl-check-hostname")
        return AccessDenied(f"the TLS certificate of the broker at {server} is not trusted ({detail}); pass the CA "
                            "that signed it with --ssl-cafile (TRENDWATCH_SSL_CAFILE)")
    return AccessDenied(f"the TLS handshake with the broker at {server} failed ({_reason(exc)}); is it a TLS "
                        f"listener? check --security-protocol ({settings.security_protocol}) and the port")


def _refused(settings: Settings, server: str, exc: Exception) -> TrendwatchError:
    from aiokafka import errors

    if isinstance(exc, errors.UnsupportedSaslMechanismError):
        return AccessDenied(f"the broker at {server} does not accept SASL mechanism {settings.sasl_mechanism} "
                            "on this listener; pass the one it enables with --sasl-mechanism "
                            "(PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
    if isinstance(exc, errors.SaslAuthenticationFailed):
        return AccessDenied(f"the broker at {server} rejected user {settings.sasl_username!r} "
                            f"({settings.sasl_mechanism}): {exc.args[0] if exc.args else 'authentication failed'}; "
                            "check --sasl-username and the password (TRENDWATCH_SASL_PASSWORD or --sasl-password-file)")
    if isinstance(exc, errors.KafkaConnectionError):
        need = {"PLAINTEXT": "TLS, SASL or a client certificate", "SSL": "a client certificate (--ssl-certfile, "
                "--ssl-keyfile) or SASL", "SASL_PLAINTEXT": "TLS", "SASL_SSL": "a client certificate"}
        return AccessDenied(f"the broker at {server} closed the connection during the handshake; the listener "
                            f"may need {need[settings.security_protocol]}: check --security-protocol "
                            f"({settings.security_protocol}) and the port")
    return AccessDenied(f"the broker at {server} refused the connection ({type(exc).__name__}); "
                        "check --security-protocol and the credentials")
