"""Record aggregation for Kafka: bounded records, every event once, per-key order, Kafka's partitioner."""

import gzip
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.kafka.producer import RecordPacker, _set_gzip_level, encode_event, event_key


def make_events(n, seed=1):
    rng = random.Random(seed)
    return [{"v": 1, "type": "post", "id": f"p{i}", "ts": i, "author": f"a{rng.randrange(50)}",
             "text": "x" * rng.randrange(0, 400)} for i in range(n)]


@pytest.mark.parametrize("limit", [0, 300, 4096, 65536])
def test_records_are_bounded_complete_and_keep_per_key_order(limit):
    events = make_events(2000)
    packer = RecordPacker(partitions=3, max_record_bytes=limit)
    records = []
    for event in events:
        records += packer.add(event_key(event), encode_event(event))
    records += packer.drain()
    got = []
    partitions_of = {}
    for partition, key, value in records:
        batch = json.loads(value)
        batch = batch if isinstance(batch, list) else [batch]
        if limit:
            assert key is None and (len(value) <= limit or len(batch) == 1)
        else:
            assert key == event_key(batch[0])
        for event in batch:
            assert partitions_of.setdefault(event["author"], partition) == partition
        got += batch
    assert sorted(e["id"] for e in got) == sorted(e["id"] for e in events)
    for author in partitions_of:
        assert [e for e in got if e["author"] == author] == [e for e in events if e["author"] == author]


@pytest.mark.parametrize("key, java_murmur2", [  # test vectors of Kafka's UtilsTest.testMurmur2
    (b"21", -973932308), (b"foobar", -790332482), (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829), (b"abc", 479470107),
])
def test_partition_is_the_one_kafka_picks_for_the_key(key, java_murmur2):
    for partitions in (1, 4, 7):
        assert RecordPacker(partitions).partition(key) == (java_murmur2 & 0x7FFFFFFF) % partitions


def test_engagements_are_keyed_by_post():
    assert event_key({"type": "engagement", "post_id": "p9", "views": 1}) == b"p9"
    assert event_key({"type": "post", "author": "bob", "id": "p1"}) == b"bob"


def test_invalid_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="partitions"):
        RecordPacker(partitions=0)
    with pytest.raises(ValueError, match="max_record_bytes"):
        RecordPacker(partitions=1, max_record_bytes=-1)


def test_gzip_level_reaches_kafka_python_batches():
    from kafka.record import default_records
    data = b"".join(encode_event(e) for e in make_events(500))
    _set_gzip_level(1)
    fast = default_records.gzip_encode(data)
    _set_gzip_level(9)
    small = default_records.gzip_encode(data)
    _set_gzip_level(6)
    assert gzip.decompress(fast) == gzip.decompress(small) == data
    assert len(fast) > len(small)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_murmur2_is_kafkas(key):
    """Keys land where Kafka's default partitioner (and every Java client) puts them."""
    from kafka.partitioner.default import murmur2 as reference

    from streams.kafka.producer import murmur2
    assert murmur2(key) == reference(key)
