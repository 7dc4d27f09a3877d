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
