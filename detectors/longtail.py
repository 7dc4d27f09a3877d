"""A decaying Count-Min sketch: the recent share of every long-tail hashtag in fixed memory.

Tags that do not matter (yet) get no state of their own. Their share of the
volume goes into a ``depth x width`` table of exponentially decaying sums, and a
tag's baseline is the minimum over its ``depth`` cells (Count-Min never
under-estimates). When such a tag suddenly becomes busy, its baseline comes
from here instead of from zero.

River's ``sketch.Counter`` is the same structure for integer counts; this one
holds decaying real-valued sums and hashes with CRC-32, so the cells a tag maps
to are the same in every process (Python's ``hash()`` of a string is salted per
process, which would break a pickled sketch restored elsewhere).

The sketch is native (``detectors._native.DecayingCountMin``, Rust), so that
the long-tail windows of a moment go into it without becoming Python objects
(``detectors._native.Moments.defer_tail``); its sums are the same, bit for bit,
as the plain Python reference kept in ``tests/oracles/longtail.py``.
"""

from __future__ import annotations

from detectors import _native

__all__ = ["DecayingCountMin"]


class DecayingCountMin(_native.DecayingCountMin):
    """Exponentially decaying sums per key in a fixed ``depth x width`` table.

    Parameters
    ----------
    width
        Cells per row (collisions fall as it grows).
    depth
        Rows, each with its own hash (1 to 8).
    alpha
        Weight of a new value; every ``decay()`` multiplies all cells by ``1 - alpha``.

    Early on, estimates are divided by ``1 - (1 - alpha) ** steps`` so that a
    sum started at zero is not read as a small mean. Values can also be
    deferred (``defer``) and added in one ``commit``, in the order deferred.
    A key can be taken out (``take``: its estimate is returned and the minimum
    of its cells subtracted from each, so that it reads 0) and a share put in
    (``put``: added so that the estimate reads it, the bias correction
    included): the surge scorer takes a tag out when it gives it a state and
    puts back what the state learnt when it evicts it.

    Examples
    --------
    >>> cms = DecayingCountMin(width=64, depth=2, alpha=0.5)
    >>> cms.update(["a", "b"], [0.2, 0.4])
    >>> cms["a"], cms["b"], cms["never-seen"]
    (0.2, 0.4, 0.0)
    >>> cms.decay(1)
    >>> cms["b"]
    0.2
    >>> cms.defer("a", 0.4); cms.deferred, cms["a"]
    (1, 0.1)
    >>> cms.commit(); cms["a"]
    0.5
    >>> cms.take("a"), cms["a"]
    (0.5, 0.0)
    >>> cms.put("a", 0.25); cms["a"]
    0.25
    >>> cms.nbytes
    1024
    """

    def __reduce__(self):
        return type(self), (self.width, self.depth, self.alpha), self.to_state()

    def __setstate__(self, state) -> None:
        if isinstance(state, bytes):
            self.load_state(state)
        else:  # pickled by the former pure-Python sketch: a numpy table in its __dict__
            self.load_table(state["width"], state["depth"], state["alpha"],
                            [float(v) for v in state["_table"].ravel()], int(state["_steps"]))
