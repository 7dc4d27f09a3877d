"""Compact JSON-ready forms of window cells, and window size names.

Used by ``detectors.windows`` for checkpoints: a cell is
``[posts, views, new_authors, DistinctCounter, closed]`` in memory and
``[size, start, closed, posts, views, new_authors, authors_state]`` on the wire.

Examples
--------
>>> from detectors.sketches import DistinctCounter
>>> authors = DistinctCounter(); authors.update(["a"])
>>> item = cell_state((60_000, 0), [3, 10, 1, authors, False])
>>> item
[60000, 0, 0, 3, 10, 1, {'t': 1000, 'items': ['a']}]
>>> key, cell = cell_from_state(item)
>>> key, cell[:3], cell[3].count, cell[4]
((60000, 0), [3, 10, 1], 1, False)
>>> format_size(300_000), format_size(86_400_000), format_size(1_500)
('5m', '1d', '1500ms')
"""

from __future__ import annotations

from detectors.sketches import DistinctCounter

__all__ = ["cell_state", "cell_from_state", "format_size"]

_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000))


def format_size(ms: int) -> str:
    """A window size as text in the largest unit dividing it (``"5m"``)."""
    for unit, factor in _UNITS:
        if ms % factor == 0:
            return f"{ms // factor}{unit}"
    return f"{ms}ms"


def cell_state(key: tuple[int, int], cell: list) -> list:
    posts, views, new, authors, closed = cell
    return [key[0], key[1], int(closed), posts, views, new, authors.to_state()]


def cell_from_state(item: list) -> tuple[tuple[int, int], list]:
    size, start, closed, posts, views, new, authors = item
    return (size, start), [posts, views, new, DistinctCounter.from_state(authors), bool(closed)]
