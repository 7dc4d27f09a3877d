"""prometheus/: the config, alert rules and Alertmanager config pass Prometheus' own tools."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from streams.observe.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
PROM = ROOT / "prometheus"
RULES = yaml.safe_load((PROM / "rules" / "trendwatch.yml").read_text(encoding="utf-8"))
ALERTS = {rule["alert"]: rule for group in RULES["groups"] for rule in group["rules"]}


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is needed (Debian packages prometheus, prometheus-alertmanager)"
    return path


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_promtool_accepts_the_config_and_finds_the_rules():
    result = _run(_tool("promtool"), "check", "config", "prometheus/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


def test_promtool_accepts_the_rules():
    result = _run(_tool("promtool"), "check", "rules", "prometheus/rules/trendwatch.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass():
    result = _run(_tool("promtool"), "test", "rules", "prometheus/tests/trendwatch_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rule_unit_tests_can_fail(tmp_path):
    """The rule tests are not vacuous: with the threshold moved, the trend test fails."""
    rules = (PROM / "rules" / "trendwatch.yml").read_text(encoding="utf-8")
    changed = rules.replace('score{kind="trend"}) >= 5', 'score{kind="trend"}) >= 10')
    assert changed != rules
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "trendwatch.yml").write_text(changed, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    shutil.copy(PROM / "tests" / "trendwatch_test.yml", tmp_path / "tests")
    result = _run(_tool("promtool"), "test", "rules", str(tmp_path / "tests" / "trendwatch_test.yml"))
    assert result.returncode != 0 and "TrendSpike" in result.stdout + result.stderr


def test_every_alert_is_tested_and_explained():
    tests = (PROM / "tests" / "trendwatch_test.yml").read_text(encoding="utf-8")
    assert set(ALERTS) == {"TrendSpike", "SuspiciousBurst", "PipelineStalled", "ConsumerLagGrowing",
                           "DeadLetterRateHigh", "WorkerDown"}
    for name, rule in ALERTS.items():
        assert f"alertname: {name}" in tests, name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name
        assert rule["labels"]["severity"] in ("page", "warning"), name


def test_rules_use_only_metrics_trendwatch_exposes():
    metrics = Metrics(top_k=5)
    metrics.consumer_lag.labels(topic="posts", partition="0").set(1)
    metrics.top.update("x", score=1.0)
    text = generate_latest(metrics.registry).decode("utf-8")
    exposed = {s.name for f in text_string_to_metric_families(text) for s in f.samples}
    exprs = " ".join(rule["expr"] for rule in ALERTS.values())
    used = set(re.findall(r"\btrendwatch_\w+", exprs))
    assert used and used <= exposed, used - exposed


def test_trend_alerts_are_grouped_per_hashtag_and_inhibited_while_stalled():
    config = yaml.safe_load((PROM / "alertmanager.yml").read_text(encoding="utf-8"))
    (trend_route,) = [r for r in config["route"]["routes"]
                      if r["matchers"] == ['alertname =~ "TrendSpike|SuspiciousBurst"']]
    assert "hashtag" in trend_route["group_by"]
    (inhibit,) = config["inhibit_rules"]
    assert inhibit["source_matchers"] == ['alertname = "PipelineStalled"']
    assert inhibit["target_matchers"] == [f'category = "{ALERTS["TrendSpike"]["labels"]["category"]}"']
    assert ALERTS["SuspiciousBurst"]["labels"]["category"] == ALERTS["TrendSpike"]["labels"]["category"]
    assert ALERTS["PipelineStalled"]["labels"]["category"] != ALERTS["TrendSpike"]["labels"]["category"]


def test_only_trends_page():
    assert 'kind="trend"' in ALERTS["TrendSpike"]["expr"] and ALERTS["TrendSpike"]["labels"]["severity"] == "page"
    assert 'kind="suspicious"' in ALERTS["SuspiciousBurst"]["expr"]
    assert ALERTS["SuspiciousBurst"]["labels"]["severity"] == "warning"


def test_amtool_accepts_the_alertmanager_config():
    result = _run(_tool("amtool"), "check-config", "prometheus/alertmanager.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("labels, receiver", [
    (["alertname=TrendSpike", "hashtag=tiktokrefugee", "category=trend"], "webhook"),
    (["alertname=SuspiciousBurst", "hashtag=moonshotcoin", "category=trend"], "webhook"),
    (["alertname=WorkerDown", "instance=worker-1:9464"], "webhook"),
])
def test_amtool_routes_alerts_to_the_webhook(labels, receiver):
    result = _run(_tool("amtool"), "config", "routes", "test", "--config.file=prometheus/alertmanager.yml",
                  "--verify.receivers=" + receiver, *labels)
    assert result.returncode == 0, result.stdout + result.stderr
