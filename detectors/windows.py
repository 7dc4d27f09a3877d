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
from detectors.sketches import CountMin, HashCache, HyperLogLog
from detectors.windows_state import SKETCH_PREFIX, WindowsCheckpoint, format_size

__all__ = ["WindowAggregator", "SKETCH_PREFIX"]

# A cell is [posts, views, new_authors, authors, closed]; authors is () before
# the first author, the set of names while it has at most ``exact_authors``,
# then a HyperLogLog of them.
_POSTS, _VIEWS, _NEW, _AUTHORS, _CLOSED = range(5)
_CACHED_BUCKETS = 1 << 10  # base buckets whose window keys are kept
_CACHED_HASHES = 1 << 12  # authors whose hashes are kept between mentions
_NO_CELLS: dict = {}  # the cells of an untracked hashtag (never filled)


def _end_then_size(key: tuple[int, int]) -> tuple[int, int]:
    return key[0] + key[1], key[0]


class WindowAggregator(WindowsCheckpoint):
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
        if exact_authors < 0:
            raise ValueError(f"exact_authors must be >= 0, got {exact_authors}")
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
        self._cells: dict[str, dict[tuple[int, int], list]] = {}  # hashtag -> window key -> cell
        self._open: dict[tuple[int, int], dict[str, list]] = {}  # window key -> hashtag -> cell
        self._retained: dict[tuple[int, int], dict[str, list]] = {}  # the same for closed cells
        self._sketches: dict[tuple[int, int], tuple[CountMin, CountMin, CountMin]] = {}
        self._dirty: set[str] = set()
        self._keys: dict[int, tuple[tuple[int, int], ...]] = {}  # base bucket -> its window keys
        self._hashes = HashCache(_CACHED_HASHES)  # an author is hashed once for the sketches of all sizes

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
        tag, wm = mention.hashtag, self._watermark
        keys = self._keys.get(mention.bucket) or self._bucket_keys(mention.bucket)
        late = wm is not None and keys[0][0] + keys[0][1] <= wm
        if late and self.late_policy == "drop":
            self.late_dropped += mention.posts or 1
            return []
        cells = self._cells.get(tag, _NO_CELLS)
        if cells is _NO_CELLS and len(self._cells) >= self.max_tags:
            self._sketch(mention, keys)
            return []
        posts, views, new, authors = mention.posts, mention.views, mention.new_authors, mention.authors
        out, applied, hashes, exact = [], False, None, self.exact_authors
        for key in keys:
            cell = cells.get(key)
            if cell is not None:
                cell[0] += posts
                cell[1] += views
                cell[2] += new
                if authors:
                    known = cell[3]
                    if known.__class__ is set:
                        known.update(authors)
                        if len(known) > exact:
                            cell[3] = self._sketch_authors(known)
                    elif known.__class__ is HyperLogLog:
                        known.add_hashes(hashes or (hashes := self._hashes.hashes(authors)))
                    else:  # no author yet
                        cell[3] = self._exact_authors(authors)
            else:
                closed = late and key[0] + key[1] <= wm
                if closed and key[0] + key[1] + self.retention <= wm:
                    continue
                cell = [posts, views, new, self._exact_authors(authors) if authors else (), closed]
                cells = self._new_cell(tag, key, cell)
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

    def _bucket_keys(self, bucket: int) -> tuple[tuple[int, int], ...]:
        if len(self._keys) >= _CACHED_BUCKETS:
            self._keys.clear()
        keys = self._keys[bucket] = tuple((size, bucket - bucket % size) for size in self.sizes)
        return keys

    def _exact_authors(self, authors) -> set[str] | HyperLogLog:
        known = set(authors)
        return known if len(known) <= self.exact_authors else self._sketch_authors(known)

    def _sketch_authors(self, authors: set[str]) -> HyperLogLog:
        hll = HyperLogLog()
        hll.add_hashes(self._hashes.hashes(authors))
        return hll

    def _new_cell(self, tag: str, key: tuple[int, int], cell: list) -> dict[tuple[int, int], list]:
        """Adds ``cell`` to the index; returns the cells of ``tag``."""
        cells = self._cells.get(tag)
        if cells is None:
            cells = self._cells[tag] = {}
        cells[key] = cell
        index = self._retained if cell[_CLOSED] else self._open
        group = index.get(key)
        if group is None:
            group = index[key] = {}
        group[tag] = cell
        return cells

    def _sketch(self, mention: Mention, keys: tuple[tuple[int, int], ...]) -> None:
        tag, wm, positions = mention.hashtag, self._watermark, None
        self.sketched_posts += mention.posts
        estimates = {}
        for key in keys:
            if wm is not None and key[0] + key[1] <= wm:
                continue
            tails = self._sketches.get(key)
            if tails is None:
                tails = self._sketches[key] = (CountMin(), CountMin(), CountMin())
            positions = positions or tails[0].positions(tag)  # every tail has the default shape
            for tail, count in zip(tails, (mention.posts, mention.views, mention.new_authors)):
                tail.update(tag, count, positions)
            self._dirty.add(f"{SKETCH_PREFIX}{key[0]}:{key[1]}")
            estimates[key] = [tail.estimate(tag, positions) for tail in tails]
        base = estimates.get(keys[0])
        if base and base[0] >= self.promote_at and len(self._cells) < self.max_tags + self.max_tags // 10:
            for key, (posts, views, new) in estimates.items():
                self._new_cell(tag, key, [posts, views, new, self._exact_authors(mention.authors), False])
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
        return self._close(wm)

    def flush(self) -> list[Window]:
        """Close every open window now (end of input or idle input)."""
        return self._close(None)

    def _close(self, until: int | None) -> list[Window]:
        opened, retained, dirty, out = self._open, self._retained, self._dirty, []
        due = [key for key in opened if until is None or key[0] + key[1] <= until]
        for key in sorted(due, key=_end_then_size):
            group = opened.pop(key)
            for tag in sorted(group):
                cell = group[tag]
                out.append(self._window(tag, key, cell))
                cell[_CLOSED] = True
            if key in retained:
                retained[key].update(group)
            else:
                retained[key] = group
            dirty.update(group)
        if self._watermark is not None:
            self._expire(self._watermark)
        return out

    def _expire(self, wm: int) -> None:
        cells, dirty = self._cells, self._dirty
        for key in [k for k in self._retained if k[0] + k[1] + self.retention <= wm]:
            group = self._retained.pop(key)
            dirty.update(group)
            for tag in group:
                tag_cells = cells[tag]
                del tag_cells[key]
                if not tag_cells:
                    del cells[tag]
        for key in [k for k in self._sketches if k[0] + k[1] <= wm]:
            del self._sketches[key]
            dirty.add(f"{SKETCH_PREFIX}{key[0]}:{key[1]}")

    def _window(self, tag: str, key: tuple[int, int], cell: list) -> Window:
        size, start = key
        known = cell[_AUTHORS]
        return Window(tag, self._names[size], start, start + size, cell[_POSTS], cell[_VIEWS],
                      known.count if known.__class__ is HyperLogLog else len(known), cell[_NEW])
