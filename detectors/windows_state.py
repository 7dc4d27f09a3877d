"""Checkpoint state of ``detectors.windows.WindowAggregator``, and window size names.

The state is one small JSON-ready "unit" per hashtag (its cells) or sketch
window (its Count-Min tails, named ``SKETCH_PREFIX`` + ``size:start``), plus
the meta state (clocks, watermark, counters); ``WindowsCheckpoint`` gives the
aggregator its methods to write and load them. A cell is
``[posts, views, new_authors, authors, closed]`` in memory (``authors`` empty,
then a set of names while exact, then a ``HyperLogLog``) and
``[size, start, closed, posts, views, new_authors, authors_state]`` on the
wire, ``authors_state`` being ``detectors.sketches.distinct_state`` (as ``DistinctCounter.to_state``).

Examples
--------
>>> item = cell_state((60_000, 0), [3, 10, 1, {"a"}, False], threshold=256)
>>> item
[60000, 0, 0, 3, 10, 1, {'t': 256, 'items': ['a']}]
>>> key, cell = cell_from_state(item)
>>> key, cell
((60000, 0), [3, 10, 1, {'a'}, False])
>>> format_size(300_000), format_size(86_400_000), format_size(1_500)
('5m', '1d', '1500ms')
"""

from __future__ import annotations

from detectors.sketches import CountMin, distinct_from_state, distinct_state

__all__ = ["WindowsCheckpoint", "SKETCH_PREFIX", "cell_state", "cell_from_state", "format_size"]

SKETCH_PREFIX = ":"
"""Unit names of sketch windows start with this (hashtags never do)."""

_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000))


def format_size(ms: int) -> str:
    """A window size as text in the largest unit dividing it (``"5m"``)."""
    for unit, factor in _UNITS:
        if ms % factor == 0:
            return f"{ms // factor}{unit}"
    return f"{ms}ms"


def cell_state(key: tuple[int, int], cell: list, threshold: int) -> list:
    """``cell`` of window ``key`` as JSON-ready data; ``threshold``: most authors kept exactly."""
    posts, views, new, authors, closed = cell
    return [key[0], key[1], int(closed), posts, views, new, distinct_state(authors, threshold)]


def cell_from_state(item: list) -> tuple[tuple[int, int], list]:
    """The window key and cell of ``cell_state`` output."""
    size, start, closed, posts, views, new, known = item
    authors = distinct_from_state(known)
    return (size, start), [posts, views, new, authors if authors else (), bool(closed)]


class WindowsCheckpoint:
    """Checkpoint methods of ``WindowAggregator`` (state by unit, see the module docstring)."""

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
        if cells is None:
            return None
        return [cell_state(key, cell, self.exact_authors) for key, cell in cells.items()]

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
                group = index.get(key)
                if group is not None and group.pop(unit, None) is not None and not group:
                    del index[key]
        for item in state or ():
            key, cell = cell_from_state(item)
            self._cells.setdefault(unit, {})[key] = cell
            (self._retained if cell[4] else self._open).setdefault(key, {})[unit] = cell

    def meta_state(self) -> dict:
        """JSON-ready clocks, watermark and counters."""
        return {"clocks": dict(self._clocks), "wm": self._watermark,
                "late": [self.late_applied, self.late_dropped], "sketched": self.sketched_posts}

    def load_meta(self, state: dict) -> None:
        """Replace clocks, watermark and counters with ``meta_state`` output."""
        self._clocks = dict(state["clocks"])
        self._watermark = state["wm"]
        self.late_applied, self.late_dropped = state["late"]
        self.sketched_posts = state["sketched"]

    def to_state(self) -> dict:
        """The whole state as one JSON-ready dict (see ``load_state``)."""
        return {"meta": self.meta_state(), "units": {u: self.unit_state(u) for u in self.units()}}

    def load_state(self, state: dict) -> None:
        """Replace the state with ``to_state`` output (same configuration)."""
        self.__init__(self.sizes, self.allowed_lateness, self.late_policy, self.retention, self.sources,
                      self.max_tags, self.exact_authors, self.promote_at)
        self.load_meta(state["meta"])
        for unit, unit_state in state["units"].items():
            self.load_unit(unit, unit_state)
