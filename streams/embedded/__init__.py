"""The embedded runner: the worker's stages in process, no broker.

``runner`` wires the very stage objects the Faust agents call (extract ->
count -> detect) as plain function calls, for ``trendwatch run`` and
``trendwatch backtest``; the same input gives the same windows and alerts as
the worker. ``counts`` evaluates count series (one hashtag's
``timestamp,value`` file) at their own interval. Nothing here imports the
worker or talks to Kafka.
"""

from streams.embedded.counts import count_series, counts_detect, is_count_series, run_counts
from streams.embedded.runner import (BATCH, RECORD_BYTES, Pipeline, ReadShare, Summary, file_records, run,
                                     scenario_records)

__all__ = ["count_series", "counts_detect", "is_count_series", "run_counts",
           "BATCH", "RECORD_BYTES", "Pipeline", "ReadShare", "Summary", "file_records", "run", "scenario_records"]
