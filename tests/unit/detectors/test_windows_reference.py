"""WindowAggregator against a straightforward reference of the same rules.

The reference keeps one flat dict of cells keyed by (hashtag, size, start),
counts authors with ``DistinctCounter`` and finds everything by scanning, so
it is slow and obviously right. Both are fed the same random operations
(mentions, clocks of several sources, flushes, checkpoint round trips) and
must return the same windows in the same order, with the same late, sketch
and promotion counters.
"""

import random

from hypothesis import given, settings, strategies as st

from detectors.records import Mention, Window
from detectors.windows import WindowAggregator, format_size

from tests.oracles.sketches import CountMin, DistinctCounter, stable_hash

WIDTH = 8192  # counters per row of the aggregator's Count-Min sketches
WIDE = 65_536  # ... and of the promotion window's posts sketch


class Reference:
    def __init__(self, sizes, allowed_lateness, late_policy, retention, sources, max_tags, exact_authors,
                 promote_at, promote_size=None):
        self.sizes, self.lateness, self.policy = sorted(sizes), allowed_lateness, late_policy
        self.promote_size = self.sizes[0] if promote_size is None else promote_size
        self.retention = allowed_lateness if retention is None else retention
        self.sources, self.max_tags = [str(s) for s in sources], max_tags
        self.exact, self.promote_at = exact_authors, promote_at
        self.cells, self.sketches, self.clocks, self.wm = {}, {}, {}, None
        self.late_applied = self.late_dropped = self.sketched_posts = 0

    def tags(self):
        return {tag for tag, _, _ in self.cells}

    def snapshot(self):
        return {key: (c["closed"], c["posts"], c["views"], c["new"], authors(c["authors"]))
                for key, c in self.cells.items()}

    def window(self, tag, size, start):
        c = self.cells[(tag, size, start)]
        return Window(tag, format_size(size), start, start + size, c["posts"], c["views"], c["authors"].count,
                      c["new"])

    def new_cell(self, tag, size, start, closed, counts=(0, 0, 0)):
        cell = dict(zip(("posts", "views", "new"), counts), authors=DistinctCounter(self.exact), closed=closed)
        self.cells[(tag, size, start)] = cell
        return cell

    def update(self, m):
        wm, base = self.wm, self.sizes[0]
        late = wm is not None and m.bucket - m.bucket % base + base <= wm
        if late and self.policy == "drop":
            self.late_dropped += m.posts or 1
            return []
        if m.hashtag not in self.tags() and len(self.tags()) >= self.max_tags:
            self.sketch(m)
            return []
        out, applied = [], False
        for size in self.sizes:
            start = m.bucket - m.bucket % size
            cell = self.cells.get((m.hashtag, size, start))
            if cell is None:
                closed = wm is not None and start + size <= wm
                if closed and start + size + self.retention <= wm:
                    continue
                cell = self.new_cell(m.hashtag, size, start, closed)
            cell["posts"] += m.posts
            cell["views"] += m.views
            cell["new"] += m.new_authors
            cell["authors"].update(m.authors)
            if cell["closed"]:
                out.append(self.window(m.hashtag, size, start))
            applied = True
        if late:
            if applied:
                self.late_applied += m.posts or 1
            else:
                self.late_dropped += m.posts or 1
        return out

    def sketch(self, m):
        """Counts in the open windows' sketches; promotes by the corrected posts of the promotion window."""
        self.sketched_posts += m.posts
        open_keys = []
        for size in self.sizes:
            start = m.bucket - m.bucket % size
            if self.wm is not None and start + size <= self.wm:
                continue
            posts = WIDE if size == self.promote_size else WIDTH
            tails = self.sketches.setdefault((size, start), [CountMin(posts), CountMin(WIDTH), CountMin(WIDTH)])
            for tail, count in zip(tails, (m.posts, m.views, m.new_authors)):
                tail.update(m.hashtag, count)
            open_keys.append((size, start))
        window = (self.promote_size, m.bucket - m.bucket % self.promote_size)
        if (window in open_keys and self.sketches[window][0].corrected(m.hashtag) >= self.promote_at
                and len(self.tags()) < self.max_tags + self.max_tags // 10):
            for size, start in open_keys:
                counts = [tail.corrected(m.hashtag) for tail in self.sketches[(size, start)]]
                self.new_cell(m.hashtag, size, start, False, counts)["authors"].update(m.authors)

    def advance(self, time, source=""):
        source = str(source)
        self.clocks[source] = max(time, self.clocks.get(source, -1))
        if any(s not in self.clocks for s in self.sources):
            return []
        wm = min(self.clocks[s] for s in self.sources or self.clocks) - self.lateness
        if self.wm is not None and wm <= self.wm:
            return []
        self.wm = wm
        return self.close(lambda end: end <= wm)

    def flush(self):
        return self.close(lambda end: True)

    def close(self, due):
        opened = [(start + size, size, tag, start) for (tag, size, start), c in self.cells.items()
                  if not c["closed"] and due(start + size)]
        out = []
        for _, size, tag, start in sorted(opened):
            out.append(self.window(tag, size, start))
            self.cells[(tag, size, start)]["closed"] = True
        if self.wm is not None:
            for (tag, size, start), c in list(self.cells.items()):
                if c["closed"] and start + size + self.retention <= self.wm:
                    del self.cells[(tag, size, start)]
            for size, start in [k for k in self.sketches if sum(k) <= self.wm]:
                del self.sketches[(size, start)]
        return out


def authors(counter):
    """A ``DistinctCounter`` as the native cells show authors: sorted name hashes, or the registers."""
    if counter.exact:
        return ("items", sorted(stable_hash(name) for name in counter._items))
    return ("hll", bytes(counter._hll._registers))


def snapshot(agg):
    """Every cell of ``agg``: closed flag, counts, authors exact (by hash) or sketched (registers)."""
    return {(tag, size, start): (closed, posts, views, new, known)
            for tag in agg.units() if not tag.startswith(":")
            for size, start, closed, posts, views, new, known in agg.cells(tag)}


configs = st.fixed_dictionaries({
    "sizes": st.sampled_from([(60_000,), (60_000, 300_000), (60_000, 300_000, 3_600_000), (120_000, 360_000)]),
    "allowed_lateness": st.sampled_from([0, 30_000, 120_000]),
    "late_policy": st.sampled_from(["apply", "drop"]),
    "retention": st.sampled_from([None, 0, 90_000, 600_000]),
    "sources": st.sampled_from([(), ("0", "1")]),
    "max_tags": st.sampled_from([1, 4, 10, 12]),  # from 10 on, a tenth more may be promoted
    "exact_authors": st.integers(0, 6),
    "promote_at": st.integers(1, 4),
}).flatmap(lambda c: st.fixed_dictionaries({**{k: st.just(v) for k, v in c.items()},
                                            "promote_size": st.sampled_from((None,) + c["sizes"])}))


def operations(seed, n, sources):
    """Mentions around two sources' clocks (some far behind), clock reports, flushes, round trips."""
    rng, clocks, ops = random.Random(seed), [0, 0], []
    for _ in range(n):
        s = rng.randrange(2)
        clocks[s] += rng.choice([0, 1_000, 20_000, 70_000, 400_000])
        roll = rng.random()
        if roll < 0.7:
            ts = max(0, clocks[s] - rng.choice([0, 0, 10_000, 100_000, 700_000]))
            authors = tuple(sorted({f"u{rng.randrange(12)}" for _ in range(rng.randrange(4))}))
            ops.append(("mention", Mention(f"t{rng.randrange(16)}", ts - ts % 60_000, ts, posts=rng.randrange(3),
                                           views=rng.randrange(9), new_authors=rng.randrange(2), authors=authors)))
        elif roll < 0.9:
            ops.append(("advance", clocks[s], str(s) if sources else ""))
        else:
            ops.append((rng.choice(["flush", "round trip", "units"]),))
    return ops


def restored(agg, config, incremental):
    copy = WindowAggregator(**config)
    if incremental:  # unit by unit, as the worker's changelog does
        for unit in agg.units():
            copy.load_unit(unit, bytes(agg.unit_state(unit)))
        copy.load_meta(bytes(agg.meta_state()))
    else:
        copy.load_state(bytes(agg.to_state()))
    return copy


@given(configs, st.integers(0, 10 ** 6))
@settings(max_examples=150, deadline=None)
def test_aggregator_matches_the_reference(config, seed):
    agg, ref = WindowAggregator(**config), Reference(**config)
    for op in operations(seed, 120, config["sources"]):
        if op[0] == "mention":
            assert agg.update(op[1]) == ref.update(op[1])
        elif op[0] == "advance":
            assert agg.advance(op[1], op[2]) == ref.advance(op[1], op[2])
        elif op[0] == "flush":
            assert agg.flush() == ref.flush()
        else:
            agg = restored(agg, config, incremental=op[0] == "units")
        counters = (agg.late_applied, agg.late_dropped, agg.sketched_posts, agg.tracked_tags, agg.watermark)
        assert counters == (ref.late_applied, ref.late_dropped, ref.sketched_posts, len(ref.tags()), ref.wm)
        assert agg.has_open == any(not c["closed"] for c in ref.cells.values())
        assert snapshot(agg) == ref.snapshot()
    assert agg.flush() == ref.flush()


def test_the_stress_paths_are_reached():
    """The random operations above do produce late, sketched, promoted and sketched-author windows."""
    config = dict(sizes=(60_000, 300_000), allowed_lateness=30_000, late_policy="apply", retention=600_000,
                  sources=(), max_tags=10, exact_authors=2, promote_at=2, promote_size=300_000)
    agg, promoted, estimated = WindowAggregator(**config), False, False
    for op in operations(1, 2000, ()):
        if op[0] == "mention":
            known = op[1].hashtag in agg.units()
            agg.update(op[1])
            promoted |= not known and op[1].hashtag in agg.units() and agg.tracked_tags > config["max_tags"]
        elif op[0] == "advance":
            estimated |= any(w.authors > 2 for w in agg.advance(op[1]))
    assert agg.late_applied > 0 and agg.sketched_posts > 0 and promoted and estimated


def test_restored_cells_keep_authors_exact_then_sketched_as_distinct_counters_do():
    """Authors survive a checkpoint exact (below the threshold) or sketched, and go on counting."""
    exact, sketched = DistinctCounter(threshold=3), DistinctCounter(threshold=3)
    agg = WindowAggregator((60_000, 300_000), exact_authors=3)
    agg.update(Mention("fyp", 0, 10, posts=2, views=5, new_authors=1, authors=("a", "b")))
    exact.update(["a", "b"])
    sketched.update(["a", "b"])
    many = tuple(f"u{i}" for i in range(50))
    agg.update(Mention("fyp", 60_000, 70_000, posts=7, authors=many))
    sketched.update(many)
    copy = WindowAggregator((60_000, 300_000), exact_authors=3)
    copy.load_state(bytes(agg.to_state()))
    copy.update(Mention("fyp", 0, 20, posts=1, authors=("b", "c")))
    exact.update(["b", "c"])
    sketched.update(["b", "c"])
    windows = [(w.size, w.window_start, w.posts, w.authors) for w in copy.flush()]
    assert windows == [("1m", 0, 3, exact.count), ("1m", 60_000, 7, 50), ("5m", 0, 10, sketched.count)]
    assert exact.exact and not sketched.exact
    cells = {(size, start): known for size, start, _, _, _, _, known in copy.cells("fyp")}
    assert cells[(60_000, 0)] == authors(exact)
    assert cells[(300_000, 0)] == authors(sketched)


def test_a_surge_in_a_flood_of_one_post_tags_is_promoted_and_the_flood_is_not():
    """Past the exact cap, promotion reads the promotion window's noise-corrected estimate, as the
    reference: a surge of 1, 1, 3, 4, 4 posts a minute among 50,000 one-post tags in 5 minutes is
    promoted on its 5-minute window (never 10 posts in a minute: promotion on the base window
    misses it), and no flood tag takes the one promotion slot (max_tags 10 allows 11 tags)."""
    config = dict(sizes=(60_000, 300_000), allowed_lateness=0, late_policy="apply", retention=None,
                  sources=(), max_tags=10, exact_authors=2, promote_at=10, promote_size=300_000)
    agg, ref = WindowAggregator(**config), Reference(**config)
    base = WindowAggregator(**config | {"promote_size": None})
    rng, closed, tracked, tracked_by_base = random.Random(5), [], set(), set()
    for minute, surge in enumerate((1, 1, 3, 4, 4)):
        start, flood = minute * 60_000, range(minute * 10_000, (minute + 1) * 10_000)
        stream = [Mention(f"flood{i}", start, start + i % 60_000, posts=1, views=3, new_authors=1,
                          authors=(f"bot{i}",)) for i in flood]
        stream += [Mention("earthquake", start, start + i, posts=1, views=9, authors=(f"u{minute}.{i}",))
                   for i in range(surge)]
        rng.shuffle(stream)
        if minute == 0:
            exact = {m.hashtag for m in stream[:10]}  # they take the exact slots
        for m in stream:
            assert agg.update(m) == ref.update(m)
            base.update(m)
        assert snapshot(agg) == ref.snapshot()
        tracked |= ref.tags()
        tracked_by_base |= {unit for unit in base.units() if not unit.startswith(":")}
        windows = agg.advance(start + 60_000)
        assert windows == ref.advance(start + 60_000)
        closed += windows
        base.advance(start + 60_000)
    assert tracked - exact == {"earthquake"}
    assert tracked_by_base == exact, "the base window's sketch promotes neither the surge nor the flood"
    posts = {w.size: w.posts for w in closed if w.hashtag == "earthquake"}
    assert 10 <= posts["5m"] <= 16, posts
