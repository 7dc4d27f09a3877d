"""Bounded fuzzing in the suite (a few seconds per target): no exception escapes.

hypothesis drives ``fuzz_targets`` with bytes, JSON-shaped events and text;
the seed corpus in ``corpus/`` runs first. The long run is ``bench/fuzz.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz_targets  # noqa: E402

pytestmark = pytest.mark.reliability

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=5), max_leaves=20)
fields = {"v": st.sampled_from([1, 1, 1, 2, "1", None]), "type": st.sampled_from(["post", "engagement", "like"]),
          "id": st.text(max_size=5), "post_id": st.text(max_size=5), "author": st.text(max_size=5),
          "ts": st.integers(-10, 2 ** 64) | st.text(max_size=30) | st.floats() | st.sampled_from(
              ["2025-01-13T00:00:00Z", "2200-01-01T00:00:00Z", "1970-01-01T00:00:00+14:00",
               "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]),
          "text": st.text(max_size=80), "hashtags": st.lists(st.text(max_size=12), max_size=8) | json_values,
          "views": st.integers(-5, 2 ** 70) | json_values, "likes": json_values,
          "author_created": st.integers(-5, 2 ** 64) | st.text(max_size=25), "lang": json_values}
events = st.fixed_dictionaries({}, optional=fields)


@pytest.mark.parametrize("target", sorted(fuzz_targets.TARGETS))
def test_seed_corpus(target):
    seeds = fuzz_targets.seeds(target)
    assert seeds, f"corpus/{target} is empty"
    for data in seeds:
        fuzz_targets.TARGETS[target](data)


@FUZZ
@given(st.binary(max_size=300))
def test_parser_on_bytes(data):
    fuzz_targets.parser(data)


@FUZZ
@given(st.lists(events, min_size=1, max_size=4), st.booleans())
def test_parser_on_event_shaped_json(batch, as_array):
    fuzz_targets.parser(json.dumps(batch if as_array else batch[0]).encode())


@FUZZ
@given(st.text(max_size=120) | st.lists(st.sampled_from(["#", "＃", "[话题]#", "\u200d", "\u200c", "\u202e", "\x00",
                                                         "ß", "İ", "ﬁ", "_", "1", "a", " ", "́", "\ufe0f", "！"]),
                                       max_size=30).map("".join))
def test_normaliser(text):
    fuzz_targets.normaliser(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.binary(max_size=300))
def test_window_records_on_bytes(data):
    fuzz_targets.window_records(b"\x01" + data)
    fuzz_targets.window_records(data)


window_fields = st.one_of(st.integers(-5, 2 ** 70), st.floats(), st.text(max_size=5), st.none(), st.booleans())


@FUZZ
@given(st.lists(st.tuples(st.text(max_size=8) | window_fields, st.sampled_from(["5m", "1h", "1m", ""]) | window_fields,
                          *([window_fields] * 6)), max_size=5))
def test_window_records_on_window_shaped_json(items):
    fuzz_targets.window_records(json.dumps(items).encode())


rows = st.lists(st.tuples(st.one_of(st.integers(-10, 2 ** 63).map(str), st.floats().map(str), st.text(max_size=25),
                                    st.just("2025-01-13T00:00:00Z")),
                          st.one_of(st.floats().map(str), st.integers(-3, 10 ** 6).map(str), st.text(max_size=6))),
                max_size=6)


@FUZZ
@given(rows)
def test_count_series_readers(series):
    fuzz_targets.count_series_reader("".join(f"{a},{b}\n" for a, b in series).encode("utf-8", "surrogatepass"))
