"""Alert episodes: lifecycle, cooldown, ongoing cadence, kind upgrade, related tags."""

from __future__ import annotations

import pytest

from detectors.alerts import AlertBook
from detectors.records import Window
from detectors.surge import Verdict

MIN5 = 300_000


def verdict(tag, t, kind="trend", score=9.0, posts=50, authors=40):
    w = Window(tag, "5m", t, t + MIN5, posts=posts, views=posts * 10, authors=authors)
    return Verdict(w, kind, score, posts, 2.0, 3.0)


def test_started_ongoing_resolved_then_cooldown():
    book = AlertBook(quiet_ms=30 * 60_000, cooldown_ms=6 * 3_600_000, ongoing_every_ms=3_600_000)
    steps = []
    for i in range(24):  # two hours hot
        alert = book.observe(verdict("cats", i * MIN5), views_per_post=10)
        steps += [alert.state] if alert else []
        steps += [a.state for a in book.expire((i + 1) * MIN5)]
    assert steps == ["started", "ongoing"]  # 00:05 started, 01:05 ongoing, 02:00 not yet an hour later
    assert [a.state for a in book.expire(2 * 3_600_000 + 30 * 60_000)] == ["resolved"]
    assert book.observe(verdict("cats", 3 * 3_600_000), views_per_post=10) is None  # cooling down
    later = book.observe(verdict("cats", 9 * 3_600_000), views_per_post=10)
    assert later is not None and later.state == "started"


def test_warm_windows_keep_an_episode_open_but_do_not_start_one():
    book = AlertBook(quiet_ms=20 * 60_000)
    assert book.observe(verdict("dogs", 0, kind=None, score=3.0), views_per_post=10) is None
    assert book.observe(verdict("dogs", MIN5), views_per_post=10).state == "started"
    book.observe(verdict("dogs", 4 * MIN5, kind=None, score=3.0), views_per_post=10)
    assert book.expire(6 * MIN5) == []
    assert [a.state for a in book.expire(9 * MIN5)] == ["resolved"]


def test_suspicious_upgrades_to_trend_when_many_authors_join():
    book = AlertBook()
    first = book.observe(verdict("coin", 0, kind="suspicious", authors=3), views_per_post=10)
    second = book.observe(verdict("coin", MIN5, kind="trend", authors=80), views_per_post=10)
    assert (first.kind, first.state, second.kind, second.state) == ("suspicious", "started", "trend", "started")


def test_related_tags_are_the_other_trends_by_score():
    book = AlertBook()
    book.observe(verdict("rednote", 0, score=8.0), views_per_post=10)
    book.observe(verdict("xiaohongshu", 0, score=12.0), views_per_post=10)
    book.observe(verdict("moonshotcoin", 0, kind="suspicious"), views_per_post=10)
    alert = book.observe(verdict("tiktokrefugee", MIN5, score=20.0), views_per_post=10)
    assert alert.related == ("xiaohongshu", "rednote")


def test_projection_grows_with_the_posting_rate():
    slow, fast = AlertBook(), AlertBook()
    a = slow.observe(verdict("a", 0, posts=20, authors=20), views_per_post=100)
    b = fast.observe(verdict("a", 0, posts=200, authors=200), views_per_post=100)
    assert b.projected_views > 5 * a.projected_views
    assert a.projection_horizon_h == 72.0


@pytest.mark.parametrize("kwargs", [{"quiet_ms": -1}, {"horizon_h": 0}, {"z_off": 0}])
def test_invalid_arguments_name_the_parameter(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        AlertBook(**kwargs)
