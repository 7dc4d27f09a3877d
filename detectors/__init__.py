"""Pure trend-detection logic: records, event parsing, hashtag normalisation,
event-time windows (native: ``detectors._native``), the River surge model, alert lifecycle and
evaluation. Nothing here does I/O or imports Kafka, Faust or Prometheus code.
"""

from detectors.alerts import AlertBook, Episode
from detectors.baseline import TagState
from detectors.evaluation import evaluate
from detectors.events import InvalidEvent, decode_record, encode_events, is_new_author, parse_event
from detectors.hashtags import extract_hashtags, normalise_hashtag
from detectors.longtail import DecayingCountMin
from detectors.model import TrendModel
from detectors.projection import project_views
from detectors.records import Alert, Engagement, Mention, Post, Rejected, Window
from detectors.surge import SurgeScorer, Thresholds, Verdict
from detectors.windows import WindowAggregator

__all__ = ["Alert", "Engagement", "Mention", "Post", "Rejected", "Window",
           "InvalidEvent", "decode_record", "encode_events", "is_new_author", "parse_event",
           "extract_hashtags", "normalise_hashtag",
           "TrendModel", "SurgeScorer", "Thresholds", "Verdict", "AlertBook", "Episode", "TagState",
           "DecayingCountMin", "project_views", "evaluate",
           "WindowAggregator"]
