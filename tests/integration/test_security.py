"""Secured clusters on the real broker: SASL_SSL (SCRAM), SSL (mutual TLS), SASL_PLAINTEXT (PLAIN).

The session broker (tests/conftest.py) has a listener of each kind, a SCRAM and
PLAIN user, and a CA made for the session. Refused logins, untrusted
certificates and unsupported mechanisms must each end in one ``Error:`` line
within seconds, exit 1, no traceback.
"""

from __future__ import annotations

import dataclasses
import subprocess
import time

import pytest
from kafka import KafkaConsumer, TopicPartition

from streams.cli import main
from streams.kafka.certs import make_tls_files
from streams.kafka.producer import KafkaSink
from streams.kafka.security import client_config
from streams.kafka.topics import create_topics

pytestmark = pytest.mark.integration

ERROR_SECONDS = 20.0
"""Bound on the time a refused connection may take to end a command (with interpreter start-up)."""


def _count_events(settings, topic: str, timeout: float = 30.0) -> int:
    """Events on partition 0 of ``topic``, read back over the same secured listener."""
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False,
                             **client_config(settings))
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        end = consumer.end_offsets([tp])[tp]
        events, deadline = 0, time.monotonic() + timeout
        while consumer.position(tp) < end and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                events += sum(record.value.count(b'"type"') for record in records)
        return events
    finally:
        consumer.close()


@pytest.mark.parametrize("protocol, mechanism", [("SSL", None), ("SASL_PLAINTEXT", "PLAIN"),
                                                 ("SASL_SSL", "SCRAM-SHA-256")])
def test_topics_and_producer_over_a_secured_listener(secured_kafka, kafka_settings, protocol, mechanism):
    settings = secured_kafka.settings(protocol, kafka_settings)
    if mechanism:
        settings = dataclasses.replace(settings, sasl_mechanism=mechanism)
    assert set(create_topics(settings).values()) == {"created"}
    sink = KafkaSink(settings, create=False)
    for i in range(50):
        sink.send({"v": 1, "type": "post", "id": f"p{i}", "ts": 1_736_726_400_000 + i, "author": f"u{i}",
                   "text": "#secure"})
    sink.close()
    assert _count_events(settings, settings.topic("posts")) == 50


def test_topics_create_command_over_mutual_tls(secured_kafka, kafka_settings, capsys):
    s = secured_kafka.settings("SSL", kafka_settings)
    code = main(["topics", "create", "--broker", s.broker, "--prefix", s.topic_prefix, "--partitions", "1",
                 "--security-protocol", "ssl", "--ssl-cafile", s.ssl_cafile, "--ssl-certfile", s.ssl_certfile,
                 "--ssl-keyfile", s.ssl_keyfile])
    assert code == 0, capsys.readouterr().err
    assert f"created  {s.topic('posts')}" in capsys.readouterr().out


def _refusals(secured_kafka, tmp_path):
    """(name, flags, env, expected start of the error) for each way a secured connection is refused."""
    other_ca = make_tls_files(tmp_path / "other-ca", ca_name="some other CA").ca
    good = tmp_path / "password"
    good.write_text(secured_kafka.password + "\n")
    sasl_ssl = ["--broker", f"kafka://{secured_kafka.listeners['SASL_SSL']}", "--security-protocol", "SASL_SSL",
                "--sasl-username", secured_kafka.username, "--ssl-cafile", str(secured_kafka.tls.ca)]
    return [
        ("wrong password", [*sasl_ssl, "--sasl-mechanism", "SCRAM-SHA-512"], {"TRENDWATCH_SASL_PASSWORD": "nope"},
         f"rejected user '{secured_kafka.username}' (SCRAM-SHA-512)"),
        ("untrusted certificate", [*sasl_ssl[:-1], str(other_ca), "--sasl-mechanism", "SCRAM-SHA-512",
                                   "--sasl-password-file", str(good)], {}, "the TLS certificate of the broker"),
        ("wrong mechanism", [*sasl_ssl, "--sasl-mechanism", "PLAIN", "--sasl-password-file", str(good)], {},
         "does not accept SASL mechanism PLAIN"),
    ]


@pytest.mark.parametrize("command", [["topics", "create"], ["worker", "--web-port", "0"],
                                     ["simulate", "--scenario", "surge-flash", "--scale", "0.01"]])
def test_refused_connections_end_in_one_error_line(secured_kafka, python, subprocess_env, tmp_path, unique,
                                                   command):
    env = dict(subprocess_env, TRENDWATCH_DATA_DIR=str(tmp_path / "data"), TRENDWATCH_METRICS_PORT="0",
               TRENDWATCH_TOPIC_PREFIX=unique)
    for name, flags, extra, expected in _refusals(secured_kafka, tmp_path):
        began = time.monotonic()
        done = subprocess.run([python, "-m", "streams", *command, *flags], env={**env, **extra},
                              capture_output=True, text=True, timeout=60)
        took = time.monotonic() - began
        assert done.returncode == 1, (name, done.returncode, done.stderr[-2000:])
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], (name, done.stderr)
        assert took < ERROR_SECONDS, (name, took)
        assert secured_kafka.password not in done.stdout + done.stderr
