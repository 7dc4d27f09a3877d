"""The batch records of ``hashtag-windows``: round trip, chunking, the earlier format, bad input."""

import orjson
import pytest

from detectors.records import Window
from streams.worker.window_records import WINDOWS_KEY, WINDOWS_PER_RECORD, batches, decode_windows, encode_windows


def test_batches_round_trip_in_order_and_chunked():
    windows = [Window(f"t{i}", "1m", 0, 60_000, posts=i, views=2 * i, authors=1, new_authors=i % 2)
               for i in range(WINDOWS_PER_RECORD + 5)]
    values = batches(windows)
    assert len(values) == 2
    assert [w for v in values for w in decode_windows(WINDOWS_KEY, v)] == windows
    as_tuples = [(w.hashtag, w.size, w.window_start, w.window_end, w.posts, w.views, w.authors, w.new_authors)
                 for w in windows[:3]]
    assert encode_windows(as_tuples) == encode_windows(windows[:3])
    assert batches([]) == []


def test_a_single_window_record_is_still_read():
    w = Window("fyp", "5m", 0, 300_000, posts=1)
    assert decode_windows(b"fyp", orjson.dumps(w.to_dict())) == [w]


@pytest.mark.parametrize("key, value", [
    (WINDOWS_KEY, b"not json"), (WINDOWS_KEY, b'{"hashtag": "a"}'), (WINDOWS_KEY, b'[["a", "1m", 0]]'),
    (WINDOWS_KEY, b'[[1, "1m", 0, 60000, 1, 0, 1, 0]]'), (b"a", b"[1, 2]"), (b"a", b'{"size": "1m"}'),
])
def test_anything_else_is_an_error_the_agent_can_log(key, value):
    with pytest.raises((ValueError, TypeError)):
        decode_windows(key, value)
