"""What a person sees while trendwatch runs: the live view and its line output.

``board`` keeps what the view shows (recent windows per hashtag, active
episodes, the latest alerts, where the run is), fed by closed windows and
alert steps; ``terminal`` draws it in place with rich; ``plain`` prints one
line per alert (and an optional progress line) when stdout is not a terminal
or with ``--plain``; ``text`` holds the words and numbers both use.
``trendwatch run`` and ``trendwatch watch`` pick one with ``display``.
"""

from streams.live.board import Board, Row, Status, sparkline
from streams.live.display import display
from streams.live.plain import PlainDisplay, progress_text
from streams.live.text import describe_alert, fmt_time, plural, views

__all__ = ["Board", "Row", "Status", "sparkline", "display", "PlainDisplay", "progress_text",
           "describe_alert", "fmt_time", "plural", "views"]
