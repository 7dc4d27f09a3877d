"""Two real workers on a real broker: the start-up and rebalance lines, and the HTTP API answered by both.

Only one worker runs the detector (``hashtag-windows`` has one partition); the
other forwards ``/api/...`` to it, so both answer the same for every hashtag.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from streams.cli import main

sys.path.insert(0, str(Path(__file__).parent))
from worker_harness import Workers  # noqa: E402

pytestmark = pytest.mark.integration

START = re.compile(r"^trendwatch worker: broker (\S+); topics (.+); owns (.+); page, API and metrics on (\S+)/$")
REBALANCED = "trendwatch worker: rebalanced; now owns "


def _lines(workers: Workers, i: int) -> list[str]:
    text = (workers.tmp_path / f"worker{i}.log").read_text(errors="replace")
    return [line for line in text.splitlines() if line.startswith("trendwatch worker: ")]


def _wait(what: str, check, workers: Workers, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in workers.procs:
            assert proc.poll() is None, f"a worker exited while waiting for {what}:\n{workers.tail()}"
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"no {what} within {timeout:.0f} s:\n{workers.tail()}")


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError as exc:  # a loaded machine: no answer in time; the caller retries
        return 0, repr(exc).encode()


def _started_alert(url: str) -> bool:
    status, body = _get(url + "/api/alerts?kind=trend")
    return status == 200 and any(a["hashtag"] == "earthquake" and a["state"] == "started"
                                 for a in json.loads(body)["alerts"])


def test_two_workers_announce_themselves_and_both_answer_for_every_hashtag(
        kafka_settings, python, subprocess_env, tmp_path):
    settings = dataclasses.replace(kafka_settings, partitions=2)
    path = tmp_path / "posts.jsonl"
    scenario = Path(__file__).parent.parent / "data" / "short-surge.yaml"
    assert main(["simulate", "--scenario", str(scenario), "--scale", "0.5", "--out", str(path)]) == 0
    with Workers(python, subprocess_env, settings, tmp_path) as workers:
        workers.start(partitions=2)
        first = _wait("start-up line", lambda: _lines(workers, 0), workers)[0]
        match = START.match(first)
        assert match, first
        broker, topics, owns, url0 = match.groups()
        assert broker == settings.broker
        assert f"{settings.topic('posts')} (2 partitions)" in topics and settings.topic("trend-alerts") in topics
        assert owns == "posts [0, 1]; hashtag-mentions [0, 1]; hashtag-windows [0] (runs the detector)"

        workers.start(partitions=2)
        second = _wait("second worker's start-up line", lambda: _lines(workers, 1), workers)[0]
        url1 = START.match(second).group(4)
        rebalanced = _wait("rebalance line", lambda: [line for line in _lines(workers, 0)
                                                      if line.startswith(REBALANCED)], workers)
        latest = [rebalanced[-1], second]
        assert sum("(runs the detector)" in line for line in latest) == 1, latest
        assert all("posts [" in line for line in latest), latest  # the posts partitions are shared

        assert main(["replay", str(path), "--broker", settings.broker, "--prefix", settings.topic_prefix,
                     "--partitions", "2"]) == 0
        _wait("earthquake alert on the first worker", lambda: _started_alert(url0), workers, timeout=150)
        _wait("earthquake alert on the second worker", lambda: _started_alert(url1), workers, timeout=30)
        _wait("the earthquake's hourly windows", lambda: (lambda a: a[0] == 200 and "1h" in json.loads(a[1])["windows"])(
            _get(url1 + "/api/trends/earthquake")), workers, timeout=60)
        for path_query in ("/api/trends/earthquake", "/api/trends", "/api/alerts?since=0", "/api/trends/nosuchtag"):
            # the detector may still be working: equal answers from both, between two equal ones from the first
            _wait(f"the same answer to {path_query} from both", lambda: _get(url0 + path_query) == _get(
                url1 + path_query) == _get(url0 + path_query), workers, timeout=60)
        status, body = _get(url1 + "/api/trends/earthquake")
        data = json.loads(body)
        assert status == 200 and set(data["windows"]) == {"5m", "1h"} and data["alerts"][0]["state"] == "started"
        assert _get(url1 + "/api/trends/nosuchtag")[0] == 404
        for url in (url0, url1):  # nothing waits once the workers have read everything (a rebalance replays)
            _wait(f"{url} ready with nothing waiting", lambda: (lambda a: a[0] == 200 and json.loads(a[1]) == {
                "ready": True, "reasons": [], "waiting": {}})(_get(url + "/readyz")), workers, timeout=60)
            status, body = _get(url + "/metrics")
            assert status == 200 and b"trendwatch_events_total" in body

        # The detector's owner dies: the other takes over and answers at once from the restored state
        # (no input comes any more, so nothing but the checkpoint can fill its view). It dies once its
        # last checkpoint holds every window (the group has committed all of hashtag-windows).
        _wait("every window checkpointed", lambda: _all_committed(settings, "hashtag-windows"), workers, timeout=60)
        before = json.loads(_get(url1 + "/api/trends/earthquake")[1])
        shown = [t["hashtag"] for t in json.loads(_get(url1 + "/api/trends")[1])["trends"]]
        owner = 0 if "(runs the detector)" in latest[0] else 1
        victim, survivor, url = workers.procs[owner], 1 - owner, (url0, url1)[1 - owner]
        victim.kill()
        victim.wait()
        workers.procs.remove(victim)
        seen = len(_lines(workers, survivor))
        _wait("the survivor's takeover", lambda: [line for line in _lines(workers, survivor)[seen:]
                                                  if "(runs the detector)" in line], workers, timeout=90)
        status, body = _get(url + "/api/trends/earthquake")
        assert status == 200, body
        after = json.loads(body)  # what the last checkpoint held: the start of what was shown before
        assert after["alerts"][0] == before["alerts"][0] and set(after["windows"]) == set(before["windows"])
        for size, points in after["windows"].items():
            assert points and all(point in before["windows"][size] for point in points), size
        status, body = _get(url + "/api/trends")
        assert status == 200 and [t["hashtag"] for t in json.loads(body)["trends"]] == shown
        _wait("the same view as before the takeover", lambda: json.loads(
            _get(url + "/api/trends/earthquake")[1]) == before, workers, timeout=60)


def _all_committed(settings, name: str) -> bool:
    """True when the workers' group has committed the end of every partition of topic ``name``."""
    topic = settings.topic(name)
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers)
    try:
        committed = admin.list_group_offsets(settings.app_id).get(settings.app_id, {})
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
        return all(tp in committed and committed[tp].offset >= end for tp, end in ends.items())
    finally:
        admin.close()
        consumer.close()
