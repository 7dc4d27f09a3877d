"""The trend model on synthetic window series with known surges."""

from __future__ import annotations

import math

import numpy as np

from detectors.model import TrendModel
from detectors.records import Window
from detectors.surge import SurgeScorer

FIVE_MIN, HOUR, DAY = 300_000, 3_600_000, 86_400_000
START = 1_740_960_000_000  # 2025-03-03T00:00:00Z


def background(n_tags: int = 40, per_5m: float = 300.0):
    """Zipf-like background tags: rate per 5 min of each, following a daily cycle of the platform."""
    weights = np.array([1 / (r + 1) ** 1.1 for r in range(n_tags)])
    shares = weights / weights.sum()
    cycle = lambda t: 1 + 0.5 * math.cos(2 * math.pi * ((t - START) / HOUR % 24 - 13) / 24)  # noqa: E731
    return {f"bg{i}": (lambda t, s=s: per_5m * s * cycle(t)) for i, s in enumerate(shares)}


def series(days: float, rates: dict, seed: int = 0, authors: dict | None = None) -> list[list[Window]]:
    """Batches of closed windows (5 min and 1 h), one batch per 5 min, Poisson counts from ``rates``."""
    rng = np.random.default_rng(seed)
    authors = authors or {}
    batches, hourly = [], {}
    for i in range(int(days * DAY / FIVE_MIN)):
        t = START + i * FIVE_MIN
        batch = []
        for tag, rate in rates.items():
            posts = int(rng.poisson(max(rate(t), 0.0)))
            if posts:
                who = min(posts, authors[tag]) if tag in authors else posts
                batch.append(Window(tag, "5m", t, t + FIVE_MIN, posts=posts, views=posts * 100, authors=who))
                h = hourly.setdefault(tag, [0, 0])
                h[0], h[1] = h[0] + posts, h[1] + who
        if (t + FIVE_MIN - START) % HOUR == 0:
            hour = t + FIVE_MIN - HOUR
            batch += [Window(tag, "1h", hour, hour + HOUR, posts=p, views=p * 100,
                             authors=min(a, authors.get(tag, a))) for tag, (p, a) in sorted(hourly.items())]
            hourly = {}
        batches.append(batch)
    return batches


def alerts_of(batches, model=None):
    model = model or TrendModel()
    out = []
    for batch in batches:
        out += model.update(batch)
    return out + model.flush()


def starts(alerts, tag=None, kind=None):
    return [a for a in alerts if a.state == "started" and (tag is None or a.hashtag == tag)
            and (kind is None or a.kind == kind)]


def test_quiet_background_raises_nothing():
    assert starts(alerts_of(series(3, background()))) == []


def test_flash_spike_on_a_new_tag_is_a_trend_within_15_minutes():
    onset = START + DAY + 6 * HOUR
    rates = background()
    rates["earthquake"] = lambda t: 0.0 if t < onset else 200 * math.exp(-(t - onset) / HOUR)
    alerts = alerts_of(series(2, rates, seed=1))
    found = starts(alerts, "earthquake", "trend")
    assert len(found) == 1
    assert found[0].window_end - onset <= 15 * 60_000
    assert starts(alerts, kind="trend") == found


def test_a_lasting_new_level_is_absorbed_in_one_episode():
    onset = START + DAY
    rates = background()
    rates["citywalk"] = lambda t: 0.5 if t < onset else 30.0
    alerts = alerts_of(series(4, rates, seed=2))
    mine = [a for a in alerts if a.hashtag == "citywalk"]
    assert [a.state for a in mine if a.state != "ongoing"] == ["started", "resolved"]
    assert mine[-1].window_end < START + 4 * DAY


def test_normalisation_all_tags_doubling_together_is_not_a_surge():
    rates = {tag: (lambda t, f=f: f(t) * (2 if t >= START + DAY else 1)) for tag, f in background().items()}
    assert starts(alerts_of(series(2, rates, seed=3))) == []


def test_daily_peak_is_not_alerted_after_day_one():
    rates = background()
    rates["goodmorning"] = lambda t: 1 + 80 * math.exp(-0.5 * ((((t - START) / HOUR) % 24 - 7)) ** 2)
    alerts = alerts_of(series(4, rates, seed=4))
    assert [a for a in starts(alerts, "goodmorning") if a.window_end > START + DAY] == []


def test_a_burst_from_a_handful_of_accounts_is_suspicious_never_a_trend():
    onset = START + DAY
    rates = background()
    rates["moonshotcoin"] = lambda t: 150.0 if onset <= t < onset + 2 * HOUR else 0.0
    alerts = alerts_of(series(2, rates, seed=5, authors={"moonshotcoin": 5}))
    assert starts(alerts, "moonshotcoin", "trend") == []
    assert len(starts(alerts, "moonshotcoin", "suspicious")) == 1


def test_slow_burn_is_caught_in_the_first_fifth_of_its_rise():
    onset, rise = START + DAY, 36 * HOUR
    rates = background()
    rates["stanleycup"] = lambda t: 0.0 if t < onset else 0.8 * math.exp(5 * min(t - onset, rise) / rise)
    found = starts(alerts_of(series(3, rates, seed=6)), "stanleycup", "trend")
    assert found and found[0].window_end - onset <= 0.2 * rise


def test_rare_tags_stay_under_the_noise_floor():
    rates = background()
    rates.update({f"rare{i}": (lambda t, r=0.002 * (i + 1): r) for i in range(200)})
    assert starts(alerts_of(series(3, rates, seed=7))) == []


def test_alerts_do_not_depend_on_how_windows_are_batched():
    onset = START + DAY
    rates = background()
    rates["cats"] = lambda t: 0.0 if t < onset else 40.0
    batches = series(1.5, rates, seed=8)
    flat = [w for batch in batches for w in batch]
    odd = [flat[i:i + 7] for i in range(0, len(flat), 7)]
    assert alerts_of(batches) == alerts_of(odd)
    assert starts(alerts_of(batches), "cats")


def test_state_stays_bounded_with_a_million_style_long_tail():
    model = TrendModel(SurgeScorer(max_tags=500))
    for i in range(200):
        t = START + i * FIVE_MIN
        batch = [Window(f"t{i}-{j}", "5m", t, t + FIVE_MIN, posts=3, authors=3) for j in range(50)]
        model.update(batch)
    assert model.tracked_tags <= 500
    assert model.state_bytes < 500 * model.scorer.bytes_per_tag + 2_000_000


def test_a_tag_with_a_level_from_the_start_trends_only_after_a_day_of_history():
    early, late = START + 10 * HOUR, START + DAY + 10 * HOUR
    for onset, expected in ((early, 0), (late, 1)):
        rates = background()
        rates["fyp"] = lambda t, o=onset: 40.0 if o <= t < o + 2 * HOUR else 4.0
        assert len(starts(alerts_of(series(2, rates, seed=9)), "fyp", "trend")) == expected


def _bursty(mean: float, size: float):
    """A tag whose 5-minute counts are negative binomial (a Gamma(size, 1/size) factor on its rate)."""
    return lambda t: mean * np.random.default_rng(t // FIVE_MIN).gamma(size, 1 / size)


def test_an_overdispersed_everyday_tag_is_judged_by_its_own_spread():
    rates = background()
    rates["weather"] = _bursty(40.0, 1.0)  # variance 40x Poisson's at this level
    alerts = alerts_of(series(3, rates, seed=4))
    assert starts(alerts, kind="trend") == []


def test_a_real_surge_on_a_bursty_tag_still_alerts_once():
    onset = START + 2 * DAY
    rates = background()
    rates["weather"] = lambda t, base=_bursty(20.0, 2.0): base(t) * (12.0 if onset <= t < onset + HOUR else 1.0)
    alerts = alerts_of(series(3, rates, seed=5))
    found = starts(alerts, "weather", "trend")
    assert len(found) == 1 and onset <= found[0].window_start < onset + HOUR
    assert starts(alerts, kind="trend") == found


def _weekend_tag(mean: float, weekend: float, size: float, onset: int, lift: float):
    """A tag ``weekend`` times busier on Saturdays and Sundays, negative binomial (size ``size``), with a
    2-hour surge of ``lift`` times its level from ``onset``."""
    def rate(t):
        level = mean * (weekend if (t - START) // DAY % 7 >= 5 else 1.0)  # START is a Monday
        return level * (lift if onset <= t < onset + 2 * HOUR else 1.0) * \
            np.random.default_rng(t // FIVE_MIN).gamma(size, 1 / size)
    return rate


def test_a_weekend_tag_expects_its_weekends_after_two_weeks_and_still_flags_a_real_surge():
    onset = START + 30 * DAY + 10 * HOUR  # Wednesday of the fifth week
    rates = background(n_tags=20)
    rates["brunch"] = _weekend_tag(5.0, 10.0, 3.0, onset, 15.0)  # 5 posts per 5 min on weekdays, 50 at weekends
    batches = series(35, rates, seed=0)
    daily = starts(alerts_of(batches, TrendModel(SurgeScorer(weekly_weeks=0))), kind="trend")
    weekly = starts(alerts_of(batches, TrendModel()), kind="trend")

    def on_ordinary_weekends(found):  # after the two weeks the weekly term needs
        return [a for a in found if a.window_start >= START + 14 * DAY and (a.window_start - START) // DAY % 7 >= 5]
    assert on_ordinary_weekends(daily), "the daily profile alone takes a weekend for a surge"
    assert on_ordinary_weekends(weekly) == []
    later = [a for a in weekly if a.window_start >= START + 14 * DAY]
    assert len(later) == 1 and later[0].hashtag == "brunch" and onset <= later[0].window_start < onset + HOUR


def test_without_a_weekly_cycle_the_weekly_term_changes_almost_nothing():
    rates = background(n_tags=20)
    batches = series(16, rates, seed=2)
    scorers = (SurgeScorer(weekly_weeks=0), SurgeScorer())
    assert alerts_of(batches, TrendModel(scorers[0])) == alerts_of(batches, TrendModel(scorers[1])) == []
    daily, weekly = scorers
    assert weekly.weekly("bg0") and not daily.weekly("bg0")
    hours = [START + 16 * DAY + h * HOUR for h in range(0, 7 * 24, 5)]  # the factors are about 1: same profile
    assert all(abs(weekly.seasonal("bg0", t) / daily.seasonal("bg0", t) - 1) < 0.05 for t in hours)


def test_a_state_saved_before_the_weekly_term_restores_and_learns_it():
    import pickle

    from detectors.baseline import TagState
    saved = (0.1, 0.1, 0, 0, 0, 0, -1, 0, 1.0, 1.0, [0.0] * 24, bytes(24), -1, 0.0)  # without the weekly term
    state = TagState.__new__(TagState)
    state.__setstate__(saved)
    scorer = SurgeScorer(warmup_ms=0)
    scorer._core.restore_state("cats", state.fields())
    restored = pickle.loads(pickle.dumps(scorer))
    fields = restored.states()["cats"]
    assert len(fields[10]) == 31 and len(fields[11]) == 31 and not restored.weekly("cats")
    assert restored.seasonal("cats", 0) == 0.0
    for start in (0, HOUR):  # one 5-minute window in hour 0 at share sqrt(4 / 100), then hour 1 begins
        restored.update(Window("cats", "5m", start, start + FIVE_MIN, posts=4, authors=4), total=100, slow=False)
    assert abs(restored.seasonal("cats", 24 * HOUR) - 0.2 / 12) < 1e-8  # the hour's mean, as a 32-bit float


def test_a_scorer_saved_before_the_weekly_term_restores_and_scores():
    import pickle

    scorer = SurgeScorer(warmup_ms=0)
    scorer.update(Window("cats", "5m", START, START + FIVE_MIN, posts=4, authors=4), total=100, slow=False)
    saved = scorer.__getstate__()
    del saved["weekly_weeks"], saved["observe"]  # the attributes of the scorer before the weekly term
    old = SurgeScorer.__new__(SurgeScorer)
    old.__setstate__(saved)
    restored = pickle.loads(pickle.dumps(old))
    assert restored.weekly_weeks == 2 and restored.observe is None
    window = Window("cats", "5m", START + FIVE_MIN, START + 2 * FIVE_MIN, posts=60, authors=50)
    assert restored.update(window, total=156, slow=False).kind == "trend"


def test_a_watermark_completes_a_moment_without_waiting_for_the_next_one():
    """With ``complete`` (a watermark) the model alerts on a moment as soon as it is complete; without
    it, only once a window of a later moment arrives. The alerts are the same either way."""
    def moment(i, cats):
        t = i * FIVE_MIN
        return [Window("fyp", "5m", t, t + FIVE_MIN, posts=40, authors=35),
                Window("cats", "5m", t, t + FIVE_MIN, posts=cats, views=cats * 100, authors=cats)]
    quiet = [moment(i, 2) for i in range(48)]
    waiting, watermarked = TrendModel(), TrendModel()
    for batch in quiet:
        waiting.update(batch)
        watermarked.update(batch, complete=batch[0].window_end)
    burst = moment(48, 90)
    assert waiting.update(burst) == []
    now = watermarked.update(burst, complete=burst[0].window_end)
    assert [(a.hashtag, a.kind, a.state) for a in now] == [("cats", "trend", "started")]
    assert waiting.update(moment(49, 2)) == now
