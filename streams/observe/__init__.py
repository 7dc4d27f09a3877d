"""What the pipeline shows of itself: Prometheus metrics.

``metrics`` defines every metric once, in a registry of its own, and serves it
on ``/metrics``; every stage records into it. ``topk`` exports per-hashtag
series for the K hashtags that matter most, so a long tail of tags does not
become a long tail of Prometheus series. Prometheus scrapes these; Grafana's
dashboards and the alert rules (``prometheus/``, ``grafana/``) read them.
"""

from streams.observe.metrics import Metrics, MetricsServer, serve
from streams.observe.topk import TopHashtags

__all__ = ["Metrics", "MetricsServer", "serve", "TopHashtags"]
