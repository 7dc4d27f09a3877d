"""Pure trend-detection logic: records, event parsing, hashtag normalisation,
event-time windows, sketches, the River surge model, alert lifecycle and
evaluation. Nothing here does I/O or imports Kafka, Faust or Prometheus code.
"""

from detectors.events import InvalidEvent, decode_record, encode_events, is_new_author, parse_event
from detectors.hashtags import extract_hashtags, normalise_hashtag
from detectors.records import Alert, Engagement, Mention, Post, Rejected, Window

__all__ = ["Alert", "Engagement", "Mention", "Post", "Rejected", "Window",
           "InvalidEvent", "decode_record", "encode_events", "is_new_author", "parse_event",
           "extract_hashtags", "normalise_hashtag"]
