"""The records that flow between stages: events in, mentions, windows, alerts out.

Every stage speaks in these dataclasses, treated as immutable (the four built
per event or window are not ``frozen``: a frozen dataclass is 4x slower to
build). On Kafka they travel as the JSON objects produced by ``to_dict`` (see
``docs/architecture.md``).

Examples
--------
>>> w = Window("tiktokrefugee", "5m", 0, 300_000, posts=3, views=10, authors=2, new_authors=1)
>>> Window.from_dict(w.to_dict()) == w
True
>>> w.size_ms
300000
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["Post", "Engagement", "Mention", "Window", "Alert", "Rejected"]


def _from_dict(cls, data):
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(slots=True, unsafe_hash=True)
class Post:
    """A validated post event. ``ts`` and ``author_created`` are epoch ms."""

    id: str
    ts: int
    author: str
    text: str
    hashtags: tuple[str, ...]
    lang: str | None = None
    region: str | None = None
    author_created: int | None = None


@dataclass(slots=True, unsafe_hash=True)
class Engagement:
    """A validated engagement event: counts are deltas since the last report."""

    post_id: str
    ts: int
    hashtags: tuple[str, ...]
    views: int
    likes: int = 0
    shares: int = 0


@dataclass(slots=True, unsafe_hash=True)
class Mention:
    """Activity of one hashtag in one base bucket, pre-aggregated over a batch.

    ``bucket`` is the start (epoch ms) of the base bucket (the smallest window
    size); ``max_ts`` the latest event time folded in; ``authors`` the distinct
    authors of the posts, sorted.
    """

    hashtag: str
    bucket: int
    max_ts: int
    posts: int = 0
    views: int = 0
    new_authors: int = 0
    authors: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"hashtag": self.hashtag, "bucket": self.bucket, "max_ts": self.max_ts,
                "posts": self.posts, "views": self.views,
                "new_authors": self.new_authors, "authors": list(self.authors)}

    @classmethod
    def from_dict(cls, data: dict) -> Mention:
        return cls(data["hashtag"], int(data["bucket"]), int(data["max_ts"]),
                   int(data.get("posts", 0)), int(data.get("views", 0)),
                   int(data.get("new_authors", 0)), tuple(data.get("authors", ())))


@dataclass(slots=True, unsafe_hash=True)
class Window:
    """The counts of one hashtag in one closed window (the detector's input)."""

    hashtag: str
    size: str
    window_start: int
    window_end: int
    posts: int = 0
    views: int = 0
    authors: int = 0
    new_authors: int = 0

    @property
    def size_ms(self) -> int:
        return self.window_end - self.window_start

    def to_dict(self) -> dict:
        return {"hashtag": self.hashtag, "size": self.size, "window_start": self.window_start,
                "window_end": self.window_end, "posts": self.posts, "views": self.views,
                "authors": self.authors, "new_authors": self.new_authors}

    @classmethod
    def from_dict(cls, data: dict) -> Window:
        return _from_dict(cls, data)


@dataclass(frozen=True, slots=True)
class Alert:
    """One step of an alert episode on a hashtag (see ``docs/architecture.md``)."""

    hashtag: str
    kind: str  # "trend" | "suspicious"
    state: str  # "started" | "ongoing" | "resolved"
    window_start: int
    window_end: int
    score: float
    observed: float
    expected: float
    growth: float
    unique_authors: int
    related: tuple[str, ...] = ()
    projected_views: int | None = None
    projection_horizon_h: float | None = None
    size: str = ""
    reason: str = ""

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["related"] = list(self.related)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Alert:
        data = dict(data)
        data["related"] = tuple(data.get("related", ()))
        return _from_dict(cls, data)


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that could not be used: goes to the dead-letter topic.

    ``reason`` is a short stable code (label value of the invalid-events
    metric, e.g. ``bad_json``, ``missing_field``); ``detail`` says what exactly
    is wrong; ``raw`` holds the original bytes.
    """

    reason: str
    detail: str
    raw: bytes
