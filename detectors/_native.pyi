"""Types of ``detectors._native``, the Rust core (crate ``native/``) behind ``detectors``.

The Python faces are ``detectors.hashtags``, ``detectors.events`` and
``streams.stages``; call those, not this module.
"""

MAX_TAG_LENGTH: int
"""Longest tag kept, in characters after normalisation."""
MAX_TAGS_PER_POST: int
"""Most distinct tags taken from one post."""
UNICODE_VERSION: str
"""Unicode version of the character tables (Python's ``unicodedata`` they came from)."""

def normalise_hashtag(tag: str, /) -> str | None:
    """The canonical form of one hashtag, or None if nothing valid remains."""

def extract_hashtags(text: str, /) -> tuple[str, ...]:
    """The distinct normalised hashtags of a post's text, in order of first appearance."""

from collections.abc import Iterable

def format_size(ms: int) -> str:
    """A window size as text in the largest unit dividing it (``"5m"``)."""

def stable_hash(item: str) -> int:
    """BLAKE2b of the UTF-8 bytes of ``item`` with an 8-byte digest, read little-endian."""

def pack_mentions(mentions: Iterable[object]) -> bytes:
    """Packs objects with the fields of ``detectors.records.Mention`` (authors by name,
    hashed with ``stable_hash``) in the format ``WindowAggregator`` reads."""

class WindowAggregator:
    """Per-hashtag windowed counts at several sizes, closed by an event-time watermark
    (the Python face is ``detectors.windows.WindowAggregator``)."""

    def __init__(self, sizes: Iterable[int] = ..., allowed_lateness: int = 60_000, late_policy: str = "apply",
                 retention: int | None = None, sources: Iterable[object] | None = None, max_tags: int = 20_000,
                 exact_authors: int = 256, promote_at: int = 10) -> None: ...
    sizes: list[int]
    allowed_lateness: int
    late_policy: str
    retention: int
    sources: list[str]
    max_tags: int
    exact_authors: int
    promote_at: int
    watermark: int | None
    has_open: bool
    tracked_tags: int
    late_applied: int
    late_dropped: int
    sketched_posts: int
    applied: dict[str, int]
    def update_packed(self, mentions: bytes) -> list[tuple[str, str, int, int, int, int, int, int]]: ...
    def process(self, mentions: bytes, source: object = None, offset: int | None = None,
                clock: int | None = None) -> list[tuple[str, str, int, int, int, int, int, int]]: ...
    def advance(self, time: int, source: object = None) -> list[tuple[str, str, int, int, int, int, int, int]]: ...
    def flush(self) -> list[tuple[str, str, int, int, int, int, int, int]]: ...
    def pop_dirty(self) -> set[str]: ...
    def units(self) -> list[str]: ...
    def unit_state(self, unit: str) -> bytes | None: ...
    def load_unit(self, unit: str, state: bytes | None) -> None: ...
    def meta_state(self) -> bytes: ...
    def load_meta(self, state: bytes) -> None: ...
    def to_state(self) -> bytes: ...
    def load_state(self, state: bytes) -> None: ...
    def checkpoint(self) -> dict[str, bytes | None]: ...
    def restore(self, items: dict[str, bytes | None]) -> None: ...
    def cells(self, hashtag: str) -> list[tuple[int, int, bool, int, int, int, tuple[str, list[int] | bytes]]]: ...
