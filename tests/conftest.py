"""Shared fixtures: one real Kafka broker per test session, unique names per test.

The broker is started through the same code as ``trendwatch kafka start``
(streams.kafka.broker) on a free port, and stopped when the session ends, also
on failure. If it cannot start, every test that needs it errors: integration
tests never skip.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

from streams.kafka.broker import LocalBroker, free_port
from streams.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory):
    """A running single-node KRaft broker: ``.bootstrap`` is ``127.0.0.1:PORT``."""
    broker = LocalBroker(tmp_path_factory.mktemp("kafka"), port=free_port(), attached=True)
    broker.start(timeout=120)
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def unique() -> str:
    """A fresh name prefix for topics and consumer groups of one test."""
    return f"t{uuid.uuid4().hex[:10]}-"


@pytest.fixture
def kafka_settings(kafka_broker, unique) -> Settings:
    """Settings pointing at the session broker, with this test's own topics and app id."""
    return Settings(broker=f"kafka://{kafka_broker.bootstrap}", topic_prefix=unique,
                    app_id=f"{unique}app", partitions=1)


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    """Environment for child Python processes: the project importable, output unbuffered."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("TRENDWATCH_BROKER", None)
    return env


@pytest.fixture
def python() -> str:
    return sys.executable
