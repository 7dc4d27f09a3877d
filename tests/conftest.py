"""Shared fixtures: one real Kafka broker per test session, unique names per test.

The broker is started through the same code as ``trendwatch kafka start``
(streams.kafka.broker) on a free port, and stopped when the session ends, also
on failure. If it cannot start, every test that needs it errors: integration
tests never skip. Besides its PLAINTEXT listener it has secured ones (SASL_SSL,
SSL with client certificates, SASL_PLAINTEXT) with one user, ``secured_kafka``.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from streams.kafka.broker import LocalBroker, free_port
from streams.kafka.broker_security import BrokerSecurity
from streams.kafka.certs import TlsFiles
from streams.settings import Settings

# No per-example deadline: on a loaded 2-core machine one example of a property may take seconds
# for reasons outside it; what each property asserts is its result, not its speed.
hypothesis_settings.register_profile("trendwatch", deadline=None)
hypothesis_settings.load_profile("trendwatch")

ROOT = Path(__file__).resolve().parent.parent


SECURED_USER = "trendwatch-test"
SECURED_PASSWORD = f"pw-{secrets.token_hex(12)}"
"""The secured listeners' user; tests look for this password in everything a run prints and writes."""


@dataclasses.dataclass(frozen=True)
class SecuredKafka:
    """The session broker's secured listeners: ``listeners[protocol]`` is ``host:port``."""

    listeners: dict
    tls: TlsFiles
    username: str = SECURED_USER
    password: str = dataclasses.field(default=SECURED_PASSWORD, repr=False)

    def settings(self, protocol: str, base: Settings, **changes) -> Settings:
        """``base`` pointed at the ``protocol`` listener, with the user or client certificate it needs."""
        values: dict = {"broker": f"kafka://{self.listeners[protocol]}", "security_protocol": protocol}
        if protocol.startswith("SASL_"):
            values.update(sasl_mechanism="SCRAM-SHA-512", sasl_username=self.username, sasl_password=self.password)
        if protocol.endswith("SSL"):
            values["ssl_cafile"] = str(self.tls.ca)
        if protocol == "SSL":
            values.update(ssl_certfile=str(self.tls.client_cert), ssl_keyfile=str(self.tls.client_key))
        return dataclasses.replace(base, **{**values, **changes})


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory):
    """A running single-node KRaft broker: ``.bootstrap`` is ``127.0.0.1:PORT`` (PLAINTEXT)."""
    security = BrokerSecurity(users=((SECURED_USER, SECURED_PASSWORD),),
                              ports={"SASL_SSL": free_port(), "SSL": free_port(), "SASL_PLAINTEXT": free_port()})
    broker = LocalBroker(tmp_path_factory.mktemp("kafka"), port=free_port(), attached=True, security=security)
    broker.start(timeout=120)
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def secured_kafka(kafka_broker) -> SecuredKafka:
    """The session broker's SASL_SSL, SSL (mutual TLS) and SASL_PLAINTEXT listeners, its user and CA."""
    return SecuredKafka(listeners=kafka_broker.listeners(), tls=kafka_broker.tls_files)


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


class Screen:
    """A command in a real terminal: a detached tmux session of its own, read back with capture-pane."""

    def __init__(self, argv: list[str], env: dict[str, str], width: int, height: int):
        import shlex
        import shutil

        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed (Debian package tmux)")
        self.socket = f"tw-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # The shell survives the Ctrl-C sent to the command, then says how the command ended.
        script = f"trap true INT; env {exports} {shlex.join(argv)}; echo \"[exit $?]\"; sleep 600"
        self._tmux("new-session", "-d", "-s", "main", "-x", str(width), "-y", str(height), "sh", "-c", script)

    def _tmux(self, *args: str) -> str:
        import subprocess

        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20,
                              check=True).stdout

    def text(self) -> str:
        """What the terminal shows now (scroll-back included)."""
        return self._tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "main")

    def wait_for(self, *needles: str, timeout: float = 120) -> str:
        """The screen once every one of ``needles`` is on it; AssertionError with the screen otherwise."""
        import time

        deadline, text = time.monotonic() + timeout, ""
        while time.monotonic() < deadline:
            text = self.text()
            if all(n in text for n in needles):
                return text
            time.sleep(0.3)
        raise AssertionError(f"not on the screen after {timeout} s: {needles}\n{text}")

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "main", *keys)

    def close(self) -> None:
        import subprocess

        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20)


@pytest.fixture
def terminal(subprocess_env):
    """``terminal(argv, width=140, height=45)`` runs argv in a real terminal and returns its ``Screen``.

    The environment is ``subprocess_env`` with ``TERM=xterm-256color``; every
    session is killed when the test ends, also on failure.
    """
    screens: list[Screen] = []

    def start(argv: list[str], width: int = 140, height: int = 45, env: dict | None = None) -> Screen:
        wanted = {k: subprocess_env[k] for k in ("PATH", "PYTHONPATH", "PYTHONUNBUFFERED", "HOME")
                  if k in subprocess_env}
        size = {"COLUMNS": str(width), "LINES": str(height)}  # the size a detached session may not get
        screen = Screen(argv, {**wanted, "TERM": "xterm-256color", **size, **(env or {})}, width, height)
        screens.append(screen)
        return screen

    try:
        yield start
    finally:
        for screen in screens:
            screen.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's chromium and chromium-driver) driven by selenium; quit at the end."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1600"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")),
                              options=options)
    try:
        yield driver
    finally:
        driver.quit()
