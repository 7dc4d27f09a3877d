"""Soak: a real broker and a real ``trendwatch worker`` fed a live stream at a fixed rate for a long
time; RSS, consumer lag and alert latency must stay flat, with no errors.

The stream is live (event time = wall-clock time): ``--tags`` ordinary hashtags at ``--rate``
posts/s, and every 5 minutes one hashtag surges (20x its share for 2 minutes), so that alerts
keep coming and their latency (``trendwatch_event_to_alert_seconds``) can be followed. Before the
live stream, ``--history-minutes`` of past event time (no surges) are sent as fast as they go: the
detector only learns during the first 3 hours of a stream's event time. The rate is
meant to be half of the worker's measured maximum (``bench/throughput.py``). Every ``--every``
seconds it samples the worker's RSS, total consumer lag, events counted and the mean
event-to-alert latency of the alerts since the last sample. Usage::

    python bench/soak.py --minutes 30 --rate 5000 [--png soak.png] [--csv soak.csv]

Prints the samples, then first-fifth against last-fifth means and the number of ``ERROR`` /
``Error:`` lines in the worker's log; writes the curves as a PNG (matplotlib).
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import orjson
from kafka import KafkaProducer

from streams.kafka.broker import LocalBroker, free_port
from streams.kafka.producer import RecordPacker
from streams.kafka.topics import create_topics
from streams.settings import Settings


def metrics(port: int) -> dict:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()

    def total(name: str) -> float:
        return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))
    return {"events": total("trendwatch_events_total"), "lag": total("trendwatch_consumer_lag"),
            "alert_sum": total("trendwatch_event_to_alert_seconds_sum"),
            "alert_count": total("trendwatch_event_to_alert_seconds_count")}


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


class Stream:
    """Live posts: ordinary tags, and one surging tag per 5 minutes."""

    def __init__(self, tags: int, seed: int = 1):
        self.rng, self.tags, self.n = random.Random(seed), tags, 0

    def post(self, now_ms: int, surges: bool = True) -> dict:
        self.n += 1
        period = now_ms // 300_000
        surging = surges and now_ms % 300_000 < 120_000 and self.rng.random() < 0.2
        tag = f"surge{period}" if surging else f"tag{self.rng.randrange(self.tags)}"
        return {"v": 1, "type": "post", "id": f"s{self.n}", "ts": now_ms, "author": f"a{self.rng.randrange(50_000)}",
                "text": f"#{tag}", "hashtags": [tag]}


def send(producer, packer, topic: str, events) -> None:
    """``events`` packed into records by author (as a producer of ``posts`` does), every record sent."""
    for event in events:
        for partition, _, value in packer.add(event["author"].encode(), orjson.dumps(event)):
            producer.send(topic, value, partition=partition)
    for partition, _, value in packer.drain():
        producer.send(topic, value, partition=partition)


def produce(producer, packer, topic: str, stream: Stream, rate: int, seconds: float) -> None:
    """``rate`` posts/s for ``seconds``, in 100 ms steps."""
    end = time.monotonic() + seconds
    while (now := time.monotonic()) < end:
        now_ms = time.time_ns() // 1_000_000
        send(producer, packer, topic, (stream.post(now_ms) for _ in range(rate // 10)))
        time.sleep(max(0.0, now + 0.1 - time.monotonic()))


def produce_history(producer, packer, topic: str, stream: Stream, minutes: float, rate: int) -> int:
    """``minutes`` of past event time before now at ``rate`` posts per second of it, without
    surges, sent as fast as they go: the detector learns its baselines (it only learns for the
    first 3 hours of a stream) before the live stream starts."""
    now_ms = time.time_ns() // 1_000_000
    n = int(minutes * 60 * rate)
    send(producer, packer, topic, (stream.post(now_ms - int((n - i) * 1000 / rate), surges=False)
                                   for i in range(n)))
    producer.flush()
    return n


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    minutes = [r["t"] / 60 for r in rows]
    fig, axes = plt.subplots(4, 1, figsize=(8, 9), sharex=True)
    for ax, key, label in zip(axes, ("rss_mib", "lag", "posts_per_s", "alert_latency_s"),
                              ("worker RSS (MiB)", "consumer lag (messages)", "posts/s counted",
                               "event-to-alert latency (s)")):
        values = [float("nan") if r[key] is None else r[key] for r in rows]
        ax.plot(minutes, values, marker="o" if key == "alert_latency_s" else None, linestyle="-"
                if key != "alert_latency_s" else "none")
        ax.set_ylabel(label, fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("minutes")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=int, default=5000, help="posts/s (half the measured maximum)")
    parser.add_argument("--tags", type=int, default=2000)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--every", type=float, default=15)
    parser.add_argument("--png", type=Path, default=Path("soak.png"))
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--history-minutes", type=float, default=190,
                        help="past event time sent first, so that alerts can fire (0: none)")
    parser.add_argument("--history-rate", type=int, default=20, help="posts per second of past event time")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trendwatch-soak-"))
    broker = LocalBroker(work / "kafka", port=free_port(), attached=True).start(timeout=120)
    port = free_port()
    settings = Settings(broker=f"kafka://{broker.bootstrap}", topic_prefix="soak-", app_id="soak",
                        partitions=args.partitions)
    create_topics(settings)
    log = open(work / "worker.log", "wb")
    worker = subprocess.Popen([sys.executable, "-m", "streams", "--log-level", "INFO", "worker", "--broker",
                               settings.broker, "--prefix", "soak-", "--app-id", "soak", "--partitions",
                               str(args.partitions), "--web-port", "0", "--metrics-port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT, env={**__import__("os").environ,
                                                                         "TRENDWATCH_DATA_DIR": str(work)})
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, linger_ms=5, acks=1,
                             max_request_size=2 << 20)
    packer, stream, rows = RecordPacker(args.partitions), Stream(args.tags), []
    try:
        time.sleep(10)
        if args.history_minutes > 0:
            sent = produce_history(producer, packer, settings.topic("posts"), stream, args.history_minutes,
                                   args.history_rate)
            deadline = time.monotonic() + 900
            while metrics(port)["events"] < sent:
                if worker.poll() is not None:
                    print(f"Error: the worker exited with {worker.returncode}", file=sys.stderr)
                    return 1
                if time.monotonic() > deadline:
                    print("Error: the worker had not counted the history after 15 minutes", file=sys.stderr)
                    return 1
                time.sleep(1)
            print(f"history: {sent:,} posts over {args.history_minutes:g} minutes of past event time counted",
                  flush=True)
        began, last = time.monotonic(), metrics(port)
        while time.monotonic() - began < args.minutes * 60:
            produce(producer, packer, settings.topic("posts"), stream, args.rate, args.every)
            now = metrics(port)
            alerts = now["alert_count"] - last["alert_count"]
            row = {"t": round(time.monotonic() - began), "rss_mib": round(rss_mib(worker.pid), 1),
                   "lag": now["lag"], "posts_per_s": round((now["events"] - last["events"]) / args.every),
                   "alert_latency_s": round((now["alert_sum"] - last["alert_sum"]) / alerts, 2) if alerts else None}
            rows.append(row)
            print(row, flush=True)
            last = now
            if worker.poll() is not None:
                print(f"Error: the worker exited with {worker.returncode}", file=sys.stderr)
                return 1
    finally:
        producer.close()
        worker.terminate()
        worker.wait(timeout=30)
        broker.stop()
        log.close()
    errors = sum(1 for line in (work / "worker.log").read_text(errors="replace").splitlines()
                 if "ERROR" in line or "Error:" in line)
    fifth = max(1, len(rows) // 5)
    for key in ("rss_mib", "lag", "posts_per_s"):
        first = sum(r[key] for r in rows[:fifth]) / fifth
        final = sum(r[key] for r in rows[-fifth:]) / fifth
        print(f"{key:16} first fifth {first:10.1f}  last fifth {final:10.1f}  ratio {final / first if first else 0:.2f}")
    latencies = [r["alert_latency_s"] for r in rows if r["alert_latency_s"] is not None]
    print(f"alert_latency_s  {len(latencies)} samples with alerts: " +
          (f"min {min(latencies):.1f}  max {max(latencies):.1f}" if latencies else "none"))
    print(f"errors in the worker log: {errors}; samples: {len(rows)}; log: {work / 'worker.log'}")
    if args.csv:
        with open(args.csv, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    plot(rows, args.png)
    print(f"curves: {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
