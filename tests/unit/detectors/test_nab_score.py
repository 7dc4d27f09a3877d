"""NAB scoring in detectors.evaluation against an independent copy of NAB's rules (the oracle below)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.evaluation import NAB_PROFILES, nab_rows, nab_score, nab_series

ORACLE_PROFILES = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}


def _oracle_sigmoid(pos):
    if pos > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * pos)) - 1.0


def oracle_series(timestamps, detected, windows, profile):
    """NAB's rules row by row, as the benchmark's reference scorer walks them."""
    w = ORACLE_PROFILES[profile]
    n = len(timestamps)
    probation = min(math.floor(0.15 * n), 0.15 * 5000)
    index = {t: i for i, t in enumerate(timestamps)}
    spans = sorted((index[a], index[b]) for a, b in windows)
    max_tp = _oracle_sigmoid(-1.0)
    window_best, fp_total = {}, 0.0
    prev_right = prev_width = None
    k = 0
    for i in range(n):
        while k < len(spans) and spans[k][1] < i:
            prev_right, prev_width = spans[k][1], spans[k][1] - spans[k][0] + 1
            k += 1
        inside = k < len(spans) and spans[k][0] <= i <= spans[k][1]
        if i < probation:
            continue
        if inside:
            window_best.setdefault(k, None)
        if i not in detected:
            continue
        if inside:
            left, right = spans[k]
            s = _oracle_sigmoid(-(right - i + 1) / (right - left + 1)) * w["tp"] / max_tp
            window_best[k] = s if window_best[k] is None else max(window_best[k], s)
        else:
            s = -1.0 if prev_right is None else _oracle_sigmoid(abs(prev_right - i) / float(prev_width - 1))
            fp_total += s * w["fp"]
    total = fp_total + sum(-w["fn"] if b is None else b for b in window_best.values())
    return total, len(window_best)


def oracle_corpus(series, profile):
    raw = windows = 0
    for ts, det, win in series:
        s, nw = oracle_series(ts, set(det), win, profile)
        raw, windows = raw + s, windows + nw
    w = ORACLE_PROFILES[profile]
    return 100.0 * (raw + w["fn"] * windows) / (w["tp"] * windows + w["fn"] * windows)


@st.composite
def a_series(draw):
    n = draw(st.integers(min_value=40, max_value=400))
    step = draw(st.sampled_from([60_000, 300_000]))
    ts = [1_425_000_000_000 + i * step for i in range(n)]
    cuts = sorted(draw(st.sets(st.integers(min_value=0, max_value=n - 1), min_size=2, max_size=8)))
    pairs = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2) if cuts[i + 1] > cuts[i]]
    windows = [(ts[a], ts[b]) for a, b in pairs]
    detected = draw(st.sets(st.integers(min_value=0, max_value=n - 1), max_size=25))
    return ts, detected, windows


@settings(max_examples=150, deadline=None)
@given(st.lists(a_series(), min_size=1, max_size=3), st.sampled_from(sorted(ORACLE_PROFILES)))
def test_scores_agree_with_the_oracle(series, profile):
    if not any(oracle_series(ts, d, w, profile)[1] for ts, d, w in series):
        return  # no scorable window: the oracle divides by zero
    for ts, detected, windows in series:
        ours = nab_series(ts, detected, windows, profile)
        theirs = oracle_series(ts, detected, windows, profile)
        assert math.isclose(ours["score"], theirs[0], abs_tol=1e-9)
        assert ours["windows"] == theirs[1]
    assert math.isclose(nab_score(series, profile), oracle_corpus(series, profile), abs_tol=1e-9)


def test_profiles_are_nabs():
    assert NAB_PROFILES == ORACLE_PROFILES


def test_a_perfect_and_an_empty_detector():
    ts = list(range(0, 1000 * 300_000, 300_000))
    windows = [(ts[300], ts[349]), (ts[700], ts[749])]
    assert nab_score([(ts, {300, 700}, windows)]) == 100.0
    assert nab_score([(ts, set(), windows)]) == 0.0
    assert nab_score([(ts, {300, 700, 900}, windows)]) < 100.0


def test_an_alert_stands_for_the_row_at_or_before_its_window_start():
    ts = [0, 300_000, 600_000]
    assert nab_rows(ts, [300_000, 450_000, 599_999, -1]) == {1}
