"""The long-tail sketch as it was written in Python (numpy), the oracle of the native one.

``detectors.longtail.DecayingCountMin`` (``detectors._native``) must give the
same sums, bit for bit, for the same updates, decays and reads
(``tests/unit/detectors/test_longtail_oracle.py``).

What the sketch is for and how it hashes: ``detectors/longtail.py``.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

__all__ = ["DecayingCountMin"]

_SALTS = (b"", b"\x01", b"\x02", b"\x03", b"\x04", b"\x05", b"\x06", b"\x07")


class DecayingCountMin:
    """The parameters and their meaning: ``detectors.longtail.DecayingCountMin``.

    Examples
    --------
    >>> cms = DecayingCountMin(width=64, depth=2, alpha=0.5)
    >>> cms.update(["a", "b"], [0.2, 0.4])
    >>> cms["a"], cms["b"], cms["never-seen"]
    (0.2, 0.4, 0.0)
    >>> cms.decay(1)
    >>> cms["b"]
    0.2
    >>> cms.nbytes
    1024
    """

    def __init__(self, width: int = 1 << 14, depth: int = 4, alpha: float = 0.01):
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive int, not {width!r}")
        if not isinstance(depth, int) or not 1 <= depth <= len(_SALTS):
            raise ValueError(f"depth must be an int from 1 to {len(_SALTS)}, not {depth!r}")
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], not {alpha!r}")
        self.width = width
        self.depth = depth
        self.alpha = alpha
        self._table = np.zeros((depth, width), dtype=np.float64)
        self._rows = np.arange(depth)[:, None]
        self._steps = 0

    def _cells(self, key: str) -> list[int]:
        data = key.encode("utf-8")
        return [zlib.crc32(salt + data) % self.width for salt in _SALTS[:self.depth]]

    def update(self, keys: list[str], values: list[float]) -> None:
        """Add ``alpha * value`` to the cells of each key (the sums' new observations)."""
        if not keys:
            return
        cols = np.array([self._cells(k) for k in keys], dtype=np.int64).T
        vals = np.broadcast_to(self.alpha * np.asarray(values, dtype=np.float64), cols.shape)
        np.add.at(self._table, (np.broadcast_to(self._rows, cols.shape), cols), vals)

    def take(self, key: str) -> float:
        """Return the estimate of ``key`` and subtract the minimum of its cells from each (a cell equal
        to it becomes 0): its estimate is 0 after."""
        estimate, cells = self[key], self._cells(key)
        low = float(min(self._table[row, col] for row, col in enumerate(cells)))
        for row, col in enumerate(cells):
            cell = float(self._table[row, col])
            self._table[row, col] = 0.0 if cell == low else cell - low
        return estimate

    def put(self, key: str, share: float) -> None:
        """Add ``share`` to the estimate of ``key`` as it reads now (``share`` times the warmth to each
        of its cells); a share that is not a finite number is dropped."""
        if not math.isfinite(share):
            return
        value = share * (self._warmth if self._steps < self._full else 1.0)
        for row, col in enumerate(self._cells(key)):
            self._table[row, col] += value

    def decay(self, steps: int = 1) -> None:
        """Let ``steps`` time steps pass: every cell shrinks by ``(1 - alpha) ** steps``."""
        if steps > 0:
            self._table *= (1.0 - self.alpha) ** steps
            self._steps += steps

    def __getitem__(self, key: str) -> float:
        cells = self._cells(key)
        low = float(min(self._table[row, col] for row, col in enumerate(cells)))
        return low / self._warmth if self._steps < self._full else low

    @property
    def _warmth(self) -> float:
        """Share of its final weight the sum has reached (the bias correction of an EW mean started at zero)."""
        return max(1.0 - (1.0 - self.alpha) ** max(self._steps, 1), self.alpha)

    @property
    def _full(self) -> int:
        return int(20 / self.alpha)

    @property
    def nbytes(self) -> int:
        """Memory held by the table, in bytes (independent of the number of keys)."""
        return int(self._table.nbytes)
