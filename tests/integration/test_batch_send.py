"""``streams.batch_send`` against the real broker, through a real Faust producer.

The batches must write what one ``producer.send`` per message would write:
one Kafka message per ``add``, on the partition ``send`` picks for the key, in
order per partition, and on the broker once ``flush()`` and the producer's
``flush()`` returned.
"""

from __future__ import annotations

import asyncio

import faust
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic

from streams.batch_send import BATCH_BYTES, BatchSender


def create(bootstrap: str, *topics: tuple[str, int]) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(name, partitions, 1) for name, partitions in topics])
    finally:
        admin.close()


def read_all(bootstrap: str, topic: str) -> dict[int, list]:
    """Every message of ``topic`` as (key, value, headers) per partition, in offset order."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        ends = consumer.end_offsets(parts)
        consumer.assign(parts)
        out = {tp.partition: [] for tp in parts}
        while sum(len(v) for v in out.values()) < sum(ends.values()):
            for tp, records in consumer.poll(timeout_ms=2000).items():
                out[tp.partition] += [(r.key, r.value, list(r.headers)) for r in records]
        return out
    finally:
        consumer.close()


def end_offset_sum(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


async def with_producer(bootstrap: str, app_id: str, work):
    app = faust.App(app_id, broker=f"kafka://{bootstrap}", producer_max_batch_size=BATCH_BYTES)
    await app.producer.start()
    try:
        return await work(app)
    finally:
        await app.producer.stop()


MESSAGES = [(f"tag{i % 37}".encode(), f'{{"n":{i}}}'.encode()) for i in range(600)]


def test_batches_land_where_send_puts_them_in_order(kafka_broker, unique):
    boot = kafka_broker.bootstrap
    batched, single = f"{unique}batched", f"{unique}single"
    create(boot, (batched, 3), (single, 3))

    async def work(app):
        await app.producer._ensure_producer().partitions_for(batched)  # metadata known: batches
        sender = BatchSender(app)
        for key, value in MESSAGES[:300]:
            sender.add(batched, key, value, headers=[("h", key)])
        sender.add(batched, None, b"keyless")  # no partition to compute: sent alone, in its place
        sender.add(batched, b"tag5", None)      # a tombstone
        sender.add(batched, b"pinned", b"to 2", partition=2)
        for key, value in MESSAGES[300:]:
            sender.add(batched, key, value, headers=[("h", key)])
        await sender.flush()
        await app.producer.flush()
        sender.check()
        on_broker = end_offset_sum(boot, batched)
        for key, value in MESSAGES:
            await app.producer.send(single, key, value, None, None, None)
        await app.producer.flush()
        return sender, on_broker

    sender, on_broker = asyncio.run(with_producer(boot, f"{unique}app", work))
    assert on_broker == len(MESSAGES) + 3  # all of it on the broker right after the flushes
    assert sender.messages == len(MESSAGES) + 3
    assert sender.batches <= 8  # 3 partitions, split once around the message sent alone
    got, expected = read_all(boot, batched), read_all(boot, single)
    assert (None, b"keyless", []) in [m for part in got.values() for m in part]
    assert got[2].count((b"pinned", b"to 2", [])) == 1
    for partition, messages in expected.items():
        keyed = [(k, v) for k, v, h in got[partition] if k not in (None, b"pinned") and v is not None]
        assert keyed == [(k, v) for k, v, h in messages]  # same partition as send(), same order
        assert all(h == [("h", k)] for k, v, h in got[partition] if k not in (None, b"pinned") and v)
    tombstone = [p for p, part in got.items() if (b"tag5", None, []) in part]
    assert tombstone == [p for p, part in expected.items() if any(k == b"tag5" for k, _, _ in part)]


def test_full_batches_split_and_keep_order_and_unknown_topics_fall_back(kafka_broker, unique):
    boot = kafka_broker.bootstrap
    topic = f"{unique}big"
    create(boot, (topic, 2))
    value = b"x" * 1000
    count = 3 * BATCH_BYTES // len(value)

    async def work(app):
        sender = BatchSender(app)
        sender.add(topic, b"first", b"0")  # metadata not loaded yet: sent alone
        await sender.flush()
        for i in range(count):
            sender.add(topic, b"k", value + str(i).encode(), partition=1)
        await sender.flush()
        await app.producer.flush()
        sender.check()
        return sender

    sender = asyncio.run(with_producer(boot, f"{unique}app", work))
    got = read_all(boot, topic)
    assert [v for k, v, h in got[1] if k == b"k"] == [value + str(i).encode() for i in range(count)]
    assert 3 <= sender.batches <= 5
    assert sum(len(part) for part in got.values()) == count + 1
