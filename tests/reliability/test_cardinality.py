"""A flood of distinct hashtags in the ten minutes of a real surge (``bench/cardinality.py`` in
small): the surge is still detected as early as without the flood, the Prometheus series stay
within the top-K budget, and the count stage keeps at most its exact-state cap of hashtags."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "bench"))
import cardinality  # noqa: E402

pytestmark = pytest.mark.reliability

TOP_K = 50  # Settings().top_k: per-hashtag series are kept for the top K only


def test_a_flood_of_distinct_hashtags_does_not_hide_a_surge(report):
    clean, flood = cardinality.measure(0), cardinality.measure(25_000)
    assert clean["alert_delay_min"] is not None, "the scenario's surge must alert"
    assert flood["alert_delay_min"] == clean["alert_delay_min"]
    assert flood["series"] <= clean["series"] + 3 * TOP_K
    assert flood["tracked_tags"] <= 20_000
    report(f"25,000 distinct hashtags in 10 minutes: surge alert {flood['alert_delay_min']} min after onset "
           f"(clean {clean['alert_delay_min']}), {flood['series']} series (clean {clean['series']})")
