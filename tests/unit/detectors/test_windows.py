import random
from collections import defaultdict

import pytest
from hypothesis import given, settings, strategies as st

from detectors.records import Mention, Window
from detectors.windows import WindowAggregator

SIZES = (60_000, 300_000, 3_600_000)
NAMES = {60_000: "1m", 300_000: "5m", 3_600_000: "1h"}


def posts_stream(n, seed, disorder=0, tags=8, span=3 * 3_600_000):
    """(tag, ts, author, views, new) in nearly time order (shuffled within ``disorder`` ms)."""
    rng = random.Random(seed)
    events = sorted((rng.randrange(span), f"t{rng.randrange(tags)}", f"a{rng.randrange(30)}",
                     rng.randrange(5), rng.random() < 0.2) for _ in range(n))
    if disorder:
        events.sort(key=lambda e: e[0] + rng.randrange(disorder))
    return [(tag, ts, author, views, new) for ts, tag, author, views, new in events]


def mention(tag, ts, author, views, new):
    return Mention(tag, ts - ts % 60_000, ts, posts=1, views=views, new_authors=int(new), authors=(author,))


def reference(events):
    """Counts per (tag, size, start) computed directly from the events."""
    cells = defaultdict(lambda: [0, 0, set(), 0])
    for tag, ts, author, views, new in events:
        for size in SIZES:
            cell = cells[(tag, NAMES[size], ts - ts % size)]
            cell[0] += 1
            cell[1] += views
            cell[2].add(author)
            cell[3] += new
    return {k: (p, v, len(a), n) for k, (p, v, a, n) in cells.items()}


def final(windows):
    """Last published value per window (later ones are corrections)."""
    return {(w.hashtag, w.size, w.window_start): (w.posts, w.views, w.authors, w.new_authors) for w in windows}


def run(agg, events, source=""):
    out = []
    for event in events:
        out += agg.update(mention(*event))
        out += agg.advance(event[1], source)
    return out


@given(st.integers(0, 10_000), st.integers(0, 120_000))
@settings(max_examples=40, deadline=None)
def test_counts_are_exact_when_disorder_is_within_allowed_lateness(seed, disorder):
    events = posts_stream(300, seed, disorder=disorder)
    agg = WindowAggregator(SIZES, allowed_lateness=120_000, late_policy="drop")
    out = run(agg, events) + agg.flush()
    assert agg.late_dropped == agg.late_applied == 0
    assert final(out) == reference(events)
    assert len(out) == len(final(out)), "no window published twice"


def test_windows_close_when_the_watermark_passes_their_end():
    agg = WindowAggregator((60_000, 300_000), allowed_lateness=30_000)
    agg.update(Mention("fyp", 60_000, 65_000, posts=1, authors=("a",)))
    assert agg.advance(119_999) == [] and agg.watermark == 89_999
    assert [(w.size, w.window_start) for w in agg.advance(150_000)] == [("1m", 60_000)]
    assert agg.advance(329_999) == []
    assert [(w.size, w.window_end) for w in agg.advance(330_000)] == [("5m", 300_000)]


def test_drop_policy_drops_and_counts_late_posts():
    agg = WindowAggregator((60_000,), allowed_lateness=0, late_policy="drop")
    agg.update(Mention("a", 0, 1_000, posts=2))
    closed = agg.advance(120_000)
    assert agg.update(Mention("a", 0, 2_000, posts=3)) == []
    assert (agg.late_dropped, agg.late_applied) == (3, 0)
    assert [w.posts for w in closed + agg.flush()] == [2]


def test_apply_policy_republishes_corrected_windows_within_retention():
    agg = WindowAggregator((60_000, 300_000), allowed_lateness=0, late_policy="apply", retention=120_000)
    agg.update(Mention("a", 0, 1_000, posts=2, authors=("x",)))
    assert [w.posts for w in agg.advance(90_000)] == [2]
    corrected = agg.update(Mention("a", 0, 2_000, posts=3, authors=("y",)))
    assert corrected == [Window("a", "1m", 0, 60_000, posts=5, authors=2)]
    assert agg.late_applied == 3
    agg.advance(200_000)  # 1m window [0, 60s) is now past its retention
    assert agg.update(Mention("a", 0, 3_000, posts=1)) == []
    assert agg.late_applied == 4 and agg.late_dropped == 0  # the open 5m window took it
    assert [(w.size, w.posts) for w in agg.flush()] == [("5m", 6)]
    agg.advance(10_000_000)
    agg.update(Mention("a", 0, 4_000, posts=4))
    assert agg.late_dropped == 4


def test_late_apply_matches_the_reference_for_any_disorder():
    events = posts_stream(400, seed=3, disorder=600_000)
    agg = WindowAggregator(SIZES, allowed_lateness=0, late_policy="apply", retention=10 ** 9)
    out = run(agg, events) + agg.flush()
    assert agg.late_applied > 0
    assert final(out) == reference(events)


def test_watermark_waits_for_every_declared_source():
    agg = WindowAggregator((60_000,), allowed_lateness=0, sources=(0, 1))
    agg.update(Mention("a", 0, 10, posts=1))
    assert agg.advance(500_000, source=0) == [] and agg.watermark is None
    assert agg.advance(30_000, source=1) == [] and agg.watermark == 30_000
    assert [w.posts for w in agg.advance(60_000, source=1)] == [1]


def test_flush_then_more_data_republishes_the_window_with_full_counts():
    agg = WindowAggregator((60_000,), allowed_lateness=0)
    agg.update(Mention("a", 0, 10, posts=1))
    assert [w.posts for w in agg.flush()] == [1]
    assert [w.posts for w in agg.update(Mention("a", 0, 20, posts=2))] == [3]
    assert agg.late_applied == 0


@given(st.integers(0, 10_000), st.integers(1, 299))
@settings(max_examples=30, deadline=None)
def test_state_round_trip_mid_stream_gives_the_same_windows(seed, cut):
    events = posts_stream(300, seed, disorder=90_000)
    config = dict(sizes=SIZES, allowed_lateness=60_000, late_policy="apply", retention=120_000)
    whole = WindowAggregator(**config)
    expected = run(whole, events) + whole.flush()
    first = WindowAggregator(**config)
    out = run(first, events[:cut])
    second = WindowAggregator(**config)
    second.load_state(bytes(first.to_state()))
    out += run(second, events[cut:]) + second.flush()
    assert out == expected
    assert (second.late_applied, second.late_dropped) == (whole.late_applied, whole.late_dropped)


def test_incremental_units_rebuild_the_same_state():
    agg = WindowAggregator(SIZES, allowed_lateness=0, max_tags=3)
    copy = WindowAggregator(SIZES, allowed_lateness=0, max_tags=3)
    for event in posts_stream(200, seed=5, tags=10):
        agg.update(mention(*event))
        agg.advance(event[1])
        for unit in agg.pop_dirty():
            copy.load_unit(unit, agg.unit_state(unit))
    copy.load_meta(agg.meta_state())
    assert sorted(agg.units()) == sorted(copy.units())
    assert agg.advance(10 ** 9) + agg.flush() == copy.advance(10 ** 9) + copy.flush()


def test_tags_over_the_cap_are_sketched_and_heavy_ones_promoted():
    agg = WindowAggregator((60_000,), allowed_lateness=0, max_tags=10, promote_at=5)
    for i in range(1000):
        agg.update(Mention(f"tail{i}", 0, 10, posts=1, authors=(f"u{i}",)))
    assert agg.tracked_tags == 10 and agg.sketched_posts == 990
    for _ in range(6):
        agg.update(Mention("surging", 0, 20, posts=1, authors=("z",)))
    assert agg.tracked_tags == 11
    windows = {w.hashtag: w for w in agg.advance(60_000)}
    assert windows["surging"].posts >= 6 and windows["tail0"].posts == 1
    assert len(windows) == 11


def test_promotion_is_decided_on_the_promote_size_window():
    """7 posts in each of two minutes: 14 in the 5-minute window, never 10 in a minute."""
    agg = WindowAggregator((60_000, 300_000), allowed_lateness=0, max_tags=10, promote_size=300_000)
    base = WindowAggregator((60_000, 300_000), allowed_lateness=0, max_tags=10)
    assert (agg.promote_size, base.promote_size) == (300_000, 60_000)
    stream = [Mention(f"tail{i}", 0, 10, posts=1) for i in range(100)]
    stream += [Mention("surging", bucket, bucket + 1, posts=1) for bucket in (0, 60_000) for _ in range(7)]
    for m in stream:
        agg.update(m)
        base.update(m)
    assert "surging" in agg.units() and "surging" not in base.units()
    assert [(w.size, w.posts) for w in agg.flush() if w.hashtag == "surging"] == [("1m", 7), ("5m", 14)]


def test_exact_below_the_cap():
    events = posts_stream(500, seed=11, tags=40)
    agg = WindowAggregator(SIZES, allowed_lateness=0, max_tags=40)
    assert final(run(agg, events) + agg.flush()) == reference(events)
    assert agg.sketched_posts == 0


@pytest.mark.parametrize("kwargs, name", [
    ({"sizes": ()}, "sizes"), ({"sizes": (60_000, 90_000)}, "sizes"),
    ({"allowed_lateness": -1}, "allowed_lateness"), ({"late_policy": "keep"}, "late_policy"),
    ({"retention": -5}, "retention"), ({"max_tags": 0}, "max_tags"),
    ({"exact_authors": -1}, "exact_authors"), ({"promote_size": 120_000}, "promote_size"),
])
def test_invalid_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        WindowAggregator(**kwargs)
