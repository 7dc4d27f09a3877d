"""Changelog values of bounded size: a large value goes as chunks, then a head naming them.

Kafka refuses a record above the producer's request limit (1,000,000 bytes by
default) or the broker's ``message.max.bytes`` (1 MB by default), and a
checkpoint send that fails ends the worker. Every value the worker writes to a
changelog is therefore at most ``CHUNK_BYTES``: ``split`` cuts a value in
chunks of that size. ``records(key, value, token)`` gives what writes ``value``
at ``key``: the value itself when it is small enough, else its chunks under
keys of their own (``chunk/<key>/<token>/<i>``) and then, at ``key``, a head
(``HEAD`` then JSON: token, number of chunks, length and CRC-32 of the value).

The token is new for every write, so chunk keys are never reused: a head names
only chunks written before it (same changelog partition, sent in order), and a
restore can never combine chunks of two checkpoints; a kill before the head is
sent leaves the previous value whole (its head and chunks untouched), and the
chunks written for nothing are keys no head names (``orphans``), deleted at the
next checkpoint. The chunks a head replaces are deleted after it.
A value that does not start with ``HEAD`` is a plain value (every checkpoint
written before chunking, and every small value now): its first byte is a format
byte, never 0.

>>> recs = records(b"3/:5m:0", b"x" * (CHUNK_BYTES + 1), "t1")
>>> [(k, len(v)) for k, v in recs[:-1]]
[(b'chunk/3/:5m:0/t1/0', 524288), (b'chunk/3/:5m:0/t1/1', 1)]
>>> head = recs[-1][1]
>>> is_head(head), chunk_keys(b"3/:5m:0", head) == [k for k, _ in recs[:-1]]
(True, True)
>>> join(b"3/:5m:0", head, dict(recs).get) == b"x" * (CHUNK_BYTES + 1)
True
>>> records(b"3/fyp", b"\\x01small", "t2")
[(b'3/fyp', b'\\x01small')]
"""

from __future__ import annotations

import zlib
from typing import Callable

import orjson

__all__ = ["CHUNK_BYTES", "CHUNK_PREFIX", "ChunkError", "HEAD", "chunk_keys", "is_head", "join", "records",
           "split"]

CHUNK_BYTES = 512 * 1024
"""Largest changelog value the worker writes (half Kafka's default message limit)."""
HEAD = b"\x00chunked\x00"
"""The start of a head value (a plain checkpoint value starts with its format byte, never 0)."""
CHUNK_PREFIX = b"chunk/"
"""The start of every chunk key."""


class ChunkError(ValueError):
    """A head whose chunks are missing or do not add up to the value it describes."""


def split(blob: bytes, size: int = CHUNK_BYTES) -> list[bytes]:
    """``blob`` in pieces of at most ``size`` bytes (one empty piece for an empty blob)."""
    return [blob[i:i + size] for i in range(0, len(blob), size)] or [b""]


def _chunk_key(key: bytes, token: str, i: int) -> bytes:
    return b"%s%s/%s/%d" % (CHUNK_PREFIX, key, token.encode(), i)


def records(key: bytes, value: bytes | None, token: str) -> list[tuple[bytes, bytes | None]]:
    """The ``(key, value)`` records that write ``value`` at ``key``, each value at most ``CHUNK_BYTES``
    (chunks first, the head last); ``token``: new for every write (see the module docstring)."""
    if value is None or len(value) <= CHUNK_BYTES:
        return [(key, value)]
    pieces = split(value)
    head = HEAD + orjson.dumps({"token": token, "chunks": len(pieces), "bytes": len(value),
                                "crc32": zlib.crc32(value)})
    return [(_chunk_key(key, token, i), piece) for i, piece in enumerate(pieces)] + [(key, head)]


def is_head(value: bytes | None) -> bool:
    return value is not None and value.startswith(HEAD)


def _meta(key: bytes, head: bytes) -> dict:
    try:
        meta = orjson.loads(head[len(HEAD):])
        meta["chunks"], meta["bytes"], meta["crc32"] = int(meta["chunks"]), int(meta["bytes"]), int(meta["crc32"])
        str(meta["token"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ChunkError(f"{key!r}: not a chunked-value head: {exc}") from None
    return meta


def chunk_keys(key: bytes, head: bytes) -> list[bytes]:
    """The keys of the chunks ``head`` (the value at ``key``) names."""
    meta = _meta(key, head)
    return [_chunk_key(key, str(meta["token"]), i) for i in range(meta["chunks"])]


def join(key: bytes, head: bytes, lookup: Callable[[bytes], bytes | None]) -> bytes:
    """The value ``head`` (at ``key``) stands for, from its chunks (``lookup(chunk key)``); ``ChunkError``
    if one is missing or they do not make the value the head describes (length and CRC-32)."""
    meta = _meta(key, head)
    pieces = []
    for chunk in chunk_keys(key, head):
        piece = lookup(chunk)
        if piece is None:
            raise ChunkError(f"{key!r}: chunk {chunk!r} of its checkpoint value is missing from the changelog")
        pieces.append(bytes(piece))
    value = b"".join(pieces)
    if len(value) != meta["bytes"] or zlib.crc32(value) != meta["crc32"]:
        raise ChunkError(f"{key!r}: its chunks make {len(value)} bytes (CRC-32 {zlib.crc32(value)}), "
                         f"the head says {meta['bytes']} (CRC-32 {meta['crc32']})")
    return value
