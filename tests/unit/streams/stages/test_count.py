import json
import random

import pytest
from hypothesis import given, settings, strategies as st

from detectors.records import Mention
from streams.stages import Count, Extract
from streams.stages.count import META_KEY

SIZES = (60_000, 300_000)


def messages(seed, n=60, sources=2):
    """Messages on one mentions partition: (source, offset, mentions, clock), per source in order."""
    rng = random.Random(seed)
    offsets, clocks, out = [0] * sources, [0] * sources, []
    for _ in range(n):
        s = rng.randrange(sources)
        clocks[s] += rng.randrange(0, 40_000)
        mentions = [Mention(f"t{rng.randrange(6)}", clocks[s] - clocks[s] % 60_000, clocks[s],
                            posts=rng.randrange(1, 4), views=rng.randrange(10), authors=(f"a{rng.randrange(9)}",))
                    for _ in range(rng.randrange(0, 4))]
        out.append((s, offsets[s], mentions, clocks[s]))
        offsets[s] += 1
    return out


def final(windows):
    return {(w.hashtag, w.size, w.window_start): (w.posts, w.views, w.authors) for w in windows}


def new_count(max_tags=20_000):
    return Count(SIZES, lateness_ms=30_000, late_policy="drop", sources=(0, 1), max_tags=max_tags)


def feed(count, msgs):
    out = []
    for source, offset, mentions, clock in msgs:
        out += count.process(mentions, source=source, offset=offset, clock=clock)
    return out


def test_a_message_seen_twice_counts_once():
    msgs = messages(1)
    once = new_count()
    twice = new_count()
    doubled = [m for msg in msgs for m in (msg, msg)]
    assert final(feed(once, msgs) + once.flush()) == final(feed(twice, doubled) + twice.flush())


def crash_and_replay(seed, crash_at, every, choose_cut, choose_committed, max_tags=20_000, stored=bytes):
    """Windows published by a stage that crashes after ``crash_at`` messages (checkpointing every
    ``every``), keeps the changelog prefix ``choose_cut(length)``, restores and replays from the
    committed offset ``choose_committed(highest possible)``; and the windows of a clean run.
    ``stored`` turns each checkpoint value into the bytes the changelog keeps."""
    msgs = messages(seed)
    reference = new_count(max_tags)
    expected = final(feed(reference, msgs) + reference.flush())

    count, log, published = new_count(max_tags), [], []
    complete = []  # (log length, messages covered) after each finished checkpoint
    for i, msg in enumerate(msgs[:crash_at]):
        published += feed(count, [msg])
        if (i + 1) % every == 0:
            log += [(k, None if v is None else stored(v)) for k, v in count.checkpoint().items()]
            complete.append((len(log), i + 1))
    cut = choose_cut(len(log))
    committed = choose_committed(max([covered for length, covered in complete if length <= cut], default=0))

    latest = {}
    for key, value in log[:cut]:
        latest[key] = value
    restored = new_count(max_tags)
    restored.restore({k: v for k, v in latest.items() if v is not None or k == META_KEY})
    resent = msgs[committed:crash_at]  # the source re-sends what it had not committed
    published += feed(restored, msgs[committed:] + resent) + restored.flush()
    return final(published), expected


@given(st.integers(0, 10_000), st.integers(1, 59), st.integers(2, 9), st.data())
@settings(max_examples=80, deadline=None)
def test_crash_at_any_point_then_restore_and_replay_is_exact(seed, crash_at, every, data):
    got, expected = crash_and_replay(
        seed, crash_at, every, lambda n: data.draw(st.integers(0, n), label="changelog prefix kept"),
        lambda c: data.draw(st.integers(0, c), label="committed offset (may lag)"))
    assert got == expected


@pytest.mark.parametrize("seed, crash_at, every, cut, committed", [(2778, 36, 9, 24, 0), (2486, 46, 5, 43, 30)])
def test_a_hashtag_whose_last_window_closed_keeps_its_offsets_through_a_cut_checkpoint(
        seed, crash_at, every, cut, committed):
    """The crash cuts a checkpoint after the value of a hashtag whose windows all closed, before the
    meta value: the hashtag's offsets survive (a tombstone), so its mentions are not counted again."""
    got, expected = crash_and_replay(seed, crash_at, every, lambda n: cut, lambda c: committed)
    assert got == expected


@given(st.integers(0, 10_000), st.integers(1, 59), st.integers(2, 9), st.data())
@settings(max_examples=80, deadline=None)
def test_crash_with_a_long_tail_then_restore_and_replay_is_exact(seed, crash_at, every, data):
    """Two hashtags tracked exactly, the rest in sketches: which hashtags get a slot, what the
    sketches hold and whom they promote all depend on each other, so a restore must put every
    unit back as of one point (the meta value), not each as of its own last value."""
    got, expected = crash_and_replay(
        seed, crash_at, every, lambda n: data.draw(st.integers(0, n), label="changelog prefix kept"),
        lambda c: data.draw(st.integers(0, c), label="committed offset (may lag)"), max_tags=2)
    assert got == expected


@pytest.mark.parametrize("seed, crash_at, every, cut, committed", [(7107, 56, 5, 60, 8), (4875, 44, 2, 84, 5), (6745, 52, 6, 51, 33)])
def test_a_checkpoint_cut_before_its_meta_value_puts_the_long_tail_back_as_of_that_value(
        seed, crash_at, every, cut, committed):
    got, expected = crash_and_replay(seed, crash_at, every, lambda n: cut, lambda c: committed, max_tags=2)
    assert got == expected


def first_format(value):
    """A checkpoint value as versions before the previous-state field wrote it: format byte 1,
    the offset vector, then the state (a hashtag without cells for a tombstone)."""
    assert value[0] == 2
    at, n = 5, int.from_bytes(value[1:5], "little")
    for _ in range(n):
        at += 4 + int.from_bytes(value[at:at + 4], "little") + 8
    vector, has_state = value[1:at], value[at]
    state = value[at + 5:at + 5 + int.from_bytes(value[at + 1:at + 5], "little")] if has_state else b"\x01" + bytes(4)
    return b"\x01" + vector + state


@given(st.integers(0, 10_000), st.integers(1, 59), st.integers(2, 9), st.data())
@settings(max_examples=40, deadline=None)
def test_a_changelog_of_the_first_value_format_restores_exactly(seed, crash_at, every, data):
    got, expected = crash_and_replay(
        seed, crash_at, every, lambda n: data.draw(st.integers(0, n), label="changelog prefix kept"),
        lambda c: data.draw(st.integers(0, c), label="committed offset (may lag)"), stored=first_format)
    assert got == expected


def test_extract_then_count_equals_a_direct_count():
    rng = random.Random(4)
    events = [{"v": 1, "type": "post", "id": f"p{i}", "ts": i * 997, "author": f"u{rng.randrange(20)}",
               "text": " ".join(f"#tag{rng.randrange(5)}" for _ in range(rng.randrange(1, 3)))}
              for i in range(400)]
    values = [json.dumps(events[i:i + 37]).encode() for i in range(0, len(events), 37)]
    extract, count = Extract(60_000, partitions=1), Count(SIZES, lateness_ms=0)
    out = []
    for value in values:
        by_partition, rejected = extract.process([value])
        assert rejected == []
        out += count.process(by_partition.get(0, []))
    got = final(out + count.flush())
    expected = {}
    for size in SIZES:
        cells = {}
        for e in events:
            for tag in set(e["text"].replace("#", "").split()):
                key = (tag, {60_000: "1m", 300_000: "5m"}[size], e["ts"] - e["ts"] % size)
                posts, authors = cells.get(key, (0, set()))
                cells[key] = (posts + 1, authors | {e["author"]})
        expected.update({k: (p, 0, len(a)) for k, (p, a) in cells.items()})
    assert got == expected


def test_views_near_the_largest_integer_saturate_instead_of_wrapping():
    """Hostile but valid engagements (views up to 2**63 - 1 each), in records of their own so that
    the count stage adds them up: the window's views stay at the largest value, never negative."""
    top = 2**63 - 1
    extract, count = Extract(60_000, partitions=1), Count(SIZES, lateness_ms=0)
    out = []
    for i in range(3):
        value = json.dumps([{"v": 1, "type": "engagement", "post_id": f"p{i}", "ts": 1_000 + i,
                             "hashtags": ["fyp"], "views": top}]).encode()
        by_partition, rejected = extract.process([value])
        assert rejected == []
        out += count.process(by_partition.get(0, []))
    views = {w.size_ms: w.views for w in out + count.flush() if w.hashtag == "fyp"}
    assert views == {size: top for size in SIZES}


PRODUCER_REQUEST_LIMIT = 1_000_000
"""Bytes a Faust producer sends in one request by default (``producer_max_request_size``): every
checkpoint value must fit, or the worker cannot write its state."""


def test_checkpoint_values_of_a_flooded_sketch_window_fit_one_producer_request():
    """300,000 one-post tags past the cap in one 5-minute window (the promotion window, with the
    wide posts sketch): each changelog value, which carries the unit's previous state too, stays
    under the request limit; restored, the stage closes the same windows."""
    count, restored = Count(lateness_ms=0, max_tags=10), Count(lateness_ms=0, max_tags=10)
    values = {}
    for minute in range(5):
        start = minute * 60_000
        mentions = [Mention(f"flood{minute}.{i}", start, start + i % 60_000, posts=1, views=3, new_authors=1)
                    for i in range(60_000)]
        count.process(mentions, source=0, offset=minute, clock=start + 59_999)
        changed = count.checkpoint()
        values.update(changed)
        largest = max(changed.items(), key=lambda kv: len(kv[1] or b""))
        assert len(largest[1]) < PRODUCER_REQUEST_LIMIT, (largest[0], len(largest[1]))
    assert len(values[":300000:0"]) > 300_000, "the 5-minute sketch window is dense"
    restored.restore(values)
    assert final(restored.flush()) == final(count.flush())
