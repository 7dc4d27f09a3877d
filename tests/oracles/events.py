"""Parsing and validation of post and engagement events in plain Python: the oracle of the native rules.

A Kafka record on ``posts`` holds one JSON event object or a JSON array of
them. ``decode_record`` turns a record into validated ``Post`` and
``Engagement`` objects plus a ``Rejected`` for every part that is wrong;
``parse_event`` validates one decoded object and raises ``InvalidEvent`` with
a short stable reason code (the label of the invalid-events metric):

============== ==========================================================
reason         meaning
============== ==========================================================
bad_json       the record is not JSON (or not UTF-8)
not_object     the record, or an element of its array, is not an object
bad_version    ``v`` is not 1
unknown_type   ``type`` is neither ``post`` nor ``engagement``
missing_field  a required field is absent or null
bad_type       a field has the wrong JSON type
bad_value      a count is negative, or a string is empty or too long
bad_timestamp  ``ts``/``author_created`` is no RFC 3339 time or epoch ms
oversize       the record, the text or the hashtag list is too large
too_deep       the record nests arrays/objects deeper than the decoder allows
ts_future      the event time is too far after the wall clock (see
               ``detectors.eventtime``; only with an ``EventClock``)
ts_ahead       the event time is too far after the stream's clock
ts_behind      the event time is too far before the stream's clock
stage_error    the stage failed on the record (a defect; the record is kept whole)
============== ==========================================================

Timestamps become integer epoch milliseconds. A post without ``hashtags`` has
them extracted from its text; given hashtags are normalised like extracted
ones (invalid ones dropped, duplicates removed, at most ``MAX_TAGS_PER_POST``).
Unknown fields are ignored, so producers can add fields without breaking
consumers.

Examples
--------
>>> events, rejected = decode_record(
...     b'[{"v":1,"type":"post","id":"p1","ts":"2025-01-13T00:00:00Z","author":"a",'
...     b'"text":"hi #TikTokRefugee"},{"v":1,"type":"like"}]')
>>> events[0].hashtags, events[0].ts
(('tiktokrefugee',), 1736726400000)
>>> rejected[0].reason, rejected[0].detail, rejected[0].raw
('unknown_type', "type 'like' is not 'post' or 'engagement'", b'{"v":1,"type":"like"}')
"""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import datetime, timedelta, timezone

from detectors.events import InvalidEvent  # one exception class for the stage and its oracle
from tests.oracles.eventtime import EventClock, describe
from tests.oracles.hashtags import MAX_TAGS_PER_POST, extract_hashtags, normalise_hashtag
from detectors.records import Engagement, Post, Rejected

__all__ = ["EventClock", "InvalidEvent", "REASONS", "MAX_RECORD_BYTES", "MAX_TEXT_LENGTH", "NEW_AUTHOR_MS",
           "parse_event", "parse_timestamp", "decode_record", "encode_events", "is_new_author"]

REASONS = ("bad_json", "not_object", "bad_version", "unknown_type", "missing_field",
           "bad_type", "bad_value", "bad_timestamp", "oversize", "too_deep",
           "ts_future", "ts_ahead", "ts_behind", "stage_error")
MAX_RECORD_BYTES = 1 << 20
"""Largest record accepted, in bytes (producers aggregate far less: 64 KiB)."""
MAX_TEXT_LENGTH = 10_000
"""Longest post text accepted, in characters."""
MAX_ID_LENGTH = 256
MAX_GIVEN_TAGS = 1_000
NEW_AUTHOR_MS = 7 * 86_400_000
"""An author whose account is at most this old when posting counts as new (7 days)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)
_MAX_TS = 4_102_444_800_000  # 2100-01-01T00:00:00Z



def parse_timestamp(value: object, name: str = "ts") -> int:
    """Epoch milliseconds from an RFC 3339 string or an epoch-ms number.

    Examples
    --------
    >>> parse_timestamp("2025-01-13T08:00:00.250+08:00"), parse_timestamp(1736726400000)
    (1736726400250, 1736726400000)
    """
    kind = type(value)
    if kind is int:
        ms = value
    elif kind is str:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidEvent("bad_timestamp", f"{name} {value[:40]!r} is not an RFC 3339 time") from None
        if moment.tzinfo is None:
            raise InvalidEvent("bad_timestamp", f"{name} {value[:40]!r} has no UTC offset")
        ms = (moment - _EPOCH) // _MS
    elif kind is float and value.is_integer():
        ms = int(value)
    else:
        raise InvalidEvent("bad_timestamp", f"{name} must be an RFC 3339 string or epoch ms, "
                                            f"not {_json_type(value)}")
    if not 0 <= ms < _MAX_TS:
        raise InvalidEvent("bad_timestamp", f"{name} {ms} is outside 1970..2100 in epoch ms")
    return ms


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", int: "number", float: "number",
             bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _require(obj: dict, name: str, kind: type) -> object:
    value = obj.get(name)
    if type(value) is not kind:
        if value is None:
            raise InvalidEvent("missing_field", f"{name} is required")
        raise InvalidEvent("bad_type", f"{name} must be a {_json_type(kind())}, not {_json_type(value)}")
    return value


def _identifier(obj: dict, name: str) -> str:
    value = _require(obj, name, str)
    if not value or len(value) > MAX_ID_LENGTH:
        raise InvalidEvent("bad_value", f"{name} must have 1..{MAX_ID_LENGTH} characters")
    return value


def _optional_str(obj: dict, name: str) -> str | None:
    value = obj.get(name)
    if value is None or type(value) is str:
        return value
    raise InvalidEvent("bad_type", f"{name} must be a string, not {_json_type(value)}")


def _count(obj: dict, name: str, required: bool = False) -> int:
    value = obj.get(name)
    if type(value) is not int:
        if value is None and not required:
            return 0
        _require(obj, name, int)
    if value < 0:
        raise InvalidEvent("bad_value", f"{name} must not be negative, got {value}")
    return value


def _given_hashtags(value: object) -> tuple[str, ...]:
    if type(value) is list and len(value) == 1 and type(value[0]) is str:  # the common case
        tag = normalise_hashtag(value[0])
        return () if tag is None else (tag,)
    if type(value) is not list:
        raise InvalidEvent("bad_type", f"hashtags must be an array, not {_json_type(value)}")
    if len(value) > MAX_GIVEN_TAGS:
        raise InvalidEvent("oversize", f"hashtags has {len(value)} elements, more than {MAX_GIVEN_TAGS}")
    seen: dict[str, None] = {}
    for raw in value:
        if type(raw) is not str:
            raise InvalidEvent("bad_type", f"hashtags must hold strings, not {_json_type(raw)}")
        tag = normalise_hashtag(raw)
        if tag is not None:
            seen[tag] = None
    tags = tuple(seen)
    return tags if len(tags) <= MAX_TAGS_PER_POST else tags[:MAX_TAGS_PER_POST]


def _parse_post(obj: dict) -> Post:
    """A post; the common well-formed case in one test, anything else through ``_checked_post``."""
    text, pid, author, ts = obj.get("text"), obj.get("id"), obj.get("author"), obj.get("ts")
    if not (type(text) is str and type(pid) is str and type(author) is str and type(ts) is int
            and len(text) <= MAX_TEXT_LENGTH and 0 < len(pid) <= MAX_ID_LENGTH
            and 0 < len(author) <= MAX_ID_LENGTH and 0 <= ts < _MAX_TS):
        return _checked_post(obj)
    tags, lang, region, created = obj.get("hashtags"), obj.get("lang"), obj.get("region"), obj.get("author_created")
    if not ((lang is None or type(lang) is str) and (region is None or type(region) is str)
            and (created is None or (type(created) is int and 0 <= created < _MAX_TS))):
        return _checked_post(obj)
    return Post(pid, ts, author, text, extract_hashtags(text) if tags is None else _given_hashtags(tags),
                lang, region, created)


def _checked_post(obj: dict) -> Post:
    text = _require(obj, "text", str)
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidEvent("oversize", f"text has {len(text)} characters, more than {MAX_TEXT_LENGTH}")
    tags = obj.get("hashtags")
    created = obj.get("author_created")
    return Post(_identifier(obj, "id"), _timestamp(obj, "ts"),
                _identifier(obj, "author"), text,
                extract_hashtags(text) if tags is None else _given_hashtags(tags),
                _optional_str(obj, "lang"), _optional_str(obj, "region"),
                None if created is None else _timestamp(obj, "author_created"))


def _parse_engagement(obj: dict) -> Engagement:
    """An engagement; the common well-formed case in one test, anything else checked field by field."""
    pid, ts, tags, views = obj.get("post_id"), obj.get("ts"), obj.get("hashtags"), obj.get("views")
    likes, shares = obj.get("likes", 0), obj.get("shares", 0)
    if (type(pid) is str and type(ts) is int and type(views) is int and type(likes) is int
            and type(shares) is int and tags is not None and 0 < len(pid) <= MAX_ID_LENGTH
            and 0 <= ts < _MAX_TS and views >= 0 and likes >= 0 and shares >= 0):
        return Engagement(pid, ts, _given_hashtags(tags), views, likes, shares)
    return _checked_engagement(obj)


def _checked_engagement(obj: dict) -> Engagement:
    if "hashtags" not in obj or obj["hashtags"] is None:
        _missing("hashtags")
    return Engagement(_identifier(obj, "post_id"),
                      _timestamp(obj, "ts"),
                      _given_hashtags(obj["hashtags"]), _count(obj, "views", required=True),
                      _count(obj, "likes"), _count(obj, "shares"))


def _missing(name: str):
    raise InvalidEvent("missing_field", f"{name} is required")


def _timestamp(obj: dict, name: str) -> int:
    value = obj.get(name)
    if type(value) is int and 0 <= value < _MAX_TS:
        return value
    return _missing(name) if value is None else parse_timestamp(value, name)


def parse_event(obj: object) -> Post | Engagement:
    """Validate one decoded JSON event; raise ``InvalidEvent`` if it is wrong.

    Parameters
    ----------
    obj
        The event as decoded from JSON (a dict for a well-formed event).

    Examples
    --------
    >>> parse_event({"v": 1, "type": "engagement", "post_id": "p1", "ts": 5,
    ...              "hashtags": ["#Fyp"], "views": 10})
    Engagement(post_id='p1', ts=5, hashtags=('fyp',), views=10, likes=0, shares=0)
    >>> try:
    ...     parse_event({"v": 1, "type": "post", "id": "p", "ts": 1, "author": "a"})
    ... except InvalidEvent as exc:
    ...     print(exc.reason, "-", exc.detail)
    missing_field - text is required
    """
    if type(obj) is not dict:
        raise InvalidEvent("not_object", f"an event must be a JSON object, not {_json_type(obj)}")
    version = obj.get("v")
    if version != 1 or type(version) is not int:
        if version is None:
            raise InvalidEvent("missing_field", "v is required")
        raise InvalidEvent("bad_version", f"v {version!r} is not supported (only 1)")
    kind = obj.get("type")
    if kind == "post":
        return _parse_post(obj)
    if kind == "engagement":
        return _parse_engagement(obj)
    if kind is None:
        raise InvalidEvent("missing_field", "type is required")
    raise InvalidEvent("unknown_type", f"type {str(kind)[:40]!r} is not 'post' or 'engagement'")


@contextlib.contextmanager
def _default_recursion_limit():
    """Python's default recursion limit (1000), which bounds how deep ``json`` decodes and encodes.

    The stage ran under it; test runners such as hypothesis raise it, which
    would move the oracle's nesting limits.
    """
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(saved)


def decode_record(value: bytes, loads=json.loads, clock: EventClock | None = None,
                  now_ms: int | None = None) -> tuple[list[Post | Engagement], list[Rejected]]:
    """``_decode_record`` under Python's default recursion limit."""
    with _default_recursion_limit():
        return _decode_record(value, loads, clock, now_ms)


def _decode_record(value: bytes, loads=json.loads, clock: EventClock | None = None,
                   now_ms: int | None = None) -> tuple[list[Post | Engagement], list[Rejected]]:
    """Decode one Kafka record: an event object or a JSON array of events.

    Every bad element of an array becomes a ``Rejected`` holding that
    element's JSON; a record that is not JSON at all is rejected whole.
    ``loads`` is the JSON decoder (the worker passes a faster one, e.g.
    ``orjson.loads``; it must raise ``ValueError`` on bad input). With a
    ``clock``, every event's time must pass ``clock.admit(ts, now_ms)``.

    Examples
    --------
    >>> decode_record(b"not json")[1][0].reason
    'bad_json'
    >>> decode_record(b"[]")
    ([], [])
    >>> decode_record(b"[" * 100_000 + b"]" * 100_000)[1][0].reason
    'too_deep'
    >>> post = b'{"v":1,"type":"post","id":"p","ts":%d,"author":"a","text":""}'
    >>> clock = EventClock(max_skew_ms=86_400_000)
    >>> [decode_record(post % ts, clock=clock)[1] for ts in (1736726400000, 3993840000000)][1][0].reason
    'ts_ahead'
    """
    if len(value) > MAX_RECORD_BYTES:
        return [], [Rejected("oversize", f"record has {len(value)} bytes, more than {MAX_RECORD_BYTES}", value)]
    try:
        data = loads(value)
    except (ValueError, UnicodeDecodeError) as exc:
        return [], [Rejected("bad_json", str(exc)[:200], value)]
    except RecursionError:
        return [], [Rejected("too_deep", "arrays/objects nested deeper than the JSON decoder allows", value)]
    single = type(data) is not list
    if single:
        data = [data]
    events, rejected = [], []
    for element in data:
        try:
            event = parse_event(element)
            reason = None if clock is None else clock.admit(event.ts, now_ms)
            if reason is not None:
                raise InvalidEvent(reason, describe(reason, event.ts, clock, now_ms))
            events.append(event)
        except InvalidEvent as exc:
            rejected.append(Rejected(exc.reason, exc.detail, value if single else _element_bytes(element, value)))
    return events, rejected


def _element_bytes(element: object, record: bytes) -> bytes:
    """An array element's JSON; the whole record if the element nests too deep to encode."""
    try:
        return json.dumps(element, separators=(",", ":")).encode("ascii")
    except RecursionError:
        return record


def encode_events(events: list[dict]) -> bytes:
    """One record's value: the events as a compact UTF-8 JSON array.

    Examples
    --------
    >>> encode_events([{"v": 1, "type": "post", "text": "小红书"}])
    b'[{"v":1,"type":"post","text":"\\xe5\\xb0\\x8f\\xe7\\xba\\xa2\\xe4\\xb9\\xa6"}]'
    """
    return json.dumps(events, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def is_new_author(post: Post, within_ms: int = NEW_AUTHOR_MS) -> bool:
    """True if the author's account was created at most ``within_ms`` before the post.

    An account "created" after its post (clock skew) counts as new; a post
    without ``author_created`` never does.

    Examples
    --------
    >>> post = Post("p", ts=10 * 86_400_000, author="a", text="", hashtags=(),
    ...             author_created=4 * 86_400_000)
    >>> is_new_author(post), is_new_author(post, within_ms=86_400_000)
    (True, False)
    """
    if within_ms < 0:
        raise ValueError(f"within_ms must be >= 0, got {within_ms}")
    created = post.author_created
    return created is not None and post.ts - created <= within_ms
