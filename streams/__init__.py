"""Everything that moves events: settings, CLI, the local Kafka broker, topics,
the stages and their Faust agents, the embedded runner, simulator, replayer and
metrics. Pure logic lives in :mod:`detectors`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
