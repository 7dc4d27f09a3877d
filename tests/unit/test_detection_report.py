"""``bench/detection_report.py``'s target table: scenarios without a labelled surge get a clear line, not a crash."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "bench"))
import detection_report  # noqa: E402

from detectors.evaluation import DAY_MS, evaluate  # noqa: E402
from detectors.records import Alert  # noqa: E402

def _result(alerts, labels, name):
    return dict(evaluate(alerts, labels, tags_seen=10), scenario=name)


STEADY = {"start": 0, "end": 3 * DAY_MS, "surges": [],
          "decoys": [{"tag": "fyp", "kind": "steady", "start": 0, "end": 3 * DAY_MS}]}


def test_only_no_surge_scenarios_print_a_clear_line_instead_of_dividing_by_zero():
    lines = detection_report.targets([_result([], STEADY, "steady-week")])
    assert lines[-1] == detection_report.NO_SURGE
    rows = [line for line in lines if line.startswith("| ") and "target" not in line]
    assert rows == ["| steady-week: zero trend episodes after day one | 0 | yes |"]  # a measure, no crash


def test_a_false_alert_without_any_surge_still_fails_precision():
    false = Alert("fyp", "trend", "started", 2 * DAY_MS, 2 * DAY_MS + 300_000, 9.0, 90, 3, 20.0, 80)
    lines = detection_report.targets([_result([false], STEADY, "steady-week")])
    assert "| precision >= 0.95 (pooled, all episodes) | 0.000 | NO |" in lines
    assert lines[-1] == detection_report.NO_SURGE


def test_with_surges_the_targets_they_measure_are_checked_and_the_others_named():
    truth = {"start": 0, "end": 2 * DAY_MS, "decoys": [],
             "surges": [{"tag": "cats", "shape": "flash", "start": 3_600_000, "end": 7_200_000}]}
    hit = Alert("cats", "trend", "started", 3_900_000, 4_200_000, 9.0, 90, 3, 20.0, 80)
    lines = detection_report.targets([_result([hit], truth, "surge-flash")])
    assert "| recall >= 0.95 (pooled) | 1.000 | yes |" in lines
    assert "| median flash delay <= 15 min | 10.0 | yes |" in lines
    assert detection_report.NO_SURGE not in lines
    assert lines[-1].startswith("Not measured by these scenarios: ") and "steady-week" in lines[-1]
