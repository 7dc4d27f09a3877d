"""The same input gives the same alerts in process and through Kafka.

The embedded runner calls the stages directly; the Kafka path runs a real
``trendwatch worker`` (extract, count and detect agents) against the session
broker. With one partition and with four (windows of one moment then come
from four count partitions and are ordered by their watermarks) the alert
steps must be identical, field for field and in order.
"""

from __future__ import annotations

import dataclasses

import pytest

from streams.commands.run_kafka import run_on_kafka
from streams.embedded.runner import Pipeline, run, scenario_records
from streams.kafka.broker import free_port
from streams.settings import Settings
from streams.sources.scenario import load_scenario
from streams.sources.simulator import generate

SEED = 3


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("surge-flash").scaled(0.2)


@pytest.fixture(scope="module")
def embedded_alerts(scenario):
    alerts = []
    run(scenario_records(scenario, seed=SEED), Pipeline(Settings()), on_alert=alerts.append)
    assert any(a.kind == "trend" and a.state == "started" for a in alerts), "the scenario must alert"
    return alerts


@pytest.mark.parametrize("partitions", [1, 4])
def test_kafka_path_alerts_equal_embedded(partitions, scenario, embedded_alerts, kafka_settings, tmp_path):
    settings = dataclasses.replace(kafka_settings, partitions=partitions, idle_flush=2.0,
                                   data_dir=str(tmp_path), metrics_port=free_port())
    alerts = []
    summary = run_on_kafka(settings, generate(scenario, SEED), pace=None, on_alert=alerts.append,
                           stop=lambda: False, settle=20.0)
    assert summary.posts > 0
    assert [a.to_dict() for a in alerts] == [a.to_dict() for a in embedded_alerts]
