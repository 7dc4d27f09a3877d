"""Producer throughput of ``simulate`` and ``replay`` against Kafka's own ProducerPerformance.

Starts a private single-node broker, then in one run:

1. simulate: generate a scenario and send it through ``KafkaSink`` (what
   ``trendwatch simulate --broker`` does), timed until the broker acknowledged
   everything;
2. replay: the same events written to a JSONL file first (not timed), then
   read, validated, ordered and sent (what ``trendwatch replay`` does);
3. baseline: ``org.apache.kafka.tools.ProducerPerformance`` sending as many
   records of the same average size as step 1 produced, with the same
   producer settings (idempotent, acks=all, same codec and gzip level,
   batch size and linger; gzip at ``streams.kafka.producer.GZIP_LEVEL``).

Prints events/s, records/s and MB/s (uncompressed record bytes) and the ratio
to the baseline, for each codec. Usage::

    python bench/producer.py [--scenario rednote-2025] [--scale 0.15] [--compression gzip,none] [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from streams.cli import tune_gc
from streams.kafka.broker import LocalBroker, free_port, java_command
from streams.kafka.producer import GZIP_LEVEL, KafkaSink
from streams.settings import Settings
from streams.sources.pacing import FileSink
from streams.sources.replay import read_events
from streams.sources.scenario import load_scenario
from streams.sources.simulator import generate


def timed_send(events, settings: Settings, compression: str) -> dict:
    began = time.perf_counter()
    sink = KafkaSink(settings, compression=compression)
    for event in events:
        sink.send(event)
    sink.close()
    seconds = time.perf_counter() - began
    return {"events": sink.events, "records": sink.records, "bytes": sink.bytes, "seconds": seconds}


def producer_performance(bootstrap: str, topic: str, records: int, size: int, compression: str) -> dict:
    props = [f"bootstrap.servers={bootstrap}", "acks=all", "enable.idempotence=true", "linger.ms=20",
             "batch.size=524288", f"compression.type={compression}"]
    if compression == "gzip":
        props.append(f"compression.gzip.level={GZIP_LEVEL}")
    cmd = java_command("org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
                       "--num-records", str(records), "--record-size", str(size), "--throughput", "-1",
                       "--producer-props", *props, heap="512m")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    last = [line for line in done.stdout.splitlines() if "records sent" in line]
    if done.returncode != 0 or not last:
        raise SystemExit(f"ProducerPerformance failed: {done.stderr[-500:]}")
    match = re.search(r"([\d.]+) records/sec \(([\d.]+) MB/sec\)", last[-1])
    return {"records_per_s": float(match.group(1)), "mb_per_s": float(match.group(2)), "line": last[-1]}


def report(name: str, run: dict, baseline_mb: float) -> None:
    mb = run["bytes"] / run["seconds"] / 2**20
    print(f"{name:9} {run['events'] / run['seconds']:>10,.0f} events/s {run['records'] / run['seconds']:>8,.0f} "
          f"records/s {mb:7.1f} MB/s  avg record {run['bytes'] / max(run['records'], 1):,.0f} B  "
          f"= {mb / baseline_mb:.2f}x ProducerPerformance")


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda run: run["seconds"])


def run_codec(broker: LocalBroker, scenario, seed: int, history: Path, codec: str, repeat: int) -> None:
    def settings(prefix):
        return Settings(broker=f"kafka://{broker.bootstrap}", topic_prefix=f"{codec}-{prefix}", partitions=4)
    sims, reps, bases = [], [], []
    for attempt in range(repeat):  # interleaved, best of each: the machine is shared
        sims.append(timed_send(generate(scenario, seed), settings(f"sim{attempt}-"), codec))
        reps.append(timed_send(read_events([history]), settings(f"rep{attempt}-"), codec))
        size = round(sims[0]["bytes"] / sims[0]["records"])
        bases.append(producer_performance(broker.bootstrap, f"{codec}-perf{attempt}", sims[0]["records"],
                                          size, codec))
    sim, rep = best(sims), best(reps)
    base = max(bases, key=lambda b: b["mb_per_s"])
    print(f"compression {codec}: baseline ProducerPerformance {base['records_per_s']:,.0f} records/s "
          f"{base['mb_per_s']:.1f} MB/s ({sim['records']:,} records of {size:,} B; best of {repeat})")
    report("simulate", sim, base["mb_per_s"])
    report("replay", rep, base["mb_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="rednote-2025")
    parser.add_argument("--scale", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compression", default="gzip,none")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tune_gc()  # as every trendwatch command does
    scenario = load_scenario(args.scenario).scaled(args.scale)
    with tempfile.TemporaryDirectory(prefix="tw-bench-") as tmp:
        history = Path(tmp) / "history.jsonl"
        sink = FileSink(history)
        for event in generate(scenario, args.seed):
            sink.send(event)
        sink.close()
        print(f"scenario {scenario.name} scale {args.scale}: {sink.events:,} events")
        broker = LocalBroker(Path(tmp) / "kafka", port=free_port(), attached=True).start()
        try:
            for codec in args.compression.split(","):
                run_codec(broker, scenario, args.seed, history, codec, args.repeat)
        finally:
            broker.stop()


if __name__ == "__main__":
    sys.exit(main())
