"""The sketches of the window aggregator in plain Python: the oracle of the native ones.

HyperLogLog, exact-then-HLL distinct counts and Count-Min as the native
aggregator (``detectors._native``) must compute them: the reference aggregator
in ``tests/unit/detectors/test_windows_reference.py`` counts with these. Hashes
are stable across processes (BLAKE2b, not Python's salted ``hash``), so a
sketch restored from a checkpoint in another process keeps counting
correctly. ``to_state()`` gives a JSON-ready dict; ``from_state`` rebuilds.

Examples
--------
>>> authors = DistinctCounter(threshold=2)
>>> for name in ["ana", "bo", "ana"]:
...     authors.add(name)
>>> authors.count, authors.exact
(2, True)
>>> authors.add("cy"); authors.exact
False
>>> DistinctCounter.from_state(authors.to_state()).count == authors.count
True
"""

from __future__ import annotations

import base64
import hashlib
import math
import zlib
from array import array

__all__ = ["HyperLogLog", "DistinctCounter", "CountMin", "HashCache", "stable_hash", "distinct_state",
           "distinct_from_state"]


def stable_hash(item: str) -> int:
    """A 64-bit hash of a string that is the same in every process.

    >>> stable_hash("fyp") == stable_hash("fyp"), 0 <= stable_hash("fyp") < 2 ** 64
    (True, True)
    """
    return int.from_bytes(hashlib.blake2b(item.encode("utf-8"), digest_size=8).digest(), "little")


class HashCache:
    """``stable_hash`` of strings, remembered until ``size`` are known (then all are forgotten).

    Parameters
    ----------
    size
        Most hashes kept (>= 1).

    Examples
    --------
    >>> cache = HashCache(size=2)
    >>> cache.hashes(["ana", "bo"]) == [stable_hash("ana"), stable_hash("bo")], len(cache)
    (True, 2)
    >>> _ = cache.hashes(["cy"]); len(cache)
    1
    """

    __slots__ = ("size", "_known")

    def __init__(self, size: int = 1 << 16):
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self.size = size
        self._known: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._known)

    def hashes(self, items) -> list[int]:
        """The ``stable_hash`` of every item, in order."""
        known = self._known
        if len(known) >= self.size:
            known.clear()
        out = []
        for item in items:
            h = known.get(item)
            if h is None:
                h = known[item] = stable_hash(item)
            out.append(h)
        return out


_INVERSE_POWERS = tuple(2.0 ** -r for r in range(256))
"""``2.0 ** -rank`` for every register value (summed in register order, as before)."""


def _pack(data: bytes) -> str:
    return base64.b64encode(zlib.compress(data, 1)).decode("ascii")


def _unpack(text: str) -> bytes:
    return zlib.decompress(base64.b64decode(text))


class HyperLogLog:
    """Approximate distinct count in ``2 ** precision`` one-byte registers.

    Parameters
    ----------
    precision
        Register index bits, 4..16; the standard error is about
        ``1.04 / sqrt(2 ** precision)`` (3.3 % at 10).

    Examples
    --------
    >>> hll = HyperLogLog(precision=10)
    >>> for i in range(5000):
    ...     hll.add(f"user{i}")
    >>> abs(hll.count - 5000) < 5000 * 0.1
    True
    """

    def __init__(self, precision: int = 10):
        if not 4 <= precision <= 16:
            raise ValueError(f"precision must be in 4..16, got {precision}")
        self.precision = precision
        self._registers = bytearray(1 << precision)

    def add(self, item: str) -> None:
        """Count ``item`` (a string)."""
        self.add_hash(stable_hash(item))

    def add_hash(self, h: int) -> None:
        """Count an item by its ``stable_hash``."""
        self.add_hashes((h,))

    def add_hashes(self, hashes) -> None:
        """Count items by their ``stable_hash`` values (hash once, add to many sketches)."""
        p, registers = self.precision, self._registers
        shift, top = 64 - p, 65 - p
        for h in hashes:
            rest = (h << p) & 0xFFFFFFFFFFFFFFFF
            rank = 65 - rest.bit_length() if rest else top
            index = h >> shift
            if rank > registers[index]:
                registers[index] = rank

    def merge(self, other: HyperLogLog) -> None:
        """Fold ``other`` (same precision) into this sketch."""
        if other.precision != self.precision:
            raise ValueError("precision must match to merge")
        self._registers = bytearray(map(max, self._registers, other._registers))

    @property
    def count(self) -> int:
        """The estimated number of distinct items."""
        m = len(self._registers)
        alpha = 0.7213 / (1 + 1.079 / m)
        estimate = alpha * m * m / sum(map(_INVERSE_POWERS.__getitem__, self._registers))
        zeros = self._registers.count(0)
        if estimate <= 2.5 * m and zeros:
            estimate = m * math.log(m / zeros)
        return round(estimate)

    def to_state(self) -> dict:
        return {"p": self.precision, "r": _pack(bytes(self._registers))}

    @classmethod
    def from_state(cls, state: dict) -> HyperLogLog:
        hll = cls(state["p"])
        hll._registers = bytearray(_unpack(state["r"]))
        return hll


class DistinctCounter:
    """Distinct items counted exactly up to ``threshold``, then by a HyperLogLog.

    Parameters
    ----------
    threshold
        Most items kept exactly (>= 0); beyond it the set becomes a sketch.
    precision
        HyperLogLog precision once the threshold is passed.

    Examples
    --------
    >>> c = DistinctCounter(threshold=100)
    >>> c.update(["a", "b", "a"])
    >>> c.count
    2
    """

    __slots__ = ("threshold", "precision", "_items", "_hll")

    def __init__(self, threshold: int = 1000, precision: int = 10):
        if threshold < 0:
            raise ValueError(f"threshold must be >= 0, got {threshold}")
        self.threshold = threshold
        self.precision = precision
        self._items: set[str] | None = set()
        self._hll: HyperLogLog | None = None

    @property
    def exact(self) -> bool:
        """True while the count is exact (at most ``threshold`` items seen)."""
        return self._hll is None

    def add(self, item: str) -> None:
        if self._hll is not None:
            self._hll.add(item)
            return
        self._items.add(item)
        if len(self._items) > self.threshold:
            self._to_sketch()

    def update(self, items) -> None:
        if self._hll is None:
            self._items.update(items)
            if len(self._items) > self.threshold:
                self._to_sketch()
        else:
            self._hll.add_hashes(map(stable_hash, items))

    def _to_sketch(self) -> None:
        self._hll = HyperLogLog(self.precision)
        self._hll.add_hashes(map(stable_hash, self._items))
        self._items = None

    @property
    def count(self) -> int:
        return len(self._items) if self._hll is None else self._hll.count

    def to_state(self) -> dict:
        return distinct_state(self._items if self._hll is None else self._hll, self.threshold)

    @classmethod
    def from_state(cls, state: dict) -> DistinctCounter:
        known = distinct_from_state(state)
        if known.__class__ is HyperLogLog:
            counter = cls(state["t"], known.precision)
            counter._items, counter._hll = None, known
            return counter
        counter = cls(state["t"])
        counter._items = known
        return counter


def distinct_state(known: set[str] | HyperLogLog, threshold: int) -> dict:
    """JSON-ready state of distinct items kept exactly (a set) or in a sketch, at most
    ``threshold`` kept exactly (``DistinctCounter.to_state``; window cells use it too).

    >>> distinct_state({"a"}, 2), distinct_from_state(distinct_state({"a"}, 2))
    ({'t': 2, 'items': ['a']}, {'a'})
    """
    if known.__class__ is HyperLogLog:
        return {"t": threshold, "hll": known.to_state()}
    return {"t": threshold, "items": list(known)}


def distinct_from_state(state: dict) -> set[str] | HyperLogLog:
    """The set or sketch of ``distinct_state`` output."""
    return HyperLogLog.from_state(state["hll"]) if "hll" in state else set(state["items"])


class CountMin:
    """Count-Min sketch: per-key counts that never under-estimate.

    Parameters
    ----------
    width
        Counters per row (>= 1); the error is about ``2 * total / width``.
    depth
        Rows (>= 1); the error bound holds with probability ``1 - 2 ** -depth``.

    Examples
    --------
    >>> cms = CountMin(width=64, depth=3)
    >>> cms.update("fyp", 5); cms.update("rednote")
    >>> cms.estimate("fyp") >= 5, cms.estimate("unseen") <= cms.total, cms.total
    (True, True, 6)
    """

    def __init__(self, width: int = 1024, depth: int = 4):
        if width < 1:
            raise ValueError(f"width must be >= 1, got {width}")
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        self.width = width
        self.depth = depth
        self.total = 0
        self._counts: dict[int, int] = {}  # the non-zero counters by index

    def positions(self, key: str) -> list[int]:
        """Indices of the counters of ``key`` (the same in every sketch of this width and depth)."""
        h = stable_hash(key)
        h1, h2 = h & 0xFFFFFFFF, (h >> 32) | 1
        width = self.width
        return [row * width + (h1 + row * h2) % width for row in range(self.depth)]

    def update(self, key: str, count: int = 1, positions: list[int] | None = None) -> None:
        """Add ``count`` (>= 0) to ``key`` (whose ``positions`` may be given)."""
        counts = self._counts
        for cell in positions or self.positions(key):
            counts[cell] = counts.get(cell, 0) + count
        self.total += count

    def estimate(self, key: str, positions: list[int] | None = None) -> int:
        """An upper bound of the count of ``key`` (exact without collisions)."""
        counts = self._counts
        return min(counts.get(cell, 0) for cell in positions or self.positions(key))

    def corrected(self, key: str) -> int:
        """The count of ``key`` less what other keys add to its counters (Count-Mean-Min).

        In each row its counter less the mean of the row's other counters (rounded down); the
        median of the rows (the mean of the middle two, rounded down); within ``0..estimate``.

        >>> cms = CountMin(width=64, depth=4)
        >>> for i in range(640):
        ...     cms.update(f"flood{i}")
        >>> cms.update("fyp", 30)
        >>> cms.estimate("fyp") > 30, abs(cms.corrected("fyp") - 30) <= 5
        (True, True)
        """
        cells = self.positions(key)
        counts = [self._counts.get(c, 0) for c in cells]
        rows = sorted(c - (self.total - c) // (self.width - 1) for c in counts)
        middle = len(rows) // 2
        median = (rows[middle - 1] + rows[middle]) // 2 if len(rows) % 2 == 0 else rows[middle]
        return min(max(median, 0), max(self.estimate(key, cells), 0))

    def to_state(self) -> dict:
        dense = array("q", bytes(8 * self.width * self.depth))
        for cell, count in self._counts.items():
            dense[cell] = count
        return {"w": self.width, "d": self.depth, "n": self.total, "c": _pack(dense.tobytes())}

    @classmethod
    def from_state(cls, state: dict) -> CountMin:
        cms = cls(state["w"], state["d"])
        cms.total = state["n"]
        dense = array("q")
        dense.frombytes(_unpack(state["c"]))
        cms._counts = {cell: count for cell, count in enumerate(dense) if count}
        return cms
