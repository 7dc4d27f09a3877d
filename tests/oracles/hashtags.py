"""Hashtag extraction and normalisation in plain Python: the oracle of the native rules.

A hashtag is ``#`` (or the full-width ``＃``) followed by a run of tag
characters: letters, digits and marks of any script (so CJK, Devanagari or
Thai tags work), underscores, and the zero-width (non-)joiners used inside
words of some scripts. Anything else ends the tag: spaces, punctuation, emoji,
a second ``#``. RedNote's topic form ``#话题[话题]#`` (full-width brackets
too) yields the topic. A ``#`` right after an ASCII letter, digit, ``_`` or
``&`` (after NFKC) does not start a tag (``C#``, ``issue#4``, ``&#39;``), but one right
after CJK text does (``我爱#小红书``).

Normalisation applies Unicode NFKC and case folding (until stable), drops the
leading ``#``, keeps the leading run of tag characters, cuts it to
``MAX_TAG_LENGTH`` characters and strips trailing joiners. Tags made only of
digits and underscores (``#1``, ``#2025``) are not tags. A post keeps at most
``MAX_TAGS_PER_POST`` distinct tags, in order of first appearance.

Examples
--------
>>> extract_hashtags("Hello from #TikTokRefugee!! #小红书 #ＦＹＰ🔥 #fyp")
('tiktokrefugee', '小红书', 'fyp')
>>> extract_hashtags("#TikTokRefugee[话题]# 我爱#RedNote。#美食［话题］#")
('tiktokrefugee', 'rednote', '美食')
>>> extract_hashtags("C# and issue#4 are not tags, #1 neither")
()
>>> normalise_hashtag("#Straße!"), normalise_hashtag("＃ＧｏｏｄＭｏｒｎｉｎｇ"), normalise_hashtag("!!")
('strasse', 'goodmorning', None)
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["MAX_TAG_LENGTH", "MAX_TAGS_PER_POST", "extract_hashtags", "normalise_hashtag"]

MAX_TAG_LENGTH = 64
"""Longest tag kept, in characters after normalisation; longer tags are cut."""

MAX_TAGS_PER_POST = 30
"""Most distinct tags taken from one post; later ones are ignored."""

_JOINERS = "\u200c\u200d"
_EMOJI_MARKS = frozenset([*range(0xFE00, 0xFE10), 0x20E3])  # variation selectors, keycap


def _mark_ranges() -> str:
    """Regex class ranges of the combining marks (category M*) in planes 0-1."""
    parts, start, prev = [], None, None
    for code in range(0x20000):
        if unicodedata.category(chr(code))[0] == "M" and code not in _EMOJI_MARKS:
            if start is None:
                start = code
            elif code != prev + 1:
                parts.append((start, prev))
                start = code
            prev = code
    if start is not None:
        parts.append((start, prev))
    return "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in parts)


_TAG_CHARS = rf"\w{_mark_ranges()}{_JOINERS}"
_BODY = re.compile(rf"\w[{_TAG_CHARS}]*")
_FIND = re.compile(rf"(?<![0-9A-Za-z_&])[#＃﹟](?:([^#＃﹟\[\]［］\s]{{1,{4 * MAX_TAG_LENGTH}}}?)[\[［]话题[\]］]#|(\w[{_TAG_CHARS}]*))")
_REDNOTE_SUFFIX = re.compile(r"\[话题\]#?$")
_HASH_MARKS = "#＃﹟"
_NOT_TAG = re.compile(r"^[\d_]+$")


def _fold(text: str) -> str:
    """NFKC and case folding, repeated until the result no longer changes."""
    for _ in range(4):
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
        if folded == text:
            break
        text = folded
    return text


def _normalise_once(tag: str) -> str | None:
    text = _fold(tag).strip().lstrip(_HASH_MARKS + " ")
    text = _REDNOTE_SUFFIX.sub("", text)
    match = _BODY.match(text)
    if match is None:
        return None
    body = match.group(0)[:MAX_TAG_LENGTH].rstrip(_JOINERS)
    if not body or _NOT_TAG.match(body):
        return None
    return body


@functools.lru_cache(maxsize=65_536)
def normalise_hashtag(tag: str) -> str | None:
    """The canonical form of one hashtag, or None if nothing valid remains.

    Parameters
    ----------
    tag
        A hashtag with or without its leading ``#``, as a producer sent it.

    Examples
    --------
    >>> normalise_hashtag("#TikTokRefugee..."), normalise_hashtag("小红书[话题]#")
    ('tiktokrefugee', '小红书')
    >>> normalise_hashtag("fyp🔥fyp"), normalise_hashtag("#2025"), normalise_hashtag("")
    ('fyp', None, None)
    """
    if not isinstance(tag, str):
        raise TypeError(f"tag must be a str, not {type(tag).__name__}")
    result = _normalise_once(tag)
    for _ in range(3):  # cutting to length can expose a new fold; settle it
        if result is None:
            return None
        again = _normalise_once(result)
        if again == result:
            return result
        result = again
    return result


def extract_hashtags(text: str) -> tuple[str, ...]:
    """The distinct normalised hashtags of a post's text, in order of first appearance.

    Parameters
    ----------
    text
        The post's text.

    Examples
    --------
    >>> extract_hashtags("#a #B #a #b_c, #ok.")
    ('a', 'b', 'b_c', 'ok')
    >>> extract_hashtags("no tags here")
    ()
    """
    if "#" not in text and "＃" not in text and "﹟" not in text:
        return ()
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    seen: dict[str, None] = {}
    for rednote, plain in _FIND.findall(text):
        tag = normalise_hashtag(rednote or plain)
        if tag is not None and tag not in seen:
            seen[tag] = None
            if len(seen) == MAX_TAGS_PER_POST:
                break
    return tuple(seen)
