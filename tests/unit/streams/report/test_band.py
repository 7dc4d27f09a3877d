"""The report's band is the scorer's own: its expectation and learnt dispersion, up to its start threshold."""

from __future__ import annotations

import math
import pickle

import numpy as np

from detectors.records import Window
from streams.embedded.counts import counts_detect
from streams.report import SeriesRecorder
from tests.oracles.scorer import z_score

HOUR = 3_600_000
START = 1_740_960_000_000  # 2025-03-03T00:00:00Z


def _bursty_series(hours: int = 24 * 10, seed: int = 3) -> list[Window]:
    """Hourly counts, negative binomial around 40 (size 2: variance 20x Poisson's), a 12x burst on day 7."""
    rng = np.random.default_rng(seed)
    rates = 40.0 * rng.gamma(2.0, 0.5, size=hours)
    rates[24 * 7 + 5: 24 * 7 + 8] *= 12
    return [Window("weather", "1h", START + i * HOUR, START + (i + 1) * HOUR, posts=int(p))
            for i, p in enumerate(rng.poisson(rates))]


def _recorded(windows):
    detect = counts_detect(HOUR)
    scorer = detect.model.scorer
    recorder = SeriesRecorder(scorer.fast_ms, scorer.slow_ms)
    recorder.windows(windows)
    scorer.observe = recorder.scored
    verdicts = {}
    for w in windows:
        detect.process([w])
        verdicts.update((v.window.window_end, v) for v in detect.model.last_verdicts)
    detect.flush()
    verdicts.update((v.window.window_end, v) for v in detect.model.last_verdicts)
    band = recorder.series("weather", HOUR, half_life_ms=scorer.fast_half_life_ms, floor=scorer._floor[0],
                           z_on=scorer.thresholds.z_on)
    return detect, band, verdicts


def test_a_window_at_the_top_of_the_band_scores_the_start_threshold():
    detect, band, verdicts = _recorded(_bursty_series())
    z_on, warm = detect.model.scorer.thresholds.z_on, detect.model.scorer.warmup_ms // HOUR
    assert band.learnt
    floor, checked, hot = detect.model.scorer._floor[0], 0, 0
    for end, posts, expected, upper in list(zip(band.ends, band.posts, band.expected, band.upper))[warm + 1:]:
        v = verdicts.get(end)
        if v is not None:  # the scorer's own score: above z_on exactly when the window is above the band
            assert math.isclose(max(v.expected, floor), expected, rel_tol=1e-9)
            assert (v.score >= z_on) == (posts >= upper), (end, posts, upper, v.score)
            checked, hot = checked + 1, hot + (v.score >= z_on)
    assert checked >= 5 and 0 < hot < checked  # warm windows (score >= z_off), on both sides of the band's top


def test_the_band_of_a_bursty_tag_is_wider_than_poissons():
    _, band, _ = _recorded(_bursty_series())
    late = list(zip(band.expected, band.upper))[24 * 3:]
    poisson = [(math.sqrt(e) + 6.0 / 2) ** 2 for e, _ in late]
    widths = sorted((u - e) / (p - e) for (e, u), p in zip(late, poisson))
    assert widths[len(widths) // 2] > 1.5  # the learnt dispersion, not Poisson's
    assert z_score(band.upper[-1], band.expected[-1]) > 6.0 * 1.2


def test_the_hook_is_not_part_of_the_snapshot():
    detect, _, _ = _recorded(_bursty_series(hours=48))
    restored = pickle.loads(pickle.dumps(detect.model))
    assert detect.model.scorer.observe is not None and restored.scorer.observe is None


def test_a_series_off_the_clock_grid_keeps_its_posts_when_widened_to_the_run():
    windows = [Window("weather", "1h", t + 53_000, t + 53_000 + HOUR, posts=w.posts)
               for t, w in ((w.window_start, w) for w in _bursty_series(hours=72))]
    _, band, _ = _recorded(windows)
    recorder = SeriesRecorder(HOUR, 12 * HOUR)
    recorder.windows(windows)
    span = (windows[0].window_start - 3 * HOUR, windows[-1].window_end + 2 * HOUR)
    wide = recorder.series("weather", HOUR, half_life_ms=HOUR, floor=1.0, z_on=6.0, span=span)
    assert sum(wide.posts) == sum(w.posts for w in windows) and len(wide.ends) == len(windows) + 5
    assert band.posts == [w.posts for w in windows]
