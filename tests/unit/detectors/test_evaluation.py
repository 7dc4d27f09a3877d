"""Evaluation: matching episodes to labelled surges, delays, decoys, false alerts."""

from __future__ import annotations

import pytest

from detectors.evaluation import DAY_MS, evaluate
from detectors.records import Alert

H = 3_600_000


def alert(tag, end, kind="trend", state="started"):
    return Alert(tag, kind, state, end - 300_000, end, 9.0, 50, 2, 3.0, 40)


TRUTH = {
    "start": 0, "end": 3 * DAY_MS,
    "surges": [
        {"tag": "tiktokrefugee", "shape": "logistic", "start": DAY_MS, "end": 2 * DAY_MS,
         "co_tags": ["rednote"]},
        {"tag": "rednote", "shape": "logistic", "start": DAY_MS + 6 * H, "end": 2 * DAY_MS, "co_tags": []},
        {"tag": "earthquake", "shape": "flash", "start": 2 * DAY_MS, "end": 2 * DAY_MS + 6 * H, "co_tags": []},
    ],
    "decoys": [{"tag": "goodmorning", "kind": "periodic"}, {"tag": "moonshotcoin", "kind": "bot"}],
}


def test_precision_recall_and_delays():
    alerts = [alert("tiktokrefugee", DAY_MS + 10 * 60_000), alert("tiktokrefugee", DAY_MS + 2 * H, state="ongoing"),
              alert("rednote", DAY_MS + 30 * 60_000), alert("goodmorning", 7 * H),
              alert("moonshotcoin", DAY_MS + 3 * H, kind="suspicious")]
    e = evaluate(alerts, TRUTH, tags_seen=50)
    assert (e["true_alerts"], e["false_alerts"]) == (2, 1)
    assert e["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert e["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert e["precision_after_day_one"] == 1.0
    rows = {r["tag"]: r for r in e["surges"]}
    assert rows["tiktokrefugee"]["delay_min"] == 10.0
    # rednote rides along with tiktokrefugee before its own start: its onset is tiktokrefugee's
    assert rows["rednote"]["detected"] and rows["rednote"]["delay_min"] == 30.0
    assert not rows["earthquake"]["detected"]
    decoys = {d["tag"]: d for d in e["decoys"]}
    assert decoys["moonshotcoin"]["trend_episodes"] == 0 and decoys["moonshotcoin"]["suspicious_episodes"] == 1
    assert decoys["goodmorning"]["trend_episodes"] == 1 and decoys["goodmorning"]["episodes_after_day_one"] == 0
    assert e["false_alerts_per_tag_day"] == pytest.approx(1 / (50 * 3), abs=1e-6)


def test_alerts_long_after_a_surge_are_false():
    e = evaluate([alert("earthquake", 2 * DAY_MS + 13 * H)], TRUTH, grace_ms=6 * H)
    assert e["false_alerts"] == 1 and e["recall"] == 0.0


def test_no_alerts_means_undefined_precision_and_zero_recall():
    e = evaluate([], TRUTH)
    assert e["precision"] is None and e["recall"] == 0.0 and e["f1"] == 0.0


def test_negative_grace_is_refused():
    with pytest.raises(ValueError, match="grace_ms"):
        evaluate([], TRUTH, grace_ms=-1)
