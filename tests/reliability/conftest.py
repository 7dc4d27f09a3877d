"""Fixtures of the reliability tests: one simulated history, made once per session."""

from __future__ import annotations

import pytest

from streams.cli import main


@pytest.fixture(scope="session")
def flash_history(tmp_path_factory):
    """The surge-flash scenario at 2 % scale (about 72 h of event time) as JSON Lines."""
    path = tmp_path_factory.mktemp("history") / "flash.jsonl"
    assert main(["simulate", "--scenario", "surge-flash", "--scale", "0.02", "--seed", "3",
                 "--out", str(path)]) == 0
    return path


_REPORT: list[str] = []


@pytest.fixture
def report():
    """``report(line)``: a measured number, printed in the summary at the end of the run."""
    return _REPORT.append


def pytest_terminal_summary(terminalreporter):
    if _REPORT:
        terminalreporter.section("reliability measurements")
        for line in _REPORT:
            terminalreporter.write_line(line)
