"""Coverage-guided fuzzing (atheris, libFuzzer) of the event parser, the hashtag normaliser and
the count-series readers: the long run of what ``tests/reliability/test_fuzz.py`` runs for seconds.

Each target runs in its own process for ``--seconds``, starting from the seed corpus in
``tests/reliability/corpus/<target>/``; inputs that grow coverage are added to a work corpus
(``--work``, default a temporary directory; pass ``--keep`` to add them to the seed corpus).
A crash (any exception escaping a target) is written to ``--work`` and fails the run. Usage::

    pip install atheris
    python bench/fuzz.py [--seconds 120] [--targets parser,normaliser,count_series,window_records]

Prints, per target: executions, executions per second, corpus size, crashes.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "reliability"


def child(target: str, work: str, seconds: int) -> None:
    """Runs in the child process: fuzz one target with atheris."""
    import atheris

    sys.path.insert(0, str(TESTS))
    with atheris.instrument_imports():
        import fuzz_targets
    function = fuzz_targets.TARGETS[target]
    atheris.Setup([sys.argv[0], f"-max_total_time={seconds}", "-rss_limit_mb=4096", "-max_len=65536",
                   f"-artifact_prefix={work}/", work, str(TESTS / "corpus" / target)],
                  function)
    atheris.Fuzz()


def run(target: str, seconds: int, work: Path) -> dict:
    corpus = work / target
    corpus.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    done = subprocess.run([sys.executable, __file__, "--child", target, "--work", str(corpus),
                           "--seconds", str(seconds)], capture_output=True, text=True, cwd=ROOT)
    runs = re.findall(r"#(\d+)\s", done.stderr)
    crashes = sorted(p.name for p in corpus.glob("crash-*"))
    return {"target": target, "executions": int(runs[-1]) if runs else 0,
            "seconds": time.monotonic() - started, "corpus": sum(1 for p in corpus.iterdir() if p.is_file()),
            "crashes": crashes, "exit": done.returncode, "tail": done.stderr[-1500:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--targets", default="parser,normaliser,count_series,window_records")
    parser.add_argument("--work", default=None)
    parser.add_argument("--keep", action="store_true", help="Add new coverage inputs to the seed corpus.")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.work, args.seconds)
        return 0
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("Error: atheris is not installed: pip install atheris", file=sys.stderr)
        return 1
    work = Path(args.work or tempfile.mkdtemp(prefix="trendwatch-fuzz-"))
    failed = False
    for target in args.targets.split(","):
        result = run(target, args.seconds, work)
        rate = result["executions"] / max(result["seconds"], 1e-9)
        print(f"{target:13} {result['executions']:>9,} executions in {result['seconds']:.0f} s "
              f"({rate:,.0f}/s), corpus {result['corpus']}, crashes {len(result['crashes'])}")
        if result["crashes"] or result["exit"] not in (0,):
            failed = True
            print(result["tail"], file=sys.stderr)
        if args.keep:
            for path in (work / target).iterdir():
                if path.is_file() and not path.name.startswith("crash-"):
                    shutil.copy(path, TESTS / "corpus" / target / path.name)
    print(f"work corpus: {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
