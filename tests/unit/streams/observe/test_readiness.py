"""Readiness with a clock the test drives: ready, stalled while input waits, ready again; idle stays ready."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from streams.observe.api import Api
from streams.observe.readiness import STALL_SECONDS, Readiness
from streams.observe.server import serve_http
from streams.observe.view import TrendView


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def ready(clock: Clock, **kwargs) -> Readiness:
    readiness = Readiness(recovering=False, clock=clock, **kwargs)
    readiness.input(source="count")
    return readiness


def test_an_idle_stream_with_nothing_waiting_stays_ready(clock):
    readiness = ready(clock)
    readiness.waiting({"count": 0, "extract": 0})
    clock.advance(10 * STALL_SECONDS)
    assert readiness.check() == (True, [])
    assert readiness.pending() == {}


def test_waiting_input_without_progress_is_a_stall_until_progress_resumes(clock):
    readiness = ready(clock)
    readiness.waiting({"count": 40})
    clock.advance(STALL_SECONDS - 1)
    assert readiness.check() == (True, [])
    clock.advance(1)
    assert readiness.check() == (False, ["count: no input processed for 30 s while 40 messages wait (stalled)"])
    readiness.waiting({"count": 41})  # still waiting: still stalled, since the first sample that saw it
    assert readiness.check()[0] is False and readiness.pending() == {"count": 41}
    readiness.input(source="count")
    assert readiness.check() == (True, [])
    clock.advance(STALL_SECONDS)  # progress stopped again with input still waiting
    assert readiness.check()[0] is False
    readiness.waiting({})  # the backlog is gone: ready, however long it stays quiet
    clock.advance(3600)
    assert readiness.check() == (True, [])


def test_input_arriving_after_a_long_quiet_is_not_a_stall_at_once(clock):
    readiness = ready(clock)
    clock.advance(3600)
    readiness.waiting({"count": 5})
    assert readiness.check() == (True, [])
    clock.advance(STALL_SECONDS)
    assert readiness.check() == (False, ["count: no input processed for 30 s while 5 messages wait (stalled)"])


def test_each_consumer_stalls_on_its_own(clock):
    readiness = ready(clock)
    readiness.waiting({"count": 3, "detect": 1})
    for _ in range(4):
        clock.advance(STALL_SECONDS / 3)
        readiness.input(source="count")
    assert readiness.check() == (False, ["detect: no input processed for 40 s while 1 message waits (stalled)"])


def test_a_sampler_that_stops_sampling_is_a_stall(clock):
    readiness = ready(clock, sampled_every=1.0)
    readiness.waiting({})
    clock.advance(STALL_SECONDS - 1)
    assert readiness.check() == (True, [])
    clock.advance(1)
    assert readiness.check() == (False, ["input not checked for 30 s (the process is stuck or overloaded)"])
    readiness.waiting({})
    assert readiness.check() == (True, [])


def test_a_batch_in_hand_for_too_long_is_a_stall(clock):
    readiness = Readiness(recovering=False, clock=clock)
    with readiness.working(500, "pipeline"):
        assert readiness.pending() == {"pipeline": 500}
        clock.advance(STALL_SECONDS + 5)
        assert readiness.check() == (False, ["no input read yet", "pipeline: no input processed for 35 s while "
                                             "500 messages wait (stalled)"])
    assert readiness.check() == (True, []) and readiness.inputs == 500
    clock.advance(3600)  # quiet between batches (a paced or followed input): ready
    assert readiness.check() == (True, [])


def test_stall_after_must_be_positive():
    with pytest.raises(ValueError, match="stall_after"):
        Readiness(stall_after=0)


def _readyz(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as answer:
        return answer.code, json.loads(answer.read())


def test_readyz_on_a_real_server_follows_a_stall_and_the_recovery(clock):
    readiness = ready(clock)
    server = serve_http(Api(TrendView(), readiness), 0)
    try:
        assert _readyz(server.url) == (200, {"ready": True, "reasons": [], "waiting": {}})
        readiness.waiting({"extract": 1200})
        clock.advance(45)
        assert _readyz(server.url) == (503, {"ready": False, "waiting": {"extract": 1200}, "reasons": [
            "extract: no input processed for 45 s while 1,200 messages wait (stalled)"]})
        readiness.input(source="extract")
        assert _readyz(server.url)[0] == 200
    finally:
        server.stop()
