import json
import math
import pickle
import random

import pytest
from hypothesis import given, settings, strategies as st

from detectors import _native
from detectors.records import Mention
from detectors.windows import WindowAggregator

from tests.oracles.sketches import CountMin, DistinctCounter, HashCache, HyperLogLog, stable_hash


@pytest.mark.parametrize("n", [10, 1_000, 50_000])
def test_hyperloglog_error_within_three_standard_errors(n):
    hll = HyperLogLog(precision=10)
    for i in range(n):
        hll.add(f"author-{i}")
    assert abs(hll.count - n) <= 3 * 1.04 / 32 * n + 1


def test_hyperloglog_ignores_duplicates_and_merges():
    a, b = HyperLogLog(12), HyperLogLog(12)
    for i in range(2000):
        a.add(f"x{i}")
        a.add(f"x{i}")
        b.add(f"x{i + 1000}")
    a.merge(b)
    assert abs(a.count - 3000) < 3000 * 0.06


def test_stable_hash_is_the_same_in_another_interpreter():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", "from detectors._native import stable_hash; print(stable_hash('小红书'))"],
                         capture_output=True, text=True, check=True).stdout
    assert int(out) == stable_hash("小红书")


def test_distinct_counter_exact_up_to_threshold_then_estimates():
    counter = DistinctCounter(threshold=100)
    counter.update(f"a{i}" for i in range(100))
    counter.update(["a1", "a2"])
    assert counter.exact and counter.count == 100
    counter.update(f"b{i}" for i in range(900))
    assert not counter.exact
    assert abs(counter.count - 1000) < 1000 * 0.1


@given(st.lists(st.text(min_size=1, max_size=5), max_size=60), st.integers(0, 30))
@settings(max_examples=60, deadline=None)
def test_distinct_counter_state_round_trip_through_json(items, threshold):
    counter = DistinctCounter(threshold=threshold)
    counter.update(items)
    copy = DistinctCounter.from_state(json.loads(json.dumps(counter.to_state())))
    assert copy.count == counter.count and copy.exact == counter.exact
    if counter.exact:
        assert counter.count == len(set(items))
    copy.add("extra-item-z")
    counter.add("extra-item-z")
    assert copy.count == counter.count


def test_count_min_never_underestimates_and_is_exact_when_sparse():
    rng = random.Random(7)
    cms = CountMin(width=256, depth=4)
    truth = {}
    for _ in range(5000):
        key = f"tag{int(rng.paretovariate(1.2)) % 2000}"
        truth[key] = truth.get(key, 0) + 1
        cms.update(key)
    assert all(cms.estimate(k) >= v for k, v in truth.items())
    assert cms.total == 5000
    sparse = CountMin(width=4096, depth=4)
    sparse.update("a", 3)
    sparse.update("b", 4)
    assert (sparse.estimate("a"), sparse.estimate("b")) == (3, 4)


def test_count_min_state_round_trip_and_pickle():
    cms = CountMin(width=64, depth=3)
    for i in range(300):
        cms.update(f"k{i % 37}", i % 5)
    copy = CountMin.from_state(json.loads(json.dumps(cms.to_state())))
    assert [copy.estimate(f"k{i}") for i in range(37)] == [cms.estimate(f"k{i}") for i in range(37)]
    assert pickle.loads(pickle.dumps(cms)).estimate("k3") == cms.estimate("k3")


@pytest.mark.parametrize("make, name", [
    (lambda: HyperLogLog(precision=3), "precision"),
    (lambda: DistinctCounter(threshold=-1), "threshold"),
    (lambda: CountMin(width=0), "width"),
    (lambda: CountMin(depth=0), "depth"),
    (lambda: HashCache(size=0), "size"),
])
def test_invalid_arguments_name_the_parameter(make, name):
    with pytest.raises(ValueError, match=name):
        make()


@given(st.lists(st.text(max_size=6), max_size=300), st.integers(4, 12))
@settings(max_examples=60, deadline=None)
def test_hashing_once_gives_the_same_registers_and_count(items, precision):
    one_by_one, by_hash = HyperLogLog(precision), HyperLogLog(precision)
    for item in items:
        one_by_one.add(item)
    by_hash.add_hashes([stable_hash(item) for item in items])
    assert by_hash.to_state() == one_by_one.to_state()
    registers = one_by_one._registers
    m = len(registers)
    raw = 0.7213 / (1 + 1.079 / m) * m * m / sum(2.0 ** -r for r in registers)
    zeros = registers.count(0)
    assert by_hash.count == round(m * math.log(m / zeros) if raw <= 2.5 * m and zeros else raw)


def test_count_min_with_precomputed_positions_counts_the_same():
    plain, reused = CountMin(width=32, depth=3), CountMin(width=32, depth=3)
    for i in range(200):
        key = f"k{i % 23}"
        plain.update(key, i % 4)
        reused.update(key, i % 4, reused.positions(key))
    assert plain.to_state() == reused.to_state()
    assert [plain.estimate(f"k{i}") for i in range(23)] == [reused.estimate(f"k{i}", plain.positions(f"k{i}"))
                                                           for i in range(23)]


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_native_stable_hash_is_the_oracle_hash(text):
    assert _native.stable_hash(text) == stable_hash(text)


@given(st.integers(1, 3000), st.integers(0, 10 ** 6))
@settings(max_examples=60, deadline=None)
def test_native_window_authors_are_the_oracle_distinct_counter(n, seed):
    """Same registers, same estimate: a window's authors equal ``DistinctCounter`` over the same names."""
    rng = random.Random(seed)
    names = [f"user{rng.randrange(10 ** 9)}" for _ in range(n)]
    counter = DistinctCounter(threshold=256)
    agg = WindowAggregator((60_000,), allowed_lateness=0, exact_authors=256)
    for i in range(0, n, 97):
        chunk = tuple(sorted(set(names[i:i + 97])))
        agg.update(Mention("t", 0, 1, posts=1, authors=chunk))
        counter.update(chunk)
    known = agg.cells("t")[0][-1]
    [window] = agg.flush()
    assert window.authors == counter.count
    if counter.exact:
        assert known == ("items", sorted(stable_hash(a) for a in set(names)))
    else:
        assert known == ("hll", bytes(counter._hll._registers))
