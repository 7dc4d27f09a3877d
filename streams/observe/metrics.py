"""The Prometheus metrics of trendwatch, defined once.

``Metrics`` holds every metric in one registry of its own (tests pass a fresh
``CollectorRegistry``); stages take an optional ``metrics`` and record into it.
``serve`` exposes the registry on ``/metrics`` over HTTP, with the API and the page.

Label values that are known in advance (event types, invalid-event reasons,
late actions, alert kinds and states) start at zero, so a rate over them is
defined before the first occurrence.

Examples
--------
>>> from prometheus_client import CollectorRegistry
>>> m = Metrics(registry=CollectorRegistry(), top_k=10)
>>> m.events.labels(type="post").inc(3)
>>> m.registry.get_sample_value("trendwatch_events_total", {"type": "post"})
3.0
>>> m.registry.get_sample_value("trendwatch_invalid_events_total", {"reason": "bad_json"})
0.0
>>> m.top.update("tiktokrefugee", score=7.5, posts_rate=12.0, views_rate=900.0)
>>> m.registry.get_sample_value("trendwatch_hashtag_views_per_second",
...                             {"hashtag": "tiktokrefugee", "kind": "trend"})
900.0
"""

from __future__ import annotations

import logging
import platform

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from detectors.events import REASONS
from streams import __version__
from streams.observe.api import Api, Readiness
from streams.observe.server import serve_http
from streams.observe.topk import TopHashtags
from streams.observe.view import TrendView

__all__ = ["Metrics", "serve", "EVENT_TYPES", "ALERT_KINDS", "ALERT_STATES",
           "LATE_ACTIONS", "STAGES"]

log = logging.getLogger(__name__)

EVENT_TYPES = ("post", "engagement")
ALERT_KINDS = ("trend", "suspicious")
ALERT_STATES = ("started", "ongoing", "resolved")
LATE_ACTIONS = ("applied", "dropped")
STAGES = ("extract", "count", "detect")

STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Seconds one stage spends on one batch."""
ALERT_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0)
"""Seconds from the newest event of a window to its alert (windows last minutes to a day)."""


class Metrics:
    """Every trendwatch metric, registered in ``registry`` (a new one when ``None``).

    Parameters
    ----------
    registry
        Where the metrics are registered; ``None`` creates a ``CollectorRegistry``.
    top_k
        How many hashtags get per-hashtag series (``trendwatch_hashtag_*``).
    """

    def __init__(self, registry: CollectorRegistry | None = None, top_k: int = 50):
        self.registry = registry = CollectorRegistry() if registry is None else registry
        self._counters(registry)
        self._gauges(registry)
        self.stage_seconds = Histogram("trendwatch_stage_seconds", "Wall-clock seconds per batch, by stage.",
                                       ["stage"], buckets=STAGE_BUCKETS, registry=registry)
        self.event_to_alert_seconds = Histogram(
            "trendwatch_event_to_alert_seconds",
            "Wall-clock seconds from the event time of a window's newest event to its alert.",
            buckets=ALERT_BUCKETS, registry=registry)
        self.top = TopHashtags(top_k, registry=registry)
        self._start_known_labels()

    def _counters(self, registry: CollectorRegistry) -> None:
        self.events = Counter("trendwatch_events_total", "Valid events read, by type.",
                              ["type"], registry=registry)
        self.invalid = Counter("trendwatch_invalid_events_total",
                               "Invalid events sent to the dead-letter topic, by reason.",
                               ["reason"], registry=registry)
        self.late = Counter("trendwatch_late_events_total",
                            "Hashtag mentions behind the watermark, by what was done with them.",
                            ["action"], registry=registry)
        self.windows_closed = Counter("trendwatch_windows_closed_total",
                                      "Hashtag windows closed, by window size.", ["size"], registry=registry)
        self.alerts = Counter("trendwatch_alerts_total", "Alert steps emitted, by kind and state.",
                              ["kind", "state"], registry=registry)
        self.rebalances = Counter("trendwatch_rebalances_total",
                                  "Consumer group rebalances this process took part in.", registry=registry)

    def _gauges(self, registry: CollectorRegistry) -> None:
        self.consumer_lag = Gauge("trendwatch_consumer_lag",
                                  "Messages not yet consumed, by topic and partition.",
                                  ["topic", "partition"], registry=registry)
        self.tracked_tags = Gauge("trendwatch_tracked_tags", "Hashtags with exact state, by stage.",
                                  ["stage"], registry=registry)
        self.detector_memory_bytes = Gauge("trendwatch_detector_memory_bytes",
                                           "Estimated memory held by the detector state.", registry=registry)
        self.watermark = Gauge("trendwatch_watermark_timestamp_seconds",
                               "Event-time watermark (Unix seconds), by stage.", ["stage"], registry=registry)
        self.build_info = Gauge("trendwatch_build_info", "Always 1; labels say what is running.",
                                ["version", "python"], registry=registry)
        self.build_info.labels(version=__version__, python=platform.python_version()).set(1)

    def _start_known_labels(self) -> None:
        for kind in EVENT_TYPES:
            self.events.labels(type=kind)
        for reason in REASONS:
            self.invalid.labels(reason=reason)
        for action in LATE_ACTIONS:
            self.late.labels(action=action)
        for kind in ALERT_KINDS:
            for state in ALERT_STATES:
                self.alerts.labels(kind=kind, state=state)
        for stage in STAGES:
            self.stage_seconds.labels(stage=stage)


def serve(metrics: Metrics, port: int, addr: str = "127.0.0.1", view=None, readiness=None, owner=None):
    """Serve ``metrics`` on ``http://addr:port/metrics`` in a daemon thread (port 0: any free port),
    with the HTTP API and the page (``streams.observe.api``) on the same port.

    ``view`` (a ``TrendView``; default: an empty one) and ``readiness`` (a
    ``Readiness``; default: ready once input is counted) feed the API;
    ``owner`` forwards ``/api/...`` to the process holding the view
    (``streams.observe.server``). Returns the running ``WebServer``.
    """
    api = Api(view if view is not None else TrendView(metrics.top.k),
              readiness if readiness is not None else Readiness(recovering=False), metrics.registry)
    return serve_http(api, port, addr, owner)
