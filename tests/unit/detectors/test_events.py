"""Event parsing and validation: one test per way an event can be wrong, and round trips."""

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.events import (MAX_RECORD_BYTES, MAX_TEXT_LENGTH, NEW_AUTHOR_MS, REASONS, InvalidEvent,
                              decode_record, encode_events, is_new_author, parse_event, parse_timestamp)
from detectors.hashtags import MAX_TAGS_PER_POST
from detectors.records import Engagement, Post

JAN13 = int(datetime(2025, 1, 13, tzinfo=timezone.utc).timestamp() * 1000)


def post(**fields):
    event = {"v": 1, "type": "post", "id": "p1", "ts": JAN13, "author": "alice", "text": "hi #RedNote"}
    event.update(fields)
    return {k: v for k, v in event.items() if v is not ...}


def engagement(**fields):
    event = {"v": 1, "type": "engagement", "post_id": "p1", "ts": JAN13, "hashtags": ["rednote"], "views": 5}
    event.update(fields)
    return {k: v for k, v in event.items() if v is not ...}


def test_post_with_all_fields():
    got = parse_event(post(hashtags=["#RedNote", "rednote", "小红书"], lang="en", region="US",
                           author_created="2025-01-12T00:00:00Z"))
    assert got == Post("p1", JAN13, "alice", "hi #RedNote", ("rednote", "小红书"), "en", "US",
                       JAN13 - 86_400_000)


def test_post_without_hashtags_extracts_them_from_text():
    assert parse_event(post(text="#TikTokRefugee 🇺🇸 #fyp!")).hashtags == ("tiktokrefugee", "fyp")
    assert parse_event(post(hashtags=None)).hashtags == ("rednote",)


def test_given_hashtags_are_normalised_deduplicated_and_capped():
    tags = ["#A", "a", "!!", "#1"] + [f"t{i}" for i in range(MAX_TAGS_PER_POST + 5)]
    got = parse_event(post(hashtags=tags)).hashtags
    assert got[0] == "a" and len(got) == MAX_TAGS_PER_POST and "!!" not in got


def test_engagement_defaults_likes_and_shares():
    assert parse_event(engagement(likes=2)) == Engagement("p1", JAN13, ("rednote",), 5, 2, 0)


@pytest.mark.parametrize("value, expected", [
    ("2025-01-13T00:00:00Z", JAN13),
    ("2025-01-13T08:00:00+08:00", JAN13),
    ("2025-01-13T00:00:00.123Z", JAN13 + 123),
    (JAN13, JAN13),
    (float(JAN13), JAN13),
])
def test_timestamps(value, expected):
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize("event, reason", [
    ([1, 2], "not_object"),
    ("post", "not_object"),
    (post(v=2), "bad_version"),
    (post(v="1"), "bad_version"),
    (post(v=True), "bad_version"),
    (post(v=...), "missing_field"),
    (post(type="like"), "unknown_type"),
    (post(type=...), "missing_field"),
    (post(id=...), "missing_field"),
    (post(id=7), "bad_type"),
    (post(id=""), "bad_value"),
    (post(id="x" * 300), "bad_value"),
    (post(author=None), "missing_field"),
    (post(text=...), "missing_field"),
    (post(text=["a"]), "bad_type"),
    (post(text="x" * (MAX_TEXT_LENGTH + 1)), "oversize"),
    (post(hashtags="fyp"), "bad_type"),
    (post(hashtags=["fyp", 3]), "bad_type"),
    (post(hashtags=["a"] * 1001), "oversize"),
    (post(lang=5), "bad_type"),
    (post(region=["US"]), "bad_type"),
    (post(ts=...), "missing_field"),
    (post(ts="yesterday"), "bad_timestamp"),
    (post(ts="2025-01-13T00:00:00"), "bad_timestamp"),
    (post(ts=-1), "bad_timestamp"),
    (post(ts=1.5), "bad_timestamp"),
    (post(ts=10 ** 17), "bad_timestamp"),
    (post(ts=True), "bad_timestamp"),
    (post(author_created="soon"), "bad_timestamp"),
    (engagement(post_id=...), "missing_field"),
    (engagement(hashtags=...), "missing_field"),
    (engagement(views=...), "missing_field"),
    (engagement(views=-3), "bad_value"),
    (engagement(views=2.0), "bad_type"),
    (engagement(likes="2"), "bad_type"),
    (engagement(shares=-1), "bad_value"),
])
def test_each_way_an_event_can_be_wrong(event, reason):
    with pytest.raises(InvalidEvent) as info:
        parse_event(event)
    assert info.value.reason == reason and reason in REASONS
    assert info.value.detail and isinstance(info.value, ValueError)


def test_unknown_fields_are_ignored():
    assert parse_event(post(extra={"nested": True})).id == "p1"


def test_decode_single_object_and_array():
    events, rejected = decode_record(json.dumps(post()).encode())
    assert [e.id for e in events] == ["p1"] and rejected == []
    events, rejected = decode_record(encode_events([post(id="a"), engagement(), post(id="b")]))
    assert [type(e).__name__ for e in events] == ["Post", "Engagement", "Post"] and rejected == []


def test_bad_elements_are_rejected_with_their_own_bytes():
    good, bad = post(id="ok"), post(id="bad", ts="never")
    events, rejected = decode_record(encode_events([good, bad, 17]))
    assert [e.id for e in events] == ["ok"]
    assert [r.reason for r in rejected] == ["bad_timestamp", "not_object"]
    assert json.loads(rejected[0].raw) == bad and rejected[1].raw == b"17"


@pytest.mark.parametrize("raw, reason", [
    (b"{not json", "bad_json"),
    (b"\xff\xfe\x00garbage", "bad_json"),
    (b"", "bad_json"),
    (b'"a string"', "not_object"),
    (b'{"v":1,"type":"post"}', "missing_field"),
])
def test_whole_record_rejected_keeps_original_bytes(raw, reason):
    events, rejected = decode_record(raw)
    assert events == [] and len(rejected) == 1
    assert rejected[0].reason == reason and rejected[0].raw == raw


def test_oversize_record():
    raw = encode_events([post(text="x" * 1000)] * (MAX_RECORD_BYTES // 1000 + 1))
    events, rejected = decode_record(raw)
    assert events == [] and rejected[0].reason == "oversize" and rejected[0].raw == raw


def test_is_new_author():
    def at(created):
        return parse_event(post(author_created=created))
    assert is_new_author(at(JAN13 - NEW_AUTHOR_MS))
    assert not is_new_author(at(JAN13 - NEW_AUTHOR_MS - 1))
    assert is_new_author(at(JAN13 + 1000))
    assert not is_new_author(parse_event(post()))
    assert not is_new_author(at(JAN13 - 3_600_000), within_ms=60_000)
    with pytest.raises(ValueError, match="within_ms"):
        is_new_author(at(JAN13), within_ms=-1)


texts = st.text(max_size=80)
posts = st.builds(post, id=st.text(min_size=1, max_size=20), author=st.text(min_size=1, max_size=20),
                  text=texts, ts=st.integers(0, 4_000_000_000_000),
                  lang=st.none() | st.sampled_from(["en", "zh"]))
engagements = st.builds(engagement, views=st.integers(0, 10 ** 12), likes=st.integers(0, 100),
                        hashtags=st.lists(st.text(max_size=10), max_size=5))


@given(st.lists(posts | engagements, max_size=20))
@settings(max_examples=200)
def test_encode_decode_round_trip(events):
    decoded, rejected = decode_record(encode_events(events))
    assert rejected == []
    assert [parse_event(e) for e in events] == decoded


@given(st.binary(max_size=200) | st.builds(lambda x: json.dumps(x).encode(), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["v", "type", "id", "ts", "author", "text", "hashtags", "views", "post_id"]), inner, max_size=6))))
@settings(max_examples=300)
def test_decode_never_raises_and_accounts_for_everything(raw):
    events, rejected = decode_record(raw)
    assert all(r.reason in REASONS and r.detail for r in rejected)
    try:
        data = json.loads(raw)
    except ValueError:
        return
    expected = len(data) if isinstance(data, list) else 1
    assert len(events) + len(rejected) == expected



_FIELD_VALUES = st.sampled_from([None, True, -1, 0, 7, 4_102_444_800_000, 1.0, 2.5, "", "x", "fyp", ["fyp"], [],
                                  [1], {}, "2025-01-13T00:00:00Z", "x" * 300, "x" * (MAX_TEXT_LENGTH + 1)])
_VALID = {"post": {"v": 1, "type": "post", "id": "p1", "ts": 1736726400000, "author": "a", "text": "#Fyp hi",
                   "hashtags": ["#Fyp"], "lang": "en", "region": "US", "author_created": 1736726000000},
          "engagement": {"v": 1, "type": "engagement", "post_id": "p1", "ts": 1736726400000,
                         "hashtags": ["fyp", "#RedNote"], "views": 3, "likes": 1, "shares": 0}}
_MISSING = object()


@settings(max_examples=500, deadline=None)
@given(kind=st.sampled_from(["post", "engagement"]),
       changes=st.dictionaries(st.sampled_from(["id", "post_id", "ts", "author", "text", "hashtags", "lang",
                                                "region", "author_created", "views", "likes", "shares"]),
                               st.one_of(_FIELD_VALUES, st.just(_MISSING)), max_size=3))
def test_fast_path_agrees_with_field_by_field_checks(kind, changes):
    """The native rules (one test for well-formed events) give exactly what the oracle's precise checks give."""
    from detectors import events as ev
    from tests.oracles import events as oracle

    obj = {**_VALID[kind], **changes}
    obj = {k: v for k, v in obj.items() if v is not _MISSING}
    checked = oracle._checked_post if kind == "post" else oracle._checked_engagement

    def outcome(parse):
        try:
            return parse(obj)
        except InvalidEvent as exc:
            return exc.reason

    assert outcome(ev.parse_event) == outcome(checked)
