"""Count-series rows in the forms people export them."""

from __future__ import annotations

import datetime as dt

import pytest

from detectors.series import SeriesError, delimiter_of, is_series_header, parse_row, parse_time, parse_timezone

T = 1_424_986_973_000  # 2015-02-26 21:42:53 UTC


@pytest.mark.parametrize("text", ["2015-02-26 21:42:53", "2015-02-26T21:42:53", "2015-02-26T21:42:53Z",
                                  "2015-02-26 21:42:53.000000", "2015-02-26T21:42:53.000+00:00",
                                  "2015-02-26T22:42:53+01:00", "2015-02-26T16:42:53-05:00", "1424986973",
                                  "1424986973.0", "1424986973000", " 2015-02-26 21:42:53 "])
def test_every_export_form_is_the_same_moment(text):
    assert parse_time(text) == T


def test_times_without_an_offset_are_in_the_given_zone():
    assert parse_time("2015-02-26 22:42:53", parse_timezone("+01:00")) == T
    assert parse_time("2015-02-26 16:42:53", parse_timezone("America/New_York")) == T
    assert parse_time("2015-02-26T21:42:53Z", parse_timezone("Asia/Tokyo")) == T  # an offset wins
    assert parse_timezone("UTC") is dt.timezone.utc


@pytest.mark.parametrize("name", ["Mars/Base", "+25", "", "1:00"])
def test_an_unknown_zone_says_what_is_accepted(name):
    with pytest.raises(ValueError, match="IANA name"):
        parse_timezone(name)


@pytest.mark.parametrize("cells", [["timestamp", "value"], ["time", "count"], ["ts", "posts"], ["Time", "#cats"],
                                   [" TIMESTAMP ", "Value"]])
def test_series_headers(cells):
    assert is_series_header(cells)


@pytest.mark.parametrize("cells", [["id", "ts"], ["ts", "author"], ["timestamp", "value", "x"], ["value"]])
def test_not_series_headers(cells):
    assert not is_series_header(cells)


def test_comma_or_tab():
    assert delimiter_of("timestamp\tvalue\n") == "\t" and delimiter_of("timestamp,value") == ","


@pytest.mark.parametrize("cells,reason,words", [
    (["noon", "3"], "bad_timestamp", "timestamp 'noon' is not a date-time"),
    (["1424986973", "x"], "bad_value", "value 'x' is not a number"),
    (["1424986973", "-1"], "bad_value", "not a non-negative count"),
    (["1424986973", "inf"], "bad_value", "not a non-negative count"),
    (["1424986973"], "bad_row", "1 fields, expected 2"),
])
def test_bad_rows_say_what_is_wrong(cells, reason, words):
    with pytest.raises(SeriesError, match=words) as info:
        parse_row(cells)
    assert info.value.reason == reason
