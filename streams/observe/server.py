"""The HTTP server of a trendwatch process: metrics, the API and the page on one port.

``serve_http(api, port, addr)`` answers in a daemon thread with
``streams.observe.api.Api``. With several workers only one runs the detector
(``hashtag-windows`` has one partition), so ``owner``, when set, tells where
the view is: it returns the base URL of the process holding it (None: this
one), and ``/api/...`` requests are forwarded there, so any worker answers for
every hashtag. A forwarded request carries ``X-Trendwatch-Forwarded`` and is
never forwarded again.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from streams.observe.api import Api, Response

__all__ = ["WebServer", "serve_http", "FORWARDED", "NoOwner"]

log = logging.getLogger(__name__)

FORWARDED = "X-Trendwatch-Forwarded"
_FORWARD_TIMEOUT = 10.0


class NoOwner(Exception):
    """No process holds the detector's view right now (e.g. during a rebalance)."""


@dataclass
class WebServer:
    """A running server; ``url`` is its base URL, ``stop()`` shuts it down."""

    addr: str
    port: int
    api: Api
    owner: Callable[[], str | None] | None
    _server: ThreadingHTTPServer
    _thread: Thread

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.addr in ("", "0.0.0.0") else self.addr
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _forward(base: str, path_query: str) -> Response:
    request = urllib.request.Request(base.rstrip("/") + path_query, headers={FORWARDED: "1"})
    try:
        with urllib.request.urlopen(request, timeout=_FORWARD_TIMEOUT) as answer:
            return Response(answer.status, answer.read(), answer.headers.get("Content-Type", "application/json"))
    except urllib.error.HTTPError as answer:
        return Response(answer.code, answer.read(), answer.headers.get("Content-Type", "application/json"))
    except (urllib.error.URLError, OSError) as exc:
        return Response(502, f'{{"error":"the worker holding the view ({base}) did not answer: {exc}"}}'.encode())


class _Handler(BaseHTTPRequestHandler):
    server_version = "trendwatch"
    protocol_version = "HTTP/1.1"
    web: WebServer

    def _answer(self) -> Response:
        parts = urlsplit(self.path)
        owner = self.web.owner
        if parts.path.startswith("/api/") and owner is not None and not self.headers.get(FORWARDED):
            try:
                base = owner()
            except NoOwner as exc:
                return Response(503, f'{{"error":"{exc}; retry in a few seconds"}}'.encode())
            if base is not None:
                return _forward(base, self.path)
        return self.web.api.respond(parts.path, parse_qs(parts.query, keep_blank_values=True))

    def _send(self, head_only: bool) -> None:
        try:
            response = self._answer()
        except Exception:  # a bug must not kill the server: say so and log it
            log.exception("GET %s failed", self.path)
            response = Response(500, b'{"error":"internal error; see the process log"}')
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head_only:
            self.wfile.write(response.body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._send(head_only=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._send(head_only=True)

    def _not_allowed(self) -> None:
        body = b'{"error":"only GET and HEAD are served"}'
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed

    def log_message(self, format, *args) -> None:  # noqa: A002 (http.server's signature)
        log.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def serve_http(api: Api, port: int, addr: str = "127.0.0.1",
               owner: Callable[[], str | None] | None = None) -> WebServer:
    """Serve ``api`` on ``http://addr:port/`` in a daemon thread (port 0: any free port); OSError if taken."""
    handler = type("Handler", (_Handler,), {})
    server = _Server((addr, port), handler)
    thread = Thread(target=server.serve_forever, name="trendwatch-http", daemon=True)
    web = WebServer(addr, server.server_address[1], api, owner, server, thread)
    handler.web = web
    thread.start()
    log.info("metrics, API and page on %s/", web.url)
    return web
