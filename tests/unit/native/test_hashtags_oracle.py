"""The native hashtag rules against the plain-Python oracle (tests/oracles/hashtags.py).

Hypothesis drives random text through both; a mismatch fails with the
smallest input that shows it. Characters are drawn from everything but
surrogates (a Python str may hold them, UTF-8 cannot), with a bias towards
the characters the rules treat specially.
"""

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from detectors import _native
from detectors.hashtags import extract_hashtags, normalise_hashtag
from tests.oracles import hashtags as oracle

SPECIAL = "#＃﹟[]［］话题 \t\n_&\u200c\u200d\u0301\ufe0f\u20e3ﬁẞİΣσς１２３ⅫＡｚ"
any_char = st.characters(blacklist_categories=("Cs",))
special = st.sampled_from(SPECIAL)
text = st.text(alphabet=st.one_of(special, any_char, st.characters(max_codepoint=0x7F)), max_size=120)
long_text = st.text(alphabet=st.one_of(special, st.characters(max_codepoint=0x7F)), min_size=50, max_size=400)


def test_tables_come_from_this_unicode_database():
    assert _native.UNICODE_VERSION == unicodedata.unidata_version
    assert (_native.MAX_TAG_LENGTH, _native.MAX_TAGS_PER_POST) == (oracle.MAX_TAG_LENGTH, oracle.MAX_TAGS_PER_POST)


@given(text)
@settings(max_examples=3000, deadline=None)
@example("#TikTokRefugee[话题]# 我爱#RedNote。#美食［话题］#")
@example("＃ａ﹟ｂ#c[话题]##d")
@example("#" + "a" * 300 + "[话题]#")
def test_extract_agrees_with_oracle(value):
    assert extract_hashtags(value) == oracle.extract_hashtags(value)


@given(long_text)
@settings(max_examples=500, deadline=None)
def test_extract_long_texts_agree_with_oracle(value):
    assert extract_hashtags(value) == oracle.extract_hashtags(value)


@given(text)
@settings(max_examples=3000, deadline=None)
@example("ǅ" * 70)
@example("\u200d" * 3 + "a" * 63 + "\u200d")
@example("ß" * 40)
def test_normalise_agrees_with_oracle(value):
    assert normalise_hashtag(value) == oracle.normalise_hashtag(value)


def test_every_single_character_agrees_with_oracle():
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        c = chr(code)
        assert normalise_hashtag("#a" + c) == oracle.normalise_hashtag("#a" + c), hex(code)
        assert normalise_hashtag(c + "b") == oracle.normalise_hashtag(c + "b"), hex(code)
