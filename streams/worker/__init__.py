"""The Faust worker (``trendwatch worker``): thin agents around the stages.

``app`` builds the Faust app: agents ``extract`` (posts -> hashtag-mentions),
``count`` (hashtag-mentions -> hashtag-windows) and ``detect``
(hashtag-windows -> trend-alerts), each calling a stage of
:mod:`streams.stages`. ``count_flow`` feeds the extract and count stages and
checkpoints their state (``checkpoint``: one changelog record per changed key);
``window_records`` is the format of ``hashtag-windows`` (windows in batch
records, watermarks); ``detect_flow`` orders closed windows by event time across
partitions before detection; ``acks`` acknowledges input only once the state it produced is on
the broker, so a worker killed with SIGKILL neither loses nor double-counts;
``topic_guard`` stops the worker when one of its topics is deleted or recreated under it.
"""

from streams.worker.acks import AckAfterCheckpoint
from streams.worker.app import create_app
from streams.worker.checkpoint import PartitionCounts
from streams.worker.count_flow import Flow
from streams.worker.detect_flow import DetectFlow
from streams.worker.topic_guard import TopicGuard

__all__ = ["AckAfterCheckpoint", "create_app", "PartitionCounts", "Flow", "DetectFlow", "TopicGuard"]
