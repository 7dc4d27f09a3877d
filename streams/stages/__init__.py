"""The processing stages, one class each, free of Faust and Kafka.

The Faust agents (``streams.worker.app``) and the embedded runner call the very
same objects: ``Extract`` (posts records -> mentions per partition),
``Count`` (mentions -> closed windows), ``Detect`` (closed windows -> alerts).
"""

from streams.stages.count import Count
from streams.stages.detect import Detect
from streams.stages.extract import Extract, partition_for

__all__ = ["Extract", "Count", "Detect", "partition_for"]
