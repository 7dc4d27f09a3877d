"""Digests of what every shipped scenario gives in the embedded pipeline: its windows and its alerts.

For each ``scenarios/*.yaml`` (seed 1, full scale) the whole pipeline runs in
process (``streams.embedded``) with the default window sizes; the script
prints one JSON line per scenario with the number of posts, of windows (every
size, corrections included) and of alert steps, and a SHA-256 prefix of each
list in order. Two builds give identical windows and alerts when their lines
are equal (``diff`` the outputs of both).

Usage: ``python bench/scenario_digest.py [SCENARIO ...]`` (default: all)
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streams.cli import tune_gc  # noqa: E402
from streams.embedded import Pipeline, run, scenario_records  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.stages.count import windows_of  # noqa: E402
from streams.sources.scenario import load_scenario  # noqa: E402


def _digest(items) -> str:
    return hashlib.sha256(json.dumps([i.to_dict() for i in items]).encode()).hexdigest()[:16]


def digest(name: str) -> dict:
    pipeline, windows = Pipeline(Settings()), []
    process, flush = pipeline.count.process_batch, pipeline.count.flush

    def counted(*args, **kwargs):
        out = process(*args, **kwargs)
        windows.extend(windows_of(out))
        return out

    def flushed():
        out = flush()
        windows.extend(out)
        return out

    pipeline.count.process_batch, pipeline.count.flush = counted, flushed
    summary = run(scenario_records(load_scenario(name), seed=1), pipeline)
    return {"scenario": name, "posts": summary.posts, "windows": len(windows), "windows_sha": _digest(windows),
            "alerts": len(summary.alerts), "alerts_sha": _digest(summary.alerts)}


def main(argv: list[str]) -> int:
    tune_gc()
    names = argv or sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    for name in names:
        print(json.dumps(digest(name)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
