"""The HTTP API on a real server with real requests: answers, errors, forwarding, and openapi.json kept true."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timezone

import jsonschema
import pytest
from prometheus_client import CollectorRegistry

from streams.embedded.runner import Pipeline, run, scenario_records
from streams.observe.api import Api, Readiness
from streams.observe.metrics import Metrics, serve
from streams.observe.server import NoOwner, serve_http
from streams.observe.view import TrendView
from streams.settings import Settings
from streams.sources.scenario import load_scenario

SURGING = "earthquake"


@pytest.fixture(scope="module")
def served():
    """``trendwatch run``'s server after a small surge-flash run: (base URL, summary)."""
    metrics, view = Metrics(CollectorRegistry(), top_k=10), TrendView(top_k=10)
    pipeline = Pipeline(Settings(), metrics, view)
    summary = run(scenario_records(load_scenario("surge-flash").scaled(0.1), seed=3), pipeline)
    server = serve(metrics, 0, "127.0.0.1", view, Readiness(recovering=False, seen=lambda: pipeline.clock() >= 0))
    try:
        yield server.url, summary
    finally:
        server.stop()


def get(url: str, method: str = "GET") -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def get_json(url: str) -> tuple[int, dict]:
    status, kind, body = get(url)
    assert kind == "application/json"
    return status, json.loads(body)


@pytest.fixture(scope="module")
def spec(served) -> dict:
    status, data = get_json(served[0] + "/openapi.json")
    assert status == 200
    return data


def _schema(spec: dict, path: str, status: int) -> dict:
    """The JSON schema of one documented response, with the spec's components resolvable."""
    response = spec["paths"][path]["get"]["responses"][str(status)]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = next(iter(response["content"].values()))["schema"]
    return {**schema, "components": spec["components"]}


def check(spec: dict, path: str, status: int, data) -> None:
    jsonschema.validate(data, _schema(spec, path, status))


def test_trends_lists_the_top_hashtags_with_their_verdicts(served, spec):
    status, data = get_json(served[0] + "/api/trends")
    assert status == 200
    check(spec, "/api/trends", 200, data)
    scores = [t["score"] for t in data["trends"] if t["episode"] is None]
    assert 0 < len(data["trends"]) <= 10 and scores == sorted(scores, reverse=True)
    everything = data["trends"]
    status, data = get_json(served[0] + "/api/trends?limit=1")
    assert status == 200 and data["trends"] == everything[:1]


def test_one_hashtag_has_its_windows_at_each_size_and_its_alert_history(served, spec):
    base, summary = served
    for spelling in (SURGING, "%23EarthQuake"):  # '#' and case do not matter
        status, data = get_json(f"{base}/api/trends/{spelling}")
        assert status == 200
        check(spec, "/api/trends/{hashtag}", 200, data)
        assert data["hashtag"] == SURGING
    assert set(data["windows"]) == {"5m", "1h"}
    assert all(0 < len(points) <= 48 for points in data["windows"].values())
    ends = [p["window_end"] for p in data["windows"]["5m"]]
    assert ends == sorted(ends)
    expected = [a.to_dict() for a in summary.alerts if a.hashtag == SURGING]
    assert [a["state"] for a in expected][:1] == ["started"]
    assert data["alerts"] == expected


def test_alerts_filter_by_time_and_kind(served, spec):
    base, summary = served
    status, data = get_json(base + "/api/alerts")
    assert status == 200
    check(spec, "/api/alerts", 200, data)
    assert data["alerts"] == [a.to_dict() for a in summary.alerts][-100:]
    middle = summary.alerts[len(summary.alerts) // 2].window_end
    rfc3339 = datetime.fromtimestamp(middle / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    by_ms = get_json(f"{base}/api/alerts?since={middle}")[1]["alerts"]
    assert by_ms == get_json(f"{base}/api/alerts?since={rfc3339}")[1]["alerts"]
    assert by_ms == [a.to_dict() for a in summary.alerts if a.window_end > middle]
    trends = get_json(f"{base}/api/alerts?kind=trend&limit=2")[1]["alerts"]
    assert trends == [a.to_dict() for a in summary.alerts if a.kind == "trend"][-2:]


@pytest.mark.parametrize("query, message", [
    ("/api/alerts?kind=viral", "kind must be one of trend, suspicious, not 'viral'"),
    ("/api/alerts?since=yesterday", "since must be epoch milliseconds or an RFC 3339 time"),
    ("/api/alerts?since=2025-01-13T00:00:00", "since needs a time zone"),
    ("/api/alerts?limit=0", "limit must be a whole number from 1 to 1000, not '0'"),
    ("/api/alerts?kind=trend&kind=suspicious", "kind given 2 times"),
    ("/api/trends?limit=lots", "limit must be a whole number"),
    ("/api/trends?sort=score", "unknown parameter 'sort'; this path takes: limit"),
    ("/api/trends/%23", "'#' is not a hashtag"),
])
def test_bad_parameters_get_400_with_a_message(served, spec, query, message):
    path = query.split("?")[0] if not query.startswith("/api/trends/") else "/api/trends/{hashtag}"
    status, data = get_json(served[0] + query)
    assert status == 400
    check(spec, path, 400, data)
    assert message in data["error"]


def test_unknown_hashtags_and_paths_get_404_and_writes_405(served, spec):
    status, data = get_json(served[0] + "/api/trends/nosuchtag")
    assert status == 404 and data == {"error": "no hashtag #nosuchtag in the current view"}
    check(spec, "/api/trends/{hashtag}", 404, data)
    for path in ("/nope", "/api", "/metrics/extra", "/page/../api.py", "/page/secret.txt"):
        status, data = get_json(served[0] + path)
        assert status == 404 and "no such path" in data["error"], path
    assert get(served[0] + "/api/trends", method="POST")[0] == 405


def test_health_readiness_metrics_and_the_page(served, spec):
    base = served[0]
    assert get_json(base + "/healthz") == (200, {"status": "ok"})
    status, data = get_json(base + "/readyz")
    assert (status, data) == (200, {"ready": True, "reasons": [], "waiting": {}})
    check(spec, "/readyz", 200, data)
    status, kind, body = get(base + "/metrics")
    assert status == 200 and kind.startswith("text/plain") and b"trendwatch_events_total" in body
    status, kind, body = get(base + "/")
    assert status == 200 and kind.startswith("text/html") and b"/page/app.js" in body
    for name, kind_start in (("app.js", "text/javascript"), ("style.css", "text/css")):
        status, kind, body = get(f"{base}/page/{name}")
        assert status == 200 and kind.startswith(kind_start) and body
    assert get(base + "/", method="HEAD")[0] == 200


def test_the_page_loads_nothing_from_the_internet(served):
    for name in ("", "page/app.js", "page/style.css"):
        body = get(f"{served[0]}/{name}")[2].decode()
        assert "http://" not in body.replace("http://www.w3.org/2000/svg", "") and "https://" not in body


def test_readyz_says_why_a_process_is_not_ready():
    readiness = Readiness(recovering=True, rebalancing=lambda: True)
    server = serve_http(Api(TrendView(), readiness), 0)
    try:
        status, data = get_json(server.url + "/readyz")
        assert status == 503
        assert data == {"ready": False, "reasons": ["recovering state", "consumer group rebalancing",
                                                    "no input read yet"], "waiting": {}}
        readiness.recovering, readiness.rebalancing = False, lambda: False
        readiness.input()
        assert get_json(server.url + "/readyz")[0] == 200
    finally:
        server.stop()


def test_every_documented_path_answers_and_every_answered_path_is_documented(served, spec):
    base = served[0]
    for path in spec["paths"]:
        url = base + path.replace("{hashtag}", SURGING)
        status, kind, body = get(url)
        documented = spec["paths"][path]["get"]["responses"]
        assert str(status) in documented, (path, status)
        content = next(iter(documented[str(status)].get("content", {"": None})))
        assert kind.split(";")[0] == content or (content == "text/plain" and kind.startswith("text/plain")), path
    served_paths = {"/api/trends", "/api/trends/{hashtag}", "/api/alerts", "/healthz", "/readyz", "/metrics",
                    "/openapi.json", "/"}
    assert set(spec["paths"]) == served_paths
    jsonschema.Draft202012Validator.check_schema({**_schema(spec, "/api/trends/{hashtag}", 200)})


def test_a_worker_without_the_view_forwards_api_requests_to_the_one_with_it(served):
    owner_url = served[0]
    state = {"owner": owner_url}

    def owner():
        if state["owner"] is None:
            raise NoOwner("no worker runs the detector yet")
        return state["owner"]

    other = serve_http(Api(TrendView(), Readiness(recovering=False)), 0, owner=owner)
    try:
        for path in ("/api/trends", f"/api/trends/{SURGING}", "/api/alerts?kind=trend", "/api/trends/nosuchtag",
                     "/api/alerts?kind=viral"):
            assert get(other.url + path) == get(owner_url + path), path
        assert get_json(other.url + "/readyz")[1]["reasons"] == ["no input read yet"]  # not forwarded
        forwarded = urllib.request.Request(other.url + "/api/trends", headers={"X-Trendwatch-Forwarded": "1"})
        with urllib.request.urlopen(forwarded, timeout=5) as response:  # never forwarded twice
            assert json.loads(response.read())["trends"] == []
        state["owner"] = None
        status, data = get_json(other.url + "/api/trends")
        assert status == 503 and "no worker runs the detector yet" in data["error"]
        dead = serve_http(Api(TrendView(), Readiness()), 0)
        dead.stop()
        state["owner"] = dead.url
        status, data = get_json(other.url + "/api/alerts")
        assert status == 502 and dead.url in data["error"]
    finally:
        other.stop()
