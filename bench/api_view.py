"""What the HTTP API's view costs `trendwatch run`: the demo with and without a ``TrendView``, in one process.

Runs the built-in demo (rednote-2025 at ``--scale``, default 0.1, seed 0)
through the in-process pipeline, alternating, ``--repeat`` times each: bare
(the baseline), feeding a ``TrendView`` from the detect stage, and feeding one
while a thread asks the API for ``/api/trends`` and ``/api/trends/{top tag}``
every 2 s as the page does (through ``Api.respond``, without sockets). Prints
the best CPU time of each and its ratio to the baseline.

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


if __name__ == "__main__":
    main()
