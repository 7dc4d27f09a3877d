"""NAB-style benchmark: every count series of a folder, default settings, scored with NAB's rules.

The folder holds the series (``NAME.csv``, NAB's ``timestamp,value`` files or
any count-series format ``trendwatch backtest --counts`` reads) and the
labelled windows (``windows.json`` or NAB's ``combined_windows.json``, in the
folder or in its ``labels/``; file name -> [[start, end], ...], keys matched
by file name). Each series runs exactly as ``trendwatch backtest --counts
NAME.csv --windows WINDOWS`` does. Prints one JSON line: the three profiles'
normalised scores over all series, trend alerts, windows caught, alerts per
window, false alerts per day and the median lead (minutes from window start
to the first detection).

Usage: python bench/nab.py DIR [--series]    (--series adds one line per series)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from detectors.evaluation import NAB_PROFILES, nab_evaluation, nab_rows, nab_score
from detectors.series import parse_time
from streams.embedded.counts import count_series, run_counts


def windows_file(folder: Path) -> Path:
    for candidate in ("windows.json", "combined_windows.json", "labels/combined_windows.json"):
        if (folder / candidate).is_file():
            return folder / candidate
    sys.exit(f"Error: {folder} has no windows.json or combined_windows.json")


def run_series(path: Path, windows: list) -> tuple[dict, tuple]:
    summary = run_counts(path)
    stamps = [w.window_start for w in count_series(path)[2]]
    spans = [(parse_time(str(a)), parse_time(str(b))) for a, b in windows]
    result = nab_evaluation(stamps, summary.alerts, spans)
    starts = [a.window_start for a in summary.alerts if a.kind == "trend" and a.state == "started"]
    return result, (stamps, nab_rows(stamps, starts), spans)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--series", action="store_true", help="also print one JSON line per series")
    args = parser.parse_args(argv)
    labels = json.loads(windows_file(args.dir).read_text(encoding="utf-8"))
    began = time.perf_counter()
    results, series, days = {}, [], 0.0
    for key, windows in sorted(labels.items()):
        path = args.dir / Path(key).name
        if not path.is_file():
            sys.exit(f"Error: {path} (labelled in the windows file) is missing")
        results[path.name], scored = run_series(path, windows)
        series.append(scored)
        days += (scored[0][-1] - scored[0][0]) / 86_400_000
    rows = [w for r in results.values() for w in r["windows"]]
    leads = [w["lead_min"] for w in rows if w["lead_min"] is not None]
    alerts = sum(r["alerts"] for r in results.values())
    if args.series:
        for name, r in results.items():
            print(json.dumps({"series": name, "scores": r["scores"], "alerts": r["alerts"], "caught": r["caught"],
                              "windows": len(r["windows"]), "false_alerts": r["false_alerts"],
                              "leads_min": [w["lead_min"] for w in r["windows"]]}))
    print(json.dumps({
        "dir": str(args.dir), "series": len(results),
        "scores": {p: round(nab_score(series, p), 1) for p in NAB_PROFILES},
        "alerts": alerts, "windows": len(rows), "windows_caught": sum(w["first"] is not None for w in rows),
        "alerts_per_window": round(alerts / max(len(rows), 1), 2),
        "false_alerts": sum(r["false_alerts"] for r in results.values()),
        "false_alerts_per_day": round(sum(r["false_alerts"] for r in results.values()) / max(days, 1e-9), 3),
        "median_lead_min": statistics.median(leads) if leads else None,
        "seconds": round(time.perf_counter() - began, 1)}))


if __name__ == "__main__":
    main()
