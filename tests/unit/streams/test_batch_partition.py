"""``streams.batch_send.partition_for`` picks the partition Kafka's default partitioner picks."""

from __future__ import annotations

import random

import pytest
from aiokafka.partitioner import DefaultPartitioner
from kafka.partitioner import murmur2 as kafka_python_murmur2

from streams.batch_send import partition_for

# murmur2 results from the Java client's own test (org.apache.kafka.common.utils.UtilsTest).
JAVA_MURMUR2 = {b"21": -973932308, b"foobar": -790332482, b"a-little-bit-long-string": -985981536,
                b"a-little-bit-longer-string": -1486304829, b"abc": 479470107,
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971}


@pytest.mark.parametrize("partitions", [1, 2, 3, 7, 12])
def test_java_client_choice(partitions):
    for key, java_hash in JAVA_MURMUR2.items():
        # Java: Utils.toPositive(Utils.murmur2(key)) % numPartitions
        assert partition_for(key, list(range(partitions))) == (java_hash & 0x7FFFFFFF) % partitions


def test_same_choice_as_aiokafka_and_kafka_python_for_random_keys():
    rng = random.Random(7)
    aiokafka_default = DefaultPartitioner()
    for _ in range(2000):
        key = "#{}".format("".join(rng.choice("abcdefghé0123_") for _ in range(rng.randrange(0, 30)))).encode()
        partitions = list(range(rng.randrange(1, 40)))
        chosen = partition_for(key, partitions)
        assert chosen == aiokafka_default(key, partitions, partitions)
        assert chosen == partitions[(kafka_python_murmur2(key) & 0x7FFFFFFF) % len(partitions)]
        assert partition_for(key, partitions) == chosen  # from the cache, the same answer


def test_partition_ids_are_taken_from_the_sorted_list():
    key = b"foobar"
    index = (JAVA_MURMUR2[key] & 0x7FFFFFFF) % 3
    assert partition_for(key, [10, 20, 30]) == [10, 20, 30][index]
