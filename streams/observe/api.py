"""The HTTP API: what the detector sees now, as JSON, and the readiness of the process.

``Api.respond(path, query)`` answers one ``GET`` with a ``Response`` (status,
content type, body); ``streams.observe.server`` puts it on the metrics port.
Paths (described in ``openapi.json`` next to this module):

- ``/api/trends`` (``limit``), ``/api/trends/{hashtag}``, ``/api/alerts``
  (``since``, ``kind``, ``limit``): read from a ``TrendView``;
- ``/healthz`` (the process answers), ``/readyz`` (recovery done, input
  flowing and not stalled: ``streams.observe.readiness.Readiness``);
- ``/metrics``, ``/openapi.json``, ``/`` and ``/page/...`` (the page).

Bad parameters get 400 and unknown hashtags 404, with ``{"error": ...}``.

Examples
--------
>>> api = Api(TrendView(), Readiness(recovering=False))
>>> api.respond("/api/alerts", {"kind": ["viral"]}).status
400
>>> api.respond("/api/trends/nosuchtag", {}).body
b'{"error":"no hashtag #nosuchtag in the current view"}'
>>> api.respond("/readyz", {}).status
503
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from detectors.hashtags import normalise_hashtag
from streams.observe.readiness import Readiness
from streams.observe.view import TrendView

__all__ = ["Api", "Readiness", "Response", "JSON", "PAGE_FILES", "ALERT_KINDS"]

JSON = "application/json"
ALERT_KINDS = ("trend", "suspicious")
PAGE_FILES = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
              "style.css": "text/css; charset=utf-8"}
"""The page's files (``streams/observe/page/``), served at ``/`` and ``/page/<name>``."""
_MAX_LIMIT = 1000


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict = field(default_factory=dict)


def _json(status: int, data) -> Response:
    return Response(status, orjson.dumps(data))


def _error(status: int, message: str) -> Response:
    return _json(status, {"error": message})


class BadRequest(Exception):
    """A parameter that cannot be used: answered with 400 and this message."""


def _one(query: dict, name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadRequest(f"{name} given {len(values)} times; give it once")
    return values[0]


def _limit(query: dict, default: int) -> int:
    text = _one(query, "limit")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= _MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {_MAX_LIMIT}, not {text!r}")
    return int(text)


def _since(text: str | None) -> int | None:
    """Epoch milliseconds or an RFC 3339 time (``2025-01-13T00:00:00Z``)."""
    if text is None:
        return None
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"since must be epoch milliseconds or an RFC 3339 time "
                         f"(e.g. 2025-01-13T00:00:00Z), not {text!r}") from None
    if moment.tzinfo is None:
        raise BadRequest(f"since needs a time zone (e.g. {text}Z), not {text!r}")
    return int(moment.timestamp() * 1000)


def _only(query: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(query) - set(allowed))
    if unknown:
        known = ", ".join(allowed) or "none"
        raise BadRequest(f"unknown parameter {unknown[0]!r}; this path takes: {known}")


class Api:
    """The answers of the HTTP API, read from ``view``, ``readiness`` and ``registry``."""

    def __init__(self, view: TrendView, readiness: Readiness, registry=None):
        self.view, self.readiness, self.registry = view, readiness, registry

    def respond(self, path: str, query: dict[str, list[str]]) -> Response:
        """The answer to ``GET path?query`` (``query`` as from ``urllib.parse.parse_qs``)."""
        try:
            return self._route(path, query)
        except BadRequest as exc:
            return _error(400, str(exc))

    def _route(self, path: str, query: dict) -> Response:
        if path == "/api/trends":
            _only(query, ("limit",))
            return _json(200, {"clock": self.view.clock, "trends": self.view.trends(_limit(query, 0) or None)})
        if path.startswith("/api/trends/"):
            _only(query, ())
            return self._trend(path[len("/api/trends/"):])
        if path == "/api/alerts":
            _only(query, ("since", "kind", "limit"))
            kind = _one(query, "kind")
            if kind is not None and kind not in ALERT_KINDS:
                raise BadRequest(f"kind must be one of {', '.join(ALERT_KINDS)}, not {kind!r}")
            alerts = self.view.alerts(since=_since(_one(query, "since")), kind=kind, limit=_limit(query, 100))
            return _json(200, {"clock": self.view.clock, "alerts": alerts})
        return self._plain(path, query)

    def _trend(self, raw: str) -> Response:
        from urllib.parse import unquote

        text = unquote(raw)
        tag = normalise_hashtag(text) if text and "/" not in text else None
        if tag is None:
            raise BadRequest(f"{text!r} is not a hashtag")
        found = self.view.trend(tag)
        if found is None:
            return _error(404, f"no hashtag #{tag} in the current view")
        return _json(200, found)

    def _plain(self, path: str, query: dict) -> Response:
        if path == "/healthz":
            return _json(200, {"status": "ok"})
        if path == "/readyz":
            ready, reasons = self.readiness.check()
            return _json(200 if ready else 503, {"ready": ready, "reasons": reasons,
                                                 "waiting": self.readiness.pending()})
        if path == "/metrics" and self.registry is not None:
            return Response(200, generate_latest(self.registry), CONTENT_TYPE_LATEST)
        if path == "/openapi.json":
            return Response(200, _resource("openapi.json"))
        name = "index.html" if path == "/" else path.removeprefix("/page/")
        if (path == "/" or path.startswith("/page/")) and name in PAGE_FILES:
            return Response(200, _resource(f"page/{name}"), PAGE_FILES[name], {"Cache-Control": "no-cache"})
        return _error(404, f"no such path {path}; see /openapi.json")


def _resource(name: str) -> bytes:
    return resources.files("streams.observe").joinpath(name).read_bytes()
