"""Types of ``detectors._native``, the Rust core (crate ``native/``) behind ``detectors``.

The Python faces are ``detectors.hashtags``, ``detectors.events``,
``detectors.eventtime``, ``detectors.windows`` and ``streams.stages``; call
those, not this module.
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

MAX_RECORD_BYTES: int
"""Largest record accepted, in bytes."""
MAX_TEXT_LENGTH: int
"""Longest post text accepted, in characters."""
MAX_ID_LENGTH: int
"""Longest ``id``, ``post_id`` and ``author``, in characters."""
MAX_GIVEN_TAGS: int
"""Most elements of a given ``hashtags`` array."""
NEW_AUTHOR_MS: int
"""An account at most this old (ms) when posting is a new author."""
MAX_FUTURE_MS: int
"""Event time accepted at most this far after the wall clock (ms)."""
MAX_SKEW_MS: int
"""Event time accepted at most this far from the source's clock, either way (ms)."""
MAX_DEPTH: int
"""Deepest nesting of arrays and objects in a record (deeper: ``too_deep``)."""
MAX_ELEMENT_DEPTH: int
"""A rejected array element nested deeper than this keeps the whole record as its bytes."""

PostFields = tuple[str, int, str, str, tuple[str, ...], str | None, str | None, int | None]
"""id, ts, author, text, hashtags, lang, region, author_created (``detectors.records.Post``)."""
EngagementFields = tuple[str, int, tuple[str, ...], int, int, int]
"""post_id, ts, hashtags, views, likes, shares (``detectors.records.Engagement``)."""
MentionFields = tuple[str, int, int, int, int, int, tuple[str, ...]]
"""hashtag, bucket, max_ts, posts, views, new_authors, sorted authors (``detectors.records.Mention``)."""
RejectedFields = tuple[str, str, bytes]
"""reason, detail, raw (``detectors.records.Rejected``)."""
ClockState = tuple[int, int | None]
"""A source's event-time clock: the latest admitted time (-1 before any), a refused jump waiting for a
second event (``detectors.eventtime.EventClock.snapshot``)."""

class Extractor:
    """Parses, validates and pre-aggregates batches of ``posts`` records (``streams.stages.Extract``).

    ``joined_type``: records of exactly this type are JSON Lines joined into one
    array; if anything in one is rejected, its lines are decoded one by one.
    ``lines_type``: records of exactly this type are whole lines of a JSON Lines
    file, read as the joined record of their lines (each stripped as ``bytes.strip``
    does, blank ones left out; none if all are blank).
    """

    def __init__(self, base_ms: int, partitions: int, joined_type: type | None = None,
                 max_future_ms: int = ..., max_skew_ms: int = ..., lines_type: type | None = None) -> None: ...
    def process(self, values: list[bytes], clock: int, pending: int | None, now_ms: int | None, /) -> tuple[
            list[tuple[int, list[MentionFields]]], list[RejectedFields], int, int | None, int, int]:
        """One batch of one source: (mentions per partition in order of first appearance, rejected,
        the source's clock and pending jump after it, posts, engagements)."""
    def process_packed(self, values: list[bytes], clock: int, pending: int | None, now_ms: int | None, /) -> tuple[
            list[tuple[int, bytes]], list[RejectedFields], int, int | None, int, int]:
        """``process`` with each partition's mentions packed (the format ``WindowAggregator`` reads;
        authors as their ``stable_hash``)."""

def decode_record(value: bytes, clock: ClockState | None = None, now_ms: int | None = None,
                  max_future_ms: int = ..., max_skew_ms: int = ...) -> tuple[
        list[tuple[int, PostFields | EngagementFields]], list[RejectedFields], ClockState | None]:
    """One record's events as (0 post | 1 engagement, fields), its rejected parts, and the clock
    after it (None without a clock: no event-time bound)."""

def admit_time(ts: int, clock: int, pending: int | None, now_ms: int | None = None,
               max_future_ms: int = ..., max_skew_ms: int = ...) -> tuple[
        tuple[str, str] | None, int, int | None]:
    """One event time through a source's clock: (None or (reason, detail), clock, pending)."""

def count_newlines(data: bytes, /) -> int:
    """The number of newline bytes in ``data`` (``data.count(b"\\n")``, without its byte loop)."""

class GunzipStream:
    """A gzip stream given in pieces (members one after another, zero padding between them
    skipped), inflated by zlib-rs: no I/O."""

    def __init__(self) -> None: ...
    def feed(self, data: bytes, /) -> int:
        """Inflate this piece into the stream's buffer: the bytes buffered; ValueError if it is corrupt."""
    def take(self, n: int, /) -> bytes:
        """Up to ``n`` bytes from the start of the buffer, taken out of it."""
    def finish(self) -> None:
        """The end of the stream: ValueError if it stops inside a member."""

def parse_event(value: bytes, /) -> tuple[int, PostFields | EngagementFields | tuple[str, str]]:
    """One JSON document as an event: (0 | 1, fields), or (-1, (reason, detail))."""

def parse_timestamp(value: bytes, name: str, /) -> tuple[int, None] | tuple[None, tuple[str, str]]:
    """One JSON document (a string or number) as epoch ms, or the (reason, detail) why not."""

def partition_for(tag: str, partitions: int, /) -> int:
    """CRC-32 of the tag's UTF-8 bytes modulo ``partitions``."""

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
                 exact_authors: int = 256, promote_at: int = 10, promote_size: int | None = None) -> None: ...
    sizes: list[int]
    allowed_lateness: int
    late_policy: str
    retention: int
    sources: list[str]
    max_tags: int
    exact_authors: int
    promote_at: int
    promote_size: int
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
    def process_batch(self, mentions: bytes, source: object = None, offset: int | None = None,
                      clock: int | None = None) -> ClosedWindows:
        """``process``, the closed windows kept in native memory."""
    def flush_batch(self) -> ClosedWindows:
        """``flush``, the closed windows kept in native memory."""
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

class ClosedWindows:
    """The windows one aggregator call closed, held natively (``Count.process_batch``)."""

    def __len__(self) -> int: ...
    def tuples(self) -> list[tuple[str, str, int, int, int, int, int, int]]:
        """``(hashtag, size, window_start, window_end, posts, views, authors, new_authors)`` of each."""
    def size_counts(self) -> dict[str, int]: ...
    def max_end(self) -> int | None: ...
    def min_start(self) -> int | None: ...
    def hashtags(self) -> set[str]: ...

def encode_windows(batch: ClosedWindows, per_record: int) -> list[bytes]:
    """``batch`` as packed ``hashtag-windows`` values of at most ``per_record`` windows each."""
def decode_windows(value: bytes, /) -> ClosedWindows:
    """The windows of a packed ``hashtag-windows`` value; ``ValueError`` if it is not one."""
def windows_batch(windows: Iterable[object], /) -> ClosedWindows:
    """``Window`` records as a batch, in order."""

class WindowInbox:
    """The detect agent's windows between their record and the model (``streams.worker.detect_flow``)."""

    moments: int
    def __init__(self, fast_ms: int, slow_ms: int, keep: int) -> None: ...
    def add(self, batch: ClosedWindows, released: int) -> ClosedWindows:
        """Drop other sizes and windows seen before; the late ones (end <= ``released``) back, the rest held."""
    def release(self, upto: int | None = None) -> ClosedWindows:
        """The held windows ending at or before ``upto`` (None: all), by end and start."""
    def __len__(self) -> int: ...
    def state(self) -> bytes: ...
    @staticmethod
    def from_state(state: bytes) -> WindowInbox: ...
    def seen(self) -> list[tuple[int, int, list[str]]]:
        """``(size_ms, end, hashtags)`` of the windows seen, oldest moment first."""
    def waiting(self) -> ClosedWindows: ...
    def load_seen(self, size_ms: int, end: int, tags: list[str]) -> None: ...
    def load_waiting(self, batch: ClosedWindows) -> None: ...

class DecayingCountMin:
    """The long-tail sketch of ``detectors.longtail`` (its Python face)."""

    width: int
    depth: int
    alpha: float
    steps: int
    nbytes: int
    deferred: int
    def __init__(self, width: int = 16384, depth: int = 4, alpha: float = 0.01) -> None: ...
    def update(self, keys: list[str], values: list[float]) -> None: ...
    def defer(self, key: str, value: float) -> None: ...
    def commit(self) -> None: ...
    def decay(self, steps: int = 1) -> None: ...
    def __getitem__(self, key: str) -> float: ...
    def to_state(self) -> bytes: ...
    def load_state(self, state: bytes) -> None: ...
    def load_table(self, width: int, depth: int, alpha: float, table: list[float], steps: int) -> None: ...

class Moments:
    """The trend model's waiting windows by moment (``detectors.model.TrendModel``)."""

    def __init__(self, fast_ms: int, slow_ms: int, window: type) -> None: ...
    def __len__(self) -> int: ...
    def add(self, windows: ClosedWindows | Iterable[object], done: int) -> tuple[int, list[object]]:
        """Files windows by end; (latest end or -1, the windows of moments already done)."""
    def ends(self, upto: int | None = None) -> list[int]: ...
    def take(self, end: int, slow: bool, scorer: SurgeCore) -> tuple[list[object], int, int, int]:
        """One size of one moment: (windows that can change a state, all windows, rest posts, rest views)."""
    def score(self, end: int, slow: bool, scorer: SurgeCore, active: dict[str, object],
              normalise: bool) -> tuple[int, int, int, int, int, list[tuple[object, object | None]]]:
        """Scores one size of one moment in ``scorer``: (windows, scored, posts, views, total,
        [(Window, Verdict or None) of the windows with a verdict or of a tag in ``active``])."""
    def defer_tail(self, tail: DecayingCountMin, total: int | None) -> None: ...
    def to_state(self) -> bytes: ...
    def load_state(self, state: bytes) -> None: ...

class SurgeCore:
    """The per-window state of ``detectors.surge.SurgeScorer``: tag states, unconfirmed verdicts, origin."""

    origin: int | None
    def __init__(self, *, fast_ms: int, slow_ms: int, alpha: tuple[float, float], var_alpha: tuple[float, float],
                 per_hour: int, floor: tuple[float, float], max_tags: int, admit_posts: int, warmup_ms: int,
                 profile_beta: float, history_ms: int, clip: float, weekly_weeks: int,
                 thresholds: tuple[float, float, float, float, float, int, float, float | None],
                 tail: DecayingCountMin, window: type, verdict: type) -> None: ...
    def update(self, w: object, total: int | None, slow: bool) -> object | None:
        """Scores then learns the ``Window`` ``w``: its ``Verdict`` when at least warm, else None."""
    def update_observed(self, w: object, total: int | None,
                        slow: bool) -> tuple[object | None, float, float] | None:
        """As ``update``: (verdict, expected, dispersion), None without a state."""
    def score_one(self, w: object, total: int | None, slow: bool) -> float: ...
    def end_fast_window(self, keep: Iterable[str]) -> None: ...
    def __len__(self) -> int: ...
    def __contains__(self, tag: str) -> bool: ...
    @staticmethod
    def bytes_per_tag() -> int: ...
    def seasonal(self, tag: str, start_ms: int) -> float | None: ...
    def weekly(self, tag: str) -> bool | None: ...
    def weekly_tags(self) -> int: ...
    def states(self) -> dict[str, tuple]: ...
    def unconfirmed(self) -> dict[tuple[str, int], object]: ...
    def restore_state(self, tag: str, fields: tuple) -> None: ...
    def restore_unconfirmed(self, channel: int, verdict: object) -> None: ...
    def to_state(self) -> bytes: ...
    def load_state(self, state: bytes) -> None: ...
