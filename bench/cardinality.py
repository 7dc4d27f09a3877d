"""Cardinality attack: a flood of distinct hashtags in ten minutes of event time, with a real surge
in the same ten minutes, through the stages in process (the worker's Extract, Count, Detect).

The surge-flash scenario (5 % scale, 72 h, a flash surge of #earthquake) with ``--distinct``
posts, each with its own new hashtag, in the first ``--minutes`` (10) of the surge. Each run is a
separate process, with and without the flood, measured in the same invocation. ``--max-tags``
sets the count stage's exact-state cap (20,000, the default of every command): a smaller cap
with a shorter flood of the same rate shows in seconds what a million tags do to the default.
Usage::

    python bench/cardinality.py [--distinct 1000000] [--minutes 10] [--max-tags 20000]

Prints, per run: posts, posts/s, peak RSS (MiB), the Prometheus series of one scrape, the hashtags
the count stage tracks exactly, the flood's hashtags promoted out of the sketches (false
promotions: each has one post, so a window of it with more came from the sketches' estimates),
and the delay from the surge's onset to its first alert.
"""

from __future__ import annotations

import argparse
import heapq
import json
import resource
import subprocess
import sys
import time

import orjson
from prometheus_client import generate_latest

from streams.embedded.runner import Pipeline, run
from streams.stages import Count
from streams.settings import Settings
from streams.sources.scenario import load_scenario
from streams.sources.simulator import generate, labels

MIN = 60_000
SCENARIO, SCALE, SEED = "surge-flash", 0.05, 3


def events(distinct: int, minutes: float = 10):
    """The scenario's events with ``distinct`` flood posts (one new tag each) spread evenly over the
    ``minutes`` from the surge's onset, in event-time order; and the surge (tag, onset)."""
    scenario = load_scenario(SCENARIO).scaled(SCALE)
    surge = labels(scenario, SEED)["surges"][0]
    onset, step = surge["start"], minutes * MIN / max(distinct, 1)
    flood = ({"v": 1, "type": "post", "id": f"f{i}", "ts": onset + int(i * step), "author": f"bot{i % 1000}",
              "text": f"#flood{i}", "hashtags": [f"flood{i}"]} for i in range(distinct))
    return heapq.merge(generate(scenario, SEED), flood, key=lambda e: e["ts"]), surge["tag"], onset


def records(stream, batch: int = 4096):
    chunk = []
    for event in stream:
        chunk.append(event)
        if len(chunk) == batch:
            yield orjson.dumps(chunk)
            chunk = []
    if chunk:
        yield orjson.dumps(chunk)


def measure(distinct: int, minutes: float = 10, max_tags: int = 20_000) -> dict:
    """One run in this process."""
    settings = Settings()
    pipeline = Pipeline(settings)
    pipeline.count = Count.from_settings(settings, metrics=pipeline.metrics, max_tags=max_tags)
    stream, tag, onset = events(distinct, minutes)
    promoted: set[str] = set()
    pipeline.on_windows = lambda windows: promoted.update(
        w.hashtag for w in windows if w.posts > 1 and w.hashtag.startswith("flood"))
    started = time.perf_counter()
    summary = run(records(stream), pipeline)
    seconds = time.perf_counter() - started
    first = [a.window_end for a in summary.alerts if a.hashtag == tag and a.state == "started"]
    text = generate_latest(pipeline.metrics.registry)
    return {"distinct": distinct, "posts": summary.posts, "seconds": round(seconds, 1),
            "posts_per_second": round(summary.posts / seconds),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "series": sum(1 for line in text.splitlines() if line and not line.startswith(b"#")),
            "tracked_tags": pipeline.count.aggregator.tracked_tags, "flood_promoted": len(promoted),
            "surge": tag, "alert_delay_min": (first[0] - onset) / MIN if first else None}


def in_child(distinct: int, minutes: float, max_tags: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", str(distinct), "--minutes", str(minutes),
                           "--max-tags", str(max_tags)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distinct", type=int, default=1_000_000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--max-tags", type=int, default=20_000)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.minutes, args.max_tags)))
        return
    for distinct in (0, args.distinct):
        r = in_child(distinct, args.minutes, args.max_tags)
        print(f"distinct {r['distinct']:>9,}: {r['posts']:>9,} posts, {r['posts_per_second']:>7,} posts/s, "
              f"peak RSS {r['peak_rss_mib']:>5} MiB, {r['series']:>5} series, {r['tracked_tags']:>6,} tags exact, "
              f"{r['flood_promoted']:>5,} flood tags promoted, "
              f"#{r['surge']} first alert {r['alert_delay_min']} min after onset")


if __name__ == "__main__":
    main()
