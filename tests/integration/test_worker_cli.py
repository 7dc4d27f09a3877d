"""``trendwatch worker`` from the command line: error paths, and the RocksDB store on the real broker."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from streams.cli import main
from streams.kafka.broker import free_port

sys.path.insert(0, str(Path(__file__).parent))
from worker_harness import Workers, reference_counts, window_reader  # noqa: E402


def run_cli(python, env, *args, timeout=60):
    return subprocess.run([python, "-m", "streams", "worker", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_unreachable_broker_is_one_error_line(python, subprocess_env):
    done = run_cli(python, subprocess_env, "--broker", f"kafka://127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert done.stderr.startswith("Error: cannot reach the Kafka broker") and "Traceback" not in done.stderr


def test_bad_flags_are_usage_errors(python, subprocess_env):
    done = run_cli(python, subprocess_env, "--store", "disk")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    bad_env = dict(subprocess_env, TRENDWATCH_LATE_POLICY="keep")
    done = run_cli(python, bad_env, "--broker", "kafka://127.0.0.1:1")
    assert done.returncode == 2 and done.stderr.startswith("Error: --late-policy")
    done = run_cli(python, subprocess_env, "--broker", "kafka://127.0.0.1:1", "--group-instance-id", "pod 1")
    assert done.returncode == 2 and done.stderr.startswith("Error: --group-instance-id: 'pod 1' is not an id")
    done = run_cli(python, subprocess_env, "--broker", "kafka://127.0.0.1:1", "--group-instance-id", "pod-1",
                   "--metrics-port", "0")
    assert done.returncode == 2 and done.stderr.startswith("Error: --group-instance-id needs a fixed --metrics-port")


def test_metrics_port_in_use_is_one_error_line(kafka_settings, python, subprocess_env):
    import socket
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        env = dict(subprocess_env, TRENDWATCH_METRICS_PORT=str(busy.getsockname()[1]))
        done = run_cli(python, env, "--broker", kafka_settings.broker, "--prefix", kafka_settings.topic_prefix)
    assert done.returncode == 2 and done.stderr.startswith("Error: cannot serve metrics"), done.stderr


def test_rocksdb_store_counts_exactly(kafka_settings, python, subprocess_env, tmp_path):
    settings = dataclasses.replace(kafka_settings, partitions=2)
    events = [{"v": 1, "type": "post", "id": f"p{i}", "ts": 1_736_726_400_000 + i * 7_000,
               "author": f"u{i % 13}", "text": f"#tag{i % 5} #rocks", "hashtags": [f"tag{i % 5}", "rocks"]}
              for i in range(600)]
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(__import__("json").dumps(e) + "\n" for e in events))
    assert main(["replay", str(path), "--broker", settings.broker, "--prefix", settings.topic_prefix,
                 "--partitions", "2"]) == 0
    expected = reference_counts(events)
    with Workers(python, subprocess_env, settings, tmp_path, {"TRENDWATCH_STORE": "rocksdb"}) as pool, \
            window_reader(settings.bootstrap_servers, settings.topic("hashtag-windows")) as reader:
        pool.start(2)
        assert reader.wait_for(expected, timeout=90, workers=pool.procs) == expected, pool.tail()
    assert any((tmp_path / "data").rglob("*count-state*")), "RocksDB files were written"
