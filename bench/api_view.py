"""What the HTTP API's view costs `trendwatch run`: the demo with and without a ``TrendView``, in one process.

Runs the built-in demo (rednote-2025 at ``--scale``, default 0.1, seed 0)
through the in-process pipeline, alternating, ``--repeat`` times each: bare
(the baseline), feeding a ``TrendView`` from the detect stage, and feeding one
while a thread asks the API for ``/api/trends`` and ``/api/trends/{top tag}``
every 2 s as the page does (through ``Api.respond``, without sockets). Prints
the best CPU time of each and its ratio to the baseline. Then what the view
adds to a detect checkpoint (``Detect.snapshot``, which the worker writes every
5 s: the model, and what the view shows so that a worker taking the detector
over answers at once) at the end of the run: bytes and best wall time of
``--repeat`` snapshots, against the model alone.

Usage: python bench/api_view.py [--scale 0.1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import threading
import time

from prometheus_client import CollectorRegistry

from streams.embedded.runner import Pipeline, run, scenario_records
from streams.observe.api import Api, Readiness
from streams.observe.metrics import Metrics
from streams.observe.view import TrendView
from streams.settings import Settings
from streams.sources.scenario import load_scenario


def _poll(api: Api, done: threading.Event) -> None:
    while not done.wait(2.0):
        trends = api.view.trends()
        api.respond("/api/trends", {})
        if trends:
            api.respond(f"/api/trends/{trends[0]['hashtag']}", {})


def _once(scenario, mode: str) -> float:
    view = TrendView() if mode != "bare" else None
    pipeline = Pipeline(Settings(), Metrics(CollectorRegistry()), view)
    done = threading.Event()
    poller = threading.Thread(target=_poll, args=(Api(view, Readiness()), done), daemon=True)
    if mode == "polled":
        poller.start()
    started = time.process_time()
    run(scenario_records(scenario, seed=0), pipeline)
    seconds = time.process_time() - started
    done.set()
    return seconds


def _snapshot(detect, view, repeat: int) -> tuple[int, float]:
    detect.view = view
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        blob = detect.snapshot()
        timings.append(time.perf_counter() - started)
    return len(blob), min(timings)


def _checkpoint(scenario, repeat: int) -> None:
    view = TrendView()
    pipeline = Pipeline(Settings(), Metrics(CollectorRegistry()), view)
    run(scenario_records(scenario, seed=0), pipeline)
    detect = pipeline.detect
    before, shown, after = (_snapshot(detect, v, repeat) for v in (None, view, None))  # baseline around it
    base = (before[0], min(before[1], after[1]))
    for name, (size, seconds) in (("model", base), ("with view", shown)):
        print(f"snapshot {name:9} {size:>9,} bytes {seconds * 1000:6.1f} ms  "
              f"{size / base[0]:.2f}x bytes  {seconds / base[1]:.2f}x time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scenario = load_scenario("rednote-2025").scaled(args.scale)
    best = {mode: float("inf") for mode in ("bare", "view", "polled")}
    for _ in range(args.repeat):
        for mode in best:
            best[mode] = min(best[mode], _once(scenario, mode))
    for mode, seconds in best.items():
        print(f"{mode:7} {seconds:7.2f} s CPU  {seconds / best['bare']:.3f}x")
    _checkpoint(scenario, max(args.repeat, 5))


if __name__ == "__main__":
    main()
