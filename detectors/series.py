"""Count series as people export them: one time and one count per row, of one hashtag.

A count series is a two-column table, comma- or tab-separated, with a header
whose first name is a time column (``timestamp``, ``time``, ``ts``, or
``created_at``) and whose second is the count (``value``, ``count``,
``posts``, or any other name that is not a post column: Grafana exports
``Time,<series>``). Each row's value is the posts of the interval that starts
at its time.

Times are read in every form these exports use:

- NAB's and most databases' ``2015-02-26 21:42:53`` (optionally with a fraction);
- RFC 3339 / ISO 8601 with or without ``T``, fraction or offset (``Z``, ``+01:00``);
- epoch seconds or milliseconds (values below 10^11 are seconds).

A time without an offset is in the series' time zone: UTC unless the caller
gives another (``parse_timezone``: ``UTC``, an IANA name or ``+HH:MM``).

Examples
--------
>>> parse_time("2015-02-26 21:42:53")
1424986973000
>>> parse_time("2015-02-26T22:42:53.000+01:00"), parse_time("1424986973"), parse_time("1424986973000")
(1424986973000, 1424986973000, 1424986973000)
>>> parse_time("2015-02-26 22:42:53", parse_timezone("Europe/Paris"))
1424986973000
>>> is_series_header(["timestamp", "value"]), is_series_header(["Time", "#rednote"]), is_series_header(["id", "ts"])
(True, True, False)
>>> parse_row(["2015-02-26 21:42:53", "104"])
(1424986973000, 104.0)
>>> parse_row(["yesterday", "104"])
Traceback (most recent call last):
...
detectors.series.SeriesError: timestamp 'yesterday' is not a date-time ('2015-02-26 21:42:53', RFC 3339) or epoch seconds/ms
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo

__all__ = ["SeriesError", "TIME_COLUMNS", "VALUE_COLUMNS", "delimiter_of", "is_series_header", "parse_row",
           "parse_time", "parse_timezone"]

TIME_COLUMNS = ("timestamp", "time", "ts", "created_at")
VALUE_COLUMNS = ("value", "count", "posts")
_POST_COLUMNS = ("id", "author", "text")
_OFFSET = re.compile(r"^([+-])(\d\d):?(\d\d)$")
_NUMBER = re.compile(r"^\d+(\.\d*)?$")


class SeriesError(ValueError):
    """A row of a count series that cannot be read; the message says what is wrong.

    ``reason`` is a short code: ``bad_row``, ``bad_timestamp`` or ``bad_value``.
    """

    def __init__(self, message: str, reason: str = "bad_row"):
        super().__init__(message)
        self.reason = reason


def delimiter_of(header_line: str) -> str:
    """Tab if the header line has one, else comma.

    >>> delimiter_of("timestamp\\tvalue"), delimiter_of("timestamp,value")
    ('\\t', ',')
    """
    return "\t" if "\t" in header_line else ","


def is_series_header(cells: list[str]) -> bool:
    """True for a two-column header: a time column, then a count that is not a post column."""
    names = [c.strip().lower() for c in cells]
    return len(names) == 2 and names[0] in TIME_COLUMNS and names[1] not in _POST_COLUMNS


def parse_timezone(name: str) -> dt.tzinfo:
    """``UTC``, an IANA zone name (``Europe/Paris``) or a fixed offset (``+05:30``).

    >>> parse_timezone("+05:30"), parse_timezone("utc")
    (datetime.timezone(datetime.timedelta(seconds=19800)), datetime.timezone.utc)
    """
    text = name.strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return dt.timezone.utc
    offset = _OFFSET.match(text)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        return dt.timezone(sign * dt.timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3))))
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: give UTC, an IANA name such as Europe/Paris, "
                         "or an offset such as +01:00") from None


def parse_time(text: str, tz: dt.tzinfo = dt.timezone.utc) -> int:
    """Epoch milliseconds of a series' time cell (see the module docstring for the forms)."""
    stamp = text.strip()
    if _NUMBER.match(stamp):
        value = float(stamp)
        return int(round(value * 1000)) if value < 1e11 else int(round(value))
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        raise SeriesError(f"timestamp {text.strip()[:40]!r} is not a date-time ('2015-02-26 21:42:53', RFC 3339) "
                          "or epoch seconds/ms", "bad_timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(round(moment.timestamp() * 1000))


def _value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SeriesError(f"value {text.strip()[:40]!r} is not a number", "bad_value") from None
    if not value >= 0 or math.isinf(value):
        raise SeriesError(f"value {text.strip()[:40]!r} is not a non-negative count", "bad_value")
    return value


def parse_row(cells: list[str], tz: dt.tzinfo = dt.timezone.utc) -> tuple[int, float]:
    """``(epoch ms, value)`` of one data row; ``SeriesError`` saying what is wrong otherwise."""
    if len(cells) != 2:
        raise SeriesError(f"{len(cells)} fields, expected 2 (time and count)")
    return parse_time(cells[0], tz), _value(cells[1])
