"""The native event rules, event-time clock and extractor against the plain-Python oracles in tests/oracles.

Hypothesis builds records (well-formed, nearly well-formed and garbage), JSON
documents, timestamp strings, event times near the clock's bounds and nesting
near the decoder's limit; the native core and the oracle must give the same
events, the same rejections (reason, detail, and the same JSON as raw bytes),
the same mentions in the same order and the same clocks. A mismatch fails with
the smallest input that shows it. ``bad_json`` details come from the JSON
reader and are compared by reason only. Known, documented differences are kept
out of the generated input: lone UTF-16 surrogates (the native reader rejects
them), view counts beyond 64 bits (rejected natively as ``bad_value``), and
nesting between ``MAX_ELEMENT_DEPTH`` and ``MAX_DEPTH`` levels, where the
Python decoder's limit is its interpreter's recursion limit (it depends on the
stack it is called from), the native one a fixed number.
"""

import json
import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from detectors import events as native
from detectors.eventtime import EventClock
from streams.stages import Extract
from streams.stages.extract import JoinedLines
from tests.oracles import events as oracle
from tests.oracles import eventtime as oracle_time
from tests.oracles import extract as oracle_extract

TS = 1_736_726_400_000
ISO = st.one_of(
    st.builds("{:04d}-{:02d}-{:02d}{}{:02d}:{:02d}{}{}".format,
              st.integers(0, 2200), st.integers(0, 13), st.integers(0, 32), st.sampled_from("T t_"),
              st.integers(0, 25), st.integers(0, 61),
              st.sampled_from(["", ":00", ":59", ":60", ":05.1", ":05.123456", ":05,5", ":05.1234567", ".5"]),
              st.sampled_from(["", "Z", "z", "+00:00", "-05:30", "+0800", "+08", "+24:00", "-23:59:59.999999",
                               "+01:00:00.5", "Zx", "+", "+1", "+010", "-00:99"])),
    st.builds("{:04d}{:02d}{:02d}T{:06d}{}".format, st.integers(1969, 2101), st.integers(1, 12),
              st.integers(1, 31), st.integers(0, 240000), st.sampled_from(["", "Z", "+0100", ".5Z"])),
    st.builds("{:04d}-W{:02d}{}".format, st.integers(1969, 2101), st.integers(0, 54),
              st.sampled_from(["", "-1", "-7", "-8", "1T10Z", "-3T10:00+01:00", "T10Z"])),
    st.text(alphabet="0123456789-:T+Z.W ", max_size=30),
    st.text(max_size=12),
)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(allow_nan=True),
                   st.sampled_from([0, 1, -1, 1.0, 2.5, TS, float(TS), 4_102_444_800_000, "", "x"]),
                   st.text(max_size=12), ISO)
TAG_TEXT = st.text(alphabet=st.sampled_from("#＃ aZé小红书[]话题!_1\u200d"), max_size=40)
VALUE = st.recursive(st.one_of(SCALAR, TAG_TEXT), lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)
FIELDS = {
    "post": {"v": 1, "type": "post", "id": "p1", "ts": TS, "author": "a", "text": "#Fyp hi #小红书"},
    "engagement": {"v": 1, "type": "engagement", "post_id": "p1", "ts": TS, "hashtags": ["fyp"], "views": 3},
}
NAMES = ["v", "type", "id", "post_id", "ts", "author", "text", "hashtags", "views", "likes", "shares",
         "lang", "region", "author_created", "extra"]
CHANGE = st.one_of(VALUE, st.lists(TAG_TEXT, max_size=4), st.integers(0, 2 ** 63 - 1), ISO, st.just(...))


@st.composite
def event(draw):
    obj = dict(FIELDS[draw(st.sampled_from(["post", "engagement"]))])
    for name, value in draw(st.dictionaries(st.sampled_from(NAMES), CHANGE, max_size=4)).items():
        if value is ...:
            obj.pop(name, None)
        else:
            obj[name] = value
    if isinstance(obj.get("views"), int) and not isinstance(obj["views"], bool) and obj["views"] >= 2 ** 63:
        obj["views"] = 2 ** 63 - 1
    return obj


def encode(value, compact: bool) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(value, separators=separators, ensure_ascii=compact).encode("utf-8")


RECORD = st.one_of(
    st.builds(encode, event(), st.booleans()),
    st.builds(encode, st.lists(st.one_of(event(), VALUE), max_size=6), st.booleans()),
    st.builds(encode, VALUE, st.booleans()),
    st.binary(max_size=40),
    st.builds(lambda r, cut: r[:cut], st.builds(encode, st.lists(event(), max_size=3), st.booleans()),
              st.integers(0, 400)),
)


def canonical(raw: bytes):
    """The JSON of raw bytes as the stage reads it, written one way, so element texts compare by value.

    The oracle writes a bad element anew from its decoded value; the native core
    keeps the element's own text.
    """
    try:
        return json.dumps(oracle_extract._loads(raw), sort_keys=True)
    except (ValueError, RecursionError):
        return raw


def rejections(items):
    """Reason, detail and text of each rejection, texts compared by value: an array element's text
    is its own in the native core and its decoded value written anew in the oracle, and may equal
    a whole record's text on one side only. (That a rejected whole record keeps its exact bytes is
    asserted on its own in the DLQ tests.)"""
    return [(r.reason, "" if r.reason == "bad_json" else r.detail, canonical(r.raw)) for r in items]


def same_decoding(raw: bytes):
    got_events, got_bad = native.decode_record(raw)
    want_events, want_bad = oracle.decode_record(raw, oracle_extract._loads)
    assert got_events == want_events
    assert rejections(got_bad) == rejections(want_bad)


@given(RECORD)
@settings(max_examples=1000, deadline=None)
@example(b'{"v":1,"type":"post","id":"p","ts":1,"author":"a","text":"x","ts":NaN}')
@example(b'[{"v":1,"type":"like"}, 17, "s", [1], {"v":true}, {"v":1,"type":5}]')
@example(b'\xef\xbb\xbf{"v":2}')
@example('{"v":1.0}'.encode("utf-16"))
@example(b'{"v":1,"type":"engagement","post_id":"p","ts":1,"hashtags":["a"],"views":1,"likes":' + b"9" * 30 + b"}")
def test_decode_record_agrees_with_oracle(raw):
    same_decoding(raw)


@given(ISO)
@settings(max_examples=2000, deadline=None)
@example("2025-01-13T")
@example("2025-01-13T10")
@example("2025-01-13T10:00:00.123+01")
@example("20250113T10000012")
@example("2025-W53-7T10:00Z")
def test_timestamps_agree_with_oracle(text):
    def outcome(parse):
        try:
            return parse(text, "ts")
        except native.InvalidEvent as exc:
            return exc.reason, exc.detail
    assert outcome(native.parse_timestamp) == outcome(oracle.parse_timestamp)


@given(event())
@settings(max_examples=1000, deadline=None)
def test_parse_event_agrees_with_oracle(obj):
    def outcome(parse):
        try:
            return parse(obj)
        except native.InvalidEvent as exc:
            return exc.reason, exc.detail
    assert outcome(native.parse_event) == outcome(oracle.parse_event)


def mentions(by_partition):
    return {p: [(m.hashtag, m.bucket, m.max_ts, m.posts, m.views, m.new_authors, m.authors) for m in ms]
            for p, ms in by_partition.items()}


DAY = 86_400_000
SKEW = st.sampled_from([1, 1_000, DAY, 7 * DAY])
OFFSET = st.sampled_from([0, 1, -1, 1_000, -1_000, DAY, -DAY, 7 * DAY, -7 * DAY, 7 * DAY + 1, -7 * DAY - 1,
                          30 * DAY, -30 * DAY, 3_600_000, 3_600_001, 2_000_000_000_000])


@st.composite
def timed_event(draw, base=TS):
    """A valid event whose time is near the bounds of a clock around ``base``."""
    obj = dict(FIELDS[draw(st.sampled_from(["post", "engagement"]))])
    ts = base + draw(OFFSET) + draw(st.integers(-2, 2))
    obj["ts"] = ts if 0 <= ts < 4_102_444_800_000 else TS
    return obj


def joined(items):
    return JoinedLines.join([e if isinstance(e, bytes) else encode(e, True) for e in items])


def nested(depth: int, inner: bytes = b"{}") -> bytes:
    return b"[" * depth + inner + b"]" * depth


SAFE_DEPTH = st.one_of(st.integers(0, 60), st.integers(native.MAX_DEPTH, native.MAX_DEPTH + 3))
DEEP = st.one_of(st.builds(nested, SAFE_DEPTH), st.builds(lambda d: b"[" * d, st.integers(1, 60)),
                 st.builds(lambda d: b"[" * d, st.integers(native.MAX_DEPTH + 1, native.MAX_DEPTH + 3)),
                 st.builds(lambda d: b'{"a":' * d + b"1" + b"}" * d, SAFE_DEPTH))
TIMED = st.one_of(st.builds(encode, timed_event(), st.booleans()),
                  st.builds(encode, st.lists(timed_event(), max_size=5), st.booleans()))
LINE = st.one_of(timed_event(), event(), st.just(b"{bad"), DEEP)
ANY_RECORD = st.one_of(RECORD, TIMED, DEEP, st.builds(joined, st.lists(LINE, min_size=1, max_size=5)))
NOW = st.one_of(st.none(), st.builds(lambda o: TS + o, OFFSET))


POST_2025 = ('{"v": 1, "type": "post", "id": "p1", "ts": 1736726400000, "author": "a", '
             '"text": "#Fyp hi #小红书"}').encode()  # a day after the wall clock of the example below


def outcome(stage, records, source):
    out, bad = stage.process(records, source)
    clock = stage._clocks[source]
    return mentions(out), rejections(bad), (clock.clock, clock._pending)


@given(st.lists(st.tuples(st.lists(ANY_RECORD, max_size=4), st.sampled_from([0, 1]), NOW), max_size=5),
       st.integers(1, 120_000), st.integers(1, 5), SKEW)
@settings(max_examples=200, deadline=None)
@example([([POST_2025, b"[" + POST_2025 + b"]"], 0, 1_736_640_000_000)], 60_000, 1, 7 * 86_400_000)
def test_extract_stage_agrees_with_oracle(batches, base_ms, partitions, skew):
    got = Extract(base_ms, partitions, max_skew_ms=skew)
    want = oracle_extract.Extract(base_ms, partitions, max_skew_ms=skew)
    for records, source, now in batches:
        got.wall_clock = want.wall_clock = lambda now=now: now
        assert outcome(got, records, source) == outcome(want, records, source)
        assert got.clock(source) == want.clock(source)


@given(st.lists(st.tuples(st.builds(lambda o, d: TS + o + d, OFFSET, st.integers(-2, 2)), NOW), max_size=12),
       SKEW, st.sampled_from([0, 1, 3_600_000]))
@settings(max_examples=500, deadline=None)
def test_event_clock_agrees_with_oracle(times, skew, future):
    got, want = EventClock(future, skew), oracle_time.EventClock(future, skew)
    for ts, now in times:
        reason = want.admit(ts, now)
        detail = "" if reason is None else oracle_time.describe(reason, ts, want, now)
        before = got.snapshot()
        got_reason, got_detail = got.check(ts, now)
        assert (got_reason, got_detail) == (reason, detail), before
        assert got.snapshot() == want.snapshot()


@given(st.lists(TIMED, max_size=5), SKEW, NOW)
@settings(max_examples=300, deadline=None)
def test_decode_record_with_a_clock_agrees_with_oracle(records, skew, now):
    got, want = EventClock(max_skew_ms=skew), oracle_time.EventClock(max_skew_ms=skew)
    for raw in records:
        got_events, got_bad = native.decode_record(raw, clock=got, now_ms=now)
        want_events, want_bad = oracle.decode_record(raw, oracle_extract._loads, want, now)
        assert got_events == want_events
        assert rejections(got_bad) == rejections(want_bad)
        assert got.snapshot() == want.snapshot()


@given(DEEP)
@settings(max_examples=200, deadline=None)
def test_nesting_agrees_with_oracle(raw):
    same_decoding(raw)
    same_decoding(b"[" + encode(FIELDS["post"], True) + b"," + raw + b"]")


def test_nesting_limits_are_those_of_the_python_decoder():
    deepest, deeper = nested(native.MAX_DEPTH - 1), nested(native.MAX_DEPTH)
    for raw in (deepest, deeper, b"[" * 100_000, nested(100_000)):
        same_decoding(raw)
    assert native.decode_record(deepest)[1][0].reason == "not_object"
    assert native.decode_record(deeper)[1][0].reason == "too_deep"
    element = b"[" + encode(FIELDS["post"], True) + b"," + nested(1_019, b'{"x":1}') + b"]"
    assert [(r.reason, r.raw) for r in native.decode_record(element)[1]] == [("not_object", element)]
    same_decoding(element)


def test_hostile_records_are_rejected_without_crashing():
    deep = b"[" * 100_000
    big = b"[" + b'{"v":1},' * 140_000 + b"{}]"
    events, rejected = native.decode_record(deep)
    assert events == [] and rejected[0].reason == "too_deep" and rejected[0].raw == deep
    assert native.decode_record(big)[1][0].reason == "oversize"
    out, bad = Extract(60_000, 2).process([deep, big, b'{"v":1}' * 3, JoinedLines.join([deep])])
    assert out == {} and [r.reason for r in bad] == ["too_deep", "oversize", "bad_json", "too_deep"]


def test_nan_and_huge_numbers_read_as_python_reads_them():
    raw = b'[{"v":NaN},{"v":1e400},{"v":-Infinity},{"v":123456789012345678901234567890}]'
    assert [r.detail for r in native.decode_record(raw)[1]] == [
        "v nan is not supported (only 1)", "v inf is not supported (only 1)",
        "v -inf is not supported (only 1)", "v 123456789012345678901234567890 is not supported (only 1)"]
    assert math.isnan(json.loads(native.decode_record(raw)[1][0].raw)["v"])


@given(st.lists(ANY_RECORD, max_size=4), st.integers(1, 5))
@settings(max_examples=150, deadline=None)
def test_packed_mentions_are_the_mention_records_packed(records, partitions):
    from detectors.windows import pack_mentions

    now = lambda: TS + 3_600_000  # noqa: E731 - one wall clock for both
    as_records, as_packed = Extract(60_000, partitions, wall_clock=now), Extract(60_000, partitions, wall_clock=now)
    for source in (0, 1):
        out, bad = as_records.process(records, source)
        packed, packed_bad = as_packed.process_packed(records, source)
        assert packed == {p: pack_mentions(ms) for p, ms in out.items()}
        assert packed_bad == bad and as_packed.clock(source) == as_records.clock(source)
