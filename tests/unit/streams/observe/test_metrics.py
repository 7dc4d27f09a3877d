"""The shared metrics: names, labels, the top-K collector's bound, the HTTP server, promtool."""

from __future__ import annotations

import random
import shutil
import subprocess
import urllib.request

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from streams.observe.metrics import Metrics, serve
from streams.observe.topk import TopHashtags


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(registry=CollectorRegistry(), top_k=50)


def _series(registry: CollectorRegistry) -> list:
    text = generate_latest(registry).decode("utf-8")
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def test_counters_and_gauges_record_into_the_given_registry(metrics):
    metrics.events.labels(type="engagement").inc(5)
    metrics.invalid.labels(reason="bad_json").inc()
    metrics.late.labels(action="dropped").inc(2)
    metrics.windows_closed.labels(size="5m").inc()
    metrics.alerts.labels(kind="trend", state="started").inc()
    metrics.consumer_lag.labels(topic="posts", partition="3").set(42)
    metrics.tracked_tags.labels(stage="count").set(17)
    metrics.detector_memory_bytes.set(2048)
    metrics.watermark.labels(stage="count").set(1736726400.0)
    get = metrics.registry.get_sample_value
    assert get("trendwatch_events_total", {"type": "engagement"}) == 5
    assert get("trendwatch_events_total", {"type": "post"}) == 0
    assert get("trendwatch_invalid_events_total", {"reason": "bad_json"}) == 1
    assert get("trendwatch_late_events_total", {"action": "dropped"}) == 2
    assert get("trendwatch_windows_closed_total", {"size": "5m"}) == 1
    assert get("trendwatch_alerts_total", {"kind": "trend", "state": "started"}) == 1
    assert get("trendwatch_alerts_total", {"kind": "suspicious", "state": "resolved"}) == 0
    assert get("trendwatch_consumer_lag", {"topic": "posts", "partition": "3"}) == 42
    assert get("trendwatch_tracked_tags", {"stage": "count"}) == 17
    assert get("trendwatch_detector_memory_bytes") == 2048
    assert get("trendwatch_watermark_timestamp_seconds", {"stage": "count"}) == 1736726400.0


def test_histograms_count_observations_in_seconds(metrics):
    metrics.stage_seconds.labels(stage="extract").observe(0.003)
    metrics.stage_seconds.labels(stage="extract").observe(0.2)
    metrics.event_to_alert_seconds.observe(45.0)
    get = metrics.registry.get_sample_value
    assert get("trendwatch_stage_seconds_count", {"stage": "extract"}) == 2
    assert get("trendwatch_stage_seconds_bucket", {"stage": "extract", "le": "0.005"}) == 1
    assert get("trendwatch_stage_seconds_sum", {"stage": "extract"}) == pytest.approx(0.203)
    assert get("trendwatch_event_to_alert_seconds_bucket", {"le": "30.0"}) == 0
    assert get("trendwatch_event_to_alert_seconds_bucket", {"le": "60.0"}) == 1


def test_build_info_is_one_with_the_version(metrics):
    from streams import __version__
    samples = [s for s in _series(metrics.registry) if s.name == "trendwatch_build_info"]
    assert len(samples) == 1
    assert samples[0].value == 1 and samples[0].labels["version"] == __version__


def test_two_instances_do_not_share_state():
    first, second = Metrics(), Metrics()
    first.events.labels(type="post").inc()
    assert first.registry is not second.registry
    assert second.registry.get_sample_value("trendwatch_events_total", {"type": "post"}) == 0


def test_top_k_exposes_only_the_highest_scores(metrics):
    scores = {f"tag{i}": float(i) for i in range(120)}
    for tag, score in random.Random(7).sample(sorted(scores.items()), len(scores)):
        metrics.top.update(tag, score=score, posts_rate=score / 10, views_rate=score * 10)
    exposed = {s.labels["hashtag"]: s.value for s in _series(metrics.registry)
               if s.name == "trendwatch_hashtag_trend_score"}
    expected = sorted(scores, key=scores.get)[-50:]
    assert sorted(exposed) == sorted(expected)
    get = metrics.registry.get_sample_value
    labels = {"hashtag": "tag119", "kind": "trend"}
    assert get("trendwatch_hashtag_posts_per_second", labels) == pytest.approx(11.9)
    assert get("trendwatch_hashtag_views_per_second", labels) == pytest.approx(1190.0)
    assert get("trendwatch_hashtag_trend_score", {"hashtag": "tag69", "kind": "trend"}) is None


def test_top_k_follows_the_latest_score_of_a_tag():
    top = TopHashtags(k=2)
    top.update("a", score=5.0)
    top.update("b", score=4.0)
    top.update("c", score=3.0)
    top.update("a", score=1.0)
    assert [tag for tag, *_ in top.top()] == ["b", "c"]
    top.remove("b")
    assert [tag for tag, *_ in top.top()] == ["c", "a"]


def test_a_tag_changes_kind_without_leaving_a_stale_series():
    registry = CollectorRegistry()
    top = TopHashtags(k=3, registry=registry)
    top.update("moonshotcoin", score=40.0, kind="suspicious")
    assert registry.get_sample_value("trendwatch_hashtag_trend_score",
                                     {"hashtag": "moonshotcoin", "kind": "suspicious"}) == 40.0
    top.update("moonshotcoin", score=12.0, kind=None)
    scores = [s for s in _series(registry) if s.name == "trendwatch_hashtag_trend_score"]
    assert [(s.labels, s.value) for s in scores] == [({"hashtag": "moonshotcoin", "kind": "trend"}, 12.0)]


def test_unknown_kind_and_nan_score_are_refused():
    top = TopHashtags(k=3)
    with pytest.raises(ValueError, match="kind must be"):
        top.update("x", score=1.0, kind="bot")
    with pytest.raises(ValueError, match="NaN"):
        top.update("x", score=float("nan"))


def test_a_flood_of_distinct_tags_stays_within_the_series_budget(metrics):
    baseline = len(_series(metrics.registry))
    rng = random.Random(1)
    for i in range(100_000):
        metrics.top.update(f"flood{i}", score=rng.random(), posts_rate=1.0, views_rate=1.0)
    metrics.top.update("tiktokrefugee", score=50.0, posts_rate=1.0, views_rate=1.0)
    added = len(_series(metrics.registry)) - baseline
    assert added == 3 * 50
    assert len(metrics.top) <= 2 * 50
    assert metrics.registry.get_sample_value("trendwatch_hashtag_trend_score",
                                             {"hashtag": "tiktokrefugee", "kind": "trend"}) == 50.0


@pytest.mark.parametrize("k", [0, -1, 2.5])
def test_top_k_rejects_a_bad_k(k):
    with pytest.raises(ValueError, match="k must be"):
        TopHashtags(k=k)


def test_serve_exposes_the_registry_over_http_and_stops(metrics):
    metrics.events.labels(type="post").inc(9)
    server = serve(metrics, 0, "127.0.0.1")
    try:
        url = f"http://127.0.0.1:{server.port}/metrics"
        body = urllib.request.urlopen(url, timeout=5).read().decode("utf-8")
    finally:
        server.stop()
    assert 'trendwatch_events_total{type="post"} 9.0' in body
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def test_promtool_finds_nothing_to_complain_about(metrics):
    promtool = shutil.which("promtool")
    assert promtool, "promtool is needed (Debian package prometheus)"
    metrics.events.labels(type="post").inc()
    metrics.stage_seconds.labels(stage="count").observe(0.01)
    metrics.consumer_lag.labels(topic="posts", partition="0").set(3)
    for i in range(60):
        metrics.top.update(f"tag{i}", score=float(i), posts_rate=1.0, views_rate=2.0)
    exposition = generate_latest(metrics.registry)
    result = subprocess.run([promtool, "check", "metrics"], input=exposition,
                            capture_output=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == b"" and result.stderr.strip() == b""


def test_a_hashtag_in_an_active_episode_is_exported_whatever_the_scores_of_the_others():
    registry = CollectorRegistry()
    top = TopHashtags(k=2, registry=registry)
    top.update("rednote", score=9.0)
    top.pin("rednote")
    for i in range(50):  # a flood of higher scores would push it out of the top 2 and out of memory
        top.update(f"tag{i}", score=100.0 + i)
    assert registry.get_sample_value("trendwatch_hashtag_trend_score", {"hashtag": "rednote", "kind": "trend"}) == 9.0
    assert len(top.top()) == 3 and len(top) <= 2 * 2 + 1
    top.remove("rednote")  # the episode resolved
    top.update("tag99", score=1.0)
    assert registry.get_sample_value("trendwatch_hashtag_trend_score", {"hashtag": "rednote", "kind": "trend"}) is None


def test_the_detect_stage_pins_episodes_on_metrics_until_they_resolve():
    from detectors.records import Window
    from streams.stages import Detect

    metrics = Metrics(registry=CollectorRegistry(), top_k=1)
    detect = Detect(metrics=metrics)

    def moment(i, **counts):
        return [Window(tag, "5m", i * 300_000, (i + 1) * 300_000, **c) for tag, c in counts.items()]

    for i in range(48):
        detect.process(moment(i, fyp=dict(posts=40, authors=35), cats=dict(posts=2, authors=2)))
    started = detect.process(moment(48, fyp=dict(posts=41, authors=36), cats=dict(posts=90, authors=80)))
    started += detect.flush()
    assert [(a.hashtag, a.state) for a in started] == [("cats", "started")]
    metrics.top.update("louder", score=1e6)  # higher than anything: k=1 would show only this one
    exported = {tag for tag, *_ in metrics.top.top()}
    assert exported == {"louder", "cats"}
    restored = Detect.restore(detect.snapshot(), Metrics(registry=CollectorRegistry(), top_k=1))
    restored.metrics.top.update("cats", score=0.5)
    restored.metrics.top.update("louder", score=1e6)
    assert {tag for tag, *_ in restored.metrics.top.top()} == {"louder", "cats"}  # also after a restart
