"""The CLI's contract: --help/--version everywhere, one-line errors, exit codes."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from streams import __version__
from streams.cli import cli
from streams.kafka.broker import free_port


def _commands(group: click.Group, path=()):
    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "streams", *args], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("path", sorted(_commands(cli)), ids=" ".join)
def test_every_command_has_help_and_version(path):
    from click.testing import CliRunner

    runner = CliRunner()
    helped = runner.invoke(cli, [*path, "--help"])
    assert helped.exit_code == 0 and "Usage:" in helped.output
    versioned = runner.invoke(cli, [*path, "--version"])
    assert versioned.exit_code == 0 and __version__ in versioned.output


def test_bad_flag_exits_2_without_traceback():
    done = _run("topics", "create", "--no-such-flag")
    assert done.returncode == 2
    assert "No such option" in done.stderr and "Traceback" not in done.stderr


def test_bad_value_exits_2_with_one_error_line():
    done = _run("topics", "create", "--broker", "not a broker")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Error: --broker: 'not a broker' is not host:port (e.g. kafka://localhost:9092)"]


def test_unreachable_broker_is_one_line_and_exit_1():
    done = _run("topics", "create", "--broker", f"kafka://127.0.0.1:{free_port()}")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot reach the Kafka broker")
    assert "trendwatch kafka start" in lines[0]


def test_broker_from_environment(monkeypatch):
    port = free_port()
    done = subprocess.run([sys.executable, "-m", "streams", "topics", "create"], capture_output=True,
                          text=True, timeout=60, env={**__import__("os").environ,
                                                     "TRENDWATCH_BROKER": f"kafka://127.0.0.1:{port}"})
    assert done.returncode == 1 and f"127.0.0.1:{port}" in done.stderr


def test_status_of_a_broker_that_never_ran_exits_1(tmp_path):
    done = _run("kafka", "status", "--data-dir", str(tmp_path))
    assert done.returncode == 1 and "not running" in done.stdout


@pytest.mark.parametrize("argv,message", [
    (["worker", "--allowed-lateness", "3x"], "Error: --allowed-lateness: '3x' is not a duration"),
    (["worker", "--windows", "5m,soon"], "Error: --windows: 'soon' is not a duration"),
    (["worker", "--top-k", "0"], "Error: --top-k must be at least 1"),
    (["worker", "--idle-flush", "0"], "Error: --idle-flush must be a positive number"),
    (["watch", "--size", "7m"], "Error: --size 7m: the workers publish windows of 1m, 5m, 1h, 1d"),
    (["run", "--scale", "0"], "Error: --scale must be a positive number"),
])
def test_worker_and_view_flags_are_checked_and_named_in_errors(argv, message):
    from streams.cli import main

    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(argv) == 2
    assert err.getvalue().startswith(message) and "Traceback" not in err.getvalue()
