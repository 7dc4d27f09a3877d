"""The batch records of ``hashtag-windows`` (packed, and the earlier JSON formats) and the detect agent's
``WindowInbox``: round trips, chunking, bad input, and the inbox against the Python it replaced."""

import random

import orjson
import pytest

from detectors import _native
from detectors.records import Window
from streams.stages import Count
from streams.stages.count import windows_of
from streams.worker.window_records import WINDOWS_KEY, WINDOWS_PER_RECORD, batches, decode_batch, decode_windows


def test_batches_round_trip_in_order_and_chunked():
    windows = [Window(f"t{i}", "1m", 0, 60_000, posts=i, views=2 * i, authors=1, new_authors=i % 2)
               for i in range(WINDOWS_PER_RECORD + 5)]
    values = batches(windows)
    assert len(values) == 2
    assert [w for v in values for w in decode_windows(WINDOWS_KEY, v)] == windows
    assert [w for v in values for w in windows_of(decode_batch(WINDOWS_KEY, v))] == windows
    assert batches([]) == []


def test_a_native_batch_is_packed_as_the_same_windows_in_a_fraction_of_the_json_bytes():
    from detectors.records import Mention
    count = Count(sizes_ms=(60_000, 300_000), lateness_ms=0)
    count.process([Mention(f"tag{i}", 0, 1_000, posts=1 + i % 3, views=5, authors=(f"u{i}",)) for i in range(500)])
    batch = count.process_batch([Mention("later", 3_600_000, 3_600_000, posts=1)])
    windows = windows_of(batch)
    assert len(windows) == 1000
    [value] = batches(batch)
    assert decode_windows(WINDOWS_KEY, value) == windows
    as_json = orjson.dumps([(w.hashtag, w.size, w.window_start, w.window_end, w.posts, w.views, w.authors,
                             w.new_authors) for w in windows])
    assert decode_windows(WINDOWS_KEY, as_json) == windows  # the earlier format is still read
    assert len(value) < len(as_json) / 2.5


def test_a_single_window_record_is_still_read():
    w = Window("fyp", "5m", 0, 300_000, posts=1)
    assert decode_windows(b"fyp", orjson.dumps(w.to_dict())) == [w]
    assert windows_of(decode_batch(b"fyp", orjson.dumps(w.to_dict()))) == [w]


@pytest.mark.parametrize("key, value", [
    (WINDOWS_KEY, b"not json"), (WINDOWS_KEY, b'{"hashtag": "a"}'), (WINDOWS_KEY, b'[["a", "1m", 0]]'),
    (WINDOWS_KEY, b'[[1, "1m", 0, 60000, 1, 0, 1, 0]]'), (b"a", b"[1, 2]"), (b"a", b'{"size": "1m"}'),
    (WINDOWS_KEY, b"\x01"), (WINDOWS_KEY, b"\x01\x01\x00"), (WINDOWS_KEY, b"\x01\x00\x00\x01\x00\x00"),
])
def test_anything_else_is_an_error_the_agent_can_log(key, value):
    with pytest.raises((ValueError, TypeError)):
        decode_windows(key, value)
    with pytest.raises((ValueError, TypeError)):
        decode_batch(key, value)


def test_every_truncation_of_a_packed_value_is_an_error():
    [value] = batches([Window("fyp", "5m", 0, 300_000, posts=3), Window("话题", "1h", 0, 3_600_000, posts=9)])
    for cut in range(1, len(value)):
        with pytest.raises(ValueError):
            decode_windows(WINDOWS_KEY, value[:cut])


class PythonInbox:
    """What the detect agent did with windows in Python before ``WindowInbox`` (the oracle)."""

    def __init__(self, sizes, keep):
        self.sizes, self.keep, self.seen, self.buffer = sizes, keep, {}, []

    def add(self, windows, released):
        late = []
        for w in windows:
            if w.size_ms not in self.sizes:
                continue
            tags = self.seen.setdefault((w.size_ms, w.window_end), set())
            if w.hashtag in tags:
                continue
            tags.add(w.hashtag)
            if len(self.seen) > self.keep:
                for key in sorted(self.seen, key=lambda k: k[1])[:-self.keep]:
                    del self.seen[key]
            (late if w.window_end <= released else self.buffer).append(w)
        return late

    def release(self, upto):
        ready = [w for w in self.buffer if upto is None or w.window_end <= upto]
        self.buffer = [w for w in self.buffer if upto is not None and w.window_end > upto]
        return sorted(ready, key=lambda w: (w.window_end, w.window_start))


@pytest.mark.parametrize("seed", range(6))
def test_the_inbox_drops_recognises_and_releases_as_the_python_it_replaced(seed):
    rng = random.Random(seed)
    sizes = {60_000: "1m", 300_000: "5m", 3_600_000: "1h"}
    keep = rng.choice([2, 5, 96])
    native, oracle = _native.WindowInbox(300_000, 3_600_000, keep), PythonInbox((300_000, 3_600_000), keep)
    released, legacy_at = -1, rng.randrange(20, 40)
    for step in range(60):
        windows = []
        for _ in range(rng.randrange(0, 30)):
            size = rng.choice(list(sizes))
            end = size * rng.randrange(max(1, step - 3), step + 4)  # late, current and early moments
            windows.append(Window(rng.choice("abcdefgh"), sizes[size], end - size, end,
                                  posts=rng.randrange(5), views=rng.randrange(50), authors=rng.randrange(3)))
        if rng.random() < 0.3:
            windows += windows[:rng.randrange(len(windows) + 1)]  # published again
        late = oracle.add(windows, released)
        assert windows_of(native.add(_native.windows_batch(windows), released)) == late
        if rng.random() < 0.4:
            upto = None if rng.random() < 0.1 else step * 300_000
            ready = oracle.release(upto)
            assert windows_of(native.release(upto)) == ready
            if ready:
                released = max(released, ready[-1].window_end)
        assert len(native) == len(oracle.buffer)
        assert native.moments == len(oracle.seen)
        if step == legacy_at:  # a checkpoint written by the Python inbox, restored into a native one
            native = _native.WindowInbox(300_000, 3_600_000, keep)
            for (size_ms, end), tags in oracle.seen.items():
                native.load_seen(size_ms, end, sorted(tags))
            native.load_waiting(_native.windows_batch(oracle.buffer))
        elif rng.random() < 0.2:
            native = _native.WindowInbox.from_state(native.state())


def test_an_inbox_state_that_is_not_one_is_a_value_error():
    state = _native.WindowInbox(300_000, 3_600_000, 4).state()
    for bad in (b"", b"\x02" + state[1:], state[:-1], state + b"\x00"):
        with pytest.raises(ValueError):
            _native.WindowInbox.from_state(bad)
