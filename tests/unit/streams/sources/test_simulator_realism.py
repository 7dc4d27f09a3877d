"""Simulator realism: overdispersed everyday tags, a weekly cycle, unlabelled news bursts."""

from __future__ import annotations

import collections
import dataclasses
import statistics

from streams.sources.profiles import DAY_MS
from streams.sources.scenario import load_scenario
from streams.sources.simulator import NOISE_EPOCH_MS, generate, labels

FIVE_MIN = 300_000


def _background(days=3, **changes):
    base = load_scenario("steady-week").scaled(0.3)
    scenario = dataclasses.replace(base, decoys=(), end=base.start + days * DAY_MS)
    return dataclasses.replace(scenario, background=dataclasses.replace(scenario.background, daily_cycle=0.0,
                                                                        **changes))


def _counts(scenario, seed=0):
    """Posts per (tag, 5-minute bucket) and per day."""
    per_bucket, per_day = collections.Counter(), collections.Counter()
    for e in generate(scenario, seed):
        if e["type"] == "post":
            per_day[(e["ts"] - scenario.start) // DAY_MS] += 1
            for tag in e["hashtags"]:
                per_bucket[(tag, e["ts"] // FIVE_MIN)] += 1
    return per_bucket, per_day


def _tag_dispersion(per_bucket, scenario, rank=5):
    """Mean and variance of the 5-minute counts of the tag of this popularity rank (the top tags' own
    weight damps their share's noise a little)."""
    top = collections.Counter(tag for tag, _ in per_bucket.elements()).most_common(rank)[-1][0]
    buckets = range(scenario.start // FIVE_MIN, scenario.end // FIVE_MIN)
    series = [per_bucket[(top, b)] for b in buckets]
    return statistics.mean(series), statistics.variance(series)


def test_counts_are_overdispersed_like_real_tag_volumes():
    quiet = _background(weekly_cycle=0.0)
    noisy = _background(dispersion=10.0)
    mean, var = _tag_dispersion(_counts(quiet)[0], quiet)
    assert var < 1.5 * mean  # without dispersion: about Poisson
    mean, var = _tag_dispersion(_counts(noisy)[0], noisy)
    size = mean * mean / (var - mean)  # negative binomial: var = mean + mean^2 / size
    assert 5 < size < 20


def test_weekends_are_quieter():
    scenario = _background(days=7, weekly_cycle=0.3)  # 2025-03-03 is a Monday: days 5 and 6 are the weekend
    _, per_day = _counts(scenario)
    weekday = statistics.mean(per_day[d] for d in range(5))
    weekend = statistics.mean(per_day[d] for d in (5, 6))
    assert abs(weekend / weekday - 0.7 / 1.12) < 0.05


def test_news_bursts_lift_an_everyday_tag_and_are_not_labelled():
    scenario = _background(news_bursts_per_day=1.0, news_lift=3.0, news_hours=6.0, news_tags=5)
    plain = _background()
    burst, calm = _counts(scenario)[0], _counts(plain)[0]
    def hourly(counts, tag):
        out = collections.Counter()
        for (t, b), n in counts.items():
            if t == tag:
                out[b * FIVE_MIN // 3_600_000] += n
        return out

    tops = collections.Counter(t for t, _ in calm.elements()).most_common(5)
    lifted = max(max(hourly(burst, t).values()) / max(hourly(calm, t).values()) for t, _ in tops)
    assert lifted > 2.0
    assert labels(scenario)["surges"] == [] and list(generate(scenario, 0))[:50] == list(generate(scenario, 0))[:50]
    assert NOISE_EPOCH_MS == FIVE_MIN


def test_without_the_new_knobs_the_events_are_unchanged():
    scenario = load_scenario("surge-flash").scaled(0.02)
    assert scenario.background.dispersion == 0 and scenario.background.news_bursts_per_day == 0
    events = list(generate(scenario, 3))
    assert events == list(generate(dataclasses.replace(scenario), 3))
