"""The extractor alone on a JSON Lines file's records, as ``trendwatch backtest`` reads them.

The first ``--lines`` lines of ``--input`` are read into memory first (the records
``streams.embedded.runner.file_records`` makes: ``LineBlock``s of 256 KiB), then
``Extract.process_packed`` (one partition, 5-minute base buckets) is timed over them
``--passes`` times: CPU microseconds per line (``time.process_time``). With
``--passes 1`` it is the driver for instruction counts of the extractor alone:

    valgrind --tool=callgrind '--toggle-collect=*Extractor::process_packed*' \\
        python bench/extract_lines.py --input FILE.jsonl.gz --lines 100000 --passes 1

Prints ``{"records", "lines", "passes", "us_per_line"}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streams.embedded.runner import file_records  # noqa: E402
from streams.stages import Extract  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True, help="a JSON Lines file (.gz fine)")
    parser.add_argument("--lines", type=int, default=200_000, help="read at least this many lines")
    parser.add_argument("--passes", type=int, default=5, help="times over the records")
    args = parser.parse_args(argv)
    batches, lines = [], 0
    for batch in file_records([args.input]):
        batches.append(batch)
        lines += sum(len(record.lines()) for record in batch)
        if lines >= args.lines:
            break
    extract = Extract(300_000, 1)
    started = time.process_time()
    for _ in range(args.passes):
        for batch in batches:
            extract.process_packed(batch)
    spent = time.process_time() - started
    print(json.dumps({"records": sum(map(len, batches)), "lines": lines, "passes": args.passes,
                      "us_per_line": round(spent / args.passes / max(lines, 1) * 1e6, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
