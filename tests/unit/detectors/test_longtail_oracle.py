"""The native long-tail sketch against the numpy one it replaced (tests/oracles/longtail.py).

Random sequences of updates, deferred values, decays, reads, keys taken out and shares put in must give the
same estimates, bit for bit; the native sketch survives pickling (deferred
values included), and a sketch pickled by the former Python class loads.
"""

from __future__ import annotations

import io
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.longtail import DecayingCountMin
from tests.oracles.longtail import DecayingCountMin as Oracle

keys = st.text(max_size=6) | st.sampled_from(["fyp", "cats", "日本", "ß", ""])
step = st.one_of(
    st.tuples(st.just("update"), st.lists(st.tuples(keys, st.floats(0, 10, allow_nan=False)), max_size=6)),
    st.tuples(st.just("defer"), st.lists(st.tuples(keys, st.floats(0, 10, allow_nan=False)), max_size=6)),
    st.tuples(st.just("decay"), st.integers(0, 3)),
    st.tuples(st.just("read"), keys),
    st.tuples(st.just("take"), keys),
    st.tuples(st.just("put"), st.tuples(keys, st.floats(0, 10, allow_nan=False) | st.just(float("inf")))))
shape = st.tuples(st.sampled_from([1, 7, 64, 1024]), st.integers(1, 8), st.sampled_from([0.01, 0.05, 0.5, 1.0]))


@settings(max_examples=150, deadline=None)
@given(shape=shape, steps=st.lists(step, max_size=30))
def test_native_sketch_agrees_with_the_python_one(shape, steps):
    width, depth, alpha = shape
    native, oracle, deferred = DecayingCountMin(width, depth, alpha), Oracle(width, depth, alpha), []
    for i, (kind, arg) in enumerate(steps):
        if kind == "update":
            native.update([k for k, _ in arg], [v for _, v in arg])
            oracle.update([k for k, _ in arg], [v for _, v in arg])
        elif kind == "defer":
            for k, v in arg:
                native.defer(k, v)
            deferred += arg
        elif kind == "decay":
            native.commit()
            oracle.update([k for k, _ in deferred], [v for _, v in deferred])
            deferred = []
            native.decay(arg)
            oracle.decay(arg)
        elif kind == "take":
            assert native.take(arg) == oracle.take(arg)
            assert native[arg] == oracle[arg] == 0.0
        elif kind == "put":
            native.put(*arg)
            oracle.put(*arg)
        else:
            assert native[arg] == oracle[arg]
        if i % 7 == 3:
            native = pickle.loads(pickle.dumps(native))
    native.commit()
    oracle.update([k for k, _ in deferred], [v for _, v in deferred])
    for key in ["fyp", "cats", "日本", ""] + [k for kind, arg in steps if kind == "read" for k in [arg]]:
        assert native[key] == oracle[key]


class FormerPickler(pickle.Pickler):
    """Pickles an oracle sketch as the former class ``detectors.longtail.DecayingCountMin`` was pickled:
    made without arguments, then given its ``__dict__``."""

    def reducer_override(self, obj):
        return (DecayingCountMin, (), obj.__dict__) if isinstance(obj, Oracle) else NotImplemented


def test_a_sketch_pickled_by_the_python_class_loads_with_its_sums():
    old = Oracle(width=64, depth=3, alpha=0.1)
    old.update(["fyp", "cats"], [0.5, 0.25])
    old.decay(2)
    out = io.BytesIO()
    FormerPickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(old)
    restored = pickle.loads(out.getvalue())
    assert isinstance(restored, DecayingCountMin)
    assert (restored.width, restored.depth, restored.alpha, restored.steps) == (64, 3, 0.1, 2)
    assert restored["fyp"] == old["fyp"] and restored["cats"] == old["cats"]


def test_bad_state_is_a_value_error():
    import pytest
    with pytest.raises(ValueError, match="long-tail"):
        DecayingCountMin().load_state(b"TWL1 not a sketch")
