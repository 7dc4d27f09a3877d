"""Input formats of the replayer: JSON Lines, CSV posts and count series, optionally gzipped.

``read_file(path, tag=None)`` yields ``(line_number, event_dict | BadLine)``
in file order. Every event is checked with the same rules as the consumers
(``detectors.events.parse_event``) and comes out with integer epoch-ms
timestamps; anything wrong comes out as a ``BadLine`` saying why.

- JSON Lines (``.jsonl``, ``.ndjson``, ``.json``): one schema-v1 event per line.
- CSV posts: a header naming at least ``id``, ``ts`` (or ``timestamp``,
  ``created_at``), ``author`` and ``text``; optional ``hashtags`` (separated by
  spaces, commas, semicolons or ``|``), ``lang``, ``region``,
  ``author_created``.
- Count series: a two-column CSV or TSV ``timestamp,value`` of one tag (see
  ``detectors.series`` for the header names and the time forms: NAB's
  ``2015-02-26 21:42:53``, RFC 3339, epoch s or ms; without an offset, in the
  given time zone, UTC by default). ``value`` is the number of posts in the
  interval up to the next row; the posts are spread evenly over it, each by
  its own author. The tag is ``--tag`` or the file name's stem.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import orjson
from detectors.events import InvalidEvent, parse_event
from detectors.hashtags import normalise_hashtag
from detectors.records import Post
from detectors.series import SeriesError, delimiter_of, is_series_header, parse_row
from streams.errors import InputError

__all__ = ["BadLine", "MAX_SERIES_VALUE", "read_file", "open_binary"]

_TAG_SPLIT = re.compile(r"[\s,;|]+")
_TS_COLUMNS = ("ts", "timestamp", "created_at", "time")


@dataclass(frozen=True)
class BadLine:
    """A line that cannot be replayed, and why."""

    path: str
    line: int
    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}: {self.detail}"


def open_binary(path: Path, native: bool = False) -> io.BufferedIOBase:
    """The file's bytes, gunzipped if it starts with the gzip magic bytes.

    ``native``: a gzip file is read through ``NativeGunzip`` (``read(n)`` and
    ``finish()`` only, about twice as fast as the ``gzip`` module)."""
    try:
        with open(path, "rb") as probe:
            gz = probe.read(2) == b"\x1f\x8b"
        if gz:
            return NativeGunzip(path) if native else gzip.open(path, "rb")
        return open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


class NativeGunzip:
    """A gzip file's bytes, inflated by the native core (``detectors._native.GunzipStream``,
    zlib-rs): ``read(n)`` gives exactly ``n`` bytes until the end of the data, as
    ``gzip.open(path).read(n)`` does; ``finish()`` at the end raises ``InputError`` if
    the file stops inside a member (a file still being written can be read further
    first). A corrupt stream raises ``InputError`` too.

    >>> import tempfile; path = Path(tempfile.mkdtemp()) / "a.gz"; _ = path.write_bytes(gzip.compress(b"abcdef"))
    >>> with NativeGunzip(path) as f: f.read(4), f.read(4), f.read(4), f.finish()
    (b'abcd', b'ef', b'', None)
    """

    PIECE = 64 * 1024
    """Compressed bytes read at a time."""

    def __init__(self, path: Path):
        from detectors._native import GunzipStream
        self.path = path
        self.fileobj = open(path, "rb")
        self._stream = GunzipStream()
        self._have = 0

    def read(self, n: int) -> bytes:
        while self._have < n:
            data = self.fileobj.read(self.PIECE)
            if not data:
                break
            try:
                self._have = self._stream.feed(data)
            except ValueError as exc:
                raise InputError(f"cannot read {self.path}: {exc}") from None
        out = self._stream.take(n)
        self._have -= len(out)
        return out

    def finish(self) -> None:
        try:
            self._stream.finish()
        except ValueError as exc:
            raise InputError(f"cannot read {self.path}: {exc}") from None

    def close(self) -> None:
        self.fileobj.close()

    def __enter__(self) -> NativeGunzip:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _canonical(obj: object) -> dict:
    """Validate like a consumer; return the event with epoch-ms timestamps."""
    event = parse_event(obj)
    obj["ts"] = event.ts  # a valid event is a dict
    if type(event) is Post and event.author_created is not None:
        obj["author_created"] = event.author_created
    return obj


def _jsonl(text: io.BufferedIOBase, path: str) -> Iterator[tuple[int, dict | BadLine]]:
    for number, line in enumerate(text, 1):
        if not line.strip():
            continue
        try:
            yield number, _canonical(_loads(line))
        except ValueError as exc:
            reason = exc.reason if isinstance(exc, InvalidEvent) else "bad_json"
            yield number, BadLine(path, number, reason, getattr(exc, "detail", str(exc)))


def _loads(line: bytes):
    """A JSON line as the worker decodes it: orjson, then ``json`` for what orjson refuses (huge
    integers); nesting too deep for the decoder is ``too_deep``."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            return json.loads(line)
        except RecursionError:
            raise InvalidEvent("too_deep", "arrays/objects nested deeper than the JSON decoder allows") from None


def _csv_posts(rows, header: list[str], path: str) -> Iterator[tuple[int, dict | BadLine]]:
    ts_col = next((c for c in _TS_COLUMNS if c in header), None)
    missing = [c for c in ("id", "author", "text") if c not in header] + ([] if ts_col else ["ts"])
    if missing:
        raise InputError(f"{path}:1: CSV header lacks {', '.join(missing)}; posts need id, ts, author, text "
                         "(or a count series: timestamp,value)")
    for row in rows:
        number = rows.line_num
        if len(row) != len(header):
            yield number, BadLine(path, number, "bad_csv", f"{len(row)} fields, header has {len(header)}")
            continue
        cells = dict(zip(header, row))
        event = {"v": 1, "type": "post", "id": cells["id"], "ts": _number_or_text(cells[ts_col]),
                 "author": cells["author"], "text": cells["text"]}
        if cells.get("hashtags"):
            event["hashtags"] = [t for t in _TAG_SPLIT.split(cells["hashtags"]) if t]
        for name in ("lang", "region"):
            if cells.get(name):
                event[name] = cells[name]
        if cells.get("author_created"):
            event["author_created"] = _number_or_text(cells["author_created"])
        try:
            yield number, _canonical(event)
        except InvalidEvent as exc:
            yield number, BadLine(path, number, exc.reason, exc.detail)


def _number_or_text(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


MAX_SERIES_VALUE = 10_000_000
"""Largest value of one row of a count series (each unit becomes one post)."""


def _series(rows, tag: str, path: str, tz: dt.tzinfo) -> Iterator[tuple[int, dict | BadLine]]:
    points: list[tuple[int, int, float]] = []
    for row in rows:
        number = rows.line_num
        if not row:
            continue
        try:
            number_, ts, value = number, *parse_row(row, tz)
            if value > MAX_SERIES_VALUE:
                raise SeriesError(f"value {row[1]!r} is not a count in 0..{MAX_SERIES_VALUE:,}", "bad_value")
            points.append((number_, ts, value))
        except SeriesError as exc:
            yield number, BadLine(path, number, exc.reason, str(exc))
    carry = 0.0
    for i, (number, start, value) in enumerate(points):
        step = (points[i + 1][1] if i + 1 < len(points) else start + (start - points[i - 1][1] if i else 60_000)) - start
        carry += value
        count, carry = int(carry), carry - int(carry)
        for k in range(count):
            ts = start + max(0, step) * (2 * k + 1) // (2 * count)
            yield number, {"v": 1, "type": "post", "id": f"{tag}-{start}-{k}", "ts": ts,
                           "author": f"series-{tag}-{start}-{k}", "text": f"#{tag}", "hashtags": [tag]}


def read_file(path: str | Path, tag: str | None = None,
              tz: dt.tzinfo = dt.timezone.utc) -> Iterator[tuple[int, dict | BadLine]]:
    """``(line number, event or BadLine)`` for every line of one input file, in file order.

    ``tz``: the time zone of count-series times written without an offset.
    """
    path = Path(path)
    name = path.name.removesuffix(".gz")
    with open_binary(path) as raw:
        if name.endswith((".jsonl", ".ndjson", ".json")):
            yield from _jsonl(raw, str(path))
            return
        try:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            first = text.readline()
            cells = next(csv.reader([first], delimiter=delimiter_of(first)), [])
            if is_series_header(cells):
                series_tag = normalise_hashtag(tag or Path(name).stem)
                if series_tag is None:
                    raise InputError(f"{path}: no valid hashtag for the count series; pass --tag")
                rows = csv.reader(text, delimiter=delimiter_of(first))
                yield from _series(_Numbered(rows, 1), series_tag, str(path), tz)
            else:
                rows = csv.reader(text)
                yield from _csv_posts(_Numbered(rows, 1), [h.strip().lower() for h in cells], str(path))
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except csv.Error as exc:
            raise InputError(f"{path}: unreadable CSV: {exc}") from None


class _Numbered:
    """A csv reader whose ``line_num`` counts the header line read before it."""

    def __init__(self, reader, offset: int):
        self._reader, self._offset = reader, offset

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._reader)

    @property
    def line_num(self) -> int:
        return self._reader.line_num + self._offset
