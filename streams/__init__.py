"""Everything that moves events, one package per part of the data flow.

- ``sources``: where posts come from (simulator, replayer, pacing into a sink).
- ``kafka``: talking to Kafka (local broker, topics, producer, delivery checks).
- ``stages``: extract, count and detect, one implementation each.
- ``worker``: the Faust app whose agents call the stages.
- ``embedded``: the same stages in process, no broker.
- ``observe``: Prometheus metrics.
- ``commands``: the ``trendwatch`` CLI, one module per sub-command
  (``cli`` is the entry point); ``settings`` and ``errors`` are shared by all.

Pure logic lives in :mod:`detectors`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
