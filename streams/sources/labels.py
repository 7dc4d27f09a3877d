"""Ground truth of a simulated scenario: which tags surge when, and which are decoys.

The labels are what ``trendwatch simulate --labels FILE`` writes and what the
evaluation reads. Times are epoch milliseconds of event time. Every declared
surge is labelled, and so is every co-trending tag that is not a surge of its
own (``co_trend_of`` names the surges that carry it). Decoys are labelled with
their kind: ``steady``, ``periodic`` (over the whole run) or ``bot`` (over the
burst).

>>> from streams.sources.scenario import load_scenario
>>> truth = labels(load_scenario("rednote-2025"), seed=7)
>>> [(s["tag"], s["shape"]) for s in truth["surges"]][:2]
[('tiktokrefugee', 'logistic'), ('rednote', 'logistic')]
>>> truth["surges"][0]["views"], [d["kind"] for d in truth["decoys"]]
(370000000, ['steady', 'periodic', 'bot'])
"""

from __future__ import annotations

from streams.sources.scenario import Scenario

__all__ = ["labels", "LABELS_VERSION"]

LABELS_VERSION = 1


def _surges(scenario: Scenario) -> list[dict]:
    out = [{"tag": s.tag, "kind": "surge", "shape": s.shape, "start": s.start, "end": s.end,
            "posts": s.posts, "views": s.views, "co_tags": list(s.co_tags), "co_trend_of": []}
           for s in scenario.surges]
    declared = {s.tag for s in scenario.surges}
    co: dict[str, dict] = {}
    for s in scenario.surges:
        for tag in s.co_tags:
            if tag in declared:
                continue
            entry = co.setdefault(tag, {"tag": tag, "kind": "surge", "shape": s.shape, "start": s.start,
                                        "end": s.end, "posts": 0, "views": None, "co_tags": [],
                                        "co_trend_of": []})
            entry["start"], entry["end"] = min(entry["start"], s.start), max(entry["end"], s.end)
            entry["posts"] += round(s.posts * s.co_tag_share)
            entry["co_trend_of"].append(s.tag)
    return out + list(co.values())


def _decoys(scenario: Scenario) -> list[dict]:
    out = []
    for d in scenario.decoys:
        entry = {"tag": d.tag, "kind": d.kind, "start": scenario.start, "end": scenario.end}
        if d.kind == "bot":
            entry.update(start=d.start, end=min(scenario.end, d.start + d.duration),
                         posts=d.posts, accounts=max(1, d.accounts))
        elif d.kind == "periodic":
            entry.update(peak_hour=d.peak_hour, posts_per_day=d.posts_per_day)
        else:
            entry.update(posts_per_second=d.posts_per_second)
        out.append(entry)
    return out


def labels(scenario: Scenario, seed: int = 0) -> dict:
    """The ground truth of ``scenario`` run with ``seed``, as a JSON-ready dict."""
    return {"version": LABELS_VERSION, "scenario": scenario.name, "seed": seed, "scale": scenario.scale,
            "start": scenario.start, "end": scenario.end,
            "surges": _surges(scenario), "decoys": _decoys(scenario)}
