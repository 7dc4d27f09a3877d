"""The hostile corpus mixed into a valid file, through ``backtest``, ``run --input`` and ``replay``:
every bad line reported as ``file:line: reason``, every valid event counted, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile import hostile  # noqa: E402

pytestmark = pytest.mark.reliability

REPLAY_UNBOUNDED = {"ts_behind", "ts_future"}
"""Reasons only a consumer decides (against its stream's clock and the wall clock): replay sends these."""


@pytest.fixture(scope="module")
def mixed(flash_history, tmp_path_factory):
    """``(path, cases, first line number of the cases, valid posts)``: the corpus in the middle of the history."""
    lines = [line for line in flash_history.read_bytes().split(b"\n") if line.strip()]
    middle = len(lines) // 2
    cases = hostile(max(json.loads(line)["ts"] for line in lines[:middle]))  # the stream's clock there
    path = tmp_path_factory.mktemp("hostile") / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines[:middle] + [c.raw for c in cases] + lines[middle:]) + b"\n")
    posts = sum(json.loads(line)["type"] == "post" for line in lines)
    return path, cases, middle + 1, posts


def trendwatch(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "streams", *args], capture_output=True, timeout=timeout)


def expected_lines(mixed, skip=frozenset()) -> list[str]:
    path, cases, first, _ = mixed
    return [f"{path}:{first + i}: {c.reason}" for i, c in enumerate(cases) if c.reason and c.reason not in skip]


def reported(stderr: bytes, prefix: str) -> list[str]:
    return [": ".join(line.removeprefix(prefix).split(": ")[:2]) for line in stderr.decode().splitlines()
            if line.startswith(prefix)]


def test_backtest_reports_every_bad_line_and_counts_every_valid_event(mixed, flash_history):
    path, cases, _, posts = mixed
    done = trendwatch("backtest", "--json", str(path))
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    bad = [c for c in cases if c.reason]
    assert doc["rejected"] == len(bad)
    assert doc["posts"] == posts + len(cases) - len(bad)
    assert [": ".join(s.split(": ")[:2]) for s in doc["rejected_lines"]] == expected_lines(mixed)
    assert reported(done.stderr, "rejected ") == expected_lines(mixed)


def test_run_input_reports_every_bad_line(mixed):
    path, cases, _, posts = mixed
    done = trendwatch("run", "--input", str(path), "--metrics-port", "0")
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr[-2000:]
    assert reported(done.stderr, "rejected ") == expected_lines(mixed)
    assert f"{sum(1 for c in cases if c.reason)} rejected".encode() in done.stdout


def test_replay_check_and_skip_bad_report_every_bad_line(mixed, tmp_path):
    path, cases, _, posts = mixed
    want = expected_lines(mixed, skip=REPLAY_UNBOUNDED)
    check = trendwatch("replay", str(path), "--check")
    assert check.returncode == 1 and b"Traceback" not in check.stderr, check.stderr[-2000:]
    assert reported(check.stdout, str(path)) == [w.removeprefix(str(path)) for w in want]
    out = tmp_path / "out.jsonl"
    skipped = trendwatch("replay", str(path), "--skip-bad", "--out", str(out), "--speed", "max")
    assert skipped.returncode == 0, skipped.stderr[-2000:]
    sent = [json.loads(line) for line in out.read_bytes().splitlines()]
    assert len(sent) == sum(1 for _ in path.read_bytes().splitlines()) - len(want)
