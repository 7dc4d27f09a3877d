"""Fuzz targets: the event parser, the hashtag normaliser, the count-series readers and the records of
``hashtag-windows``.

Each target takes arbitrary bytes and raises ``AssertionError`` (or anything
else that escapes) only on a defect: bad input must come back as a
``Rejected``/``BadLine``, or an ``InputError``/``UsageError`` for a whole
file. Driven by hypothesis in ``test_fuzz.py`` (seconds, in the suite) and by
atheris in ``bench/fuzz.py`` (minutes, a benchmark); the seed corpus is in
``corpus/``.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from detectors import _native
from detectors.events import REASONS, decode_record
from detectors.hashtags import MAX_TAG_LENGTH, MAX_TAGS_PER_POST, extract_hashtags, normalise_hashtag
from detectors.records import Engagement, Post
from streams.embedded.counts import count_series
from streams.errors import TrendwatchError
from streams.sources.formats import BadLine, read_file
from streams.stages import Extract
from streams.stages.count import windows_of
from streams.stages.extract import JoinedLines
from streams.worker.window_records import WINDOWS_KEY, batches, decode_batch, decode_windows

CORPUS = Path(__file__).resolve().parent / "corpus"
_TMP = Path(tempfile.mkdtemp(prefix="trendwatch-fuzz-"))


def parser(data: bytes) -> None:
    """``decode_record`` and ``Extract.process`` on one record, and on its lines as joined lines."""
    events, rejected = decode_record(data)
    assert all(type(e) in (Post, Engagement) for e in events)
    assert all(r.reason in REASONS and r.detail and type(r.raw) is bytes for r in rejected)
    stage = Extract(wall_clock=lambda: 1_800_000_000_000)
    lines = [line for line in data.split(b"\n") if line.strip()][:50]
    for values in ([data], [JoinedLines.join(lines)] if lines else []):
        out, rejected = stage.process(values)
        assert all(r.reason in REASONS for r in rejected)
        assert all(m.posts >= 0 and m.views >= 0 for ms in out.values() for m in ms)


def normaliser(data: bytes) -> None:
    """``normalise_hashtag`` and ``extract_hashtags`` on any text: tags are short, stable and distinct."""
    text = data.decode("utf-8", "replace")
    tags = extract_hashtags(text)
    assert len(tags) == len(set(tags)) <= MAX_TAGS_PER_POST
    for tag in (*tags, normalise_hashtag(text)):
        if tag is not None:
            assert 0 < len(tag) <= MAX_TAG_LENGTH and type(tag) is str
            assert normalise_hashtag(tag) == tag, (text, tag)


def count_series_reader(data: bytes) -> None:
    """Both readers of ``timestamp,value`` CSV files (replay/run, and ``backtest --counts``)."""
    path = _TMP / "series.csv"
    path.write_bytes(b"timestamp,value\n" + data)
    try:
        for _, item in itertools.islice(read_file(path, tag="fuzz"), 20_000):
            assert isinstance(item, (BadLine, dict))
    except TrendwatchError:
        pass
    try:
        count_series(path, tag="fuzz")
    except TrendwatchError:
        pass


def window_records(data: bytes) -> None:
    """A ``hashtag-windows`` value (packed or JSON, as a batch or one window) through the detect agent's
    decoding and inbox: windows, or a ``ValueError``/``TypeError`` the agent logs and skips."""
    inbox = _native.WindowInbox(300_000, 3_600_000, 96)
    for key in (WINDOWS_KEY, b"fyp"):
        try:
            batch = decode_batch(key, data)
        except (ValueError, TypeError):
            continue
        assert all(w.posts >= 0 and w.views >= 0 and w.window_end > w.window_start for w in windows_of(batch))
        inbox.add(batch, 600_000)
        assert len(inbox.release(None)) <= len(batch)
        assert batches(batch) == [] if not len(batch) else decode_windows(WINDOWS_KEY, batches(batch)[0])


TARGETS = {"parser": parser, "normaliser": normaliser, "count_series": count_series_reader,
           "window_records": window_records}


def seeds(target: str) -> list[bytes]:
    """The corpus of one target (``corpus/<target>/*``)."""
    return [p.read_bytes() for p in sorted((CORPUS / target).glob("*")) if p.is_file()]
