from __future__ import annotations

import dataclasses

import pytest

from streams.errors import UsageError
from streams.settings import Settings, format_duration, parse_duration_ms


def test_flags_win_over_environment_over_defaults():
    env = {"TRENDWATCH_BROKER": "kafka://env:1", "TRENDWATCH_PARTITIONS": "8"}
    assert Settings.build({}, env=env).partitions == 8
    built = Settings.build({"broker": "kafka://flag:2", "partitions": None}, env=env)
    assert built.broker == "kafka://flag:2" and built.partitions == 8
    assert Settings.build({}, env={}).broker == "kafka://localhost:9092"


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().broker = "kafka://x:1"


@pytest.mark.parametrize("flags, word", [
    ({"broker": "http://x/y"}, "--broker"),
    ({"partitions": "0"}, "--partitions"),
    ({"partitions": "many"}, "partitions"),
    ({"late_policy": "keep"}, "--late-policy"),
    ({"store": "redis"}, "--store"),
    ({"window_sizes": "5m,5 minutes"}, "--windows"),
    ({"allowed_lateness": "-1s"}, "--allowed-lateness"),
    ({"top_k": "0"}, "--top-k"),
    ({"idle_flush": "0"}, "--idle-flush"),
])
def test_bad_values_name_the_flag(flags, word):
    with pytest.raises(UsageError, match=word) as info:
        Settings.build(flags, env={})
    assert info.value.exit_code == 2


def test_durations_round_trip():
    for text in ["1m", "5m", "1h", "1d", "90s", "250ms"]:
        assert format_duration(parse_duration_ms(text)) == text
    assert Settings.build({"window_sizes": "1h, 1m,1m"}, env={}).window_ms == (60_000, 3_600_000)
