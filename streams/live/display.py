"""Choosing the display of a run: the live view on a terminal, lines otherwise.

``display(title, plain=..., all_steps=..., progress=..., size_ms=...)`` returns
a ``LiveDisplay`` when stdout is a terminal and ``plain`` is false, else a
``PlainDisplay`` (with a progress line on stderr when ``progress`` is true, or
when it is None and stderr is a terminal). Both take ``alert``, ``windows``
and ``progress`` calls and are context managers.
"""

from __future__ import annotations

import sys

__all__ = ["display"]


def display(title: str, *, plain: bool = False, all_steps: bool = False, progress: bool | None = None,
            size_ms: int = 3_600_000):
    """The display for a run (see the module docstring)."""
    from streams.live.plain import PlainDisplay

    if not plain and sys.stdout.isatty():
        from streams.live.board import Board
        from streams.live.terminal import LiveDisplay  # rich only where it draws

        return LiveDisplay(title, Board(size_ms=size_ms))
    if progress is None:
        progress = sys.stderr.isatty()
    return PlainDisplay(all_steps=all_steps, progress=sys.stderr if progress else None)
