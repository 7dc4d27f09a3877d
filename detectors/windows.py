"""Event-time tumbling windows of several sizes at once, per hashtag.

``WindowAggregator`` is fed ``Mention`` records (activity of one hashtag in one
base bucket) and returns the ``Window`` records that close. Windows are
aligned to the epoch; the base bucket is the smallest size and every size is
a multiple of it. Time is data: each source (e.g. an input partition) reports
its clock with ``advance``; the watermark is the smallest clock of all sources
minus the allowed lateness, and a window closes when the watermark reaches its
end.

A mention whose base window has already closed is late. With
``late_policy="drop"`` it is dropped; with ``"apply"`` it updates every window
it belongs to that is still open or retained (``retention`` ms past its end),
and each retained window it touches is returned again, corrected. Both are
counted (``late_applied``, ``late_dropped``; a mention counts its posts, at
least one). ``flush`` closes every open window early (end of input, idle
input); later data for a flushed window returns it again, corrected.

Memory is bounded: at most ``max_tags`` hashtags are tracked exactly; others
go to per-window Count-Min sketches and are promoted to exact tracking (with
the sketch's estimates, a tenth of ``max_tags`` at most) once their base-window
posts reach ``promote_at``. Counts are exact while fewer than ``max_tags``
hashtags have live windows. Unique authors are exact up to ``exact_authors``
per window, then HyperLogLog estimates.

Examples
--------
>>> from detectors.records import Mention
>>> agg = WindowAggregator(sizes=(60_000, 300_000), allowed_lateness=0)
>>> agg.update(Mention("fyp", 0, 10_000, posts=2, authors=("a", "b")))
[]
>>> agg.advance(60_000)
[Window(hashtag='fyp', size='1m', window_start=0, window_end=60000, posts=2, views=0, authors=2, new_authors=0)]
>>> [(w.size, w.posts) for w in agg.flush()]
[('5m', 2)]
"""

from __future__ import annotations

from detectors.records import Mention, Window
from detectors.sketches import CountMin, DistinctCounter
from detectors.windows_state import cell_from_state, cell_state, format_size

__all__ = ["WindowAggregator", "SKETCH_PREFIX"]

SKETCH_PREFIX = ":"
"""Unit names of sketch windows start with this (hashtags never do)."""

# A cell is [posts, views, new_authors, DistinctCounter, closed].
_POSTS, _VIEWS, _NEW, _AUTHORS, _CLOSED = range(5)


class WindowAggregator:
    """Per-hashtag windowed counts at several sizes, closed by an event-time watermark.

    Parameters
    ----------
    sizes
        Window sizes in ms (each a multiple of the smallest).
    allowed_lateness
        Ms the watermark trails the sources' clocks (>= 0).
    late_policy
        ``"apply"`` or ``"drop"``.
    retention
        Ms a closed window stays correctable after its end (default: the
        allowed lateness).
    sources
        Names of the sources that must all report a clock before the
        watermark moves; empty: every source seen so far.
    max_tags, exact_authors, promote_at
        Bounds of exact state, see the module docstring.
    """

    def __init__(self, sizes=(60_000, 300_000, 3_600_000, 86_400_000), allowed_lateness: int = 60_000,
                 late_policy: str = "apply", retention: int | None = None, sources=(),
                 max_tags: int = 20_000, exact_authors: int = 256, promote_at: int = 10):
        sizes = tuple(sorted(int(s) for s in sizes))
        if not sizes or sizes[0] <= 0 or any(s % sizes[0] for s in sizes):
            raise ValueError(f"sizes must be positive multiples of the smallest, got {sizes}")
        if allowed_lateness < 0:
            raise ValueError(f"allowed_lateness must be >= 0, got {allowed_lateness}")
        if late_policy not in ("apply", "drop"):
            raise ValueError(f"late_policy must be 'apply' or 'drop', got {late_policy!r}")
        if retention is not None and retention < 0:
            raise ValueError(f"retention must be >= 0, got {retention}")
        if max_tags < 1:
            raise ValueError(f"max_tags must be >= 1, got {max_tags}")
        self.sizes = sizes
        self.allowed_lateness = allowed_lateness
        self.late_policy = late_policy
        self.retention = allowed_lateness if retention is None else retention
        self.sources = tuple(str(s) for s in sources)
        self.max_tags = max_tags
        self.exact_authors = exact_authors
        self.promote_at = promote_at
        self.late_applied = self.late_dropped = self.sketched_posts = 0
        self._names = {s: format_size(s) for s in sizes}
        self._clocks: dict[str, int] = {}
        self._watermark: int | None = None
        self._cells: dict[str, dict[tuple[int, int], list]] = {}
        self._open: dict[tuple[int, int], set[str]] = {}
        self._retained: dict[tuple[int, int], set[str]] = {}
        self._sketches: dict[tuple[int, int], tuple[CountMin, CountMin, CountMin]] = {}
        self._dirty: set[str] = set()

    @property
    def watermark(self) -> int | None:
        """Event time (ms) up to which windows are closed; None before all sources reported."""
        return self._watermark

    @property
    def has_open(self) -> bool:
        """True while some window is open (not yet closed or flushed)."""
        return bool(self._open)

    @property
    def tracked_tags(self) -> int:
        """Hashtags with exact state (open or retained windows)."""
        return len(self._cells)

    def update(self, mention: Mention) -> list[Window]:
        """Count ``mention``; returns corrected windows if it was late and applied."""
        tag, bucket, wm = mention.hashtag, mention.bucket, self._watermark
        late = wm is not None and bucket - bucket % self.sizes[0] + self.sizes[0] <= wm
        if late and self.late_policy == "drop":
            self.late_dropped += mention.posts or 1
            return []
        cells = self._cells.get(tag)
        if cells is None and len(self._cells) >= self.max_tags:
            self._sketch(mention)
            return []
        posts, views, new, authors = mention.posts, mention.views, mention.new_authors, mention.authors
        out, applied = [], False
        for size in self.sizes:
            key = (size, bucket - bucket % size)
            cell = cells.get(key) if cells is not None else None
            if cell is None:
                closed = wm is not None and key[0] + key[1] <= wm
                if closed and key[0] + key[1] + self.retention <= wm:
                    continue
                cell = self._new_cell(tag, key, closed)
                cells = self._cells[tag]
            cell[0] += posts
            cell[1] += views
            cell[2] += new
            if authors:
                cell[3].update(authors)
            if cell[4]:
                out.append(self._window(tag, key, cell))
            applied = True
        self._dirty.add(tag)
        if late:
            if applied:
                self.late_applied += posts or 1
            else:
                self.late_dropped += posts or 1
        return out

    def _new_cell(self, tag: str, key: tuple[int, int], closed: bool) -> list:
        cell = [0, 0, 0, DistinctCounter(self.exact_authors), closed]
        self._cells.setdefault(tag, {})[key] = cell
        (self._retained if closed else self._open).setdefault(key, set()).add(tag)
        return cell

    def _sketch(self, mention: Mention) -> None:
        tag, wm = mention.hashtag, self._watermark
        self.sketched_posts += mention.posts
        estimates = {}
        for size in self.sizes:
            key = (size, mention.bucket - mention.bucket % size)
            if wm is not None and key[0] + key[1] <= wm:
                continue
            tails = self._sketches.get(key)
            if tails is None:
                tails = self._sketches[key] = (CountMin(), CountMin(), CountMin())
            for tail, count in zip(tails, (mention.posts, mention.views, mention.new_authors)):
                tail.update(tag, count)
            self._dirty.add(f"{SKETCH_PREFIX}{key[0]}:{key[1]}")
            estimates[key] = [tail.estimate(tag) for tail in tails]
        base = estimates.get((self.sizes[0], mention.bucket - mention.bucket % self.sizes[0]))
        if base and base[0] >= self.promote_at and len(self._cells) < self.max_tags + self.max_tags // 10:
            for key, (posts, views, new) in estimates.items():
                cell = self._new_cell(tag, key, False)
                cell[:3] = posts, views, new
                cell[_AUTHORS].update(mention.authors)
            self._dirty.add(tag)

    def advance(self, time: int, source: str = "") -> list[Window]:
        """Move ``source``'s clock to ``time`` (ms); returns the windows that close."""
        source = str(source)
        if time > self._clocks.get(source, -1):
            self._clocks[source] = time
        if self.sources:
            if any(s not in self._clocks for s in self.sources):
                return []
            low = min(self._clocks[s] for s in self.sources)
        else:
            low = min(self._clocks.values())
        wm = low - self.allowed_lateness
        if self._watermark is not None and wm <= self._watermark:
            return []
        self._watermark = wm
        return self._close(lambda key: key[0] + key[1] <= wm)

    def flush(self) -> list[Window]:
        """Close every open window now (end of input or idle input)."""
        return self._close(lambda key: True)

    def _close(self, due) -> list[Window]:
        wm, out = self._watermark, []
        for key in sorted((k for k in self._open if due(k)), key=lambda k: (k[0] + k[1], k[0])):
            for tag in sorted(self._open.pop(key)):
                cell = self._cells[tag][key]
                out.append(self._window(tag, key, cell))
                cell[_CLOSED] = True
                self._retained.setdefault(key, set()).add(tag)
                self._dirty.add(tag)
        if wm is not None:
            for key in [k for k in self._retained if k[0] + k[1] + self.retention <= wm]:
                for tag in self._retained.pop(key):
                    self._drop_cell(tag, key)
            for key in [k for k in self._sketches if k[0] + k[1] <= wm]:
                del self._sketches[key]
                self._dirty.add(f"{SKETCH_PREFIX}{key[0]}:{key[1]}")
        return out

    def _drop_cell(self, tag: str, key: tuple[int, int]) -> None:
        cells = self._cells[tag]
        del cells[key]
        if not cells:
            del self._cells[tag]
        self._dirty.add(tag)

    def _window(self, tag: str, key: tuple[int, int], cell: list) -> Window:
        size, start = key
        return Window(tag, self._names[size], start, start + size, cell[_POSTS], cell[_VIEWS],
                      cell[_AUTHORS].count, cell[_NEW])

    # -- state for checkpoints: one small "unit" per hashtag or sketch window, plus meta --

    def pop_dirty(self) -> set[str]:
        """Names of the units changed since the last call (hashtags, sketch windows)."""
        dirty, self._dirty = self._dirty, set()
        return dirty

    def units(self) -> list[str]:
        """Names of all units that have state."""
        return [*self._cells, *(f"{SKETCH_PREFIX}{s}:{t}" for s, t in self._sketches)]

    def unit_state(self, unit: str):
        """JSON-ready state of one unit, or None if it has none (deleted)."""
        if unit.startswith(SKETCH_PREFIX):
            size, start = map(int, unit[len(SKETCH_PREFIX):].split(":"))
            tails = self._sketches.get((size, start))
            return None if tails is None else [t.to_state() for t in tails]
        cells = self._cells.get(unit)
        return None if cells is None else [cell_state(key, cell) for key, cell in cells.items()]

    def load_unit(self, unit: str, state) -> None:
        """Replace one unit with ``unit_state`` output (None: remove it)."""
        if unit.startswith(SKETCH_PREFIX):
            key = tuple(map(int, unit[len(SKETCH_PREFIX):].split(":")))
            self._sketches.pop(key, None)
            if state is not None:
                self._sketches[key] = tuple(CountMin.from_state(t) for t in state)
            return
        for key in self._cells.pop(unit, {}):
            for index in (self._open, self._retained):
                if unit in index.get(key, ()):
                    index[key].discard(unit)
                    if not index[key]:
                        del index[key]
        for item in state or ():
            key, cell = cell_from_state(item)
            self._cells.setdefault(unit, {})[key] = cell
            (self._retained if cell[_CLOSED] else self._open).setdefault(key, set()).add(unit)

    def meta_state(self) -> dict:
        return {"clocks": dict(self._clocks), "wm": self._watermark,
                "late": [self.late_applied, self.late_dropped], "sketched": self.sketched_posts}

    def load_meta(self, state: dict) -> None:
        self._clocks = dict(state["clocks"])
        self._watermark = state["wm"]
        self.late_applied, self.late_dropped = state["late"]
        self.sketched_posts = state["sketched"]

    def to_state(self) -> dict:
        """The whole state as one JSON-ready dict (see ``from_state``)."""
        return {"meta": self.meta_state(), "units": {u: self.unit_state(u) for u in self.units()}}

    def load_state(self, state: dict) -> None:
        """Replace the state with ``to_state`` output (same configuration)."""
        self.__init__(self.sizes, self.allowed_lateness, self.late_policy, self.retention, self.sources,
                      self.max_tags, self.exact_authors, self.promote_at)
        self.load_meta(state["meta"])
        for unit, unit_state in state["units"].items():
            self.load_unit(unit, unit_state)
