"""Load for the throughput benchmark: synthetic posts packed into records, and progress probes.

``fill`` writes ``n`` posts (one head tag from a Zipf-like set of 1,000 plus
``tail`` long-tail tags cycling through ``distinct`` names) to a topic, packed
into JSON-array records of at most ``record_bytes`` (0: one post per record).
"""

from __future__ import annotations

import json
import random
import re
import time
import urllib.request
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from streams.kafka.producer import RecordPacker

T0 = 1_736_726_400_000  # 2025-01-13T00:00:00Z
HEAD_TAGS = [f"head{i}" for i in range(1000)]
HEAD_WEIGHTS = [1 / (i + 1) for i in range(1000)]


def posts(n: int, distinct: int, tail: int = 1, span_ms: int = 6 * 3_600_000, seed: int = 0):
    """``n`` encoded post events in event-time order, with their author key."""
    rng = random.Random(seed)
    heads = rng.choices(HEAD_TAGS, HEAD_WEIGHTS, k=n)
    step = span_ms / n
    for i in range(n):
        tags = [heads[i]] + [f"t{(i * tail + j) % distinct}" for j in range(tail)]
        author = f"u{rng.randrange(50_000)}"
        event = {"v": 1, "type": "post", "id": f"p{i}", "ts": T0 + int(i * step), "author": author,
                 "text": " ".join(f"#{t}" for t in tags), "hashtags": tags,
                 "author_created": T0 - 30 * 86_400_000}
        yield author.encode(), json.dumps(event, separators=(",", ":")).encode()


def fill(bootstrap: str, topic: str, partitions: int, events, record_bytes: int = 65536,
         security: dict | None = None) -> int:
    """Produce ``events`` (key, value) packed per partition; returns the number of records.

    ``security``: client security arguments (``streams.kafka.security.client_config``).
    """
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=20, batch_size=1 << 20,
                             max_request_size=8 << 20, **(security or {}))
    packer, records = RecordPacker(partitions, record_bytes), 0
    for key, value in events:
        for partition, rkey, record in packer.add(key, value):
            producer.send(topic, record, key=rkey, partition=partition)
            records += 1
    for partition, rkey, record in packer.drain():
        producer.send(topic, record, key=rkey, partition=partition)
        records += 1
    producer.flush()
    producer.close()
    return records


def end_offsets(bootstrap: str, topic: str, security: dict | None = None) -> int:
    """Sum of the end offsets of ``topic``'s partitions."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, **(security or {}))
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


def metrics_url(log_path: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"metrics on (http://\S+?)/?(?:\s|$)", log_path.read_text(errors="replace"))
        if found:  # the worker's start-up line: "... page, API and metrics on http://host:port/"
            return found.group(1) + "/metrics"
        time.sleep(0.1)
    raise RuntimeError(f"no metrics address in {log_path}")


def sample(url: str) -> dict[str, float]:
    """The worker's posts read and count-stage batches so far."""
    text = urllib.request.urlopen(url, timeout=5).read().decode()

    def value(pattern: str) -> float:
        found = re.search(pattern, text, re.M)
        return float(found.group(1)) if found else 0.0

    return {"posts": value(r'^trendwatch_events_total\{type="post"\} (\S+)$'),
            "count_batches": value(r'^trendwatch_stage_seconds_count\{stage="count"\} (\S+)$')}


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size of a running process (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
