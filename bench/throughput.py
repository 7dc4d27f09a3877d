"""Throughput of ``trendwatch worker`` against a bare consumer, two workers and a Quix Streams peer.

Fills topics with synthetic posts (JSON-array records of 64 KiB, and a smaller
run of one post per record), then measures in the same run:

- ``raw_consumer_eps``: an aiokafka ``getmany`` loop that only decodes the JSON;
- ``worker_eps``: one ``trendwatch worker`` subprocess (extract + count, to
  the last window update), from its first post to the count stage caught up;
  ``worker_cpu_us_per_post`` its CPU time per post, and ``broker_cpu_us_per_post``
  the broker's over the same interval (the broker is on the same cores: what
  the worker writes to it and reads back costs there too; only measured when the
  script starts the broker itself);
- ``two_workers_eps`` on the same number of partitions, and ``scaling``
  (``two_workers_cpu_us_per_post`` is both workers' CPU time per post: the
  same as one worker's when the work splits without overhead, whatever
  the number of free cores);
- ``quix``: the same windowed counts written with Quix Streams (if installed):
  posts per hashtag in tumbling windows of the worker's default sizes
  (``worker_vs_quix``), and of one 1-minute size (``worker_vs_quix_one_size``);
- ``memory``: peak RSS of a worker for 10k, 100k and 1M distinct hashtags.

Usage: ``python bench/throughput.py --json`` (starts its own broker unless
``--broker`` is given; a secured cluster with the same security flags as the
``trendwatch`` commands, e.g. ``--security-protocol SASL_SSL --sasl-mechanism
SCRAM-SHA-512 --sasl-username NAME --ssl-cafile ca.pem`` and the password in
``TRENDWATCH_SASL_PASSWORD``; the Quix peer runs on PLAINTEXT only). Prints one JSON object. For a quick look at the one
worker alone: ``--posts 200000 --skip-two --skip-quix --single-posts 0
--memory-tags ""``; ``--profile FILE`` records its stacks with py-spy.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from kafka_args import add_security_arguments, security_env, security_settings  # noqa: E402
from streamload import end_offsets, fill, metrics_url, peak_rss_mb, posts, sample  # noqa: E402
from streams.kafka.security import client_config  # noqa: E402
from streams.kafka.topics import create_topics  # noqa: E402
from streams.settings import Settings  # noqa: E402

SECURITY = Settings()
"""How to connect (TLS, SASL): set once from the command line in ``main``."""
BROKER_PID = 0
"""The broker this script started (0: ``--broker`` given): its CPU time is measured too."""


async def _raw(bootstrap: str, topic: str, expected: int) -> float:
    from aiokafka import AIOKafkaConsumer
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, max_partition_fetch_bytes=8 << 20,
                                fetch_max_bytes=64 << 20, **client_config(SECURITY))
    await consumer.start()
    seen, started = 0, None
    try:
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for records in batches.values():
                if started is None:
                    started = time.perf_counter()
                for record in records:
                    data = json.loads(record.value)
                    seen += len(data) if type(data) is list else 1
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()


def raw_consumer_eps(bootstrap: str, topic: str, expected: int) -> float:
    return asyncio.run(_raw(bootstrap, topic, expected))


@contextmanager
def workers(bootstrap: str, prefix: str, count: int, tmp: Path, partitions: int):
    env = dict(os.environ, PYTHONPATH=str(ROOT), TRENDWATCH_METRICS_PORT="0", TRENDWATCH_IDLE_FLUSH="5",
               TRENDWATCH_DATA_DIR=str(tmp / "data"), **security_env(SECURITY))
    procs, logs = [], []
    try:
        for i in range(count):
            log = open(tmp / f"{prefix}worker{i}.log", "wb")
            logs.append(log)
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "streams", "--log-level", "INFO", "worker", "--broker", bootstrap,
                 "--prefix", prefix, "--app-id", f"{prefix}app", "--partitions", str(partitions),
                 "--web-port", "0"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp))
        urls = [metrics_url(tmp / f"{prefix}worker{i}.log") for i in range(count)]
        yield procs, urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()


@contextmanager
def profiled(pid: int, out: str | None):
    """``py-spy record`` of process ``pid`` while the block runs (nothing if ``out`` is None)."""
    if out is None:
        yield
        return
    spy = subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--rate", "50", "--format", "raw",
                            "--output", out, "--nonblocking"], stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)


def worker_run(bootstrap: str, prefix: str, expected: int, count: int, tmp: Path, partitions: int,
               timeout: float = 600, profile: str | None = None) -> dict:
    """Posts/s of ``count`` workers from their first post to the count stage caught up, their CPU time
    per post and, when the script started the broker, the broker's over the same interval."""
    with workers(bootstrap, prefix, count, tmp, partitions) as (procs, urls), profiled(procs[0].pid, profile):
        samples, deadline, final_batches, all_read_at = [], time.monotonic() + timeout, None, None
        while time.monotonic() < deadline:
            now = time.perf_counter()
            parts = [sample(url) for url in urls]
            done = {k: sum(p[k] for p in parts) for k in ("posts", "count_batches")}
            done["cpu"] = sum(cpu_seconds(p.pid) for p in procs)
            done["broker_cpu"] = cpu_seconds(BROKER_PID) if BROKER_PID else 0.0
            samples.append((now, done))
            if all_read_at is None and done["posts"] >= expected:
                all_read_at = now
            if all_read_at is not None and final_batches is None and now - all_read_at > 3:
                final_batches = end_offsets(bootstrap.replace("kafka://", ""), f"{prefix}hashtag-mentions",
                                            client_config(SECURITY))
            if final_batches is not None and done["count_batches"] >= final_batches:
                break
            if any(p.poll() is not None for p in procs):
                raise RuntimeError(f"a worker exited; see {tmp}")
            time.sleep(0.2)
        else:
            raise RuntimeError(f"workers did not catch up in {timeout}s; see {tmp}")
        start, first = next((t, s) for t, s in samples if s["posts"] > 0)
        end, last = next((t, s) for t, s in samples
                         if final_batches is not None and s["count_batches"] >= final_batches)
        rss = [peak_rss_mb(p.pid) for p in procs]
    posts_timed = expected - first["posts"]
    return {"eps": posts_timed / (end - start), "peak_rss_mb": rss,
            "cpu_us_per_post": 1e6 * (last["cpu"] - first["cpu"]) / posts_timed,
            "broker_cpu_us_per_post": 1e6 * (last["broker_cpu"] - first["broker_cpu"]) / posts_timed}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quix_eps(bootstrap: str, topic: str, expected_posts: int, seconds: float, sizes_ms) -> dict | None:
    try:
        import quixstreams  # noqa: F401
    except ImportError:
        return None
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "quix_peer.py"), bootstrap, topic,
                          str(expected_posts), str(seconds), ",".join(map(str, sizes_ms))],
                         capture_output=True, text=True, timeout=seconds + 120)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"quix peer failed: {out.stderr[-2000:]}")
    return json.loads(lines[-1])


@contextmanager
def broker(given: str | None, tmp: Path):
    if given:
        yield given
        return
    from streams.kafka.broker import LocalBroker, free_port
    local = LocalBroker(tmp / "kafka", port=free_port(), attached=True)
    local.start(timeout=120)
    global BROKER_PID
    BROKER_PID = local.status().get("pid") or 0
    try:
        yield f"kafka://{local.bootstrap}"
    finally:
        local.stop()


def prepared(bootstrap: str, prefix: str, partitions: int, n: int, distinct: int, tail: int = 1,
             record_bytes: int = 65536) -> None:
    create_topics(dataclasses.replace(SECURITY, broker=bootstrap, topic_prefix=prefix, partitions=partitions))
    fill(bootstrap.replace("kafka://", ""), f"{prefix}posts", partitions, posts(n, distinct, tail), record_bytes,
         client_config(SECURITY))


def run(args, tmp: Path) -> dict:
    result: dict = {"posts": args.posts, "partitions": args.partitions}
    run_id = os.urandom(3).hex()
    with broker(args.broker, tmp) as url:
        boot = url.replace("kafka://", "")
        prepared(url, f"tpa{run_id}-", args.partitions, args.posts, args.tags)
        result["raw_consumer_eps"] = raw_consumer_eps(boot, f"tpa{run_id}-posts", args.posts)
        one = worker_run(url, f"tpa{run_id}-", args.posts, 1, tmp, args.partitions, profile=args.profile)
        result["worker_eps"] = one["eps"]
        result["worker_cpu_us_per_post"] = one["cpu_us_per_post"]
        result["broker_cpu_us_per_post"] = one["broker_cpu_us_per_post"]
        result["worker_peak_rss_mb"] = one["peak_rss_mb"][0]
        result["ratio"] = one["eps"] / result["raw_consumer_eps"]
        if not args.skip_two:
            prepared(url, f"tpb{run_id}-", args.partitions, args.posts, args.tags)
            two = worker_run(url, f"tpb{run_id}-", args.posts, 2, tmp, args.partitions)
            result["two_workers_eps"] = two["eps"]
            result["two_workers_cpu_us_per_post"] = two["cpu_us_per_post"]
            result["scaling"] = two["eps"] / one["eps"]
        if args.single_posts:
            prepared(url, f"tps{run_id}-", args.partitions, args.single_posts, args.tags, record_bytes=0)
            raw = raw_consumer_eps(boot, f"tps{run_id}-posts", args.single_posts)
            single = worker_run(url, f"tps{run_id}-", args.single_posts, 1, tmp, args.partitions)
            result["single_event_records"] = {"posts": args.single_posts, "raw_consumer_eps": raw,
                                              "worker_eps": single["eps"], "ratio": single["eps"] / raw}
        if not args.skip_quix and SECURITY.security_protocol != "PLAINTEXT":
            result["quix"] = "skipped: the peer connects with PLAINTEXT only"
        elif not args.skip_quix:
            same = quix_eps(boot, f"tpa{run_id}-posts", args.posts, args.quix_seconds, Settings().window_ms)
            if same is not None:
                single = quix_eps(boot, f"tpa{run_id}-posts", args.posts, args.quix_seconds, (60_000,))
                result["quix"] = {"worker_sizes": same, "one_size": single}
                result["worker_vs_quix"] = one["eps"] / same["posts_eps"]
                result["worker_vs_quix_one_size"] = one["eps"] / single["posts_eps"]
        if args.memory_tags:
            result["memory"] = {}
            for distinct in args.memory_tags:
                prefix = f"tpm{distinct}{run_id}-"
                prepared(url, prefix, args.partitions, args.memory_posts, distinct, tail=2)
                run_ = worker_run(url, prefix, args.memory_posts, 1, tmp, args.partitions)
                result["memory"][str(distinct)] = {"peak_rss_mb": run_["peak_rss_mb"][0], "eps": run_["eps"]}
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object (the default output)")
    parser.add_argument("--broker", help="use this broker instead of starting one")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--tags", type=int, default=10_000, help="distinct long-tail tags of the main run")
    parser.add_argument("--single-posts", type=int, default=100_000, help="posts sent one per record (0: skip)")
    parser.add_argument("--memory-tags", type=lambda s: [int(x) for x in s.split(",") if x],
                        default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--memory-posts", type=int, default=500_000)
    parser.add_argument("--quix-seconds", type=float, default=60.0)
    parser.add_argument("--skip-quix", action="store_true")
    parser.add_argument("--skip-two", action="store_true")
    parser.add_argument("--profile", metavar="FILE",
                        help="py-spy record (raw collapsed stacks) of the one-worker run into FILE")
    add_security_arguments(parser)
    args = parser.parse_args(argv)
    global SECURITY
    SECURITY = security_settings(args)
    with tempfile.TemporaryDirectory(prefix="tw-bench-") as tmp:
        result = run(args, Path(tmp))
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
