import json
import zlib

import pytest

from streams.stages import Extract, partition_for
from hypothesis import given, strategies as st

from streams.stages.extract import JoinedLines, LineBlock

EVENTS = [
    {"v": 1, "type": "post", "id": "p1", "ts": 1_000, "author": "a", "text": "#RedNote hello #小红书",
     "author_created": 0},
    {"v": 1, "type": "post", "id": "p2", "ts": 2_000, "author": "b", "text": "#rednote again"},
    {"v": 1, "type": "post", "id": "p3", "ts": 2_500, "author": "a", "text": "#REDNOTE thrice"},
    {"v": 1, "type": "engagement", "post_id": "p1", "ts": 70_000, "hashtags": ["#RedNote"], "views": 40},
    {"v": 1, "type": "post", "id": "p4", "ts": 61_000, "author": "c", "text": "no tags"},
]


def flat(by_partition):
    return sorted((p, m.hashtag, m.bucket, m.max_ts, m.posts, m.views, m.new_authors, m.authors)
                  for p, mentions in by_partition.items() for m in mentions)


def test_batch_is_pre_aggregated_per_hashtag_and_bucket():
    stage = Extract(base_ms=60_000, partitions=4)
    by_partition, rejected = stage.process([json.dumps(EVENTS).encode()])
    assert rejected == []
    assert flat(by_partition) == sorted([
        (partition_for("rednote", 4), "rednote", 0, 2_500, 3, 0, 1, ("a", "b")),
        (partition_for("小红书", 4), "小红书", 0, 1_000, 1, 0, 1, ("a",)),
        (partition_for("rednote", 4), "rednote", 60_000, 70_000, 0, 40, 0, ()),
    ])
    assert stage.clock(None) == 70_000


def test_single_event_records_give_the_same_mentions_as_one_array():
    single = Extract(60_000, 3).process([json.dumps(e).encode() for e in EVENTS])
    packed = Extract(60_000, 3).process([json.dumps(EVENTS[:2]).encode(), json.dumps(EVENTS[2:]).encode()])
    assert flat(single[0]) == flat(packed[0])


def test_bad_input_is_rejected_with_reason_and_original_bytes_and_the_rest_kept():
    bad = b'{"v":1,"type":"post","id":"x","ts":1}'
    by_partition, rejected = Extract(60_000, 1).process([b"\xff\xfe", bad, json.dumps(EVENTS[:1]).encode()])
    assert [(r.reason, r.raw) for r in rejected] == [("bad_json", b"\xff\xfe"), ("missing_field", bad)]
    assert sum(m.posts for m in by_partition[0]) == 2


def test_joined_lines_with_a_bad_line_reject_only_that_line():
    lines = [json.dumps(e).encode() for e in EVENTS]
    lines.insert(2, b'{"v":1,"type":"post",')
    by_partition, rejected = Extract(60_000, 1).process([JoinedLines.join(lines)])
    assert [(r.reason, r.raw) for r in rejected] == [("bad_json", b'{"v":1,"type":"post",')]
    assert flat(by_partition) == flat(Extract(60_000, 1).process([json.dumps(EVENTS).encode()])[0])


_LINE_PARTS = [json.dumps(e) for e in EVENTS] + [
    "", " ", "\t", "\r", "\x0b", "\x0c", "{", "}", ",", "[", "]", '{"v":1}', "17", "\xff", "x", "\u00e9"]


@given(st.lists(st.lists(st.sampled_from(_LINE_PARTS), max_size=4).map("".join), max_size=12),
       st.booleans())
def test_a_line_block_is_read_as_the_joined_lines_of_its_stripped_lines(lines, last_newline):
    """``LineBlock`` (lines as read, joined natively) gives what ``JoinedLines`` of its lines gives."""
    block = "\n".join(lines) + ("\n" if last_newline and lines else "")
    block = LineBlock(block.encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff"))
    kept = [line.strip() for line in block.split(b"\n") if line.strip()]
    assert block.lines() == kept
    assert block.newlines() == block.count(b"\n")
    native = Extract(60_000, 2).process([block])
    joined = Extract(60_000, 2).process([JoinedLines.join(kept)] if kept else [])
    assert (flat(native[0]), native[1]) == (flat(joined[0]), joined[1])


def test_json_that_the_fast_decoder_refuses_is_still_decoded_as_json():
    """Integers beyond 64 bits are JSON: the record is decoded, only the bad event is rejected."""
    record = json.dumps([EVENTS[1], {**EVENTS[2], "ts": 2 ** 70}]).encode()
    by_partition, rejected = Extract(60_000, 1).process([record])
    assert [r.reason for r in rejected] == ["bad_timestamp"]
    assert sum(m.posts for m in by_partition[0]) == 1


def test_partition_is_crc32_of_the_hashtag_so_every_process_agrees():
    for tag in ["fyp", "tiktokrefugee", "小红书", "ａ"]:
        assert partition_for(tag, 7) == zlib.crc32(tag.encode()) % 7


def test_clock_is_per_source():
    stage = Extract(60_000, 1)
    stage.process([json.dumps(EVENTS[:1]).encode()], source=0)
    stage.process([json.dumps(EVENTS[3:4]).encode()], source=1)
    assert (stage.clock(0), stage.clock(1), stage.clock(2)) == (1_000, 70_000, -1)


@pytest.mark.parametrize("kwargs, name", [({"base_ms": 0}, "base_ms"), ({"partitions": 0}, "partitions")])
def test_invalid_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Extract(**kwargs)
