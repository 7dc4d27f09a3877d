//! Hashtag extraction and normalisation, the rules of `detectors/hashtags.py`.
//!
//! NFKC and case folding come from the `unicode-normalization` and `caseless`
//! crates; characters that Python's Unicode database (the tables' version) does
//! not know yet are left untouched by both, exactly as Python leaves them.

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;

use crate::chars::{is_assigned, is_decimal, is_space, is_tag_char, is_word};

/// Longest tag kept, in characters after normalisation.
pub const MAX_TAG_LENGTH: usize = 64;
/// Most distinct tags taken from one post.
pub const MAX_TAGS_PER_POST: usize = 30;
/// Longest topic of RedNote's `#topic[话题]#` form, in characters.
const MAX_TOPIC_LENGTH: usize = 4 * MAX_TAG_LENGTH;

const HASH_MARKS: [char; 3] = ['#', '＃', '﹟'];

/// Unicode NFKC, leaving characters unassigned in the tables' version as they are.
pub fn nfkc(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if !is_assigned(c) {
            out.extend(text[start..i].nfkc());
            out.push(c);
            start = i + c.len_utf8();
        }
    }
    out.extend(text[start..].nfkc());
    out
}

fn casefold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_assigned(c) {
            out.extend(std::iter::once(c).default_case_fold());
        } else {
            out.push(c);
        }
    }
    out
}

/// NFKC and case folding, repeated (at most 4 times) until the result no longer changes.
fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut text = text.to_owned();
    for _ in 0..4 {
        let folded = nfkc(&casefold(&nfkc(&text)));
        if folded == text {
            break;
        }
        text = folded;
    }
    text
}

fn normalise_once(tag: &str) -> Option<String> {
    let folded = fold(tag);
    let mut text = folded
        .trim_matches(is_space)
        .trim_start_matches(|c| HASH_MARKS.contains(&c) || c == ' ');
    text = text
        .strip_suffix("[话题]#")
        .or_else(|| text.strip_suffix("[话题]"))
        .unwrap_or(text);
    let mut chars = text.chars();
    let first = chars.next().filter(|&c| is_word(c))?;
    let mut body = String::with_capacity(text.len());
    body.push(first);
    body.extend(
        chars
            .take_while(|&c| is_tag_char(c))
            .take(MAX_TAG_LENGTH - 1),
    );
    let body = body.trim_end_matches(['\u{200c}', '\u{200d}']);
    if body.is_empty() || body.chars().all(|c| c == '_' || is_decimal(c)) {
        return None;
    }
    Some(body.to_owned())
}

/// The canonical form of one hashtag, or `None` if nothing valid remains.
pub fn normalise_hashtag(tag: &str) -> Option<String> {
    let mut result = normalise_once(tag);
    for _ in 0..3 {
        let current = result?;
        let again = normalise_once(&current);
        if again.as_deref() == Some(current.as_str()) {
            return again;
        }
        result = again;
    }
    result
}

fn ends_topic(c: char) -> bool {
    matches!(c, '#' | '＃' | '﹟' | '[' | ']' | '［' | '］') || is_space(c)
}

/// The topic of `#topic[话题]#` starting right after the hash mark at `at`, and where it ends.
fn rednote_topic(chars: &[char], at: usize) -> Option<(usize, usize)> {
    let run = chars[at..]
        .iter()
        .take(MAX_TOPIC_LENGTH + 1)
        .take_while(|&&c| !ends_topic(c))
        .count();
    if run == 0 || run > MAX_TOPIC_LENGTH {
        return None;
    }
    let rest = &chars[at + run..];
    let suffix = rest.len() >= 5
        && matches!(rest[0], '[' | '［')
        && rest[1] == '话'
        && rest[2] == '题'
        && matches!(rest[3], ']' | '］')
        && rest[4] == '#';
    suffix.then_some((at + run, at + run + 5))
}

/// The candidate tag after a hash mark at `at - 1`: (start, end, where scanning resumes).
fn candidate(chars: &[char], at: usize) -> Option<(usize, usize, usize)> {
    if let Some((end, resume)) = rednote_topic(chars, at) {
        return Some((at, end, resume));
    }
    if at < chars.len() && is_word(chars[at]) {
        let run = chars[at + 1..]
            .iter()
            .take_while(|&&c| is_tag_char(c))
            .count();
        return Some((at, at + 1 + run, at + 1 + run));
    }
    None
}

/// The distinct normalised hashtags of a post's text, in order of first appearance.
pub fn extract_hashtags(text: &str) -> Vec<String> {
    extract_hashtags_with(text, &mut normalise_hashtag)
}

/// `extract_hashtags` with the given normaliser (e.g. one with a cache).
pub fn extract_hashtags_with<T: PartialEq>(
    text: &str,
    normalise: &mut dyn FnMut(&str) -> Option<T>,
) -> Vec<T> {
    let mut tags: Vec<T> = Vec::new();
    if !text.contains(HASH_MARKS) {
        return tags;
    }
    let normal = nfkc(text);
    let chars: Vec<char> = normal.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = HASH_MARKS.contains(&chars[i])
            && (i == 0 || !matches!(chars[i - 1], '0'..='9' | 'A'..='Z' | 'a'..='z' | '_' | '&'));
        let found = if starts {
            candidate(&chars, i + 1)
        } else {
            None
        };
        let Some((start, end, resume)) = found else {
            i += 1;
            continue;
        };
        let raw: String = chars[start..end].iter().collect();
        if let Some(tag) = normalise(&raw) {
            if !tags.contains(&tag) {
                tags.push(tag);
                if tags.len() == MAX_TAGS_PER_POST {
                    break;
                }
            }
        }
        i = resume;
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(text: &str) -> Vec<String> {
        extract_hashtags(text)
    }

    #[test]
    fn normalises_like_the_python_rules() {
        assert_eq!(normalise_hashtag("#Straße!").as_deref(), Some("strasse"));
        assert_eq!(
            normalise_hashtag("＃ＧｏｏｄＭｏｒｎｉｎｇ").as_deref(),
            Some("goodmorning")
        );
        assert_eq!(
            normalise_hashtag("小红书[话题]#").as_deref(),
            Some("小红书")
        );
        assert_eq!(normalise_hashtag("fyp🔥fyp").as_deref(), Some("fyp"));
        assert_eq!(normalise_hashtag("!!"), None);
        assert_eq!(normalise_hashtag("#2025"), None);
        assert_eq!(normalise_hashtag(""), None);
        let long = format!("#{}", "a".repeat(100));
        assert_eq!(normalise_hashtag(&long), Some("a".repeat(MAX_TAG_LENGTH)));
    }

    #[test]
    fn extracts_like_the_python_rules() {
        assert_eq!(
            ex("Hello from #TikTokRefugee!! #小红书 #ＦＹＰ🔥 #fyp"),
            ["tiktokrefugee", "小红书", "fyp"]
        );
        assert_eq!(
            ex("#TikTokRefugee[话题]# 我爱#RedNote。#美食［话题］#"),
            ["tiktokrefugee", "rednote", "美食"]
        );
        assert!(ex("C# and issue#4 are not tags, #1 neither &#39;").is_empty());
        assert_eq!(ex("#a #B #a #b_c, #ok."), ["a", "b", "b_c", "ok"]);
        assert_eq!(ex("#café #cafe\u{301}"), ["café"]);
        assert_eq!(ex("#a\n#b\t#c ##d #e#f"), ["a", "b", "c", "d", "e"]);
        let many: Vec<String> = (0..40).map(|i| format!("#t{i}")).collect();
        assert_eq!(ex(&many.join(" ")).len(), MAX_TAGS_PER_POST);
    }
}
