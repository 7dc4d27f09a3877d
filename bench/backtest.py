"""Backtest speed and detector memory.

1. Throughput: the whole in-process pipeline (Extract -> Count -> Detect) over
   a JSON Lines file of the rednote-2025 scenario, posts/s end to end and the
   time of each stage, against baselines measured in the same run: reading
   the same lines and ``json.loads`` (or ``orjson.loads``) of each, the floor
   any Python consumer of this file pays; the ratio is against the last.
   Times are CPU seconds of this process (``time.process_time``), so that
   other load on the machine changes them little. ``windows_scored``: the
   windows the surge scorer scored and learnt (natively, without a ``Window``
   record each; the rest, long-tail windows of untracked tags, only count in
   the totals and the long-tail sketch).
2. Detector state: one simulated day with 1,000,000 distinct hashtags (a Zipf
   head and a long tail, 5 min and 1 h windows) fed to the Detect stage in a
   fresh process: peak RSS, tracked tags, bytes per tracked tag and
   microseconds per window update; the baseline is the same process keeping
   exact state for every tag (no cap, no sketch).

3. ``--weekly DAYS``: only the detector part, over DAYS days, with the
   hour-of-day profile alone and with the day-of-week term (the default
   model), each in a fresh process, both at once (the same load); over 14 days half the head tags are
   three times busier on two days of the week, and the term is at work.

Usage: python bench/backtest.py [--input FILE.jsonl.gz] [--lines N] [--tags N] [--weekly DAYS] (``--tags 0``
skips the detector state part)
(without --input the scenario is simulated into a temporary file first).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from streams.cli import tune_gc
from streams.commands.backtest import detection_settings
from streams.embedded.runner import Pipeline, file_records
from streams.settings import Settings


def _simulate(path: Path) -> None:
    from streams.sources.scenario import load_scenario
    from streams.sources.simulator import generate
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        for event in generate(load_scenario("rednote-2025"), 0):
            out.write(json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n")


def _baseline(path: Path, limit: int, loads=json.loads) -> tuple[float, int]:
    started, posts = time.process_time(), 0
    with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as handle:
        for n, line in enumerate(handle):
            posts += loads(line)["type"] == "post"
            if limit and n + 1 >= limit:
                break
    return time.process_time() - started, posts


def _pipeline(path: Path, limit: int, sizes: tuple[str, ...]) -> dict:
    pipeline = Pipeline(Settings(window_sizes=sizes))
    spent = {"read": 0.0, "extract": 0.0, "count": 0.0, "detect": 0.0}
    alerts = []
    clock = time.process_time()
    records = iter(file_records([path]))
    while True:
        batch = next(records, None)
        t0 = time.process_time()
        spent["read"] += t0 - clock
        if batch is None:
            break
        parts, _ = pipeline.extract.process_packed(batch)
        t1 = time.process_time()
        windows = pipeline.count.process_batch(parts.get(0, b""))
        t2 = time.process_time()
        alerts += pipeline.detect.process(windows)
        clock = time.process_time()
        spent["extract"], spent["count"], spent["detect"] = (
            spent["extract"] + t1 - t0, spent["count"] + t2 - t1, spent["detect"] + clock - t2)
        if limit and _events(pipeline) >= limit:
            break
    t0 = time.process_time()
    alerts += pipeline.finish()
    spent["detect"] += time.process_time() - t0
    posts = int(pipeline.metrics.registry.get_sample_value("trendwatch_events_total", {"type": "post"}))
    total = sum(spent.values())
    return {"sizes": ",".join(sizes), "posts": posts, "seconds": round(total, 2),
            "posts_per_s": round(posts / total), "windows": pipeline.detect.windows,
            "windows_scored": pipeline.detect.model.scored,
            "us_per_window_detect": round(spent["detect"] / max(pipeline.detect.windows, 1) * 1e6, 2),
            "stages_s": {k: round(v, 2) for k, v in spent.items()},
            "trend_episodes": sum(a.state == "started" and a.kind == "trend" for a in alerts)}


def _events(pipeline: Pipeline) -> int:
    read = pipeline.metrics.registry.get_sample_value
    return int(sum(read("trendwatch_events_total", {"type": t}) or 0 for t in ("post", "engagement")))


MEMORY_CHILD = r"""
import json, random, resource, sys, time
from detectors.model import TrendModel
from detectors.records import Window
from detectors.surge import SurgeScorer
tags, mode, days = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
scorer = {"exact": lambda: SurgeScorer(max_tags=10 * tags, admit_posts=1),
          "daily": lambda: SurgeScorer(weekly_weeks=0)}.get(mode, SurgeScorer)()
model, rng = TrendModel(scorer), random.Random(1)
head = [f"head{i}" for i in range(2000)]
weights = [1 / (r + 1) ** 1.1 for r in range(len(head))]
per_bucket = tags // (288 * days) + 1
start, updates, spent, next_tail = 1_736_640_000_000, 0, 0.0, 0
hourly = {}
for b in range(288 * days):
    t = start + b * 300_000
    counts = {}
    for tag in rng.choices(head, [w * (3 if (b // 288) % 7 in (2, 3) and i % 2 else 1)  # weekend tags
                                  for i, w in enumerate(weights)] if days > 7 else weights, k=3000):
        counts[tag] = counts.get(tag, 0) + 1
    for _ in range(per_bucket):
        counts[f"tail{next_tail}"] = 1 + (rng.random() < 0.05) * 2
        next_tail += 1
    batch = [Window(tag, "5m", t, t + 300_000, posts=n, authors=n) for tag, n in counts.items()]
    for tag, n in counts.items():
        hourly[tag] = hourly.get(tag, 0) + n
    if (b + 1) % 12 == 0:
        h = t + 300_000 - 3_600_000
        batch += [Window(tag, "1h", h, h + 3_600_000, posts=n, authors=n) for tag, n in hourly.items()]
        hourly = {}
    t0 = time.perf_counter()
    model.update(batch)
    spent += time.perf_counter() - t0
    updates += len(batch)
model.flush()
print(json.dumps({"distinct_tags": next_tail + len(head), "tracked_tags": model.tracked_tags,
                  "state_mb": round(model.state_bytes / 2**20, 1), "bytes_per_tag": scorer.bytes_per_tag,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "window_updates": updates, "us_per_window": round(spent / updates * 1e6, 2),
                  "weekly_tags": scorer.weekly_tags}))
"""


def _memory(tags: int, mode: str, days: int = 1) -> dict:
    out = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(tags), mode, str(days)], capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    return json.loads(out.stdout)


def _paired(tags: int, modes: tuple[str, ...], days: int) -> list[dict]:
    """The detector children of ``modes`` run at the same time, so that both see the same machine load."""
    children = [subprocess.Popen([sys.executable, "-c", MEMORY_CHILD, str(tags), mode, str(days)],
                                 stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
                for mode in modes]
    outs = [child.communicate()[0] for child in children]
    if any(child.returncode for child in children):
        raise SystemExit("Error: a detector child failed (its traceback is above)")
    return [json.loads(out) for out in outs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=None, help="rednote-2025 as JSONL(.gz)")
    parser.add_argument("--lines", type=int, default=0, help="stop after this many lines (0: all)")
    parser.add_argument("--tags", type=int, default=1_000_000, help="distinct tags in the memory run (0: skip it)")
    parser.add_argument("--weekly", type=int, default=0, metavar="DAYS",
                        help="only the detector part, over DAYS days (more than 14: the day-of-week term at work; "
                             "half the head tags 3x busier two days a week), without the weekly term and with it")
    args = parser.parse_args()
    tune_gc()  # as every trendwatch command does
    if args.weekly > 0:
        daily, weekly = _paired(args.tags, ("daily", "bounded"), args.weekly)
        print(f"detector, {args.tags:,} distinct tags in {args.weekly} days, hour-of-day profile only: "
              f"{json.dumps(daily)}")
        print(f"detector, same, with the day-of-week term (default): {json.dumps(weekly)}")
        print(f"  -> {weekly['us_per_window'] / daily['us_per_window']:.2f}x the time per window update")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.input
        if path is None:
            path = Path(tmp) / "rednote-2025.jsonl.gz"
            started = time.perf_counter()
            _simulate(path)
            print(f"simulated rednote-2025 into {path} in {time.perf_counter() - started:.0f} s")
        for name, loads in (("json.loads", json.loads), ("orjson.loads", orjson.loads)):
            base_s, base_posts = _baseline(path, args.lines, loads)
            print(f"baseline (read + {name} per line): {base_posts:,} posts in {base_s:.1f} s "
                  f"= {base_posts / base_s:,.0f} posts/s")
        runs = (("as the worker counts (every default size)", Settings().window_sizes),
                ("as `trendwatch backtest` runs it", detection_settings(Settings()).window_sizes))
        for what, sizes in runs:
            result = _pipeline(path, args.lines, sizes)
            print(f"pipeline {what}, windows {result['sizes']}: {json.dumps(result)}")
            print(f"  -> {result['posts_per_s']:,} posts/s, {result['posts_per_s'] / (base_posts / base_s):.2f}x "
                  f"the orjson baseline's rate")
    if args.tags <= 0:
        return
    exact = _memory(args.tags, "exact")
    bounded = _memory(args.tags, "bounded")
    print(f"detector, {args.tags:,} distinct tags in a day, exact state for every tag (baseline): {json.dumps(exact)}")
    print(f"detector, default bounds (tracked cap + Count-Min sketch): {json.dumps(bounded)}")
    print(f"  -> peak RSS {bounded['peak_rss_mb']} MB vs {exact['peak_rss_mb']} MB "
          f"({bounded['peak_rss_mb'] / exact['peak_rss_mb']:.2f}x)")


if __name__ == "__main__":
    main()
