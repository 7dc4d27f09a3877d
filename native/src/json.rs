//! A JSON reader that reads records as the extract stage always has: with
//! orjson's semantics, and Python's `json.loads` on bytes for what orjson refuses.
//!
//! Values borrow from the input where they can. As with orjson, integers outside
//! [i64::MIN, u64::MAX] become floats and the last of repeated keys wins. A
//! document orjson refuses but Python's decoder accepts is read as Python reads
//! it: `NaN`, `Infinity`, `-Infinity`, numbers beyond the float range (then every
//! integer stays exact, up to Python's 4300-digit limit), a UTF-8 BOM, UTF-16 or
//! UTF-32 (detected as `json.detect_encoding` does). Nesting deeper than
//! `MAX_DEPTH` (orjson's limit) is `Error::TooDeep`, not a stack overflow: the
//! reader recurses once per level, so its stack is bounded. Other errors read
//! like Python's: `Expecting value: line 1 column 1 (char 0)`.

use std::borrow::Cow;

/// Deepest nesting of arrays and objects accepted (orjson's limit).
pub const MAX_DEPTH: usize = 1024;
/// Most digits of an integer (Python's default `int` string conversion limit).
const MAX_INT_DIGITS: usize = 4300;

/// A decoded JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A larger integer, as its decimal text (optional `-`, no leading zeros).
    BigInt(&'a str),
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Members in input order; a key may repeat (lookups take the last).
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// The value of `key` in an object (the last one if repeated), None if absent or not an object.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The name Python's `detectors.events` gives this value's type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Int(_) | Json::BigInt(_) | Json::Float(_) => "number",
            Json::Str(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

/// Why a document is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Not JSON: the message reads like Python's `json.loads` error.
    Syntax(String),
    /// Arrays/objects nested deeper than `MAX_DEPTH`.
    TooDeep,
}

impl Error {
    /// The reason code of `detectors.events.REASONS` and the detail of a record rejected for it.
    pub fn reason_detail(&self) -> (&'static str, String) {
        match self {
            Error::Syntax(message) => ("bad_json", message.chars().take(200).collect()),
            Error::TooDeep => ("too_deep", TOO_DEEP.to_string()),
        }
    }
}

/// The detail of `too_deep`.
pub const TOO_DEEP: &str = "arrays/objects nested deeper than the JSON decoder allows";

/// A document and, for a top-level array, the byte range of each element's text.
pub type Parsed<'a> = (Json<'a>, Option<Vec<(usize, usize)>>);

/// The input as UTF-8 text, decoded as `json.loads` decodes bytes, and whether only
/// Python's decoder reads it (a BOM or another encoding); or an error message.
pub fn decode_text(raw: &[u8]) -> Result<(Cow<'_, str>, bool), String> {
    match crate::json_text::detect(raw) {
        crate::json_text::Encoding::Utf8(skip) => std::str::from_utf8(&raw[skip..])
            .map(|text| (Cow::Borrowed(text), skip > 0))
            .map_err(|e| crate::json_text::utf8_error(&raw[skip..], e)),
        other => crate::json_text::decode_wide(raw, other).map(|text| (Cow::Owned(text), true)),
    }
}

/// Parse a whole document; a top-level array also yields the span of each element.
/// `python_only`: read it as Python's decoder does (see the module docs).
pub fn parse(text: &str, python_only: bool) -> Result<Parsed<'_>, Error> {
    let mut reader = Reader::new(text, python_only);
    reader.skip_ws();
    if reader.peek() == Some(b'[') {
        reader.spans = Some(Vec::new());
    }
    let mut value = reader.value(0)?;
    reader.skip_ws();
    if reader.pos != reader.bytes.len() {
        return Err(reader.error("Extra data"));
    }
    if reader.big && !reader.python_only && all_big_finite(&value) {
        big_to_float(&mut value);
    }
    Ok((value, reader.spans))
}

/// Receives the members of each object `scan_objects` reads.
pub trait Members<'a> {
    /// One member of the current object (its key decoded), its value as `parse` reads it.
    fn member(&mut self, key: &str, value: Json<'a>);
    /// The end of the current object; false stops the scan.
    fn end(&mut self) -> bool;
}

/// Reads a document that is one object, or an array of objects, without building it:
/// the members of each object go to `members` in order, each value as `parse` reads it.
/// True if the whole document was read so; false if it is anything else (another shape,
/// not JSON, an integer beyond 64 bits) or `members` stopped the scan: `parse` then
/// reads it, with its errors. `python_only` as for `parse`.
pub fn scan_objects<'a>(text: &'a str, python_only: bool, members: &mut dyn Members<'a>) -> bool {
    let mut reader = Reader::new(text, python_only);
    reader.skip_ws();
    let read = match reader.peek() {
        Some(b'{') => reader.scan_object(1, members),
        Some(b'[') => reader.scan_array(members),
        _ => false,
    };
    reader.skip_ws();
    // An integer beyond 64 bits may become a float once the whole document is read (`parse`).
    read && reader.pos == reader.bytes.len() && !reader.big
}

/// `scan_objects` of each of `texts` that must be one object (as a top-level object), in
/// order, by one reader that keeps its buffers from one to the next: false at the first
/// that is not read so, or that is None (one not to be read).
pub fn scan_each_object<'a>(
    texts: impl IntoIterator<Item = Option<&'a str>>,
    members: &mut dyn Members<'a>,
) -> bool {
    let mut reader = Reader::new("", false);
    for text in texts {
        let Some(text) = text else {
            return false;
        };
        (reader.text, reader.bytes, reader.pos) = (text, text.as_bytes(), 0);
        reader.skip_ws();
        if reader.peek() != Some(b'{') || !reader.scan_object(1, members) {
            return false;
        }
        reader.skip_ws();
        // An integer beyond 64 bits may become a float once the whole document is read (`parse`).
        if reader.pos != reader.bytes.len() || reader.big {
            return false;
        }
    }
    true
}

/// orjson reads integers beyond 64 bits as floats, and refuses those beyond the float range.
fn all_big_finite(value: &Json) -> bool {
    match value {
        Json::BigInt(text) => text.parse::<f64>().is_ok_and(f64::is_finite),
        Json::Array(items) => items.iter().all(all_big_finite),
        Json::Object(members) => members.iter().all(|(_, v)| all_big_finite(v)),
        _ => true,
    }
}

fn big_to_float(value: &mut Json) {
    match value {
        Json::BigInt(text) if text.parse::<u64>().is_err() => {
            *value = Json::Float(text.parse::<f64>().unwrap_or(f64::NAN));
        }
        Json::Array(items) => items.iter_mut().for_each(big_to_float),
        Json::Object(members) => members.iter_mut().for_each(|(_, v)| big_to_float(v)),
        _ => {}
    }
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    spans: Option<Vec<(usize, usize)>>,
    /// The document needs Python's decoder (orjson refuses it).
    python_only: bool,
    /// An integer beyond 64 bits was read.
    big: bool,
    /// Elements of the arrays being read, innermost last: each array takes its own
    /// off the top when it ends, in one allocation of its exact size.
    items: Vec<Json<'a>>,
    /// Members of the objects being read, as `items`.
    members: Vec<(Cow<'a, str>, Json<'a>)>,
}

/// The high bit of each byte of `word` that is `"`, `\\` or a control character; exact up
/// to its lowest set bit (a borrow only runs upwards from a byte that matches).
#[inline]
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let quote = zero(word ^ (ONES * b'"' as u64));
    let backslash = zero(word ^ (ONES * b'\\' as u64));
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    quote | backslash | control
}

/// The length of the run of `bytes` before its first `"`, `\\` or control character.
#[inline]
fn plain_run(bytes: &[u8]) -> usize {
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let word = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        let found = special_bytes(word);
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, python_only: bool) -> Self {
        Reader {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            spans: None,
            python_only,
            big: false,
            items: Vec::new(),
            members: Vec::new(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn error(&self, message: &str) -> Error {
        self.error_at(message, self.pos)
    }

    fn error_at(&self, message: &str, at: usize) -> Error {
        let before = &self.text[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        let char_pos = before.chars().count();
        Error::Syntax(format!(
            "{message}: line {line} column {column} (char {char_pos})"
        ))
    }

    fn literal(&mut self, word: &str, value: Json<'a>) -> Option<Json<'a>> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Some(value)
        } else {
            None
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json<'a>, Error> {
        let found = match self.peek() {
            Some(b'"') => return self.string().map(Json::Str),
            Some(b'{') => return self.object(depth + 1),
            Some(b'[') => return self.array(depth + 1),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'N') => self.literal("NaN", Json::Float(f64::NAN)),
            Some(b'I') => self.literal("Infinity", Json::Float(f64::INFINITY)),
            _ => None,
        };
        if matches!(found, Some(Json::Float(f)) if !f.is_finite()) {
            self.python_only = true;
        }
        found.ok_or_else(|| self.error("Expecting value"))
    }

    fn enter(&self, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::TooDeep);
        }
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<Json<'a>, Error> {
        self.enter(depth)?;
        let top = depth == 1 && self.spans.is_some();
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(Vec::new()));
        }
        let base = self.items.len();
        loop {
            self.skip_ws();
            let start = self.pos;
            let item = self.value(depth)?;
            self.items.push(item);
            if top {
                let end = self.pos;
                if let Some(spans) = self.spans.as_mut() {
                    spans.push((start, end));
                }
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(self.items.split_off(base)));
                }
                _ => return Err(self.error("Expecting ',' delimiter")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json<'a>, Error> {
        self.enter(depth)?;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(Vec::new()));
        }
        let base = self.members.len();
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.error("Expecting property name enclosed in double quotes"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("Expecting ':' delimiter"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            self.members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(self.members.split_off(base)));
                }
                _ => return Err(self.error("Expecting ',' delimiter")),
            }
            self.skip_ws();
        }
    }

    /// `array` of a top-level array whose elements are all objects, read by `scan_object`.
    fn scan_array(&mut self, members: &mut dyn Members<'a>) -> bool {
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return true;
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'{') || !self.scan_object(2, members) {
                return false;
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    /// `object`, its members given to `members` instead of kept.
    fn scan_object(&mut self, depth: usize, members: &mut dyn Members<'a>) -> bool {
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return members.end();
        }
        loop {
            if self.peek() != Some(b'"') {
                return false;
            }
            let key = match self.plain_string() {
                Some(key) => Cow::Borrowed(key),
                None => match self.string() {
                    Ok(key) => key,
                    Err(_) => return false,
                },
            };
            self.skip_ws();
            if self.peek() != Some(b':') {
                return false;
            }
            self.pos += 1;
            self.skip_ws();
            let plain = match self.peek() {
                Some(b'"') => self.plain_string(),
                _ => None,
            };
            let value = match plain {
                Some(text) => Json::Str(Cow::Borrowed(text)),
                None => match self.value(depth) {
                    Ok(value) => value,
                    Err(_) => return false,
                },
            };
            members.member(&key, value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return members.end();
                }
                _ => return false,
            }
            self.skip_ws();
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Option<Json<'a>>, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            if self.bytes[self.pos..].starts_with(b"Infinity") {
                self.pos += 8;
                self.python_only = true;
                return Ok(Some(Json::Float(f64::NEG_INFINITY)));
            }
        }
        // The integer part's value as it is scanned (exact up to 18 digits, used only then).
        let mut magnitude = 0u64;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while let Some(&d @ b'0'..=b'9') = self.bytes.get(self.pos) {
                    magnitude = magnitude.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                    self.pos += 1;
                }
            }
            _ => {
                self.pos = start;
                return Ok(None);
            }
        }
        let int_end = self.pos;
        let mut float = false;
        if self.peek() == Some(b'.') && matches!(self.bytes.get(self.pos + 1), Some(b'0'..=b'9')) {
            self.pos += 1;
            self.digits();
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let mark = self.pos;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                self.pos = mark;
            } else {
                float = true;
            }
        }
        let text = &self.text[start..self.pos];
        if float {
            let value = text.parse::<f64>().unwrap_or(f64::NAN);
            self.python_only |= !value.is_finite();
            return Ok(Some(Json::Float(value)));
        }
        debug_assert_eq!(int_end, self.pos);
        let (negative, digits) = match text.as_bytes() {
            [b'-', rest @ ..] => (true, rest),
            all => (false, all),
        };
        if digits.len() <= 18 {
            // At most 18 digits: below 10^18, no overflow.
            let magnitude = magnitude as i64;
            return Ok(Some(Json::Int(if negative {
                -magnitude
            } else {
                magnitude
            })));
        }
        if let Ok(small) = text.parse::<i64>() {
            return Ok(Some(Json::Int(small)));
        }
        if text.trim_start_matches('-').len() > MAX_INT_DIGITS {
            return Err(Error::Syntax(format!(
                "Exceeds the limit ({MAX_INT_DIGITS} digits) for integer string conversion: \
                 value has {} digits",
                text.trim_start_matches('-').len()
            )));
        }
        self.big = true;
        Ok(Some(Json::BigInt(text)))
    }

    /// The string starting here if it has no escapes (nor control characters), read as
    /// `string` reads it; None (nothing read) otherwise.
    #[inline]
    fn plain_string(&mut self) -> Option<&'a str> {
        let start = self.pos + 1;
        let end = start + plain_run(self.bytes.get(start..)?);
        if self.bytes.get(end) != Some(&b'"') {
            return None;
        }
        let text = self.text.get(start..end)?;
        self.pos = end + 1;
        Some(text)
    }

    fn string(&mut self) -> Result<Cow<'a, str>, Error> {
        let begin = self.pos;
        self.pos += 1;
        let start = self.pos;
        self.pos += plain_run(&self.bytes[self.pos..]);
        match self.peek() {
            None => return Err(self.error_at("Unterminated string starting at", begin)),
            Some(b'"') => {
                self.pos += 1;
                return Ok(Cow::Borrowed(&self.text[start..self.pos - 1]));
            }
            Some(b'\\') => {}
            Some(_) => return Err(self.error("Invalid control character at")),
        }
        let mut out = String::from(&self.text[start..self.pos]);
        loop {
            match self.peek() {
                None => return Err(self.error_at("Unterminated string starting at", begin)),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(0..=0x1f) => return Err(self.error("Invalid control character at")),
                Some(_) => {
                    let run = self.pos;
                    self.pos += plain_run(&self.bytes[self.pos..]);
                    out.push_str(&self.text[run..self.pos]);
                }
            }
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.bytes.get(at..at + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(text, 16).ok()
    }

    fn escape(&mut self, out: &mut String) -> Result<(), Error> {
        let at = self.pos;
        let simple = match self.bytes.get(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode_escape(out),
            _ => return Err(self.error("Invalid \\escape")),
        };
        out.push(simple);
        self.pos += 2;
        Ok(())
    }

    fn unicode_escape(&mut self, out: &mut String) -> Result<(), Error> {
        let at = self.pos;
        let first = self
            .hex4(at + 2)
            .ok_or_else(|| self.error_at("Invalid \\uXXXX escape", at + 1))?;
        self.pos = at + 6;
        if (0xDC00..0xE000).contains(&first) {
            return Err(self.error_at("Lone surrogate in \\uXXXX escape", at + 1));
        }
        if !(0xD800..0xDC00).contains(&first) {
            out.push(char::from_u32(first).unwrap_or('\u{fffd}'));
            return Ok(());
        }
        let low = if self.bytes.get(at + 6..at + 8) == Some(b"\\u") {
            self.hex4(at + 8)
        } else {
            None
        };
        match low {
            Some(low @ 0xDC00..=0xDFFF) => {
                let code = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                self.pos = at + 12;
                Ok(())
            }
            _ => Err(self.error_at("Lone surrogate in \\uXXXX escape", at + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Json<'_> {
        parse(text).unwrap().0
    }

    fn parse(text: &str) -> Result<Parsed<'_>, Error> {
        super::parse(text, false)
    }

    #[test]
    fn values() {
        assert_eq!(ok(" 1 "), Json::Int(1));
        assert_eq!(ok("-0"), Json::Int(0));
        assert_eq!(ok("1.5e1"), Json::Float(15.0));
        assert_eq!(
            ok("18446744073709551615"),
            Json::BigInt("18446744073709551615")
        );
        assert_eq!(
            ok("123456789012345678901234"),
            Json::Float(1.2345678901234568e23)
        );
        let exact = ok("[NaN, 123456789012345678901234]");
        assert!(
            matches!(&exact, Json::Array(v) if v[1] == Json::BigInt("123456789012345678901234"))
        );
        assert_eq!(ok(r#""a\u00e9\ud83d\ude00\n""#), Json::Str("aé😀\n".into()));
        assert!(matches!(ok("NaN"), Json::Float(f) if f.is_nan()));
        assert_eq!(ok("-Infinity"), Json::Float(f64::NEG_INFINITY));
        let obj = ok(r#"{"a": 1, "a": [true, null]}"#);
        assert_eq!(
            obj.get("a"),
            Some(&Json::Array(vec![Json::Bool(true), Json::Null]))
        );
    }

    /// The objects `scan_objects` gives, as the members `parse` reads.
    #[derive(Default)]
    struct Collect<'a> {
        objects: Vec<Json<'a>>,
        members: Vec<(Cow<'a, str>, Json<'a>)>,
    }

    impl<'a> Members<'a> for Collect<'a> {
        fn member(&mut self, key: &str, value: Json<'a>) {
            self.members.push((Cow::Owned(key.to_owned()), value));
        }
        fn end(&mut self) -> bool {
            let members = std::mem::take(&mut self.members);
            self.objects.push(Json::Object(members));
            true
        }
    }

    #[test]
    fn scanned_objects_are_those_parse_reads() {
        let read = [
            r#"{"v":1,"a":"x","a":null}"#,
            " [ {\"k\\u0065y\":\"\\n\u{e9}\"} ,\n{},{\"n\":[1,{\"d\":[]}],\"f\":-0.5e3,\"t\":true}\t] ",
            r#"[]"#,
            r#"{"y":-Infinity,"x":1e400,"z":9223372036854775807}"#,
        ];
        for text in read {
            let mut got = Collect::default();
            assert!(scan_objects(text, false, &mut got), "{text}");
            let want = match parse(text).unwrap().0 {
                Json::Array(items) => items,
                other => vec![other],
            };
            assert_eq!(got.objects, want, "{text}");
        }
        let refused = [
            r#"[{"a":1},2]"#,
            r#"[{"a":1}"#,
            r#"{"a":1} x"#,
            r#"{"a":"\x"}"#,
            r#"{"a":123456789012345678901234}"#,
            r#"{"a":18446744073709551615}"#,
            r#"[{"a":1},{"b":"#,
            "\"s\"",
            "",
        ];
        for text in refused {
            assert!(
                !scan_objects(text, false, &mut Collect::default()),
                "{text}"
            );
        }
    }

    #[test]
    fn spans_of_top_level_elements() {
        let (_, spans) = parse(r#"[ {"a":1} ,2]"#).unwrap();
        assert_eq!(spans, Some(vec![(2, 9), (11, 12)]));
    }

    fn syntax(text: &str) -> String {
        match parse(text).unwrap_err() {
            Error::Syntax(message) => message,
            Error::TooDeep => "too deep".into(),
        }
    }

    #[test]
    fn errors_read_like_python() {
        assert_eq!(syntax(""), "Expecting value: line 1 column 1 (char 0)");
        assert_eq!(
            syntax("{not"),
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
        );
        assert_eq!(
            syntax("[1 2]"),
            "Expecting ',' delimiter: line 1 column 4 (char 3)"
        );
        assert_eq!(syntax("1 2"), "Extra data: line 1 column 3 (char 2)");
        assert_eq!(
            syntax("\"ab"),
            "Unterminated string starting at: line 1 column 1 (char 0)"
        );
        assert_eq!(parse(&"[".repeat(100_000)), Err(Error::TooDeep));
        let deepest = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&deepest).is_ok());
        let deeper = format!("{{\"a\":{deepest}}}");
        assert_eq!(parse(&deeper), Err(Error::TooDeep));
        assert!(parse(r#""\ud800""#).is_err());
    }
}
