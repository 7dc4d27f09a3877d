"""`trendwatch run` and `trendwatch backtest` through the real CLI entry point."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from streams.cli import main
from streams.sources.scenario import load_scenario
from streams.sources.simulator import generate, labels


def _sample(body: str, name: str, labels: dict) -> float:
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_flags_the_surge_prints_why_and_a_summary(capsys):
    code = main(["run", "--scenario", "surge-flash", "--scale", "0.2", "--metrics-port", "0"])
    out = capsys.readouterr().out
    assert code == 0
    assert "TREND      started  #earthquake  score" in out and "expected" in out
    assert "#earthquake flagged as a trend 5 min after its surge began" in out
    assert "Summary:" in out and "Precision 1.0, recall 1.0" in out


def test_run_default_scenario_flags_tiktokrefugee_within_hours(capsys):
    assert main(["run", "--scale", "0.1", "--metrics-port", "0"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("  #tiktokrefugee flagged as a trend"))
    minutes = float(line.split(" trend ")[1].split(" min ")[0])
    assert minutes <= 180
    assert "#moonshotcoin (bot decoy): 0 trend, 1 suspicious" in out


def test_run_serves_metrics_while_following_and_stops_cleanly_on_ctrl_c():
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streams", "run", "--scenario", "surge-flash", "--scale", "0.2",
                             "--metrics-port", str(port), "--follow"], stdout=subprocess.PIPE, text=True)
    try:
        deadline, body, started = time.monotonic() + 120, "", 0.0
        while time.monotonic() < deadline and started < 1:
            time.sleep(0.5)
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
            except OSError:
                continue
            started = _sample(body, "trendwatch_alerts_total", {"kind": "trend", "state": "started"})
        assert started >= 1
        assert "trendwatch_windows_closed_total" in body and "trendwatch_tracked_tags" in body
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "Summary:" in out


@pytest.mark.parametrize("argv,code,message", [
    (["run", "--broker", "no port here"], 2, "--broker"),
    (["run", "--broker", "kafka://127.0.0.1:9"], 1, "cannot reach the Kafka broker at kafka://127.0.0.1:9"),
    (["run", "--input", "/nonexistent/posts.jsonl"], 1, "cannot read /nonexistent/posts.jsonl"),
    (["run", "--scenario", "no-such-scenario"], 2, "no scenario 'no-such-scenario'"),
    (["backtest"], 2, "give input files"),
    (["backtest", "/nonexistent.jsonl"], 1, "cannot read"),
    (["backtest", "--counts", "/nonexistent.csv"], 1, "cannot read"),
])
def test_user_errors_print_one_line_and_exit_non_zero(capsys, argv, code, message):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and message in err and "Traceback" not in err


def test_run_metrics_port_in_use_is_a_usage_error(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["run", "--metrics-port", str(busy.getsockname()[1])]) == 2
    assert "pick another port" in capsys.readouterr().err


@pytest.fixture(scope="module")
def step_file(tmp_path_factory):
    root = tmp_path_factory.mktemp("step")
    scenario = load_scenario("surge-step").scaled(0.2)
    data, truth = root / "step.jsonl", root / "labels.json"
    data.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in generate(scenario, 5)))
    truth.write_text(json.dumps(labels(scenario, 5)))
    return data, truth


def test_backtest_json_has_alerts_and_evaluation_and_writes_a_report(capsys, step_file, tmp_path):
    data, truth = step_file
    report = tmp_path / "report.html"
    assert main(["backtest", str(data), "--labels", str(truth), "--json", "--report", str(report)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {a["hashtag"] for a in doc["alerts"] if a["kind"] == "trend"} == {"citywalk", "travel"}
    assert all(set(a) >= {"score", "observed", "expected", "growth", "unique_authors", "related",
                          "projected_views", "projection_horizon_h", "window_start", "window_end"}
               for a in doc["alerts"])
    e = doc["evaluation"]
    assert (e["precision"], e["recall"]) == (1.0, 1.0)
    assert [s["detected"] for s in e["surges"]] == [True, True]
    assert "citywalk" in report.read_text()


def test_backtest_text_without_labels(capsys, step_file):
    assert main(["backtest", str(step_file[0])]) == 0
    out = capsys.readouterr().out
    assert "#citywalk" in out and "posts/s" in out and "precision" not in out


def test_backtest_bad_labels_exit_1(capsys, step_file, tmp_path):
    bad = tmp_path / "labels.json"
    bad.write_text("[1, 2]")
    assert main(["backtest", str(step_file[0]), "--labels", str(bad)]) == 1
    assert "need start, end and surges" in capsys.readouterr().err


def test_backtest_counts(capsys, tmp_path):
    path = tmp_path / "series.csv"
    rows = [f"2025-01-{1 + i // 24:02d}T{i % 24:02d}:00:00Z,{30 + i % 4}" for i in range(24 * 6)]
    rows += [f"2025-01-07T{h:02d}:00:00Z,{300 * (h + 1)}" for h in range(3)]
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    assert main(["backtest", "--counts", str(path), "--tag", "RedNote", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(a["hashtag"], a["kind"], a["size"]) for a in doc["alerts"]] == [("rednote", "trend", "1h")]


def test_run_stopped_early_without_follow_exits_130():
    proc = subprocess.Popen([sys.executable, "-m", "streams", "run", "--scenario", "steady-week",
                             "--metrics-port", "0", "--speed", "2000"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # printed once the stop handler is in place
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        out = first + out
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "Summary:" in out and "Stopped early" in err


def test_run_input_count_series_is_scored_at_its_own_interval(capsys, tmp_path):
    path = tmp_path / "matcha.csv"
    rows = [f"{1_736_640_000 + i * 3600},{25 + i % 5}" for i in range(24 * 6)]
    rows += [f"{1_736_640_000 + (24 * 6 + h) * 3600},{250 * (h + 2)}" for h in range(3)]
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    assert main(["run", "--input", str(path), "--metrics-port", "0"]) == 0
    out = capsys.readouterr().out
    assert "TREND      started  #matcha" in out and "Episodes: 1 trend (#matcha)" in out


def test_run_and_backtest_count_the_same_windows_or_say_why(capsys, step_file, monkeypatch):
    data, _ = step_file
    assert main(["backtest", str(data)]) == 0
    text = capsys.readouterr().out
    assert "(at 5m and 1h; `trendwatch run` also counts 1m and 1d, which the detector does not read)" in text
    assert main(["backtest", str(data), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["window_sizes"] == ["5m", "1h"]
    assert main(["run", "--input", str(data), "--plain", "--metrics-port", "0"]) == 0
    every_size = capsys.readouterr().out
    assert " windows at 1m, 5m, 1h and 1d, " in every_size
    monkeypatch.setenv("TRENDWATCH_WINDOW_SIZES", "5m,1h")
    assert main(["run", "--input", str(data), "--plain", "--metrics-port", "0"]) == 0
    same_sizes = capsys.readouterr().out
    assert f" {doc['windows']:,} windows at 5m and 1h, " in same_sizes
    assert "Try next:" in same_sizes
