"""``trendwatch replay`` to files: refusing bad input, skipping it, pacing, stop and resume."""

import json
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from streams.cli import cli, main
from streams.sources.pacing import FileSink, GracefulStop, pump

T0 = 1_736_726_400_000


def write_events(path, n, step_ms=1000, bad_at=None):
    lines = []
    for i in range(n):
        lines.append("{not json" if i == bad_at else json.dumps(
            {"v": 1, "type": "post", "id": f"p{i}", "ts": T0 + i * step_ms, "author": f"a{i % 5}",
             "text": "#x"}))
    path.write_text("\n".join(lines) + "\n")
    return path


def ids(path):
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_bad_input_sends_nothing_unless_skipped(tmp_path, capsys):
    source = write_events(tmp_path / "in.jsonl", 20, bad_at=7)
    out = tmp_path / "out.jsonl"
    assert main(["replay", str(source), "--out", str(out), "--state", str(tmp_path / "s.json")]) == 1
    assert "in.jsonl:8: bad_json" in capsys.readouterr().err and not out.exists()
    assert main(["replay", str(source), "--out", str(out), "--skip-bad", "--state", str(tmp_path / "s.json")]) == 0
    assert ids(out) == [f"p{i}" for i in range(20) if i != 7]
    assert "1 bad line(s) skipped" in capsys.readouterr().out


def test_check_only_reports_and_sends_nothing(tmp_path, capsys):
    source = write_events(tmp_path / "in.jsonl", 5, bad_at=3)
    assert main(["replay", str(source), "--check", "--out", str(tmp_path / "o.jsonl")]) == 1
    out = capsys.readouterr()
    assert "in.jsonl:4: bad_json" in out.out and "4 events from 2025-01-13T00:00:00.000Z to 2025-01-13T00:00:04.000Z" \
        in out.out and "1 bad line(s)" in out.err
    assert not (tmp_path / "o.jsonl").exists()
    good = write_events(tmp_path / "good.jsonl", 2)
    assert main(["replay", str(good), "--check"]) == 0


def test_from_to_and_progress(tmp_path):
    source = write_events(tmp_path / "in.jsonl", 10)
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["replay", str(source), "--out", str(out), "--from", "2025-01-13T00:00:02Z",
                                      "--to", str(T0 + 5000), "--progress", "--state", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    assert ids(out) == ["p2", "p3", "p4"]
    assert "3/3 (100%) events" in result.output and "event time 2025-01-13 00:00:04" in result.output


@pytest.mark.parametrize("args, fragment", [
    (["--speed", "-1"], "--speed"), (["--from", "someday"], "--from"), (["--reorder", "-5"], "reorder"),
])
def test_usage_errors_exit_2(tmp_path, capsys, args, fragment):
    source = write_events(tmp_path / "in.jsonl", 3)
    assert main(["replay", str(source), "--out", str(tmp_path / "o.jsonl"), *args]) == 2
    assert fragment in capsys.readouterr().err


def test_missing_file_exits_1(tmp_path, capsys):
    assert main(["replay", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.jsonl")]) == 1
    assert "Error: cannot read" in capsys.readouterr().err


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_pump_keeps_event_time_at_the_requested_speed(tmp_path):
    clock = FakeClock()
    events = [{"ts": T0 + i * 1000} for i in range(11)]  # ten seconds of event time
    sent = pump(events, FileSink(tmp_path / "x.jsonl"), speed=5.0, clock=clock, sleep=clock.sleep)
    assert sent == 11 and clock.now == pytest.approx(2.0, abs=0.01)
    clock2 = FakeClock()
    pump(events, FileSink(tmp_path / "y.jsonl"), speed=None, clock=clock2, sleep=clock2.sleep)
    assert clock2.now == 0.0


def test_pump_stops_between_events():
    sent = []

    class Sink:
        def send(self, event):
            sent.append(event)

        def push(self):
            pass

    flag = GracefulStop()
    events = ({"ts": T0 + i} for i in range(100))

    def stop():
        flag.requested = len(sent) >= 30
        return flag()
    assert pump(events, Sink(), None, stop=stop) == 30 and len(sent) == 30


def test_interrupted_replay_resumes_without_duplicates(tmp_path, subprocess_env):
    source = write_events(tmp_path / "in.jsonl", 400, step_ms=100)  # 40 s of event time
    out, state = tmp_path / "out.jsonl.gz", tmp_path / "state.json"
    cmd = [sys.executable, "-m", "streams", "replay", str(source), "--out", str(out), "--state", str(state),
           "--speed", "10"]
    proc = subprocess.Popen(cmd, env=subprocess_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30  # interrupt once the replay has started, however slow the start
    while not state.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    first = json.loads(state.read_text())
    assert 0 < first["sent"] < 400 and not first["done"]
    done = subprocess.run(cmd[:-2] + ["--speed", "max", "--resume"], env=subprocess_env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    import gzip
    got = [json.loads(line)["id"] for line in gzip.decompress(out.read_bytes()).decode().splitlines()]
    assert got == [f"p{i}" for i in range(400)]
    again = subprocess.run(cmd[:-2] + ["--resume"], env=subprocess_env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "already finished" in again.stderr
    changed = subprocess.run(cmd[:-2] + ["--resume", "--from", str(T0 + 5)], env=subprocess_env,
                             capture_output=True, text=True, timeout=60)
    assert changed.returncode == 2 and "differ" in changed.stderr
