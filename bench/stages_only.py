"""The ceiling of the worker: ``Extract`` + ``Count`` called in-process on the benchmark's records.

No broker, no Faust: the same 64 KiB records as ``bench/throughput.py``,
split over 2 partitions, go through ``Extract.process_packed`` (mentions
packed by the native extractor, as the embedded runner calls it) and the
``Count`` of their mentions partition (``process_batch``: closed windows stay
native, as the embedded runner hands them to ``Detect``), with a checkpoint snapshot every 50
records (about what the worker does every 5 s); ``*_records`` figures use
``Extract.process`` instead (``Mention`` records, as the worker's extract agent
gets them). Rates are posts per CPU-second of this
process (``time.process_time``), best of 3, so that other load on the machine
changes them little. Prints ``{"posts", "stages_eps", "ratio", "stages_records_eps",
"records_ratio", "decode_only_eps", "extract_eps", "extract_ratio", "extract_records_eps",
"extract_records_ratio", "tags", "peak_rss_mb"}``: the
stages, and ``Extract`` alone, against a loop that only decodes the JSON, on the same
records, and the process's peak RSS (``--tags`` sets the distinct long-tail hashtags:
memory must stay bounded as it grows). ``--gc worker`` runs the stages with the worker's
garbage collector settings (``streams.cli.tune_gc``, as every command) instead of Python's defaults.

Usage: ``python bench/stages_only.py [--posts N] [--tags N] [--gc python|worker]``
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from streamload import posts  # noqa: E402
from streams.kafka.producer import RecordPacker  # noqa: E402
from streams.stages import Count, Extract  # noqa: E402
from streams.worker.checkpoint import PartitionCounts  # noqa: E402


def records(n: int, tags: int, partitions: int = 2) -> list[tuple[int, bytes]]:
    packer, out = RecordPacker(partitions, 65536), []
    for key, value in posts(n, tags):
        out += [(p, v) for p, _, v in packer.add(key, value)]
    return out + [(p, v) for p, _, v in packer.drain()]


def stages_eps(recs, n: int, packed: bool = True, partitions: int = 2, every: int = 50) -> float:
    extract = Extract(60_000, partitions)
    process = extract.process_packed if packed else extract.process
    counts = PartitionCounts(lambda: Count(sources=tuple(range(partitions))))
    started = time.process_time()
    for i, (source, value) in enumerate(recs):
        by_partition, _ = process([value], source=source)
        for partition, mentions in by_partition.items():
            counts.get(partition, list).process_batch(mentions, source=source, offset=i,
                                                      clock=extract.clock(source))
        if every and i % every == every - 1:
            counts.snapshot()
    for count in counts.counts.values():
        count.flush()
    return n / (time.process_time() - started)


def extract_eps(recs, n: int, packed: bool = True, partitions: int = 2) -> float:
    extract = Extract(60_000, partitions)
    process = extract.process_packed if packed else extract.process
    started = time.process_time()
    for source, value in recs:
        process([value], source=source)
    return n / (time.process_time() - started)


def decode_eps(recs, n: int) -> float:
    started = time.process_time()
    seen = 0
    for _, value in recs:
        seen += len(json.loads(value))
    assert seen == n
    return n / (time.process_time() - started)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--tags", type=int, default=10_000)
    parser.add_argument("--gc", choices=["python", "worker"], default="python",
                        help="Python's default collector thresholds, or the worker's")
    parser.add_argument("--checkpoint-records", type=int, default=50, metavar="N",
                        help="a checkpoint snapshot every N records (0: none)")
    args = parser.parse_args(argv)
    recs = records(args.posts, args.tags)
    if args.gc == "worker":
        from streams.cli import tune_gc
        tune_gc()
    decode = max(decode_eps(recs, args.posts) for _ in range(3))
    every = args.checkpoint_records
    stages = max(stages_eps(recs, args.posts, every=every) for _ in range(3))
    stages_records = max(stages_eps(recs, args.posts, packed=False, every=every) for _ in range(3))
    extract = max(extract_eps(recs, args.posts) for _ in range(3))
    extract_records = max(extract_eps(recs, args.posts, packed=False) for _ in range(3))
    print(json.dumps({"posts": args.posts, "gc": args.gc, "checkpoint_records": every, "stages_eps": stages, "ratio": stages / decode,
                      "stages_records_eps": stages_records, "records_ratio": stages_records / decode,
                      "decode_only_eps": decode, "extract_eps": extract, "extract_ratio": extract / decode,
                      "extract_records_eps": extract_records, "extract_records_ratio": extract_records / decode,
                      "tags": args.tags,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
