"""The worker's /metrics on Faust's web server: domain metrics and Faust's own sensor together."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from streams.cli import main
from streams.kafka.broker import free_port

sys.path.insert(0, str(Path(__file__).parent))
from worker_harness import stop_process  # noqa: E402


def _samples(port: int) -> dict[tuple, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_worker_serves_domain_and_faust_metrics_on_its_web_port(
        kafka_settings, python, subprocess_env, tmp_path):
    settings = dataclasses.replace(kafka_settings, partitions=2)
    path = tmp_path / "posts.jsonl"
    assert main(["simulate", "--scenario", "surge-flash", "--scale", "0.01", "--seed", "5",
                 "--out", str(path)]) == 0
    posts = sum(1 for line in path.read_text().splitlines() if '"type":"post"' in line)
    assert main(["replay", str(path), "--broker", settings.broker, "--prefix", settings.topic_prefix,
                 "--partitions", "2"]) == 0
    web = free_port()
    env = dict(subprocess_env, TRENDWATCH_METRICS_PORT="0", TRENDWATCH_DATA_DIR=str(tmp_path / "data"))
    log = open(tmp_path / "worker.log", "wb")
    worker = subprocess.Popen([python, "-m", "streams", "worker", "--broker", settings.broker, "--prefix",
                               settings.topic_prefix, "--app-id", settings.app_id, "--web-port", str(web)],
                              env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    key = ("trendwatch_events_total", (("type", "post"),))
    try:
        deadline, seen = time.monotonic() + 90, {}
        while time.monotonic() < deadline and seen.get(key, 0) < posts:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            try:
                seen = _samples(web)
            except OSError:
                seen = {}
            time.sleep(1)
    finally:
        stop_process(worker, timeout=30)
        log.close()
    assert seen.get(key) == posts
    assert seen.get(("faust_messages_received_total", ()), 0) > 0
    assert any(name.startswith("faust_") and "rebalance" in name for name, _ in seen)
