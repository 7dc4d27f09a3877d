"""Helpers of the end-to-end tests: real Prometheus and Alertmanager on free ports, a webhook
receiver, test-only configs derived from prometheus/, and the queries of the Grafana dashboards.

Every process is started with a log file and stopped by ``Processes.stop_all`` (terminate, then
kill after a bounded wait); every wait is bounded.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def wait_until(check, timeout: float, what: str, every: float = 0.5):
    """Call ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def get_json(url: str, params: dict | None = None, timeout: float = 10):
    if params:
        url += "?" + urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Processes:
    """Child processes with their logs in ``directory``; ``stop_all`` ends every one of them."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.running: dict[str, tuple[subprocess.Popen, object]] = {}

    def start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.directory / f"{name}.log", "wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.directory)
        self.running[name] = (proc, log)
        return proc

    def alive(self, name: str) -> bool:
        return self.running[name][0].poll() is None

    def log(self, name: str, chars: int = 3000) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")[-chars:]

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{self.log(name)}" for name in self.running)

    def stop_all(self, timeout: float = 15) -> None:
        for proc, _ in self.running.values():
            if proc.poll() is None:
                proc.terminate()
        for proc, log in self.running.values():
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
            log.close()


class WebhookReceiver:
    """A local HTTP server recording the JSON bodies Alertmanager posts to it."""

    def __init__(self):
        received: list[dict] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def alerts(self) -> list[dict]:
        """Every alert of every notification so far, with the notification's groupLabels."""
        return [dict(alert, groupLabels=body["groupLabels"]) for body in list(self.received)
                for alert in body["alerts"]]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def write_rules(directory: Path, shorter_for: dict[str, str]) -> Path:
    """prometheus/rules/*.yml, with the ``for:`` of the named alerts shortened (test-only)."""
    (directory / "rules").mkdir()
    for path in (ROOT / "prometheus" / "rules").glob("*.yml"):
        rules = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in rules["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") in shorter_for:
                    rule["for"] = shorter_for[rule["alert"]]
        (directory / "rules" / path.name).write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return directory / "rules"


def write_prometheus_config(directory: Path, jobs: dict[str, str], alertmanager: str, interval: str) -> Path:
    """prometheus/prometheus.yml with the given targets (job -> host:port) and intervals."""
    config = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    config["global"].update(scrape_interval=interval, evaluation_interval=interval)
    config["alerting"]["alertmanagers"] = [{"static_configs": [{"targets": [alertmanager]}]}]
    config["scrape_configs"] = [{"job_name": job, "static_configs": [{"targets": [target]}]}
                                for job, target in jobs.items()]
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def write_alertmanager_config(directory: Path, webhook_url: str) -> Path:
    """prometheus/alertmanager.yml sending to ``webhook_url``, with waits of one second (test-only)."""
    config = yaml.safe_load((ROOT / "prometheus" / "alertmanager.yml").read_text(encoding="utf-8"))
    for route in [config["route"], *config["route"].get("routes", ())]:
        route.update(group_wait="1s", group_interval="1s")
    for receiver in config["receivers"]:
        for webhook in receiver.get("webhook_configs", ()):
            webhook["url"] = webhook_url
    path = directory / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def prometheus_args(config: Path, data: Path, port: int) -> list[str]:
    return [shutil.which("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}"]


def alertmanager_args(config: Path, data: Path, port: int) -> list[str]:
    return [shutil.which("prometheus-alertmanager"), f"--config.file={config}", f"--storage.path={data}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]


_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)\}")


def interpolate(expr: str, values: dict[str, str]) -> str:
    """Replace Grafana variables (``$name``, ``${name}``) as Grafana would before sending a query."""
    def value(match):
        name = match.group(1) or match.group(2)
        if name not in values:
            raise AssertionError(f"no value for ${name} in {expr!r}")
        return values[name]
    return _VARIABLE.sub(value, expr)


def dashboard_queries(dashboard: dict) -> list[tuple[str, str, str]]:
    """``(where, kind, expr)`` of every Prometheus query: kind is range, instant, variable or annotation."""
    found = []
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            found.append((f"variable ${variable['name']}", "variable", variable["query"]))
    for annotation in dashboard["annotations"]["list"]:
        if annotation.get("datasource", {}).get("type") == "prometheus":
            found.append((f"annotation {annotation['name']}", "annotation", annotation["expr"]))
    for panel in dashboard["panels"]:
        for target in panel.get("targets", ()):
            kind = "instant" if target.get("instant") else "range"
            found.append((f"panel {panel['title']!r} {target['refId']}", kind, target["expr"]))
    return found
