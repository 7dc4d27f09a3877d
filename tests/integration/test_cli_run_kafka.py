"""`trendwatch run --broker`: the same job through a real broker and a worker child process."""

from __future__ import annotations

import signal
import socket
import subprocess
import time

import pytest
from kafka import KafkaAdminClient

from streams.embedded.runner import Pipeline, run, scenario_records
from streams.settings import Settings
from streams.sources.scenario import load_scenario

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _started(lines: list[str]) -> list[str]:
    return sorted(line.split("] ", 1)[1] for line in lines if " started " in line and line.startswith("["))


def test_run_through_kafka_with_one_partition_says_what_the_embedded_run_says(kafka_broker, python,
                                                                              subprocess_env, unique):
    env = dict(subprocess_env, TRENDWATCH_PARTITIONS="1", TRENDWATCH_TOPIC_PREFIX=unique,
               TRENDWATCH_APP_ID=f"{unique}app")
    argv = ["run", "--scenario", "surge-flash", "--scale", "0.1", "--metrics-port", str(_free_port())]
    kafka = subprocess.run([python, "-m", "streams", *argv, "--broker", f"kafka://{kafka_broker.bootstrap}"],
                           env=env, capture_output=True, text=True, timeout=600)
    assert kafka.returncode == 0, kafka.stderr[-2000:]
    embedded = run(scenario_records(load_scenario("surge-flash").scaled(0.1), 0), Pipeline(Settings()))
    from streams.commands.run import describe_alert
    expected = _started([describe_alert(a) for a in embedded.alerts])
    assert any("#earthquake" in line for line in expected)
    assert _started(kafka.stdout.splitlines()) == expected, kafka.stdout[-3000:]
    assert "#earthquake flagged as a trend" in kafka.stdout
    assert _topics(kafka_broker, unique) == [], "the run deletes the topics it created"


def _topics(kafka_broker, prefix: str) -> list[str]:
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    try:
        return sorted(name for name in admin.list_topics() if name.startswith(prefix))
    finally:
        admin.close()


def test_run_through_kafka_interrupted_deletes_its_topics(kafka_broker, python, subprocess_env, unique):
    env = dict(subprocess_env, TRENDWATCH_PARTITIONS="1", TRENDWATCH_TOPIC_PREFIX=unique,
               TRENDWATCH_APP_ID=f"{unique}app")
    argv = ["run", "--scenario", "surge-flash", "--scale", "0.05", "--speed", "2000",
            "--metrics-port", str(_free_port()), "--broker", f"kafka://{kafka_broker.bootstrap}"]
    proc = subprocess.Popen([python, "-m", "streams", *argv], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        # the worker's changelog topics exist once it has joined: the run is under way
        while not any("changelog" in name for name in _topics(kafka_broker, unique)):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate(timeout=30)
            time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    assert _topics(kafka_broker, unique) == []


def test_run_through_kafka_hands_the_workers_windows_to_the_live_view(kafka_settings):
    """The live view of ``run --broker`` gets the closed windows the worker publishes, as ``watch`` reads them."""
    import dataclasses

    from streams.commands.run_kafka import run_on_kafka, run_settings
    from streams.sources.simulator import generate

    settings = run_settings(dataclasses.replace(kafka_settings, partitions=1))
    scenario = load_scenario("surge-flash").scaled(0.05)
    windows, alerts = [], []
    summary = run_on_kafka(settings, generate(scenario, 0), pace=None, on_alert=alerts.append, stop=lambda: False,
                           settle=15.0, on_windows=windows.extend)
    embedded = Pipeline(Settings())
    seen = []
    embedded.on_windows = seen.extend
    run(scenario_records(scenario, 0), embedded)
    latest = {(w.hashtag, w.size, w.window_start): w for w in windows}  # the last value of a window counts
    assert latest == {(w.hashtag, w.size, w.window_start): w for w in seen}
    assert any(w.hashtag == "earthquake" and w.size == "1h" for w in windows)
    assert alerts == summary.alerts and any(a.hashtag == "earthquake" for a in alerts)
