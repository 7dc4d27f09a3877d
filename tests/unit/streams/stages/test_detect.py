"""The detect stage: metrics it records, snapshot/restore, window sizes from settings."""

from __future__ import annotations

import pickle

from prometheus_client import CollectorRegistry

from detectors.records import Window
from streams.observe.metrics import Metrics
from streams.observe.view import TrendView
from streams.settings import Settings
from streams.stages import Detect

MIN5, HOUR = 300_000, 3_600_000


def batches(surge_at: int = 60):
    for i in range(90):
        t = i * MIN5
        batch = [Window("fyp", "5m", t, t + MIN5, posts=40, views=4000, authors=35),
                 Window("cats", "5m", t, t + MIN5, posts=4, views=400, authors=4)]
        if i >= surge_at:
            batch.append(Window("earthquake", "5m", t, t + MIN5, posts=120, views=50_000, authors=110))
        yield batch


def test_alerts_and_state_are_recorded_in_the_metrics():
    metrics = Metrics(registry=CollectorRegistry())
    stage = Detect(metrics=metrics)
    alerts = [a for batch in batches() for a in stage.process(batch)] + stage.flush()
    read = metrics.registry.get_sample_value
    started = [a for a in alerts if a.state == "started"]
    assert [(a.hashtag, a.kind) for a in started] == [("earthquake", "trend")]
    assert read("trendwatch_alerts_total", {"kind": "trend", "state": "started"}) == 1.0
    assert read("trendwatch_tracked_tags", {"stage": "detect"}) == 3.0
    assert read("trendwatch_detector_memory_bytes") > 0
    assert read("trendwatch_watermark_timestamp_seconds", {"stage": "detect"}) == 90 * MIN5 / 1000
    assert read("trendwatch_hashtag_views_per_second", {"hashtag": "earthquake", "kind": "trend"}) > 0


def test_a_restored_snapshot_continues_exactly():
    whole, first = Detect(), Detect()
    all_batches = list(batches())
    expected = [a for batch in all_batches for a in whole.process(batch)] + whole.flush()
    got = [a for batch in all_batches[:50] for a in first.process(batch)]
    second = Detect.restore(first.snapshot())
    got += [a for batch in all_batches[50:] for a in second.process(batch)] + second.flush()
    assert got == expected and any(a.state == "started" for a in got)


def test_time_scales_come_from_the_configured_window_sizes():
    default = Detect.from_settings(Settings())
    assert (default.model.scorer.fast_ms, default.model.scorer.slow_ms) == (MIN5, HOUR)
    custom = Detect.from_settings(Settings(window_sizes=("10m", "2h")))
    assert (custom.model.scorer.fast_ms, custom.model.scorer.slow_ms) == (600_000, 7_200_000)


def test_a_restored_stage_fills_its_view_with_what_the_snapshot_showed():
    first = Detect(view=TrendView(top_k=5))
    all_batches = list(batches())
    for batch in all_batches[:70]:
        first.process(batch)
    assert any(t["episode"] for t in first.view.trends())  # earthquake is surging
    view = TrendView(top_k=5)
    second = Detect.restore(first.snapshot(), view=view)
    assert view.trends() == first.view.trends() and view.clock == first.view.clock
    assert view.trend("earthquake") == first.view.trend("earthquake") and view.alerts() == first.view.alerts()
    for batch in all_batches[70:]:
        first.process(batch)
        second.process(batch)
    assert view.trends() == first.view.trends() and view.trend("fyp") == first.view.trend("fyp")
    assert view.alerts() == first.view.alerts() and view.clock == first.view.clock == 89 * MIN5


def test_a_snapshot_without_a_view_fills_the_view_with_the_last_verdicts():
    first = Detect()
    for batch in list(batches())[:70]:
        first.process(batch)
    older = pickle.dumps(first.model)  # a snapshot of the model alone
    view = TrendView(top_k=5)
    restored = Detect.restore(older, view=view)
    assert first.model.last_verdicts
    assert {t["hashtag"] for t in view.trends()} == {v.window.hashtag for v in first.model.last_verdicts}
    assert restored.model.tracked_tags == first.model.tracked_tags
    assert Detect.restore(Detect(view=TrendView()).snapshot()).view is None
