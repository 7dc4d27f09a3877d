"""Helpers of the worker tests: worker subprocesses, a reference count, reading windows back."""

from __future__ import annotations

import json
import subprocess
import time
from collections import defaultdict
from contextlib import contextmanager

from kafka import KafkaConsumer

from streams.kafka.broker import free_port
from streams.worker.window_records import WATERMARK_KEY, WINDOWS_KEY, decode_windows

SIZES_MS = {"1m": 60_000, "5m": 300_000, "1h": 3_600_000}
NEW_AUTHOR_MS = 7 * 86_400_000


def reference_counts(events, sizes=SIZES_MS, late=()) -> dict:
    """Window counts computed directly from the events: {(tag, size, start): (posts, views, authors, new)}.

    Independent of the code under test: a plain loop over every event and window size.
    ``late`` are indexes of events to leave out (dropped as late).
    """
    cells = defaultdict(lambda: [0, 0, set(), 0])
    skip = set(late)
    for i, event in enumerate(events):
        if i in skip:
            continue
        for name, size in sizes.items():
            start = event["ts"] - event["ts"] % size
            for tag in event["hashtags"]:
                cell = cells[(tag, name, start)]
                if event["type"] == "post":
                    cell[0] += 1
                    cell[2].add(event["author"])
                    created = event.get("author_created")
                    cell[3] += created is not None and event["ts"] - created <= NEW_AUTHOR_MS
                else:
                    cell[1] += event["views"]
    return {key: (p, v, len(a), n) for key, (p, v, a, n) in cells.items()}


def read_jsonl(path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


class WindowReader:
    """Reads ``hashtag-windows`` from the start; keeps the last value of every window."""

    def __init__(self, bootstrap: str, topic: str):
        self.consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                      enable_auto_commit=False, consumer_timeout_ms=500)
        self.latest: dict = {}
        self.values: dict = defaultdict(set)
        self.published = 0

    def poll(self, timeout_ms: int = 500) -> dict:
        """Read what has arrived (one fetch, waiting at most ``timeout_ms``); the windows so far.

        One fetch, not "until nothing comes for a while": while a worker publishes steadily
        that would not return before the stream ends, and a caller waiting for a share of
        the windows would act only then.
        """
        for records in self.consumer.poll(timeout_ms=timeout_ms).values():
            for record in records:
                self._take(record)
        return self.latest

    def drain(self, timeout: float = 30) -> dict:
        """Read up to the end offsets of now (at most ``timeout`` s): every window published so far."""
        deadline = time.monotonic() + timeout
        while not self.consumer.assignment() and time.monotonic() < deadline:
            self.poll()
        ends = self.consumer.end_offsets(list(self.consumer.assignment()))
        while any(self.consumer.position(tp) < end for tp, end in ends.items()):
            assert time.monotonic() < deadline, "hashtag-windows not read to its end in time"
            self.poll()
        return self.latest

    def _take(self, record) -> None:
        if record.key == WATERMARK_KEY:  # a count partition's progress, not a window
            return
        assert record.key == WINDOWS_KEY
        for w in decode_windows(record.key, record.value):
            assert w.size_ms == SIZES_MS.get(w.size, w.size_ms)
            key = (w.hashtag, w.size, w.window_start)
            self.latest[key] = (w.posts, w.views, w.authors, w.new_authors)
            self.values[key].add(self.latest[key])
            self.published += 1

    def wait_for(self, expected: dict, timeout: float, workers=()) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.poll() == expected:
                break
            for worker in workers:
                assert worker.poll() is None, f"worker exited with {worker.returncode}"
        return self.latest

    def close(self):
        self.consumer.close()


@contextmanager
def window_reader(bootstrap: str, topic: str):
    reader = WindowReader(bootstrap, topic)
    try:
        yield reader
    finally:
        reader.close()


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> int:
    """SIGTERM, then SIGKILL after ``timeout`` seconds (0: at once); returns the exit code."""
    if proc.poll() is None:
        if timeout:
            proc.terminate()
            try:
                return proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        proc.kill()
    return proc.wait()


class Workers:
    """``python -m streams worker`` subprocesses, all stopped on exit (also on failure)."""

    def __init__(self, python: str, env: dict, settings, tmp_path, extra_env: dict | None = None):
        self.python, self.settings, self.tmp_path = python, settings, tmp_path
        self.env = dict(env, TRENDWATCH_IDLE_FLUSH="2", TRENDWATCH_METRICS_PORT="0",
                        TRENDWATCH_DATA_DIR=str(tmp_path / "data"),
                        TRENDWATCH_WINDOW_SIZES=",".join(SIZES_MS), **(extra_env or {}))
        self.procs: list[subprocess.Popen] = []
        self.logs: list = []
        self._ports: dict[str, int] = {}

    def start(self, partitions: int = 1, instance: str | None = None) -> subprocess.Popen:
        """A worker; ``instance``: its ``--group-instance-id`` (static membership), with a metrics port
        of its own kept across restarts (the worker's URL is part of its cached assignment)."""
        n = len(self.procs)
        if instance is not None and instance not in self._ports:
            self._ports[instance] = free_port()
        log = open(self.tmp_path / f"worker{n}.log", "wb")
        proc = subprocess.Popen(
            [self.python, "-m", "streams", "--log-level", "INFO", "worker", "--broker", self.settings.broker,
             "--prefix", self.settings.topic_prefix, "--app-id", self.settings.app_id,
             "--partitions", str(partitions), "--web-port", "0",
             *(("--group-instance-id", instance, "--metrics-port", str(self._ports[instance])) if instance else ())],
            env=self.env, cwd=self.tmp_path, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        self.logs.append(log)
        return proc

    def wait_for_line(self, index: int, needle: str, timeout: float) -> str:
        """Until worker ``index``'s log holds ``needle`` (it must not exit first); the log."""
        log = self.tmp_path / f"worker{index}.log"
        deadline = time.monotonic() + timeout
        while needle not in (text := log.read_text(errors="replace")):
            assert time.monotonic() < deadline, f"worker {index} never logged {needle!r}:\n{self.tail()}"
            assert self.procs[index].poll() is None, f"worker {index} exited:\n{self.tail()}"
            time.sleep(0.1)
        return text

    def tail(self, chars: int = 3000) -> str:
        return "\n".join((self.tmp_path / f"worker{i}.log").read_text(errors="replace")[-chars:]
                         for i in range(len(self.procs)))

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            stop_process(proc)
        for log in self.logs:
            log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
