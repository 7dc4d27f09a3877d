"""The hostile corpus: records that must be dead-lettered, and odd ones that must be counted.

``hostile(ts, big)`` builds it around an event time ``ts`` inside a valid
stream (so ``ts_behind``/``ts_future`` are decided against that stream's
clock and today's wall clock). Each ``Case`` holds the record's bytes and
either the reason it is rejected with, or, for a valid one, the hashtags it
must be counted under. ``big`` is the size of the oversize record (10 MB for
files; a broker takes at most 4 MiB, so the Kafka test uses 3 MB).

``python tests/reliability/hostile.py VALID.jsonl OUT.jsonl`` writes a valid
JSON Lines file with the corpus mixed in.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

__all__ = ["Case", "hostile", "mix"]


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    reason: str | None = None
    """Why it is rejected; ``None``: it is valid."""
    tags: tuple[str, ...] = ()
    """A valid case's hashtags after normalisation."""


def _post(ts, **fields) -> dict:
    return {"v": 1, "type": "post", "id": "h-" + fields.pop("name"), "ts": ts, "author": "hostile", **fields}


def _dump(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def hostile(ts: int, big: int = 10_000_000) -> list[Case]:
    """The corpus around event time ``ts`` (epoch ms, inside the valid stream)."""
    post = _dump(_post(ts, name="x", text="#ok"))
    return [
        Case("truncated JSON", post[:25], "bad_json"),
        Case("invalid UTF-8", post.replace(b'"#ok"', b'"\xff\xfe #ok"'), "bad_json"),
        Case("raw NUL byte", post.replace(b"#ok", b"#o\x00k"), "bad_json"),
        Case("not an object", b'"just a string"', "not_object"),
        Case("bad version", _dump({**_post(ts, name="v", text="#ok"), "v": 2}), "bad_version"),
        Case("unknown type", _dump({"v": 1, "type": "like", "id": "l"}), "unknown_type"),
        Case("missing author", _dump({k: v for k, v in _post(ts, name="m", text="#ok").items() if k != "author"}),
             "missing_field"),
        Case("text is a number", _dump(_post(ts, name="t", text=5)), "bad_type"),
        Case("views is a string", _dump({"v": 1, "type": "engagement", "post_id": "p", "ts": ts,
                                         "hashtags": ["ok"], "views": "many"}), "bad_type"),
        Case("ts is a list", _dump(_post([ts], name="l", text="#ok")), "bad_timestamp"),
        Case("ts in 1970", _dump(_post(0, name="1970", text="#ok")), "ts_behind"),
        Case("ts in 2200", _dump(_post("2200-01-01T00:00:00Z", name="2200", text="#ok")), "bad_timestamp"),
        Case("ts in 2096", _dump(_post(3_976_000_000_000, name="2096", text="#ok")), "ts_future"),
        Case("huge record", _dump(_post(ts, name="big", text="#ok " + "a" * big)), "oversize"),
        Case("10,000 hashtags", _dump(_post(ts, name="tags", text="x", hashtags=[f"t{i}" for i in range(10_000)])),
             "oversize"),
        Case("deeply nested", b"[" * 100_000 + b"]" * 100_000, "too_deep"),
        Case("10,000-character hashtag", _dump(_post(ts, name="long", text="x", hashtags=["#" + "l" * 10_000])), None, ("l" * 64,)),
        Case("control, zero-width and RTL characters",
             _dump(_post(ts, name="ctl", text="\x07\x1b[31m #ctl\u200bzw \u202e#rtl \u200f#rtl")), None, ("ctl", "rtl")),
        Case("escaped NUL", _dump(_post(ts, name="nul", text="#nul\u0000x")), None, ("nul",)),
    ]


def mix(valid: list[bytes], cases: list[Case], every: int) -> list[bytes]:
    """``valid`` lines with one case after every ``every`` lines (the first after ``every``)."""
    out, pending = [], list(cases)
    for i, line in enumerate(valid, 1):
        out.append(line)
        if pending and i % every == 0:
            out.append(pending.pop(0).raw)
    return out + [case.raw for case in pending]


if __name__ == "__main__":
    lines = [line for line in open(sys.argv[1], "rb").read().split(b"\n") if line.strip()]
    middle = json.loads(lines[len(lines) // 2])["ts"]
    with open(sys.argv[2], "wb") as out:
        out.write(b"\n".join(mix(lines, hostile(middle), max(1, len(lines) // 40))) + b"\n")
