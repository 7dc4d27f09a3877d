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
go to per-window Count-Min sketches and are promoted to exact tracking (a
tenth of ``max_tags`` at most) once their posts in the open window of size
``promote_size`` (default: the base size) reach ``promote_at``, by the
sketch's noise-corrected estimates (which a flood of one-post hashtags does
not lift, as it lifts every plain Count-Min estimate). The sketches of that
window have 65,536 counters a row, the others 8,192. Counts are exact while
fewer than ``max_tags`` hashtags have live windows. Unique authors are exact up to ``exact_authors``
per window (kept as 64-bit BLAKE2b hashes of the names), then HyperLogLog
estimates (1,024 registers).

The aggregator is native (``detectors._native.WindowAggregator``, Rust):
mentions cross into it packed (``pack_mentions``), one call per batch
(``process``, which also applies the replay rules of ``streams.stages.Count``);
its state comes out as bytes, per unit (hashtag or sketch window) for
incremental checkpoints (``pop_dirty``, ``unit_state``, ``load_unit``,
``meta_state``, ``load_meta``) or whole (``to_state``, ``load_state``). This
class only turns its window tuples into ``Window`` records.

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
>>> format_size(300_000), format_size(86_400_000), format_size(1_500)
('5m', '1d', '1500ms')
"""

from __future__ import annotations

from detectors import _native
from detectors._native import format_size, pack_mentions
from detectors.records import Mention, Window

__all__ = ["WindowAggregator", "SKETCH_PREFIX", "format_size", "pack_mentions"]

SKETCH_PREFIX = ":"
"""Unit names of sketch windows start with this (hashtags never do)."""


class WindowAggregator(_native.WindowAggregator):
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
    max_tags, exact_authors, promote_at, promote_size
        Bounds of exact state and promotion out of the sketches, see the module docstring.
    """

    def update(self, mention: Mention) -> list[Window]:
        """Count ``mention``; returns corrected windows if it was late and applied."""
        return [Window(*w) for w in self.update_packed(pack_mentions((mention,)))]

    def advance(self, time: int, source="") -> list[Window]:
        """Move ``source``'s clock to ``time`` (ms); returns the windows that close."""
        return [Window(*w) for w in super().advance(time, source)]

    def flush(self) -> list[Window]:
        """Close every open window now (end of input or idle input)."""
        return [Window(*w) for w in super().flush()]
