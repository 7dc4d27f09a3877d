"""``streams.worker.gaps.Gaps``: which offsets count as skipped (the broker read itself is the kill test's)."""

import asyncio
from types import SimpleNamespace

from streams.settings import Settings
from streams.worker.gaps import Gaps


class Log(Gaps):
    """Gaps over an in-process log of ``(topic, partition) -> records``; the reads it made."""

    def __init__(self, n: int = 20):
        super().__init__(Settings())
        self.reads = []
        self.records = [SimpleNamespace(topic="w", partition=0, offset=o, key=b"k", value=b"%d" % o, headers=[])
                        for o in range(n)]

    def _read(self, topic, partition, start, end):
        self.reads.append((start, end))
        return [r for r in self.records if start <= r.offset < end]


def offsets(gaps: Gaps, *seen) -> list:
    async def run():
        return [[m.message.offset for m in await gaps.missed(SimpleNamespace(topic="w", partition=0, offset=o))]
                for o in seen]
    return asyncio.run(run())


def test_consecutive_offsets_and_offsets_read_again_are_no_gap():
    gaps = Log()
    assert offsets(gaps, 3, 4, 5, 2, 3, 6) == [[], [], [], [], [], []]
    assert gaps.reads == []


def test_offsets_jumped_over_are_read_in_order_once():
    gaps = Log()
    assert offsets(gaps, 3, 4, 9, 10) == [[], [], [5, 6, 7, 8], []]
    assert gaps.reads == [(5, 9)]


def test_an_expected_offset_makes_the_first_message_checked():
    gaps = Log()
    gaps.expect("w", 0, 7)
    assert offsets(gaps, 10) == [[7, 8, 9]]
    gaps.keep([])  # the partition went elsewhere: no expectation left
    assert offsets(gaps, 15) == [[]]


def test_after_an_assignment_the_committed_offset_is_expected_where_nothing_is():
    gaps = Log()
    gaps._committed = lambda tps: {tp: 4 for tp in tps}
    gaps.expect("w", 1, 9)
    asyncio.run(gaps.expect_committed([SimpleNamespace(topic="w", partition=0), SimpleNamespace(topic="w", partition=1)]))
    assert gaps.next == {("w", 0): 4, ("w", 1): 9}
    assert offsets(gaps, 6) == [[4, 5]]
