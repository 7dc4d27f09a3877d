"""The records of ``hashtag-windows``: closed windows in batches, and watermarks.

The count agent publishes the windows that one ``hashtag-mentions`` message
(or an idle flush) closes as batch records: key ``WINDOWS_KEY``, value a JSON
array of up to ``WINDOWS_PER_RECORD`` windows, each an array
``[hashtag, size, window_start, window_end, posts, views, authors,
new_authors]`` in the order the stage returned them (by end, then size, then
hashtag). A mentions partition's watermark follows its windows in a record of
its own (key ``WATERMARK_KEY``). A record keyed by a hashtag with one
``Window.to_dict()`` object (the earlier format) is still read as one window.

Examples
--------
>>> from detectors.records import Window
>>> value = encode_windows([Window("fyp", "5m", 0, 300_000, posts=3, views=9, authors=2)])
>>> value
b'[["fyp","5m",0,300000,3,9,2,0]]'
>>> decode_windows(WINDOWS_KEY, value)
[Window(hashtag='fyp', size='5m', window_start=0, window_end=300000, posts=3, views=9, authors=2, new_authors=0)]
"""

from __future__ import annotations

import orjson

from detectors.records import Window

__all__ = ["WINDOWS_KEY", "WATERMARK_KEY", "WINDOWS_PER_RECORD", "encode_windows", "decode_windows",
           "batches"]

WINDOWS_KEY = b"\x00windows"
"""Key of the window batch records (no hashtag starts with NUL)."""
WATERMARK_KEY = b"\x00watermark"
"""Key of the watermark records (no hashtag starts with NUL)."""
WINDOWS_PER_RECORD = 2048
"""Most windows in one record (about 100 KiB of JSON)."""


def encode_windows(windows) -> bytes:
    """``windows`` (``Window`` records or their tuples) as one batch record value."""
    return orjson.dumps([w if type(w) is tuple else (w.hashtag, w.size, w.window_start, w.window_end, w.posts,
                                                     w.views, w.authors, w.new_authors) for w in windows])


def batches(windows) -> list[bytes]:
    """``windows`` as batch record values of at most ``WINDOWS_PER_RECORD`` each."""
    return [encode_windows(windows[i:i + WINDOWS_PER_RECORD]) for i in range(0, len(windows), WINDOWS_PER_RECORD)]


def decode_windows(key: bytes | None, value: bytes) -> list[Window]:
    """The windows of a ``hashtag-windows`` record (a batch, or one window in the earlier format).

    Raises ``ValueError`` (``orjson.JSONDecodeError`` is one) or ``TypeError`` for anything else.
    """
    data = orjson.loads(value)
    if key == WINDOWS_KEY:
        if type(data) is not list:
            raise TypeError("a window batch is a JSON array")
        return [_window(*item) for item in data]
    if type(data) is not dict:
        raise TypeError("a window is a JSON object")
    return [Window.from_dict(data)]


def _window(hashtag: str, size: str, start: int, end: int, posts: int, views: int, authors: int,
            new_authors: int) -> Window:
    if type(hashtag) is not str or type(size) is not str:
        raise TypeError("hashtag and size are strings")
    return Window(hashtag, size, int(start), int(end), int(posts), int(views), int(authors), int(new_authors))
