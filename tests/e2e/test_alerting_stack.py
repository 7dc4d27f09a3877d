"""End to end: real Prometheus and Alertmanager scrape a real `trendwatch run` and a real worker
on a real broker; a trend alert reaches a webhook; every Grafana query returns data.

A separate test shows the inhibition rule on a real Alertmanager.

Test-only settings keep it short: 1 s scrape and evaluation intervals, `for: 3s` on TrendSpike,
Alertmanager waits of 1 s, and a 10-hour scenario played at 1440x (about 25 s).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
import urllib.request
import uuid

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from e2e_harness import (ROOT, Processes, WebhookReceiver, alertmanager_args, dashboard_queries,  # noqa: E402
                         get_json, interpolate, prometheus_args, reachable, wait_until, write_alertmanager_config,
                         write_prometheus_config, write_rules)
from streams.kafka.broker import free_port  # noqa: E402

pytestmark = pytest.mark.e2e

SPIKE = "e2espike"
SCENARIO = f"""
name: e2e-spike
description: Six quiet hours, then a three-hour step surge of #{SPIKE}.
start: 2025-03-03T00:00:00Z
duration: 10h
background: {{tags: 300, zipf: 1.1, posts_per_second: 0.5, tags_per_post: 1.5, authors: 5000, views_per_post: 300}}
surges:
  - {{tag: {SPIKE}, start: 2025-03-03T06:00:00Z, duration: 3h, shape: step, posts: 15000, views: 5000000,
     authors: 3000}}
"""
SPEED = "1440"
RATE_INTERVAL = "5s"  # Grafana's $__rate_interval for a 1 s scrape interval


class Stack:
    def __init__(self, procs: Processes, webhook: WebhookReceiver, prometheus: str, started: float):
        self.procs, self.webhook, self.prometheus, self.started = procs, webhook, prometheus, started

    def api(self, path: str, **params):
        body = get_json(f"{self.prometheus}/api/v1/{path}", params)
        assert body["status"] == "success", body
        return body["data"]


def _trendwatch(*args: str) -> list[str]:
    return [sys.executable, "-m", "streams", "--log-level", "INFO", *args]


@pytest.fixture(scope="module")
def stack(kafka_broker, tmp_path_factory):
    directory = tmp_path_factory.mktemp("e2e")
    (directory / "spike.yaml").write_text(SCENARIO, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRENDWATCH_")}
    env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    prefix, broker = f"e2e{uuid.uuid4().hex[:8]}-", f"kafka://{kafka_broker.bootstrap}"
    ports = {name: free_port() for name in ("prometheus", "alertmanager", "run", "worker")}
    procs, webhook = Processes(directory), WebhookReceiver()
    try:
        procs.start("worker", _trendwatch("worker", "--broker", broker, "--prefix", prefix, "--app-id",
                                          f"{prefix}app", "--partitions", "2", "--web-port", "0"),
                    dict(env, TRENDWATCH_METRICS_PORT=str(ports["worker"]), TRENDWATCH_IDLE_FLUSH="2",
                         TRENDWATCH_DATA_DIR=str(directory / "data")))
        write_rules(directory, {"TrendSpike": "3s"})
        config = write_prometheus_config(
            directory, {"trendwatch-run": f"127.0.0.1:{ports['run']}",
                        "trendwatch-worker": f"127.0.0.1:{ports['worker']}"},
            f"127.0.0.1:{ports['alertmanager']}", interval="1s")
        procs.start("alertmanager", alertmanager_args(write_alertmanager_config(directory, webhook.url),
                                                      directory / "am-data", ports["alertmanager"]))
        procs.start("prometheus", prometheus_args(config, directory / "prom-data", ports["prometheus"]))
        prometheus = f"http://127.0.0.1:{ports['prometheus']}"
        for name, url in (("alertmanager", f"http://127.0.0.1:{ports['alertmanager']}/-/ready"),
                          ("prometheus", f"{prometheus}/-/ready"),
                          ("worker", f"http://127.0.0.1:{ports['worker']}/metrics")):
            wait_until(lambda: reachable(url) or not procs.alive(name), 60, f"{name} at {url}")
            assert procs.alive(name), procs.log(name)
        started = time.time()
        procs.start("simulate", _trendwatch("simulate", "--scenario", str(directory / "spike.yaml"),
                                            "--broker", broker, "--prefix", prefix, "--speed", SPEED), env)
        procs.start("run", _trendwatch("run", "--scenario", str(directory / "spike.yaml"), "--speed", SPEED,
                                       "--follow", "--metrics-port", str(ports["run"])), env)
        yield Stack(procs, webhook, prometheus, started)
    finally:
        procs.stop_all()
        webhook.stop()


@pytest.fixture(scope="module")
def trend_alert(stack) -> dict:
    """The first TrendSpike notification for the surging hashtag (waits at most 90 s)."""
    def firing():
        return [a for a in stack.webhook.alerts() if a["labels"]["alertname"] == "TrendSpike"
                and a["labels"].get("hashtag") == SPIKE and a["status"] == "firing"]
    try:
        return wait_until(firing, 90, f"a TrendSpike alert for #{SPIKE} at the webhook")[0]
    except AssertionError:
        print(stack.procs.logs())
        raise


def test_a_trend_alert_reaches_the_webhook_grouped_by_hashtag(stack, trend_alert):
    assert trend_alert["groupLabels"] == {"alertname": "TrendSpike", "hashtag": SPIKE}
    assert trend_alert["labels"]["severity"] == "page"
    assert trend_alert["annotations"]["summary"].startswith(f"#{SPIKE} is trending (score ")
    posts = re.search(r"Latest window:\s+([\d.]+) posts/s", trend_alert["annotations"]["description"])
    assert posts and float(posts.group(1)) > 0, trend_alert["annotations"]["description"]
    for body in stack.webhook.received:
        if body["groupLabels"].get("alertname") == "TrendSpike":
            assert len({a["labels"]["hashtag"] for a in body["alerts"]}) == 1
    assert "run" in stack.procs.running and stack.procs.alive("run"), stack.procs.log("run")


def test_prometheus_scraped_the_run_and_the_worker(stack, trend_alert):
    targets = stack.api("targets")["activeTargets"]
    assert {t["labels"]["job"]: t["health"] for t in targets} == {"trendwatch-run": "up", "trendwatch-worker": "up"}
    lag = stack.api("query", query="trendwatch_consumer_lag")["result"]
    assert lag and {r["metric"]["job"] for r in lag} == {"trendwatch-worker"}


def _has_data(result) -> bool:
    if not result:
        return False
    values = [v for series in result for _, v in series.get("values", [series.get("value")])]
    return any(math.isfinite(float(v)) for v in values)


def _run_query(stack: Stack, kind: str, expr: str):
    if kind == "variable":
        match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", expr)
        assert match, expr
        return stack.api(f"label/{match.group(2)}/values", **{"match[]": match.group(1), "start": stack.started})
    if kind == "instant":
        return stack.api("query", query=expr)["result"]
    return stack.api("query_range", query=expr, start=stack.started, end=time.time(), step="1s")["result"]


@pytest.mark.parametrize("dashboard", ["trendwatch-overview.json", "trendwatch-hashtag.json"])
def test_every_grafana_query_returns_data(stack, trend_alert, dashboard):
    """Every panel and variable query has data from the start of the run until now.

    A metric that moves only at alerts (the event-to-alert histogram) has a
    rate only once Prometheus has scraped it before and after an alert; the
    first alert of ``run`` can come before its first scrape, so the check is
    repeated (for at most 60 s) while the worker's alerts arrive too.
    """
    model = json.loads((ROOT / "grafana" / "dashboards" / dashboard).read_text(encoding="utf-8"))
    values = {"job": ".+", "hashtag": SPIKE, "__rate_interval": RATE_INTERVAL}
    queries = dashboard_queries(model)
    assert len(queries) > 5
    for where, kind, expr in queries:
        if kind == "variable":
            result = _run_query(stack, kind, interpolate(expr, values))
            assert result, f"{where}: {expr} has no values"
            if "hashtag" in expr:
                assert SPIKE in result
            if "job" in expr:
                assert {"trendwatch-run", "trendwatch-worker"} <= set(result)
    empty: list[str] = []

    def all_have_data() -> bool:
        empty[:] = [f"{where}: {expr}" for where, kind, expr in queries
                    if kind != "variable" and not _has_data(_run_query(stack, kind, interpolate(expr, values)))]
        return not empty

    try:
        wait_until(all_have_data, 60, "data for every query", every=2)
    except AssertionError:
        raise AssertionError("queries without data:\n" + "\n".join(empty)) from None


def test_alertmanager_holds_back_trend_alerts_while_the_pipeline_is_stalled(tmp_path):
    """The inhibition rule of prometheus/alertmanager.yml, on a real Alertmanager of its own."""
    procs, webhook, port = Processes(tmp_path), WebhookReceiver(), free_port()
    api = f"http://127.0.0.1:{port}/api/v2/alerts"
    try:
        procs.start("alertmanager", alertmanager_args(write_alertmanager_config(tmp_path, webhook.url),
                                                      tmp_path / "am-data", port))
        wait_until(lambda: reachable(f"http://127.0.0.1:{port}/-/ready") or not procs.alive("alertmanager"),
                   30, "alertmanager")
        alerts = [{"labels": {"alertname": "PipelineStalled", "category": "pipeline", "severity": "page"}},
                  {"labels": {"alertname": "TrendSpike", "category": "trend", "severity": "page",
                              "hashtag": "stale"}},
                  {"labels": {"alertname": "WorkerDown", "category": "pipeline", "severity": "warning",
                              "instance": "worker-2:9464"}}]
        request = urllib.request.Request(api, data=json.dumps(alerts).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).close()

        def states():
            found = {a["labels"]["alertname"]: a["status"]["state"] for a in get_json(api)}
            return found if len(found) == 3 and "unprocessed" not in found.values() else None
        assert wait_until(states, 30, "alert states") == {
            "PipelineStalled": "active", "TrendSpike": "suppressed", "WorkerDown": "active"}
        wait_until(lambda: {a["labels"]["alertname"] for a in webhook.alerts()} >= {"PipelineStalled", "WorkerDown"},
                   30, "notifications of the pipeline alerts")
        time.sleep(2)  # more than group_wait: a TrendSpike notification would have arrived by now
        assert "TrendSpike" not in {a["labels"]["alertname"] for a in webhook.alerts()}
    finally:
        procs.stop_all()
        webhook.stop()
