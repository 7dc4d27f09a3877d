"""`trendwatch run --broker`: the same job through a real broker and a worker child process."""

from __future__ import annotations

import socket
import subprocess

import pytest

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
