"""Decode + validate throughput of ``detectors.events.decode_record`` on simulated records.

Baseline: ``json.loads`` of the same records (the floor any JSON consumer pays).
Two runs: posts that carry ``hashtags`` (normalised from the cache) and posts
without them (extracted from the text). Usage::

    python bench/events.py [--events 300000]
"""

from __future__ import annotations

import argparse
import json
import time

from detectors.events import decode_record
from streams.kafka.producer import RecordPacker, encode_event, event_key
from streams.sources.scenario import load_scenario
from streams.sources.simulator import generate


def records_of(events: list[dict]) -> list[bytes]:
    packer = RecordPacker(partitions=4)
    out = []
    for event in events:
        out += [value for _, _, value in packer.add(event_key(event), encode_event(event))]
    return out + [value for _, _, value in packer.drain()]


def rate(function, records: list[bytes], events: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        for record in records:
            function(record)
        best = min(best, time.perf_counter() - began)
    return events / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    args = parser.parse_args()
    events = []
    for event in generate(load_scenario("rednote-2025").scaled(0.1), seed=1):
        events.append(event)
        if len(events) == args.events:
            break
    without = [{k: v for k, v in e.items() if not (k == "hashtags" and e["type"] == "post")} for e in events]
    for name, batch in (("hashtags given", events), ("hashtags from text", without)):
        records = records_of(batch)
        ours, base = rate(decode_record, records, len(batch)), rate(json.loads, records, len(batch))
        print(f"{name:19} decode_record {ours:>9,.0f} events/s   json.loads {base:>10,.0f} events/s   "
              f"ratio {ours / base:.2f}  ({len(records)} records, {len(batch):,} events)")


if __name__ == "__main__":
    main()
