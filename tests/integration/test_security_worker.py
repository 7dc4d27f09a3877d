"""The whole worker path over SASL_SSL with SCRAM-SHA-512, and the password nowhere in what it leaves.

simulate -> worker -> trend-alerts, every client on the session broker's
SASL_SSL listener; the worker gets its password from the environment, the
simulator from a file. Then everything the run printed, logged or served
(stdout, stderr, every file under the data directory, both ``/metrics``
endpoints) is searched for the password.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from streams.kafka.broker import free_port
from streams.kafka.security import client_config

pytestmark = pytest.mark.integration


def _alerts_until(settings, tag: str, worker: subprocess.Popen, timeout: float) -> list[dict]:
    consumer = KafkaConsumer(settings.topic("trend-alerts"), bootstrap_servers=settings.bootstrap_servers,
                             auto_offset_reset="earliest", enable_auto_commit=False, **client_config(settings))
    alerts, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not any(a["hashtag"] == tag and a["kind"] == "trend" for a in alerts):
            assert worker.poll() is None, f"worker exited with {worker.returncode}"
            for records in consumer.poll(timeout_ms=500).values():
                alerts += [json.loads(r.value) for r in records]
    finally:
        consumer.close()
    return alerts


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8", "replace")


def _everything_written(root: Path, but: Path) -> bytes:
    """Every file under ``root`` (logs, data directory, Faust's state), but the password file."""
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p != but)


def test_worker_path_over_sasl_ssl_scram_512_leaks_no_password(secured_kafka, kafka_settings, python,
                                                                subprocess_env, tmp_path):
    settings = secured_kafka.settings("SASL_SSL", kafka_settings)
    secret = secured_kafka.password
    metrics_port, web_port = free_port(), free_port()
    common = ["--broker", settings.broker, "--prefix", settings.topic_prefix, "--security-protocol", "SASL_SSL",
              "--sasl-mechanism", "SCRAM-SHA-512", "--sasl-username", settings.sasl_username,
              "--ssl-cafile", settings.ssl_cafile, "--partitions", "1"]
    env = dict(subprocess_env, TRENDWATCH_DATA_DIR=str(tmp_path / "data"), TRENDWATCH_IDLE_FLUSH="2",
               TRENDWATCH_METRICS_PORT=str(metrics_port))
    password_file = tmp_path / "password"
    password_file.write_text(secret + "\n")
    out, err = open(tmp_path / "worker.out", "wb"), open(tmp_path / "worker.err", "wb")
    worker = subprocess.Popen([python, "-m", "streams", "--log-level", "INFO", "worker", *common,
                               "--app-id", settings.app_id, "--web-port", str(web_port)],
                              env=dict(env, TRENDWATCH_SASL_PASSWORD=secret), stdout=out, stderr=err)
    try:
        simulate = subprocess.run([python, "-m", "streams", "--log-level", "DEBUG", "simulate", "--scenario",
                                   "surge-flash", "--scale", "0.02", *common,
                                   "--sasl-password-file", str(password_file)],
                                  env=env, capture_output=True, timeout=180)
        assert simulate.returncode == 0, simulate.stderr[-2000:]
        alerts = _alerts_until(settings, "earthquake", worker, timeout=240)
        assert any(a["hashtag"] == "earthquake" and a["kind"] == "trend" for a in alerts), \
            [(a["hashtag"], a["state"], a["window_end"]) for a in alerts]
        served = _get(f"http://127.0.0.1:{metrics_port}/metrics") + _get(f"http://127.0.0.1:{web_port}/metrics")
        assert "trendwatch_alerts_total" in served and "faust_" in served
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        out.close()
        err.close()
    written = _everything_written(tmp_path, but=password_file)
    logs = (tmp_path / "worker.out").read_bytes() + (tmp_path / "worker.err").read_bytes()
    assert b"sasl_mechanism='SCRAM-SHA-512'" in logs and b"DEBUG" in simulate.stderr, "the logs searched are verbose"
    for name, blob in [("worker output", logs), ("simulate stdout", simulate.stdout),
                       ("simulate stderr", simulate.stderr), ("files written", written),
                       ("/metrics", served.encode())]:
        assert secret.encode() not in blob, f"the password appears in the {name}"
