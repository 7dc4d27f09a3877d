"""Where posts come from: the simulator and the replayer.

The data flow starts here. ``scenario`` reads scenario files (``scenarios/*.yaml``);
``simulator`` turns one into a deterministic, event-time-ordered stream of post
and engagement events, built from the post sources in ``posts`` and the time
profiles in ``profiles``, with ground-truth ``labels`` for evaluation.
``replay`` reads historical files (JSON Lines, CSV, count series; the readers
are in ``formats``) back into events in event-time order. ``pacing`` moves any
of these streams into a sink (Kafka or a file) at a chosen speed, with progress.
"""

from streams.sources.formats import BadLine, open_binary, read_file
from streams.sources.labels import LABELS_VERSION
from streams.sources.pacing import FileSink, GracefulStop, Progress, Tee, parse_speed, pump
from streams.sources.replay import DEFAULT_REORDER, ReplayStats, ScanResult, read_events, scan
from streams.sources.scenario import SCENARIO_DIR, Scenario, load_scenario, scenario_names
from streams.sources.simulator import STEP_MS, generate, labels

__all__ = ["BadLine", "open_binary", "read_file", "LABELS_VERSION",
           "FileSink", "GracefulStop", "Progress", "Tee", "parse_speed", "pump",
           "DEFAULT_REORDER", "ReplayStats", "ScanResult", "read_events", "scan",
           "SCENARIO_DIR", "Scenario", "load_scenario", "scenario_names",
           "STEP_MS", "generate", "labels"]
