"""The live view in a terminal, drawn with rich and refreshed in place.

``render(board, title)`` draws a ``Board``: a status line (event time, a bar
of the input read, the rate, alerts so far), the trending table (score,
posts in the latest window, growth and a sparkline of recent windows), the
active episodes with their explanation, and the latest alert lines.
``LiveDisplay`` keeps that on screen while a run feeds the board (rich
redraws it twice a second from its own thread) and leaves the last
frame in place when it ends.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from streams.live.board import Board
from streams.live.plain import progress_text
from streams.live.text import describe_alert, fmt_time, plural
from streams.settings import format_duration

__all__ = ["LiveDisplay", "render"]

_KIND_STYLE = {"trend": "bold red", "suspicious": "yellow"}


def _status(board: Board, title: str) -> Group:
    status = board.status
    head = Text.assemble(("trendwatch ", "bold"), title, ("  " + ("finished" if status.done else "running"), "dim"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(width=30)
    grid.add_column(no_wrap=True)
    bar = ProgressBar(total=1.0, completed=status.fraction or 0.0, width=30) if status.fraction is not None \
        else Text("")
    grid.add_row(Text(progress_text(status)), bar, Text(plural(board.alerts, "alert step")))
    return Group(head, grid)


def _trending(board: Board, rows: int) -> Table:
    size = format_duration(board.size_ms)
    table = Table(title=f"Trending now ({size} windows)", title_justify="left", expand=False,
                  header_style="bold", show_edge=False)
    for name, justify in (("hashtag", "left"), ("score", "right"), (f"posts/{size}", "right"),
                          ("growth", "right"), (f"last {board.history} windows", "left"), ("episode", "left")):
        table.add_column(name, justify=justify, no_wrap=True)
    for row in board.top(rows):
        episode = f"{row.kind} {row.state}" if row.state in ("started", "ongoing") else ""
        table.add_row(Text("#" + row.hashtag, style=_KIND_STYLE.get(row.kind, "") if episode else ""),
                      "" if row.score is None else f"{row.score:.1f}", f"{row.posts:,}",
                      "" if row.growth is None else f"x{row.growth:.1f}", Text(row.spark, style="cyan"),
                      Text(episode, style=_KIND_STYLE.get(row.kind, "")))
    return table


def _episodes(board: Board) -> Group:
    lines = [Text("Active episodes", style="bold italic")]
    for alert in board.episodes()[:6]:
        since = board.since.get(alert.hashtag, alert.window_end)
        lines.append(Text.assemble((f"#{alert.hashtag} ", _KIND_STYLE.get(alert.kind, "")),
                                   (f"{alert.kind} since {fmt_time(since)}: ", "dim"), alert.reason))
    if len(lines) == 1:
        lines.append(Text("none", style="dim"))
    return Group(*lines)


def render(board: Board, title: str, rows: int = 10) -> Group:
    """One frame of the live view."""
    recent = [Text("Latest alerts", style="bold italic")]
    recent += [Text(describe_alert(a), overflow="ellipsis", no_wrap=True) for a in list(board.recent)]
    return Group(_status(board, title), Text(""), _trending(board, rows), Text(""), _episodes(board), Text(""),
                 *recent)


class LiveDisplay:
    """A ``Board`` drawn in place on ``console`` while a run feeds it (same methods as ``PlainDisplay``)."""

    def __init__(self, title: str, board: Board | None = None, console: Console | None = None, rows: int = 10):
        self.board = board if board is not None else Board()
        self.title = title
        self._live = Live(console=console, refresh_per_second=2, transient=False, redirect_stdout=False,
                          redirect_stderr=False, get_renderable=lambda: render(self.board, self.title, rows))

    def __enter__(self) -> LiveDisplay:
        self._live.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def alert(self, alert) -> None:
        self.board.alert(alert)

    def windows(self, windows) -> None:
        self.board.windows(windows)

    def progress(self, **values) -> None:
        self.board.progress(**values)

    def close(self) -> None:
        if self._live.is_started:
            self._live.refresh()
            self._live.stop()
