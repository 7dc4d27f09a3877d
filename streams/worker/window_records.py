"""The records of ``hashtag-windows``: closed windows in batches, and watermarks.

The count agent publishes the windows that one ``hashtag-mentions`` message
(or an idle flush) closes as batch records: key ``WINDOWS_KEY``, value up to
``WINDOWS_PER_RECORD`` windows, packed by the native core
(``detectors._native.encode_windows``; the format is in docs/architecture.md):
every hashtag once per record, then each window's hashtag and size indexes,
start and counts as varints, a few bytes a window, in the order the stage
returned them (by end, then size, then hashtag). A mentions partition's
watermark follows its windows in a record of its own (key ``WATERMARK_KEY``).

Read too: a batch value that is a JSON array of windows, each
``[hashtag, size, window_start, window_end, posts, views, authors,
new_authors]``, and a record keyed by a hashtag with one ``Window.to_dict()``
object (earlier formats; a packed value starts with byte 1, JSON never does).

Examples
--------
>>> from detectors.records import Window
>>> [value] = batches([Window("fyp", "5m", 0, 300_000, posts=3, views=9, authors=2)])
>>> len(value), value[:1]
(18, b'\\x01')
>>> decode_windows(WINDOWS_KEY, value)
[Window(hashtag='fyp', size='5m', window_start=0, window_end=300000, posts=3, views=9, authors=2, new_authors=0)]
"""

from __future__ import annotations

import orjson

from detectors import _native
from detectors.records import Window
from streams.stages.count import windows_of

__all__ = ["WINDOWS_KEY", "WATERMARK_KEY", "WINDOWS_PER_RECORD", "batches", "decode_batch", "decode_windows"]

WINDOWS_KEY = b"\x00windows"
"""Key of the window batch records (no hashtag starts with NUL)."""
WATERMARK_KEY = b"\x00watermark"
"""Key of the watermark records (no hashtag starts with NUL)."""
WINDOWS_PER_RECORD = 2048
"""Most windows in one record (about 20 KiB packed)."""
PACKED_FORMAT = 1
"""The first byte of a packed batch value."""


def batches(windows) -> list[bytes]:
    """``windows`` (a native ``ClosedWindows`` batch, or ``Window`` records) as packed batch record values
    of at most ``WINDOWS_PER_RECORD`` each."""
    if not isinstance(windows, _native.ClosedWindows):
        windows = _native.windows_batch(windows)
    return _native.encode_windows(windows, WINDOWS_PER_RECORD) if len(windows) else []


def decode_batch(key: bytes | None, value: bytes):
    """The windows of a ``hashtag-windows`` record as a native ``ClosedWindows`` batch (a packed value,
    or one of the earlier JSON formats).

    Raises ``ValueError`` (``orjson.JSONDecodeError`` is one) or ``TypeError`` for anything else.
    """
    if _packed(key, value):
        return _native.decode_windows(value)
    return _native.windows_batch(_json_windows(key, value))


def decode_windows(key: bytes | None, value: bytes) -> list[Window]:
    """The windows of a ``hashtag-windows`` record as ``Window`` records (see ``decode_batch``)."""
    if _packed(key, value):
        return windows_of(_native.decode_windows(value))
    return _json_windows(key, value)


def _packed(key: bytes | None, value: bytes) -> bool:
    return key == WINDOWS_KEY and value[:1] == bytes((PACKED_FORMAT,))


def _json_windows(key: bytes | None, value: bytes) -> list[Window]:
    data = orjson.loads(value)
    if key == WINDOWS_KEY:
        if type(data) is not list:
            raise TypeError("a window batch is a JSON array")
        return [_window(*item) for item in data]
    if type(data) is not dict:
        raise TypeError("a window is a JSON object")
    return [_window(*(data.get(name) for name in ("hashtag", "size", "window_start", "window_end")),
                    *(data.get(name, 0) for name in ("posts", "views", "authors", "new_authors")))]


LARGEST = 2 ** 63 - 1


def _window(hashtag: str, size: str, start: int, end: int, posts: int, views: int, authors: int,
            new_authors: int) -> Window:
    if type(hashtag) is not str or type(size) is not str:
        raise TypeError("hashtag and size are strings")
    counts = (posts, views, authors, new_authors)
    if any(type(v) is not int for v in (start, end, *counts)):
        raise TypeError("a window's times and counts are integers")
    if not -LARGEST <= start < end <= LARGEST or not all(0 <= v <= LARGEST for v in counts):
        raise ValueError("a window ends after it starts, and its counts are from 0 to 2**63 - 1")
    return Window(hashtag, size, start, end, posts, views, authors, new_authors)
