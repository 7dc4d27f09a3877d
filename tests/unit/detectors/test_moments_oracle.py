"""The native moments of the trend model against the Python ones (tests/oracles/model.py).

``TrendModel`` keeps its waiting windows in ``detectors._native.Moments`` and
scores only those that can change a tag's state, in native code
(``SurgeScorer.score_moment``, or ``take`` and ``update`` when the ``observe``
hook is set); the oracle scores every window with the Python scorer
(``tests/oracles/scorer.py``). On random streams (few tags, so that tags
are admitted, tracked and evicted; windows out of order, late, corrected;
watermarks; the native model pickled and restored in the middle) both must
give the same alerts and verdicts and end in the same scorer state, long-tail
sketch included, bit for bit.
"""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.model import TrendModel
from detectors.records import Window
from detectors.scoring import Thresholds
from detectors.surge import SurgeScorer
from tests.oracles.model import OracleTrendModel
from tests.oracles.scorer import OracleSurgeScorer, scorer_state

FAST, SLOW = 300_000, 900_000
TAGS = ["a", "ab", "b", "cats", "z", "é", "日本", "ß"]
SIZES = {"5m": FAST, "15m": SLOW, "1m": 60_000}

window = st.builds(
    lambda tag, size, k, posts, authors, views: Window(
        tag, size, (k + 1) * SIZES[size] - SIZES[size], (k + 1) * SIZES[size], posts=posts,
        views=views, authors=min(authors, posts), new_authors=0),
    st.sampled_from(TAGS), st.sampled_from(["5m", "5m", "15m", "1m"]), st.integers(0, 14),
    st.integers(0, 8) | st.integers(0, 2), st.integers(0, 8), st.integers(0, 300))
batch = st.tuples(st.lists(window, max_size=12), st.none() | st.integers(0, 16) .map(lambda k: k * FAST))
params = st.fixed_dictionaries({
    "warmup_ms": st.sampled_from([0, FAST, 3 * FAST]), "max_tags": st.integers(1, 4),
    "admit_posts": st.integers(1, 4), "history_ms": st.sampled_from([0, SLOW]),
    "thresholds": st.sampled_from([Thresholds(), Thresholds(z_on=1.5, z_off=1.0, min_posts=2, min_authors=1,
                                                           min_ratio=1.0), Thresholds(confirm=2.0)])})


def _model(cls, p: dict, normalise: bool, observed: bool = False):
    scorer = (OracleSurgeScorer if cls is OracleTrendModel else SurgeScorer)(
        fast_ms=FAST, slow_ms=SLOW, fast_half_life_ms=2 * FAST, slow_half_life_ms=2 * SLOW, **p)
    if observed:  # the per-window path: Window records through update, every expectation to the hook
        scorer.observe = lambda w, expected, dispersion: None
    return cls(scorer, normalise=normalise)


def _verdicts(model) -> list:
    return [(v.window.to_dict(), v.kind, v.score, v.observed, v.expected, v.growth) for v in model.last_verdicts]


def _state(model) -> tuple:
    s = model.scorer
    return (scorer_state(s), sorted(model.book.active), model._totals,
            model._latest, model._done, model._views_per_post.get())


@settings(max_examples=300, deadline=None)
@given(p=params, normalise=st.booleans(), batches=st.lists(batch, max_size=14), restore_at=st.integers(0, 14),
       observed=st.booleans())
def test_native_moments_agree_with_the_python_ones(p, normalise, batches, restore_at, observed):
    native, oracle = _model(TrendModel, p, normalise, observed), _model(OracleTrendModel, p, normalise)
    for i, (windows, complete) in enumerate(batches):
        if i == restore_at:
            hook = native.scorer.observe
            native = pickle.loads(pickle.dumps(native))
            native.scorer.observe = hook
        got, want = native.update(list(windows), complete), oracle.update(list(windows), complete)
        assert [a.to_dict() for a in got] == [a.to_dict() for a in want]
        assert _verdicts(native) == _verdicts(oracle)
    assert [a.to_dict() for a in native.flush()] == [a.to_dict() for a in oracle.flush()]
    assert _verdicts(native) == _verdicts(oracle)
    assert _state(native) == _state(oracle)
