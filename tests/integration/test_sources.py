"""Simulated and replayed events reach the real broker exactly once, in per-key order."""

import collections
import json
import re
import signal
import subprocess
import sys
import time

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2

from streams.cli import main
from streams.kafka.producer import event_key
from streams.sources.scenario import load_scenario
from streams.sources.simulator import generate

pytestmark = pytest.mark.integration

T0 = 1_736_726_400_000


def consume(bootstrap, topic, timeout=60):
    """Every record of ``topic`` as ``(partition, key, [events])``, partition by partition."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                             auto_offset_reset="earliest", consumer_timeout_ms=2000)
    try:
        deadline = time.monotonic() + timeout
        partitions = None
        while partitions is None and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
        parts = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        records = collections.defaultdict(list)
        while any(consumer.position(tp) < ends[tp] for tp in parts) and time.monotonic() < deadline:
            for tp, batch in consumer.poll(timeout_ms=1000).items():
                for record in batch:
                    value = json.loads(record.value)
                    records[tp.partition].append((record.key, value if isinstance(value, list) else [value]))
        assert all(consumer.position(tp) >= ends[tp] for tp in parts), "did not read the whole topic"
        return {p: records[p] for p in sorted(records)}, len(parts)
    finally:
        consumer.close()


def check_exactly_once_in_key_order(by_partition, partitions, expected):
    """Same multiset of events, each key on its murmur2 partition, each key's events in order."""
    delivered = [e for records in by_partition.values() for _, events in records for e in events]
    canon = lambda events: sorted(json.dumps(e, sort_keys=True) for e in events)  # noqa: E731
    assert len(delivered) == len(expected)
    assert canon(delivered) == canon(expected)
    sequences = collections.defaultdict(list)
    for partition, records in by_partition.items():
        for _, events in records:
            for event in events:
                key = event_key(event)
                assert (murmur2(key) & 0x7FFFFFFF) % partitions == partition
                sequences[key].append(event)
    wanted = collections.defaultdict(list)
    for event in expected:
        wanted[event_key(event)].append(event)
    assert sequences == wanted


def test_simulate_to_kafka_delivers_every_event_once_in_key_order(kafka_broker, unique):
    code = main(["simulate", "--scenario", "surge-flash", "--scale", "0.02", "--seed", "11",
                 "--broker", f"kafka://{kafka_broker.bootstrap}", "--prefix", unique, "--partitions", "3"])
    assert code == 0
    by_partition, partitions = consume(kafka_broker.bootstrap, f"{unique}posts")
    assert partitions == 3
    expected = list(generate(load_scenario("surge-flash").scaled(0.02), 11))
    check_exactly_once_in_key_order(by_partition, partitions, expected)
    sizes = [len(json.dumps(events, separators=(",", ":"), ensure_ascii=False).encode())
             for records in by_partition.values() for _, events in records]
    assert max(sizes) <= 64 * 1024 and len(sizes) < len(expected) / 20  # aggregated


def test_single_event_records_are_keyed_by_author(kafka_broker, unique):
    code = main(["simulate", "--scenario", "decoy-bot", "--scale", "0.005", "--seed", "3", "--record-bytes", "0",
                 "--broker", f"kafka://{kafka_broker.bootstrap}", "--prefix", unique, "--partitions", "2",
                 "--compression", "none"])
    assert code == 0
    by_partition, partitions = consume(kafka_broker.bootstrap, f"{unique}posts")
    expected = list(generate(load_scenario("decoy-bot").scaled(0.005), 3))
    check_exactly_once_in_key_order(by_partition, partitions, expected)
    assert all(key == event_key(events[0]) and len(events) == 1
               for records in by_partition.values() for key, events in records)


def write_history(path, n, step_ms):
    with open(path, "w") as fh:
        for i in range(n):
            fh.write(json.dumps({"v": 1, "type": "post", "id": f"p{i}", "ts": T0 + i * step_ms,
                                 "author": f"user{i % 13}", "text": f"#tag{i % 4} hello"}) + "\n")
    return [json.loads(line) for line in open(path)]


def test_replay_at_max_and_at_finite_speed_deliver_the_same(kafka_broker, unique, tmp_path):
    expected = write_history(tmp_path / "h.jsonl", 300, step_ms=10)  # 3 s of event time
    results = []
    for name, speed in (("fast-", "max"), ("slow-", "2")):
        began = time.monotonic()
        code = main(["replay", str(tmp_path / "h.jsonl"), "--broker", f"kafka://{kafka_broker.bootstrap}",
                     "--prefix", unique + name, "--partitions", "3", "--speed", speed,
                     "--state", str(tmp_path / f"{name}state.json")])
        results.append((code, time.monotonic() - began))
        by_partition, partitions = consume(kafka_broker.bootstrap, f"{unique}{name}posts")
        check_exactly_once_in_key_order(by_partition, partitions, expected)
        results.append(by_partition)
    (fast_code, _), fast, (slow_code, slow_seconds), slow = results
    assert fast_code == slow_code == 0
    assert slow_seconds >= 1.4  # 3 s of event time at 2x
    flatten = lambda parts: {p: [e for _, evs in recs for e in evs] for p, recs in parts.items()}  # noqa: E731
    assert flatten(fast) == flatten(slow)


def start_replay(kafka_broker, unique, tmp_path, env, events):
    """A replay of ``events`` events 100 ms apart at 10x, in a subprocess with its own state file."""
    expected = write_history(tmp_path / "h.jsonl", events, step_ms=100)
    state = tmp_path / "state.json"
    cmd = [sys.executable, "-m", "streams", "replay", str(tmp_path / "h.jsonl"),
           "--broker", f"kafka://{kafka_broker.bootstrap}", "--prefix", unique, "--partitions", "3",
           "--state", str(state)]
    proc = subprocess.Popen(cmd + ["--speed", "10"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    return expected, state, cmd, proc


def test_interrupted_and_resumed_replay_delivers_each_event_once(kafka_broker, unique, tmp_path, subprocess_env):
    expected, state, cmd, proc = start_replay(kafka_broker, unique, tmp_path, subprocess_env, 600)
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    stopped_at = json.loads(state.read_text())["sent"]
    assert 0 < stopped_at < 600
    done = subprocess.run(cmd + ["--resume"], env=subprocess_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{600 - stopped_at} events")
    by_partition, partitions = consume(kafka_broker.bootstrap, f"{unique}posts")
    check_exactly_once_in_key_order(by_partition, partitions, expected)


def test_replay_killed_hard_and_resumed_delivers_each_event_once(kafka_broker, unique, tmp_path, subprocess_env):
    """SIGKILL a second after a checkpoint: the resumed replay skips what was delivered since."""
    expected, state, cmd, proc = start_replay(kafka_broker, unique, tmp_path, subprocess_env, 800)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (state.exists() and json.loads(state.read_text())["sent"] > 0):
            time.sleep(0.05)
        time.sleep(1.0)  # checkpoints come every 2 s: about 100 events now lie beyond the last one
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    checkpoint = json.loads(state.read_text())
    assert 0 < checkpoint["sent"] < 800 and not checkpoint["done"]
    done = subprocess.run(cmd + ["--resume"], env=subprocess_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    match = re.search(r"; (\d+) delivered before the interruption, not sent again", done.stdout)
    assert match and int(match.group(1)) > 0, done.stdout
    by_partition, partitions = consume(kafka_broker.bootstrap, f"{unique}posts")
    check_exactly_once_in_key_order(by_partition, partitions, expected)


def test_replay_of_csv_posts_and_count_series_arrives_once(kafka_broker, unique, tmp_path):
    import gzip

    from streams.sources.replay import read_events
    posts = tmp_path / "posts.csv.gz"
    rows = ["id,ts,author,text,hashtags"] + [f"c{i},{T0 + i * 500},user{i % 5},hello #RedNote,fyp;rednote"
                                             for i in range(200)]
    posts.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    series = tmp_path / "tiktokrefugee.csv"
    series.write_text("timestamp,value\n" + "".join(f"{T0 // 1000 + 60 * m},{m % 7}\n" for m in range(30)))
    expected = list(read_events([posts, series]))
    assert len(expected) == 200 + sum(m % 7 for m in range(30))
    code = main(["replay", str(posts), str(series), "--broker", f"kafka://{kafka_broker.bootstrap}",
                 "--prefix", unique, "--partitions", "2", "--state", str(tmp_path / "state.json")])
    assert code == 0
    by_partition, partitions = consume(kafka_broker.bootstrap, f"{unique}posts")
    check_exactly_once_in_key_order(by_partition, partitions, expected)
