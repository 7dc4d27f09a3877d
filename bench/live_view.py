"""What the live view costs `trendwatch run`: the demo with and without it, in the same process.

Runs the built-in demo (rednote-2025 at ``--scale``, default 0.1, seed 0)
through the in-process pipeline three ways, alternating, ``--repeat`` times
each: bare (the baseline: what ``--plain`` does besides printing), feeding a
``Board`` (windows, alerts, progress), and feeding a ``Board`` while a thread
renders it at 2 frames a second into a 120-column console that discards its
output (what rich's refresh thread does on a terminal). Prints the best CPU
time of each (all threads of the process, so other load on the machine
matters less than for wall time), its ratio to the baseline, and the wall time.

Usage: python bench/live_view.py [--scale 0.1] [--repeat 2]
"""

from __future__ import annotations

import argparse
import io
import threading
import time

from rich.console import Console

from streams.embedded.runner import Pipeline, run, scenario_records
from streams.live.board import Board
from streams.live.terminal import render
from streams.settings import Settings
from streams.sources.scenario import load_scenario


def _once(scenario, mode: str) -> tuple[float, float]:
    pipeline, board = Pipeline(Settings()), Board()
    done = threading.Event()
    hooks = {}
    if mode != "bare":
        pipeline.on_windows = board.windows
        hooks = {"on_alert": board.alert,
                 "on_progress": lambda clock, events, rate: board.progress(position=clock, rate=rate, events=events)}
    drawer = None
    if mode == "drawn":
        console = Console(file=io.StringIO(), width=120, force_terminal=True)

        def draw():
            while not done.wait(0.5):
                console.print(render(board, "bench"))
                console.file.seek(0)
                console.file.truncate()

        drawer = threading.Thread(target=draw, daemon=True)
        drawer.start()
    started, cpu = time.perf_counter(), time.process_time()
    run(scenario_records(scenario, 0), pipeline, **hooks)
    done.set()
    if drawer is not None:
        drawer.join()
    return time.process_time() - cpu, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    scenario = load_scenario("rednote-2025").scaled(args.scale)
    best = {"bare": (float("inf"), 0.0), "board": (float("inf"), 0.0), "drawn": (float("inf"), 0.0)}
    for _ in range(args.repeat):
        for mode in best:
            best[mode] = min(best[mode], _once(scenario, mode))
    for mode, (cpu, wall) in best.items():
        print(f"{mode:6} CPU {cpu:7.2f} s  {cpu / best['bare'][0]:.3f}x of bare  (wall {wall:.1f} s)")


if __name__ == "__main__":
    main()
