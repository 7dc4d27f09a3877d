"""Checks every detector must pass (like River's estimator checks): pickle round-trip,
scoring before any learning, determinism, invalid arguments named."""

from __future__ import annotations

import copy
import math
import pickle
import random

import pytest

from detectors.longtail import DecayingCountMin
from detectors.model import TrendModel
from detectors.records import Window
from detectors.surge import SurgeScorer

MIN5 = 300_000


def stream(seed: int, n: int = 400) -> list[dict]:
    """Window dicts (with the window's total volume) of a few tags and a surge, seeded."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        t = i * MIN5
        for tag, rate in (("fyp", 30), ("cats", 4), ("news", 60 if i > 300 else 1)):
            posts = max(0, int(rng.gauss(rate, math.sqrt(rate))))
            out.append({**Window(tag, "5m", t, t + MIN5, posts=posts, views=posts * 50,
                                 authors=posts).to_dict(), "total": 100})
    return out


def _scorer_learn(det, data):
    for x in data:
        det.learn_one(x)


def _model_learn(det, data):
    for x in data:
        det.update([Window.from_dict(x)])


def _model_score(det, probe):
    twin = copy.deepcopy(det)
    return [a.to_dict() for a in twin.update([Window.from_dict(probe)]) + twin.flush()] + [
        twin.scorer.score_one(probe)]


def _cms_learn(det, data):
    for x in data:
        det.decay(1)
        det.update([x["hashtag"]], [x["posts"] / x["total"]])


CASES = {
    "SurgeScorer": (lambda: SurgeScorer(warmup_ms=MIN5 * 12), _scorer_learn, lambda d, p: d.score_one(p)),
    "TrendModel": (lambda: TrendModel(SurgeScorer(warmup_ms=MIN5 * 12)), _model_learn, _model_score),
    "DecayingCountMin": (lambda: DecayingCountMin(width=256, depth=3, alpha=0.05), _cms_learn,
                         lambda d, p: d[p["hashtag"]]),
}
PROBE = {**Window("news", "5m", 400 * MIN5, 401 * MIN5, posts=90, authors=80).to_dict(), "total": 190}


@pytest.fixture(params=sorted(CASES))
def case(request):
    return CASES[request.param]


def test_scoring_before_any_learning(case):
    make, _, score = case
    result = score(make(), PROBE)
    assert result is not None


def test_pickle_round_trip_keeps_state_and_future(case):
    make, learn, score = case
    data = stream(1)
    original = make()
    learn(original, data[:600])
    restored = pickle.loads(pickle.dumps(original))
    assert score(restored, PROBE) == score(original, PROBE)
    learn(original, data[600:])
    learn(restored, data[600:])
    assert score(restored, PROBE) == score(original, PROBE)


def test_same_input_same_output(case):
    make, learn, score = case
    a, b = make(), make()
    learn(a, stream(7))
    learn(b, stream(7))
    assert score(a, PROBE) == score(b, PROBE)


def test_learning_changes_the_score(case):
    make, learn, score = case
    fresh, trained = make(), make()
    learn(trained, stream(3))
    assert score(fresh, PROBE) != score(trained, PROBE)


@pytest.mark.parametrize("factory,name", [
    (lambda: SurgeScorer(fast_ms=0), "fast_ms"),
    (lambda: SurgeScorer(floor_per_hour=0), "floor_per_hour"),
    (lambda: DecayingCountMin(width=0), "width"),
    (lambda: DecayingCountMin(alpha=2), "alpha"),
])
def test_invalid_arguments_raise_value_error_naming_them(factory, name):
    with pytest.raises(ValueError, match=name):
        factory()


def test_river_clone_gives_a_fresh_scorer_with_the_same_parameters():
    scorer = SurgeScorer(floor_per_hour=4.0)
    _scorer_learn(scorer, stream(2)[:100])
    clone = scorer.clone()
    assert clone.floor_per_hour == 4.0 and clone.tracked_tags == 0
