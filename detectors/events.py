"""Parsing and validation of post and engagement events (schema version 1).

A Kafka record on ``posts`` holds one JSON event object or a JSON array of
them. ``decode_record`` turns a record into validated ``Post`` and
``Engagement`` objects plus a ``Rejected`` for every part that is wrong;
``parse_event`` validates one decoded object and raises ``InvalidEvent`` with
a short stable reason code (the label of the invalid-events metric):

============== ==========================================================
reason         meaning
============== ==========================================================
bad_json       the record is not JSON (or not UTF-8/16/32)
not_object     the record, or an element of its array, is not an object
bad_version    ``v`` is not 1
unknown_type   ``type`` is neither ``post`` nor ``engagement``
missing_field  a required field is absent or null
bad_type       a field has the wrong JSON type
bad_value      a count is negative (or ``views`` beyond 64 bits), or a string is empty or too long
bad_timestamp  ``ts``/``author_created`` is no RFC 3339 time or epoch ms
oversize       the record, the text or the hashtag list is too large
too_deep       the record nests arrays/objects deeper than the decoder allows (1,024 levels)
ts_future      the event time is too far after the wall clock (see
               ``detectors.eventtime``; only with an ``EventClock``)
ts_ahead       the event time is too far after the stream's clock
ts_behind      the event time is too far before the stream's clock
stage_error    the stage failed on the record (a defect; the record is kept whole)
============== ==========================================================

Timestamps become integer epoch milliseconds; strings are read as Python
3.11's ``datetime.fromisoformat`` reads them, and need a UTC offset. A post
without ``hashtags`` has them extracted from its text; given hashtags are
normalised like extracted ones (invalid ones dropped, duplicates removed, at
most ``MAX_TAGS_PER_POST``). Unknown fields are ignored, so producers can add
fields without breaking consumers. JSON is read as Python's ``json`` reads it
(``NaN``, integers of any size, the last of repeated keys), except that a
string with a lone UTF-16 surrogate is ``bad_json``. A rejected element of an
array keeps its own JSON text as its bytes (the whole record's if it nests
more than ``MAX_ELEMENT_DEPTH`` levels).

The rules run in the native core (``detectors._native``); the extract stage
calls it once per batch of records, these functions once per record or event.

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

import json

from detectors import _native
from detectors.eventtime import EventClock
from detectors.records import Engagement, Post, Rejected

__all__ = ["EventClock", "InvalidEvent", "REASONS", "MAX_RECORD_BYTES", "MAX_TEXT_LENGTH", "MAX_ID_LENGTH",
           "MAX_GIVEN_TAGS", "MAX_DEPTH", "MAX_ELEMENT_DEPTH", "NEW_AUTHOR_MS",
           "parse_event", "parse_timestamp", "decode_record", "encode_events", "is_new_author"]

REASONS = ("bad_json", "not_object", "bad_version", "unknown_type", "missing_field",
           "bad_type", "bad_value", "bad_timestamp", "oversize", "too_deep",
           "ts_future", "ts_ahead", "ts_behind", "stage_error")
MAX_RECORD_BYTES: int = _native.MAX_RECORD_BYTES
"""Largest record accepted, in bytes (producers aggregate far less: 64 KiB)."""
MAX_TEXT_LENGTH: int = _native.MAX_TEXT_LENGTH
"""Longest post text accepted, in characters."""
MAX_ID_LENGTH: int = _native.MAX_ID_LENGTH
"""Longest ``id``, ``post_id`` and ``author``, in characters."""
MAX_GIVEN_TAGS: int = _native.MAX_GIVEN_TAGS
"""Most elements of a given ``hashtags`` array."""
MAX_DEPTH: int = _native.MAX_DEPTH
"""Deepest nesting of arrays and objects in a record (deeper: ``too_deep``)."""
MAX_ELEMENT_DEPTH: int = _native.MAX_ELEMENT_DEPTH
"""A rejected array element nested deeper than this is dead-lettered with its whole record."""
NEW_AUTHOR_MS: int = _native.NEW_AUTHOR_MS
"""An author whose account is at most this old when posting counts as new (7 days)."""

_KINDS = (Post, Engagement)


class InvalidEvent(ValueError):
    """An event that fails validation; ``reason`` is a code from ``REASONS``."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _as_json(value: object) -> bytes:
    """A Python value as the JSON document the native rules read (json.dumps' reading of it)."""
    try:
        return json.dumps(value, separators=(",", ":")).encode("ascii")
    except (TypeError, ValueError):
        raise InvalidEvent("bad_type", f"{type(value).__name__} is not a JSON value") from None
    except RecursionError:
        raise InvalidEvent("too_deep", "arrays/objects nested deeper than the JSON decoder allows") from None


def parse_timestamp(value: object, name: str = "ts") -> int:
    """Epoch milliseconds from an RFC 3339 string or an epoch-ms number.

    Examples
    --------
    >>> parse_timestamp("2025-01-13T08:00:00.250+08:00"), parse_timestamp(1736726400000)
    (1736726400250, 1736726400000)
    >>> parse_timestamp("2025-01-13T08:00:00")
    Traceback (most recent call last):
    ...
    detectors.events.InvalidEvent: bad_timestamp: ts '2025-01-13T08:00:00' has no UTC offset
    """
    try:
        document = _as_json(value)
    except InvalidEvent:
        raise InvalidEvent("bad_timestamp", f"{name} must be an RFC 3339 string or epoch ms, "
                                            f"not {type(value).__name__}") from None
    ms, error = _native.parse_timestamp(document, name)
    if error is not None:
        raise InvalidEvent(*error)
    return ms


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
    kind, fields = _native.parse_event(_as_json(obj))
    if kind < 0:
        raise InvalidEvent(*fields)
    return _KINDS[kind](*fields)


def decode_record(value: bytes, clock: EventClock | None = None,
                  now_ms: int | None = None) -> tuple[list[Post | Engagement], list[Rejected]]:
    """Decode one Kafka record: an event object or a JSON array of events.

    Every bad element of an array becomes a ``Rejected`` holding that
    element's JSON text; a record that is not JSON at all is rejected whole.
    With a ``clock``, every event's time must pass ``clock.admit(ts, now_ms)``.

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
    raw = value if type(value) is bytes else bytes(value)
    if clock is None:
        events, rejected, _ = _native.decode_record(raw)
    else:
        events, rejected, state = _native.decode_record(raw, clock.snapshot(), now_ms, clock.max_future_ms,
                                                        clock.max_skew_ms)
        clock.restore(state)
    return ([_KINDS[kind](*fields) for kind, fields in events],
            [Rejected(reason, detail, raw) for reason, detail, raw in rejected])


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
