"""What the pipeline shows of itself: Prometheus metrics, an HTTP API and a page.

``metrics`` defines every metric once, in a registry of its own; every stage
records into it. ``topk`` exports per-hashtag series for the K hashtags that
matter most (and every hashtag in an active episode), so a long tail of tags
does not become a long tail of Prometheus series. ``view`` keeps the
detector's current picture (top trends, recent windows, alerts) that ``api``
answers with as JSON, and ``readiness`` decides ``/readyz`` (recovered, input
seen, not stalled); ``server`` serves ``/metrics``, the API and the page
(``page/``) on one port. Prometheus scrapes the metrics; Grafana's dashboards
and the alert rules (``prometheus/``, ``grafana/``) read them.
"""

from streams.observe.api import Api
from streams.observe.metrics import Metrics, serve
from streams.observe.readiness import Readiness
from streams.observe.server import WebServer, serve_http
from streams.observe.topk import TopHashtags
from streams.observe.view import TrendView

__all__ = ["Api", "Readiness", "Metrics", "serve", "WebServer", "serve_http", "TopHashtags", "TrendView"]
