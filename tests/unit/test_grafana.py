"""Grafana provisioning and dashboards: schema-valid, generated, and every datasource reference resolves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
SCHEMA = json.loads((ROOT / "tests" / "schemas" / "grafana-dashboard.schema.json").read_text(encoding="utf-8"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _datasources() -> list[dict]:
    found = []
    for path in (GRAFANA / "provisioning" / "datasources").glob("*.yml"):
        found += yaml.safe_load(path.read_text(encoding="utf-8"))["datasources"]
    return found


def _references(node) -> list[dict]:
    """Every ``datasource`` object anywhere in a dashboard."""
    refs = []
    if isinstance(node, dict):
        if isinstance(node.get("datasource"), dict):
            refs.append(node["datasource"])
        for value in node.values():
            refs += _references(value)
    elif isinstance(node, list):
        for value in node:
            refs += _references(value)
    return refs


def test_both_dashboards_exist():
    assert [p.name for p in DASHBOARDS] == ["trendwatch-hashtag.json", "trendwatch-overview.json"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_satisfies_grafanas_schema(path):
    errors = sorted(jsonschema.Draft7Validator(SCHEMA).iter_errors(_load(path)), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors)


def test_the_schema_rejects_a_broken_dashboard():
    broken = _load(DASHBOARDS[0])
    broken["panels"][1]["gridPos"]["w"] = 30
    del broken["templating"]
    assert len(list(jsonschema.Draft7Validator(SCHEMA).iter_errors(broken))) >= 2


def test_committed_dashboards_equal_the_generated_ones():
    result = subprocess.run([sys.executable, str(GRAFANA / "generate.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_datasource_has_a_fixed_uid_and_points_at_compose_prometheus():
    (datasource,) = _datasources()
    assert datasource["uid"] == "trendwatch-prometheus"
    assert datasource["type"] == "prometheus" and datasource["url"] == "http://prometheus:9090"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_datasource_reference_resolves(path):
    provisioned = {d["uid"]: d["type"] for d in _datasources()}
    refs = _references(_load(path))
    assert len(refs) > 5
    for ref in refs:
        if ref == {"type": "grafana", "uid": "-- Grafana --"}:
            continue  # Grafana's built-in annotations
        assert provisioned.get(ref.get("uid")) == ref.get("type"), ref


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_panels_have_unique_ids_titles_and_fit_the_grid(path):
    panels = _load(path)["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    occupied = set()
    for panel in panels:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        cells = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not cells & occupied, f"{panel['title']} overlaps another panel"
        occupied |= cells
        assert panel.get("title")
        if panel["type"] != "row":
            assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]


def test_overview_tells_the_story_and_offers_a_hashtag_variable():
    overview = _load(GRAFANA / "dashboards" / "trendwatch-overview.json")
    rows = [p["title"] for p in overview["panels"] if p["type"] == "row"]
    assert rows[0].startswith("Pipeline health") and rows[1].startswith("Kafka") and rows[2] == "Trending hashtags"
    exprs = " ".join(t["expr"] for p in overview["panels"] if p["type"] != "row" for t in p["targets"])
    for metric in ("trendwatch_events_total", "trendwatch_invalid_events_total", "trendwatch_stage_seconds_bucket",
                   "trendwatch_consumer_lag", "trendwatch_rebalances_total", "trendwatch_hashtag_trend_score"):
        assert metric in exprs
    variables = {v["name"]: v for v in overview["templating"]["list"]}
    assert variables["hashtag"]["query"] == "label_values(trendwatch_hashtag_trend_score, hashtag)"
    annotations = [a for a in overview["annotations"]["list"] if a.get("expr")]
    assert annotations and "TrendSpike" in annotations[0]["expr"]


def test_drill_down_is_linked_from_the_overview():
    overview = _load(GRAFANA / "dashboards" / "trendwatch-overview.json")
    hashtag = _load(GRAFANA / "dashboards" / "trendwatch-hashtag.json")
    assert any(f"/d/{hashtag['uid']}/" in link["url"] for link in overview["links"])
    assert all('$hashtag' in t["expr"] for p in hashtag["panels"] if p["type"] != "row" for t in p["targets"])


def test_provider_loads_the_directory_compose_mounts():
    (provider,) = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "trendwatch.yml").read_text())["providers"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{provider['options']['path']}:ro" in mounts
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in mounts
