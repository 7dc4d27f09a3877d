"""Per-hashtag metrics under a flood of distinct hashtags: the top-K collector against the
naive way (a labelled Gauge per hashtag), measured in the same run.

    python bench/metrics_topk.py [--tags 100000] [--k 50]

Prints series per scrape, exposition bytes, scrape time, update cost and the
memory the updates keep (tracemalloc), for both, and the ratios.
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from streams.observe.topk import TopHashtags


def _measure(name: str, update, registry: CollectorRegistry, tags: int) -> dict:
    rng = random.Random(1)
    scores = [rng.random() * 10 for _ in range(tags)]
    tracemalloc.start()
    started = time.perf_counter()
    for i, score in enumerate(scores):
        update(f"tag{i}", score)
    update_us = (time.perf_counter() - started) / tags * 1e6
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    started = time.perf_counter()
    text = generate_latest(registry)
    scrape_ms = (time.perf_counter() - started) * 1000
    series = sum(1 for line in text.splitlines() if line and not line.startswith(b"#"))
    print(f"{name:8} series {series:7d}  bytes {len(text):9d}  scrape {scrape_ms:8.2f} ms  "
          f"update {update_us:5.2f} us  memory kept {kept / 1024:8.0f} KiB")
    return {"series": series, "bytes": len(text), "scrape_ms": scrape_ms, "kept": kept}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=100_000)
    parser.add_argument("--k", type=int, default=50)
    args = parser.parse_args()

    naive_registry = CollectorRegistry()
    gauges = [Gauge(name, "per-hashtag baseline", ["hashtag"], registry=naive_registry)
              for name in ("naive_trend_score", "naive_posts_per_second", "naive_views_per_second")]

    def naive(tag: str, score: float) -> None:
        for gauge in gauges:
            gauge.labels(hashtag=tag).set(score)

    top_registry = CollectorRegistry()
    top = TopHashtags(args.k, registry=top_registry)

    def bounded(tag: str, score: float) -> None:
        top.update(tag, score=score, posts_rate=score, views_rate=score)

    print(f"{args.tags} distinct hashtags, K = {args.k}")
    base = _measure("naive", naive, naive_registry, args.tags)
    mine = _measure("top-K", bounded, top_registry, args.tags)
    print(f"ratios top-K/naive: series {mine['series'] / base['series']:.4f}, "
          f"bytes {mine['bytes'] / base['bytes']:.4f}, scrape time {mine['scrape_ms'] / base['scrape_ms']:.4f}, "
          f"memory kept {mine['kept'] / base['kept']:.4f}")


if __name__ == "__main__":
    main()
