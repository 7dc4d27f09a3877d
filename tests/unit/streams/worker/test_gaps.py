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


def committed_past(gaps: Gaps) -> list:
    async def run():
        return [e.message.offset for e in await gaps.committed_past()]
    return asyncio.run(run())


def test_records_committed_past_the_expected_offset_are_read_without_a_later_message():
    """Skipped at the end of what the partition holds: no message reveals them, the commit does."""
    gaps = Log()
    gaps._committed = lambda tps: {tp: 12 for tp in tps}
    assert offsets(gaps, 8, 9) == [[], []]
    assert committed_past(gaps) == [10, 11]
    assert gaps.next == {("w", 0): 12} and gaps.reads == [(10, 12)]
    assert committed_past(gaps) == []  # read once
    assert offsets(gaps, 12) == [[]]


def test_a_commit_not_past_the_expected_offset_is_no_gap():
    gaps = Log()
    committed = {"offset": 5}
    gaps._committed = lambda tps: {tp: committed["offset"] for tp in tps}
    assert offsets(gaps, 3, 4, 5, 6) == [[], [], [], []]  # acknowledged up to 4 only: commit 5 < next 7
    assert committed_past(gaps) == []
    committed["offset"] = None  # the group has no commit (or it could not be read)
    assert committed_past(gaps) == [] and gaps.reads == []


def test_a_restarted_count_agent_expects_the_offset_after_its_last_checkpointed_one():
    """Records acknowledged without reaching the count agent, then a kill before it noticed: the
    restarted worker starts at the group's commit, past them, yet expects the offset after the
    last one its checkpoint holds, and reads them."""
    from tests.unit.streams.worker.test_checkpoint_kill import Broker, consume, count_flow, mentions

    async def run():
        broker, events = Broker(), mentions(6)
        flow = count_flow(broker)
        for ev in events[:3]:
            await consume(flow, flow.on_mentions, SimpleNamespace(ack=_noop), ev)
        await flow.checkpoint()  # holds offsets 0..2; 3 and 4 then go by unhandled and get committed
        restarted = count_flow(broker)
        restarted.on_recovered([SimpleNamespace(topic="hashtag-mentions", partition=0)])
        return restarted.resume_at()

    resume = asyncio.run(run())
    assert resume == {0: 3}
    gaps = Log()
    gaps._committed = lambda tps: {tp: 5 for tp in tps}
    gaps.expect("w", 0, resume[0])
    asyncio.run(gaps.expect_committed([SimpleNamespace(topic="w", partition=0)]))  # kept: 3, not 5
    assert offsets(gaps, 5) == [[3, 4]]


async def _noop(event):
    return None


def test_records_below_the_commit_read_again_after_a_restart_are_no_warning(caplog):
    """The extract agent's expectation after a restart comes from the count stages' applied offsets,
    often below the group's commit (posts are acknowledged once their mentions are sent, not
    counted): those records are read again, said at INFO; a skip past the commit is still a warning."""
    gaps = Log(30)
    gaps._committed = lambda tps: {tp: 10 for tp in tps}
    gaps.expect("w", 0, 6)
    asyncio.run(gaps.expect_committed([SimpleNamespace(topic="w", partition=0)]))
    assert gaps.next == {("w", 0): 6} and gaps.committed_at == {("w", 0): 10}
    with caplog.at_level("INFO", logger="streams.worker.gaps"):
        assert offsets(gaps, 10, 11, 15) == [[6, 7, 8, 9], [], [12, 13, 14]]
    levels = [(r.levelname, r.getMessage().split(":")[1].strip()) for r in caplog.records]
    assert levels == [("INFO", "reading offsets 6 to 9 again"),
                      ("WARNING", "offsets 12 to 14 were not handed to the agent; reading them directly")]


def test_the_extract_agent_resumes_after_the_last_post_its_counts_applied():
    from tests.unit.streams.worker.test_checkpoint_kill import Broker, consume, count_flow, mentions

    async def run():
        flow = count_flow(Broker())
        for ev in mentions(4):  # source 0, offsets 0..3
            await consume(flow, flow.on_mentions, SimpleNamespace(ack=_noop), ev)
        return flow.posts_resume_at()

    assert asyncio.run(run()) == {0: 4}


def test_an_expectation_far_below_the_commit_gives_way_to_the_commit():
    from streams.worker.gaps import REREAD_MAX
    gaps = Log(10)
    gaps._committed = lambda tps: {tp: REREAD_MAX + 8 for tp in tps}
    gaps.expect("w", 0, 5)
    asyncio.run(gaps.expect_committed([SimpleNamespace(topic="w", partition=0)]))
    assert gaps.next == {("w", 0): REREAD_MAX + 8} and gaps.committed_at == {}
