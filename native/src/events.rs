//! Validation of decoded post and engagement events (schema version 1): the rules,
//! reason codes and details of `detectors/events.py`.

use std::borrow::Cow;
use std::sync::Arc;

use crate::json::Json;
use crate::pyrepr::{float_int_text, repr, str_of, str_repr};
use crate::timestamp::{fromisoformat, Iso};

pub const MAX_RECORD_BYTES: usize = 1 << 20;
pub const MAX_TEXT_LENGTH: usize = 10_000;
pub const MAX_ID_LENGTH: usize = 256;
pub const MAX_GIVEN_TAGS: usize = 1_000;
pub const NEW_AUTHOR_MS: i64 = 7 * 86_400_000;
pub const MAX_TS: i64 = 4_102_444_800_000;

/// Why an event is rejected: a reason code of `detectors.events.REASONS` and a detail.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub reason: &'static str,
    pub detail: String,
}

fn invalid<T>(reason: &'static str, detail: String) -> Result<T, Invalid> {
    Err(Invalid { reason, detail })
}

/// A count that may exceed 64 bits (Python ints have no limit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Count<'a> {
    Small(i64),
    Big(&'a str),
}

/// Strings borrow from the record's text (owned when the JSON escaped them), not from its
/// decoded document, which can go once its events are read.
#[derive(Debug, PartialEq)]
pub struct Post<'a> {
    pub id: Cow<'a, str>,
    pub ts: i64,
    pub author: Cow<'a, str>,
    pub text: Cow<'a, str>,
    pub hashtags: Vec<Tag>,
    pub lang: Option<Cow<'a, str>>,
    pub region: Option<Cow<'a, str>>,
    pub author_created: Option<i64>,
}

impl Post<'_> {
    /// The author's account was at most 7 days old when posting (or "created" after it).
    pub fn is_new_author(&self) -> bool {
        self.author_created
            .is_some_and(|created| self.ts - created <= NEW_AUTHOR_MS)
    }
}

#[derive(Debug, PartialEq)]
pub struct Engagement<'a> {
    pub post_id: Cow<'a, str>,
    pub ts: i64,
    pub hashtags: Vec<Tag>,
    pub views: i64,
    pub likes: Count<'a>,
    pub shares: Count<'a>,
}

#[derive(Debug, PartialEq)]
pub enum Event<'a> {
    Post(Post<'a>),
    Engagement(Engagement<'a>),
}

impl Event<'_> {
    pub fn ts(&self) -> i64 {
        match self {
            Event::Post(p) => p.ts,
            Event::Engagement(e) => e.ts,
        }
    }
}

/// A normalised hashtag, shared (an extractor's cache hands out the same one for each spelling).
pub type Tag = Arc<str>;

/// Normalises one given hashtag (the extractor passes a cached one).
pub trait Normaliser {
    fn normalise(&mut self, raw: &str) -> Option<Tag>;
}

/// The members of an event that its rules read, by name (`FIELD_NAMES`).
pub const FIELD_NAMES: [&str; FIELDS] = [
    "v",
    "type",
    "id",
    "post_id",
    "ts",
    "author",
    "text",
    "hashtags",
    "views",
    "likes",
    "shares",
    "lang",
    "region",
    "author_created",
];
pub const FIELDS: usize = 14;
const V: usize = 0;
const TYPE: usize = 1;
const ID: usize = 2;
const POST_ID: usize = 3;
const TS: usize = 4;
const AUTHOR: usize = 5;
const TEXT: usize = 6;
const HASHTAGS: usize = 7;
const VIEWS: usize = 8;
const LIKES: usize = 9;
const SHARES: usize = 10;
const LANG: usize = 11;
const REGION: usize = 12;
const AUTHOR_CREATED: usize = 13;

/// The index in `FIELD_NAMES` of a member's name; None for a member the rules do not read.
#[inline]
pub fn field_index(name: &str) -> Option<usize> {
    Some(match name {
        "v" => V,
        "type" => TYPE,
        "id" => ID,
        "post_id" => POST_ID,
        "ts" => TS,
        "author" => AUTHOR,
        "text" => TEXT,
        "hashtags" => HASHTAGS,
        "views" => VIEWS,
        "likes" => LIKES,
        "shares" => SHARES,
        "lang" => LANG,
        "region" => REGION,
        "author_created" => AUTHOR_CREATED,
        _ => return None,
    })
}

/// The members of one JSON object that the rules read, by `field_index`: for a name given
/// more than once the last one (as `Json::get`), null as absent.
pub struct Fields<'j, 'a>([Option<&'j Json<'a>>; FIELDS]);

impl<'j, 'a> Fields<'j, 'a> {
    /// The fields of an object's members.
    pub fn of_members(members: &'j [(Cow<'a, str>, Json<'a>)]) -> Self {
        let mut found = [None; FIELDS];
        for (key, value) in members {
            if let Some(i) = field_index(key) {
                found[i] = Some(value);
            }
        }
        Fields(found)
    }

    /// The fields of values already found by `field_index` (the last of each name).
    pub fn of_values(values: &'j [Option<Json<'a>>; FIELDS]) -> Self {
        Fields(std::array::from_fn(|i| values[i].as_ref()))
    }

    /// A value present and not null.
    #[inline]
    fn get(&self, i: usize) -> Option<&'j Json<'a>> {
        self.0[i].filter(|v| !matches!(v, Json::Null))
    }
}

fn name(i: usize) -> &'static str {
    FIELD_NAMES[i]
}

fn require_str<'a>(obj: &Fields<'_, 'a>, i: usize) -> Result<Cow<'a, str>, Invalid> {
    match obj.get(i) {
        Some(Json::Str(s)) => Ok(s.clone()),
        None => invalid("missing_field", format!("{} is required", name(i))),
        Some(other) => invalid(
            "bad_type",
            format!("{} must be a string, not {}", name(i), other.type_name()),
        ),
    }
}

fn identifier<'a>(obj: &Fields<'_, 'a>, i: usize) -> Result<Cow<'a, str>, Invalid> {
    let value = require_str(obj, i)?;
    if value.is_empty() || (value.len() > MAX_ID_LENGTH && value.chars().count() > MAX_ID_LENGTH) {
        return invalid(
            "bad_value",
            format!("{} must have 1..{MAX_ID_LENGTH} characters", name(i)),
        );
    }
    Ok(value)
}

fn optional_str<'a>(obj: &Fields<'_, 'a>, i: usize) -> Result<Option<Cow<'a, str>>, Invalid> {
    match obj.get(i) {
        None => Ok(None),
        Some(Json::Str(s)) => Ok(Some(s.clone())),
        Some(other) => invalid(
            "bad_type",
            format!("{} must be a string, not {}", name(i), other.type_name()),
        ),
    }
}

fn in_range(name: &str, ms: i64) -> Result<i64, Invalid> {
    if (0..MAX_TS).contains(&ms) {
        return Ok(ms);
    }
    invalid(
        "bad_timestamp",
        format!("{name} {ms} is outside 1970..2100 in epoch ms"),
    )
}

fn first_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// `parse_timestamp`: epoch ms from an RFC 3339 string or an epoch-ms number.
pub fn parse_timestamp(value: &Json, name: &str) -> Result<i64, Invalid> {
    match value {
        Json::Int(ms) => in_range(name, *ms),
        Json::BigInt(text) => invalid(
            "bad_timestamp",
            format!("{name} {text} is outside 1970..2100 in epoch ms"),
        ),
        Json::Str(s) => match fromisoformat(s) {
            Iso::Aware(us) => in_range(name, us.div_euclid(1000)),
            Iso::Naive => invalid(
                "bad_timestamp",
                format!("{name} {} has no UTC offset", str_repr(first_chars(s, 40))),
            ),
            Iso::Invalid => invalid(
                "bad_timestamp",
                format!(
                    "{name} {} is not an RFC 3339 time",
                    str_repr(first_chars(s, 40))
                ),
            ),
        },
        Json::Float(f) if f.is_finite() && f.fract() == 0.0 => {
            if f.abs() < 9.0e18 {
                return in_range(name, *f as i64);
            }
            invalid(
                "bad_timestamp",
                format!(
                    "{name} {} is outside 1970..2100 in epoch ms",
                    float_int_text(*f)
                ),
            )
        }
        other => invalid(
            "bad_timestamp",
            format!(
                "{name} must be an RFC 3339 string or epoch ms, not {}",
                other.type_name()
            ),
        ),
    }
}

fn timestamp(obj: &Fields, i: usize) -> Result<i64, Invalid> {
    match obj.get(i) {
        Some(Json::Int(ms)) if (0..MAX_TS).contains(ms) => Ok(*ms),
        None => invalid("missing_field", format!("{} is required", name(i))),
        Some(other) => parse_timestamp(other, name(i)),
    }
}

fn given_hashtags(value: &Json, norm: &mut dyn Normaliser) -> Result<Vec<Tag>, Invalid> {
    let Json::Array(items) = value else {
        return invalid(
            "bad_type",
            format!("hashtags must be an array, not {}", value.type_name()),
        );
    };
    if items.len() > MAX_GIVEN_TAGS {
        return invalid(
            "oversize",
            format!(
                "hashtags has {} elements, more than {MAX_GIVEN_TAGS}",
                items.len()
            ),
        );
    }
    let mut tags: Vec<Tag> = Vec::with_capacity(items.len().min(4));
    for item in items {
        let Json::Str(raw) = item else {
            return invalid(
                "bad_type",
                format!("hashtags must hold strings, not {}", item.type_name()),
            );
        };
        if let Some(tag) = norm.normalise(raw) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    tags.truncate(crate::hashtags::MAX_TAGS_PER_POST);
    Ok(tags)
}

fn post<'a>(obj: &Fields<'_, 'a>, norm: &mut dyn Normaliser) -> Result<Post<'a>, Invalid> {
    let text = require_str(obj, TEXT)?;
    if text.len() > MAX_TEXT_LENGTH {
        let n = text.chars().count();
        if n > MAX_TEXT_LENGTH {
            return invalid(
                "oversize",
                format!("text has {n} characters, more than {MAX_TEXT_LENGTH}"),
            );
        }
    }
    let id = identifier(obj, ID)?;
    let ts = timestamp(obj, TS)?;
    let author = identifier(obj, AUTHOR)?;
    let hashtags = match obj.get(HASHTAGS) {
        None => crate::hashtags::extract_hashtags_with(&text, &mut |raw| norm.normalise(raw)),
        Some(given) => given_hashtags(given, norm)?,
    };
    let lang = optional_str(obj, LANG)?;
    let region = optional_str(obj, REGION)?;
    let author_created = match obj.get(AUTHOR_CREATED) {
        None => None,
        Some(_) => Some(timestamp(obj, AUTHOR_CREATED)?),
    };
    Ok(Post {
        id,
        ts,
        author,
        text,
        hashtags,
        lang,
        region,
        author_created,
    })
}

fn count<'a>(obj: &Fields<'_, 'a>, i: usize, required: bool) -> Result<Count<'a>, Invalid> {
    let name = name(i);
    match obj.get(i) {
        Some(Json::Int(v)) if *v < 0 => {
            invalid("bad_value", format!("{name} must not be negative, got {v}"))
        }
        Some(Json::Int(v)) => Ok(Count::Small(*v)),
        Some(Json::BigInt(t)) if t.starts_with('-') => {
            invalid("bad_value", format!("{name} must not be negative, got {t}"))
        }
        Some(Json::BigInt(t)) => Ok(Count::Big(t)),
        None if !required => Ok(Count::Small(0)),
        None => invalid("missing_field", format!("{name} is required")),
        Some(other) => invalid(
            "bad_type",
            format!("{name} must be a number, not {}", other.type_name()),
        ),
    }
}

fn engagement<'a>(
    obj: &Fields<'_, 'a>,
    norm: &mut dyn Normaliser,
) -> Result<Engagement<'a>, Invalid> {
    let Some(tags) = obj.get(HASHTAGS) else {
        return invalid("missing_field", "hashtags is required".into());
    };
    let post_id = identifier(obj, POST_ID)?;
    let ts = timestamp(obj, TS)?;
    let hashtags = given_hashtags(tags, norm)?;
    let views = match count(obj, VIEWS, true)? {
        Count::Small(v) => v,
        Count::Big(t) => {
            return invalid(
                "bad_value",
                format!("views must be at most {}, got {t}", i64::MAX),
            )
        }
    };
    let likes = count(obj, LIKES, false)?;
    let shares = count(obj, SHARES, false)?;
    Ok(Engagement {
        post_id,
        ts,
        hashtags,
        views,
        likes,
        shares,
    })
}

/// Validate one decoded event, as `detectors.events.parse_event` does.
pub fn parse_event<'a>(value: &Json<'a>, norm: &mut dyn Normaliser) -> Result<Event<'a>, Invalid> {
    let Json::Object(members) = value else {
        return invalid(
            "not_object",
            format!("an event must be a JSON object, not {}", value.type_name()),
        );
    };
    parse_fields(&Fields::of_members(members), norm)
}

/// Validate the fields of one JSON object as an event (`parse_event` of that object).
pub fn parse_fields<'a>(
    obj: &Fields<'_, 'a>,
    norm: &mut dyn Normaliser,
) -> Result<Event<'a>, Invalid> {
    match obj.get(V) {
        Some(Json::Int(1)) => {}
        None => return invalid("missing_field", "v is required".into()),
        Some(other) => {
            return invalid(
                "bad_version",
                format!("v {} is not supported (only 1)", repr(other)),
            )
        }
    }
    match obj.get(TYPE) {
        Some(Json::Str(kind)) if kind == "post" => post(obj, norm).map(Event::Post),
        Some(Json::Str(kind)) if kind == "engagement" => {
            engagement(obj, norm).map(Event::Engagement)
        }
        None => invalid("missing_field", "type is required".into()),
        Some(other) => {
            let shown: Cow<str> = Cow::Owned(str_of(other));
            invalid(
                "unknown_type",
                format!(
                    "type {} is not 'post' or 'engagement'",
                    str_repr(first_chars(&shown, 40))
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain;
    impl Normaliser for Plain {
        fn normalise(&mut self, raw: &str) -> Option<Tag> {
            crate::hashtags::normalise_hashtag(raw).map(Tag::from)
        }
    }

    fn check(text: &str) -> Result<String, (String, String)> {
        let (value, _) = crate::json::parse(text, false).unwrap();
        match parse_event(&value, &mut Plain) {
            Ok(Event::Post(p)) => Ok(format!("post {} {} {:?}", p.id, p.ts, p.hashtags)),
            Ok(Event::Engagement(e)) => Ok(format!(
                "engagement {} {} {:?} {}",
                e.post_id, e.ts, e.hashtags, e.views
            )),
            Err(e) => Err((e.reason.to_string(), e.detail)),
        }
    }

    fn err(reason: &str, detail: &str) -> Result<String, (String, String)> {
        Err((reason.into(), detail.into()))
    }

    #[test]
    fn valid_events() {
        let post = r##"{"v":1,"type":"post","id":"p1","ts":"2025-01-13T00:00:00Z","author":"a","text":"hi #TikTokRefugee"}"##;
        assert_eq!(
            check(post),
            Ok("post p1 1736726400000 [\"tiktokrefugee\"]".into())
        );
        let eng = r##"{"v":1,"type":"engagement","post_id":"p1","ts":5,"hashtags":["#Fyp","fyp"],"views":10}"##;
        assert_eq!(check(eng), Ok("engagement p1 5 [\"fyp\"] 10".into()));
    }

    #[test]
    fn details_are_those_of_the_python_rules() {
        assert_eq!(
            check(r#"{"v":1,"type":"like"}"#),
            err("unknown_type", "type 'like' is not 'post' or 'engagement'")
        );
        assert_eq!(
            check(r#"{"v":1.0}"#),
            err("bad_version", "v 1.0 is not supported (only 1)")
        );
        assert_eq!(
            check(r#"{"v":true}"#),
            err("bad_version", "v True is not supported (only 1)")
        );
        assert_eq!(
            check(r#"[1]"#),
            err("not_object", "an event must be a JSON object, not array")
        );
        assert_eq!(
            check(r#"{"v":1,"type":"post","id":"p","ts":1,"author":"a"}"#),
            err("missing_field", "text is required")
        );
        let ts =
            r#"{"v":1,"type":"post","id":"p","ts":"2025-01-13T00:00:00","author":"a","text":""}"#;
        assert_eq!(
            check(ts),
            err(
                "bad_timestamp",
                "ts '2025-01-13T00:00:00' has no UTC offset"
            )
        );
        let views = r#"{"v":1,"type":"engagement","post_id":"p","ts":1,"hashtags":[],"views":-3}"#;
        assert_eq!(
            check(views),
            err("bad_value", "views must not be negative, got -3")
        );
        let big =
            r#"{"v":1,"type":"post","id":"p","ts":1180591620717411303424,"author":"a","text":""}"#;
        assert_eq!(
            check(big),
            err(
                "bad_timestamp",
                "ts 1180591620717411303424 is outside 1970..2100 in epoch ms"
            )
        );
    }
}
