"""Hashtag extraction and normalisation (implemented in the native core).

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

Characters are classified with the Unicode database of the Python the core's
tables were generated from (``detectors._native.UNICODE_VERSION``), so the
rules read the same as Python's ``re`` and ``unicodedata`` would; the event
decoder in ``detectors._native`` applies the same functions per event.

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
>>> normalise_hashtag("#TikTokRefugee..."), normalise_hashtag("小红书[话题]#")
('tiktokrefugee', '小红书')
>>> normalise_hashtag("fyp🔥fyp"), normalise_hashtag("#2025"), normalise_hashtag("")
('fyp', None, None)
"""

from __future__ import annotations

from detectors import _native

__all__ = ["MAX_TAG_LENGTH", "MAX_TAGS_PER_POST", "extract_hashtags", "normalise_hashtag"]

MAX_TAG_LENGTH: int = _native.MAX_TAG_LENGTH
"""Longest tag kept, in characters after normalisation; longer tags are cut."""

MAX_TAGS_PER_POST: int = _native.MAX_TAGS_PER_POST
"""Most distinct tags taken from one post; later ones are ignored."""

normalise_hashtag = _native.normalise_hashtag
extract_hashtags = _native.extract_hashtags
