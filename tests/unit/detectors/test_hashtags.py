"""Hashtag extraction and normalisation: examples and invariants."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.hashtags import MAX_TAG_LENGTH, MAX_TAGS_PER_POST, extract_hashtags, normalise_hashtag

ascii_tag = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,20}", fullmatch=True)
any_text = st.text(max_size=200)
tag_like = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=3 * MAX_TAG_LENGTH)


@pytest.mark.parametrize("text, expected", [
    ("Hello #TikTokRefugee", ("tiktokrefugee",)),
    ("#fyp! #FYP. #Fyp?", ("fyp",)),
    ("＃小红书 and #xiaohongshu", ("小红书", "xiaohongshu")),
    ("我爱#小红书，真的", ("小红书",)),
    ("#TikTokRefugee[话题]# #RedNote［话题］#", ("tiktokrefugee", "rednote")),
    ("#fyp🔥🔥 #🔥 #goodmorning☀️", ("fyp", "goodmorning")),
    ("C# issue#4 &#39; #1 #2025 #___", ()),
    ("#１２３abc", ("123abc",)),
    ("#café #cafe\u0301", ("café",)),
    ("#नमस्ते दुनिया", ("नमस्ते",)),
    ("#️⃣ keycap is no tag", ()),
    ("#a\n#b\t#c", ("a", "b", "c")),
    ("", ()),
])
def test_extract_examples(text, expected):
    assert extract_hashtags(text) == expected


def test_extract_caps_tags_per_post_keeping_first():
    text = " ".join(f"#t{i}" for i in range(MAX_TAGS_PER_POST + 10))
    tags = extract_hashtags(text)
    assert len(tags) == MAX_TAGS_PER_POST
    assert tags[0] == "t0" and tags[-1] == f"t{MAX_TAGS_PER_POST - 1}"


def test_long_tag_is_cut_to_max_length():
    assert normalise_hashtag("#" + "a" * (MAX_TAG_LENGTH + 50)) == "a" * MAX_TAG_LENGTH


def test_normalise_rejects_non_strings():
    with pytest.raises(TypeError):
        normalise_hashtag(5)


@given(tag_like)
@settings(max_examples=500)
def test_normalise_is_idempotent(tag):
    once = normalise_hashtag(tag)
    if once is not None:
        assert normalise_hashtag(once) == once
        assert normalise_hashtag("#" + once) == once


@given(tag_like)
@settings(max_examples=500)
def test_normalised_tags_are_clean(tag):
    out = normalise_hashtag(tag)
    if out is None:
        return
    assert 1 <= len(out) <= MAX_TAG_LENGTH
    assert "#" not in out and "＃" not in out
    assert not any(c.isspace() for c in out)
    assert unicodedata.normalize("NFKC", out.casefold()) == out
    assert not out.replace("_", "").isdigit() and out.strip("_")


@given(any_text)
@settings(max_examples=500)
def test_extracted_tags_are_distinct_normalised_and_capped(text):
    tags = extract_hashtags(text)
    assert len(tags) <= MAX_TAGS_PER_POST
    assert len(set(tags)) == len(tags)
    assert all(normalise_hashtag(t) == t for t in tags)


@given(st.lists(ascii_tag, max_size=MAX_TAGS_PER_POST))
def test_extract_recovers_the_tags_written(tags):
    text = "look: " + " ".join("#" + t for t in tags) + " end"
    expected = list(dict.fromkeys(t.lower() for t in tags if not t.replace("_", "").isdigit()))
    assert list(extract_hashtags(text)) == expected


@given(ascii_tag)
def test_case_and_width_do_not_matter(tag):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in tag)
    assert normalise_hashtag(tag.upper()) == normalise_hashtag(tag.lower()) == normalise_hashtag(full_width)
    assert extract_hashtags("＃" + full_width) == extract_hashtags("#" + tag.lower())


@given(ascii_tag, st.sampled_from(["!", ".", ",", "?", "…", "。", "！", "🔥", ")", "'s"]))
def test_trailing_punctuation_and_emoji_end_the_tag(tag, tail):
    assert extract_hashtags(f"#{tag}{tail}") == extract_hashtags(f"#{tag}")
