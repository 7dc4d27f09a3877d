"""Building blocks of trendwatch's Grafana dashboards: panels, queries, variables.

Plain functions returning the JSON objects of Grafana's dashboard model
(schemaVersion 39), so ``generate.py`` reads like the dashboard it builds.
Every query goes to the provisioned Prometheus datasource (``DATASOURCE``).
"""

from __future__ import annotations

DATASOURCE = {"type": "prometheus", "uid": "trendwatch-prometheus"}
"""The datasource of grafana/provisioning/datasources/prometheus.yml (fixed uid)."""

WIDTH = 24
"""Columns of Grafana's grid."""


def query(expr: str, legend: str = "__auto", *, instant: bool = False, ref: str = "A") -> dict:
    """A PromQL target: a range query, or an instant one (tables, stats of 'now')."""
    return {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": ref,
            "range": not instant, "instant": instant, "editorMode": "code"}


def thresholds(*steps: tuple[float | None, str]) -> dict:
    """Absolute thresholds; the first step's value is None (minus infinity)."""
    return {"mode": "absolute", "steps": [{"value": value, "color": color} for value, color in steps]}


GREEN = thresholds((None, "green"))


def _field_config(unit: str, steps: dict = GREEN, **extra) -> dict:
    defaults = {"unit": unit, "thresholds": steps, "color": {"mode": "palette-classic"}, **extra}
    return {"defaults": defaults, "overrides": []}


def timeseries(title: str, description: str, targets: list[dict], unit: str = "short", *,
               stack: bool = False, steps: dict = GREEN, width: int = 12, height: int = 8) -> dict:
    """A time series panel."""
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
              "spanNulls": False, "stacking": {"mode": "normal" if stack else "none", "group": "A"},
              "thresholdsStyle": {"mode": "off" if steps is GREEN else "line"}}
    return {"type": "timeseries", "title": title, "description": description, "datasource": DATASOURCE,
            "targets": targets, "fieldConfig": _field_config(unit, steps, custom=custom),
            "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                        "tooltip": {"mode": "multi", "sort": "desc"}},
            "gridPos": {"h": height, "w": width, "x": 0, "y": 0}}


def stat(title: str, description: str, target: dict, unit: str = "short", *,
         steps: dict = GREEN, width: int = 4, height: int = 4) -> dict:
    """A single-value panel showing the latest value."""
    fields = _field_config(unit, steps)
    fields["defaults"]["color"] = {"mode": "thresholds"}
    return {"type": "stat", "title": title, "description": description, "datasource": DATASOURCE,
            "targets": [target], "fieldConfig": fields,
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "value", "graphMode": "area", "textMode": "auto", "justifyMode": "auto",
                        "orientation": "auto"},
            "gridPos": {"h": height, "w": width, "x": 0, "y": 0}}


def table(title: str, description: str, targets: list[dict], columns: dict[str, str], *,
          sort_by: str, link: dict | None = None, width: int = 12, height: int = 10) -> dict:
    """A table joining instant queries on their labels; ``columns`` renames fields in display order."""
    fields = _field_config("short")
    fields["defaults"]["custom"] = {"align": "auto", "cellOptions": {"type": "auto"}}
    if link is not None:
        fields["defaults"]["links"] = [link]
    order = {name: index for index, name in enumerate(columns)}
    return {"type": "table", "title": title, "description": description, "datasource": DATASOURCE,
            "targets": targets, "fieldConfig": fields,
            "transformations": [
                {"id": "merge", "options": {}},
                {"id": "organize", "options": {"excludeByName": {"Time": True}, "indexByName": order,
                                               "renameByName": columns}},
                {"id": "sortBy", "options": {"sort": [{"field": columns[sort_by], "desc": True}]}},
            ],
            "options": {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"]}},
            "gridPos": {"h": height, "w": width, "x": 0, "y": 0}}


def row(title: str) -> dict:
    """A (not collapsed) row heading the panels that follow it."""
    return {"type": "row", "title": title, "collapsed": False, "panels": [],
            "gridPos": {"h": 1, "w": WIDTH, "x": 0, "y": 0}}


def layout(panels: list[dict]) -> list[dict]:
    """Give panels ids and grid positions: left to right, wrapping at the grid's width."""
    x = y = line_height = 0
    placed = []
    for number, panel in enumerate(panels, start=1):
        pos = dict(panel["gridPos"])
        if panel["type"] == "row" or x + pos["w"] > WIDTH:
            x, y, line_height = 0, y + line_height, 0
        pos["x"], pos["y"] = x, y
        x, line_height = x + pos["w"], max(line_height, pos["h"])
        if panel["type"] == "row":
            x, y, line_height = 0, y + pos["h"], 0
        placed.append({**panel, "id": number, "gridPos": pos})
    return placed


def query_variable(name: str, label: str, definition: str, *, multi: bool = False,
                   include_all: bool = False, description: str = "") -> dict:
    """A variable whose options come from a Prometheus ``label_values(...)`` query."""
    variable = {"type": "query", "name": name, "label": label, "description": description,
                "datasource": DATASOURCE, "definition": definition,
                "query": definition,
                "refresh": 2, "sort": 1, "multi": multi, "includeAll": include_all, "options": [],
                "current": {"text": "", "value": ""}, "hide": 0}
    if include_all:
        variable["allValue"] = ".+"
        variable["current"] = {"text": "All", "value": "$__all"}
    return variable


def prometheus_annotation(name: str, expr: str, title: str, text: str, tags: str, color: str) -> dict:
    """Annotations from a PromQL query: one region per period where it returns a series."""
    return {"name": name, "datasource": DATASOURCE, "enable": True, "hide": False, "iconColor": color,
            "expr": expr, "step": "30s", "titleFormat": title, "textFormat": text, "tagKeys": tags,
            "useValueForTime": False}


BUILT_IN_ANNOTATIONS = {
    "name": "Annotations & Alerts", "builtIn": 1, "enable": True, "hide": True,
    "iconColor": "rgba(0, 211, 255, 1)", "type": "dashboard",
    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
    "target": {"limit": 100, "matchAny": False, "tags": [], "type": "dashboard"},
}


def dashboard(uid: str, title: str, description: str, panels: list[dict], *, variables: list[dict],
              annotations: list[dict], links: list[dict], tags: list[str]) -> dict:
    """A whole dashboard, refreshed every 10 s, showing the last hour by default."""
    return {"uid": uid, "title": title, "description": description, "tags": tags, "editable": True,
            "timezone": "utc", "graphTooltip": 1, "refresh": "10s", "schemaVersion": 39, "version": 1,
            "time": {"from": "now-1h", "to": "now"}, "timepicker": {},
            "fiscalYearStartMonth": 0, "liveNow": False, "weekStart": "",
            "templating": {"list": variables},
            "annotations": {"list": [BUILT_IN_ANNOTATIONS, *annotations]},
            "links": links, "panels": layout(panels)}


def dashboard_link(title: str, url: str, tooltip: str, *, keep: bool = True) -> dict:
    """A link to another dashboard; ``keep``: carry the time range and the variables along."""
    return {"title": title, "type": "link", "url": url, "icon": "dashboard", "tooltip": tooltip, "tags": [],
            "asDropdown": False, "targetBlank": False, "includeVars": keep, "keepTime": keep}
