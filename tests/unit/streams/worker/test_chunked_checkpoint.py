"""Count checkpoints of a flooded sketch window in chunks: every record bounded, restores whole, a
checkpoint cut short anywhere never mixes chunks of two checkpoints, stale chunks get deleted."""

from __future__ import annotations

import pytest

from detectors.records import Mention
from streams.stages import Count
from streams.worker import chunks
from streams.worker.checkpoint import PartitionCounts

MIN = 60_000
START = 1_700_000_100_000  # a 5-minute boundary


class Recording(Count):
    """A real Count that keeps the items it was restored from."""

    def restore(self, items):
        self.restored = dict(items)
        super().restore(items)


def make():
    return Recording(sizes_ms=(MIN, 5 * MIN, 60 * MIN), lateness_ms=MIN, max_tags=50)


def flood(counts: PartitionCounts, first: int, n: int, ts: int, offset: int, views: int) -> None:
    mentions = [Mention(f"flood{first + i}", ts - ts % MIN, ts, posts=1, views=views) for i in range(n)]
    for i in range(0, n, 5_000):  # as the worker: the stage of the message's partition, then its mentions
        counts.get(0, table_items=list).process(mentions[i:i + 5_000], source=0, offset=offset + i, clock=ts)


def apply(table: dict, records) -> dict:
    for _, key, value in records:
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    return table


@pytest.fixture(scope="module")
def two_checkpoints():
    counts = PartitionCounts(make)
    flood(counts, 0, 60_000, START + 1_000, 0, 10 ** 14)
    first = counts.snapshot()
    flood(counts, 60_000, 20_000, START + MIN + 1_000, 100_000, 10 ** 14)
    second = counts.snapshot()
    return first, second


def test_every_record_is_bounded_and_a_large_value_restores_whole(two_checkpoints):
    first, second = two_checkpoints
    assert max(len(v) for _, _, v in first + second if v is not None) <= chunks.CHUNK_BYTES
    heads = [(k, v) for _, k, v in second if chunks.is_head(v)]
    assert heads, "the flooded window must be large enough to be chunked"
    table = apply(apply({}, first), second)
    for key, head in heads:
        whole = chunks.join(key, head, table.get)
        assert len(whole) > chunks.CHUNK_BYTES
    restored = PartitionCounts(make).get(0, table_items=lambda: table.items())
    plain = {k.decode()[2:]: v for k, v in table.items() if k.startswith(b"0/") and not chunks.is_head(v)}
    for key, head in heads:
        plain[key.decode()[2:]] = chunks.join(key, head, table.get)
    assert restored.restored == plain
    assert not any(k.startswith(b"0/chunk") for k in table)  # chunks are no units


def test_a_checkpoint_cut_short_anywhere_restores_the_previous_or_the_new_value_never_a_mix(two_checkpoints):
    first, second = two_checkpoints
    base = apply({}, first)
    units = {k for _, k, v in first + second if k.startswith(b"0/:")}
    old = {k: chunks.join(k, v, base.get) if chunks.is_head(v) else v for k, v in base.items() if k in units}
    full = apply(dict(base), second)
    new = {k: chunks.join(k, v, full.get) if chunks.is_head(v) else v for k, v in full.items() if k in units}
    for cut in range(len(second) + 1):
        table = apply(dict(base), second[:cut])
        counts = PartitionCounts(make)
        stage = counts.get(0, table_items=lambda: table.items())
        for key in units:
            got = stage.restored.get(key.decode()[2:])
            assert got in (old.get(key), new.get(key)), f"unit {key!r} mixed after {cut} records"
        # what no head names is deleted by the next snapshot, and what a head names is kept
        after = apply(dict(table), counts.snapshot())
        named = {c for k, v in after.items() if chunks.is_head(v) for c in chunks.chunk_keys(k, v)}
        assert {k for k in after if k.startswith(chunks.CHUNK_PREFIX)} == named


def test_a_replaced_or_deleted_chunked_value_leaves_no_chunks_behind():
    counts = PartitionCounts(make)
    flood(counts, 0, 60_000, START + 1_000, 0, 10 ** 14)
    table = apply({}, counts.snapshot())
    flood(counts, 60_000, 20_000, START + MIN + 1_000, 100_000, 10 ** 14)
    table = apply(table, counts.snapshot())
    assert any(k.startswith(chunks.CHUNK_PREFIX) for k in table)
    later = START + 150 * MIN  # closes the flooded windows
    counts.get(0, table_items=list).process([Mention("late", later, later, posts=1)], source=0, offset=10 ** 6,
                                            clock=later)
    table = apply(table, counts.snapshot())
    counts.get(0, table_items=list)
    table = apply(table, counts.snapshot())  # tombstones once a meta value covers them
    assert not [k for k in table if k.startswith(chunks.CHUNK_PREFIX)]


def test_values_written_before_chunking_still_restore():
    counts = PartitionCounts(make)
    counts.get(0, table_items=list).process([Mention("fyp", START, START + 5, posts=2)], source=0, offset=3,
                                            clock=START + 5)
    table = apply({}, counts.snapshot())
    assert not any(chunks.is_head(v) for v in table.values())
    again = PartitionCounts(make).get(0, table_items=lambda: table.items())
    assert again.applied == {"0": 3} and [w.posts for w in again.flush() if w.size == "1m"] == [2]


def test_a_head_whose_chunk_is_missing_is_a_clear_error(two_checkpoints):
    first, second = two_checkpoints
    table = apply(apply({}, first), second)
    key, head = next((k, v) for k, v in table.items() if chunks.is_head(v))
    del table[chunks.chunk_keys(key, head)[-1]]
    with pytest.raises(chunks.ChunkError, match="missing"):
        PartitionCounts(make).get(0, table_items=lambda: table.items())
