"""Client security configuration, the local broker's secured listeners, and the certificates it makes."""

from __future__ import annotations

import socket
import ssl
import threading

import faust
import pytest

from streams.errors import UsageError
from streams.kafka.broker import LocalBroker
from streams.kafka.broker_security import BrokerSecurity
from streams.kafka.certs import make_tls_files
from streams.kafka.security import client_config, faust_credentials, ssl_context
from streams.settings import Settings


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def _handshake(server: ssl.SSLContext, client: ssl.SSLContext, hostname: str = "127.0.0.1"):
    """A TLS handshake over a socket pair; returns the client's exception, or None."""
    left, right = socket.socketpair()
    failure = []

    def serve():
        try:
            with server.wrap_socket(right, server_side=True) as s:
                s.recv(1)
        except (ssl.SSLError, OSError):
            pass

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client.wrap_socket(left, server_hostname=hostname) as s:
            s.sendall(b"x")
    except (ssl.SSLError, OSError) as exc:
        failure.append(exc)
    thread.join(timeout=5)
    return failure[0] if failure else None


def test_the_made_certificates_give_mutual_tls(tls, tmp_path):
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(tls.ca))
    server.load_cert_chain(str(tls.broker_keystore))
    server.verify_mode = ssl.CERT_REQUIRED
    settings = Settings(security_protocol="SSL", ssl_cafile=str(tls.ca), ssl_certfile=str(tls.client_cert),
                        ssl_keyfile=str(tls.client_key))
    assert _handshake(server, ssl_context(settings)) is None
    assert _handshake(server, ssl_context(settings), hostname="localhost") is None
    other = make_tls_files(tmp_path / "other", ca_name="another CA")
    untrusted = Settings(security_protocol="SSL", ssl_cafile=str(other.ca), ssl_certfile=str(tls.client_cert),
                         ssl_keyfile=str(tls.client_key))
    assert isinstance(_handshake(server, ssl_context(untrusted)), ssl.SSLCertVerificationError)
    assert (tls.client_key.stat().st_mode & 0o777) == 0o600


def test_client_config_and_faust_credentials_agree(tls):
    s = Settings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_username="alice",
                 sasl_password="pw", ssl_cafile=str(tls.ca), ssl_check_hostname=False)
    config = client_config(s)
    assert (config["security_protocol"], config["sasl_mechanism"], config["sasl_plain_username"],
            config["sasl_plain_password"]) == ("SASL_SSL", "SCRAM-SHA-512", "alice", "pw")
    assert config["ssl_context"].check_hostname is False
    credentials = faust_credentials(s)
    assert isinstance(credentials, faust.SASLCredentials) and credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-512" and "pw" not in repr(credentials)
    mtls = faust_credentials(Settings(security_protocol="SSL", ssl_cafile=str(tls.ca)))
    assert isinstance(mtls, faust.SSLCredentials)
    assert faust_credentials(Settings()) is None


def test_a_bad_certificate_file_is_a_usage_error(tmp_path, tls):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(UsageError, match="--ssl-cafile"):
        ssl_context(Settings(security_protocol="SSL", ssl_cafile=str(bad)))
    with pytest.raises(UsageError, match="--ssl-certfile"):
        ssl_context(Settings(security_protocol="SSL", ssl_certfile=str(bad)))


def test_broker_configuration_of_the_secured_listeners(tmp_path):
    security = BrokerSecurity(users=(("alice", "s3cret=é"),),
                              ports={"SASL_SSL": 9301, "SSL": 9302, "SASL_PLAINTEXT": 9303})
    broker = LocalBroker(tmp_path, port=9300, controller_port=9399, security=security)
    props = broker._properties()
    assert ("listeners=PLAINTEXT://127.0.0.1:9300,SASL_SSL://127.0.0.1:9301,SSL://127.0.0.1:9302,"
            "SASL_PLAINTEXT://127.0.0.1:9303,CONTROLLER://127.0.0.1:9399") in props
    assert "SASL_SSL:SASL_SSL,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT" in props
    assert "listener.name.ssl.ssl.client.auth=required" in props
    assert "listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256" in props
    assert 'user_alice="s3cret=\\u00e9"' in props
    assert broker.tls_files.directory == tmp_path / "tls"
    assert "s3cret" not in repr(security)


@pytest.mark.parametrize("users, ports, words", [
    ((), {"SASL_SSL": 1}, "needs at least one user"),
    ((("a,b", "pw"),), {"SASL_SSL": 1}, "not a plain user name"),
    ((("alice", "p,w"),), {"SASL_SSL": 1}, "must be printable"),
    ((("alice", "pw"),), {"KERBEROS": 1}, "unknown protocol"),
])
def test_broker_security_refuses_what_the_storage_tool_cannot_read(users, ports, words):
    with pytest.raises(ValueError, match=words):
        BrokerSecurity(users=users, ports=ports)


def test_kafka_start_options_name_what_is_missing(tmp_path, capsys, monkeypatch):
    from streams.cli import main

    start = ["kafka", "start", "--data-dir", str(tmp_path)]
    assert main([*start, "--sasl-username", "alice"]) == 2
    assert "needs a SASL listener" in capsys.readouterr().err
    monkeypatch.delenv("TRENDWATCH_SASL_PASSWORD", raising=False)
    assert main([*start, "--sasl-ssl-port", "9094", "--sasl-username", "alice"]) == 2
    assert "needs --sasl-username and a password" in capsys.readouterr().err
    monkeypatch.setenv("TRENDWATCH_SASL_PASSWORD", "has space")
    assert main([*start, "--sasl-ssl-port", "9094", "--sasl-username", "alice"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: users: the password of alice must be printable") and "has space" not in err
    assert not (tmp_path / "data").exists(), "nothing was formatted"
