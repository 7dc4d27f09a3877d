//! The packed value of a `hashtag-windows` batch record: many closed windows in a few bytes each.
//!
//! Format byte `1` (a JSON value, the earlier record format, never starts with it), then:
//! - `varint` hashtags, each a `varint` length and its UTF-8 bytes (every hashtag of the
//!   record once, in order of first use);
//! - `varint` sizes, each a zigzag `varint` size in ms;
//! - `varint` windows, each a `varint` hashtag index, a `varint` size index, its start as a
//!   zigzag `varint` difference from the previous window's start (the first: from 0), then
//!   posts, views, authors and new authors as `varint`s.
//!
//! Windows keep their order. Decoding checks everything: indexes in range, sizes positive,
//! counts at most `i64::MAX`, hashtags non-empty UTF-8, window ends representable, no bytes
//! left over; anything else is an error naming what is wrong.

use std::collections::HashMap;

use crate::codec::{Reader, StateError, Writer};
use crate::windows::{Closed, Tag};

/// The packed value of `windows` (see the module docs).
pub fn encode(windows: &[Closed]) -> Vec<u8> {
    let mut tags: HashMap<&str, u64> = HashMap::with_capacity(windows.len());
    let mut tag_list: Vec<&str> = Vec::with_capacity(windows.len());
    let mut sizes: Vec<i64> = Vec::new();
    let mut body = Writer(Vec::with_capacity(windows.len() * 8));
    let mut previous = 0i64;
    for w in windows {
        let next = tag_list.len() as u64;
        let tag = *tags.entry(w.tag.as_ref()).or_insert_with(|| {
            tag_list.push(w.tag.as_ref());
            next
        });
        let size = match sizes.iter().position(|&s| s == w.size) {
            Some(i) => i,
            None => {
                sizes.push(w.size);
                sizes.len() - 1
            }
        };
        body.varint(tag);
        body.varint(size as u64);
        body.zigzag(w.start.wrapping_sub(previous));
        previous = w.start;
        for count in [w.posts, w.views, w.authors, w.new_authors] {
            body.varint(count.max(0) as u64);
        }
    }
    let names: usize = tag_list.iter().map(|t| t.len() + 2).sum();
    let mut out = Writer::new();
    out.0.reserve(names + sizes.len() * 4 + body.0.len() + 8);
    out.varint(tag_list.len() as u64);
    for tag in &tag_list {
        out.varint(tag.len() as u64);
        out.0.extend_from_slice(tag.as_bytes());
    }
    out.varint(sizes.len() as u64);
    sizes.iter().for_each(|&s| out.zigzag(s));
    out.varint(windows.len() as u64);
    out.0.extend_from_slice(&body.0);
    out.0
}

fn bad<T>(what: &str) -> Result<T, StateError> {
    Err(StateError(format!("not a packed window record: {what}")))
}

fn count(r: &mut Reader) -> Result<i64, StateError> {
    i64::try_from(r.varint()?).or_else(|_| bad("a count above the largest integer"))
}

/// The windows of a packed value, in order.
pub fn decode(value: &[u8]) -> Result<Vec<Closed>, StateError> {
    let mut r = Reader::new(value)?;
    let n = r.varint()? as usize;
    if n > value.len() {
        return bad("more hashtags than bytes");
    }
    let mut tags: Vec<Tag> = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.varint()? as usize;
        if len == 0 {
            return bad("an empty hashtag");
        }
        let raw = r.take(len)?;
        match std::str::from_utf8(raw) {
            Ok(tag) => tags.push(Tag::from(tag)),
            Err(_) => return bad("a hashtag that is not UTF-8"),
        }
    }
    let n = r.varint()? as usize;
    if n > value.len() {
        return bad("more sizes than bytes");
    }
    let mut sizes = Vec::with_capacity(n);
    for _ in 0..n {
        let size = r.zigzag()?;
        if size <= 0 {
            return bad("a window size <= 0");
        }
        sizes.push(size);
    }
    let n = r.varint()? as usize;
    if n > value.len() {
        return bad("more windows than bytes");
    }
    let mut out = Vec::with_capacity(n);
    let mut previous = 0i64;
    for _ in 0..n {
        let tag = tags.get(r.varint()? as usize);
        let size = sizes.get(r.varint()? as usize);
        let (Some(tag), Some(&size)) = (tag, size) else {
            return bad("a hashtag or size index out of range");
        };
        let start = previous
            .checked_add(r.zigzag()?)
            .filter(|s| s.checked_add(size).is_some())
            .map_or_else(|| bad("a window start out of range"), Ok)?;
        previous = start;
        out.push(Closed {
            tag: tag.clone(),
            size,
            start,
            posts: count(&mut r)?,
            views: count(&mut r)?,
            authors: count(&mut r)?,
            new_authors: count(&mut r)?,
        });
    }
    r.end()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(tag: &str, size: i64, start: i64, posts: i64) -> Closed {
        Closed {
            tag: Tag::from(tag),
            size,
            start,
            posts,
            views: posts.saturating_mul(7),
            authors: posts.min(3),
            new_authors: 1,
        }
    }

    fn same(a: &[Closed], b: &[Closed]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                (
                    x.tag.as_ref(),
                    x.size,
                    x.start,
                    x.posts,
                    x.views,
                    x.authors,
                    x.new_authors,
                ) == (
                    y.tag.as_ref(),
                    y.size,
                    y.start,
                    y.posts,
                    y.views,
                    y.authors,
                    y.new_authors,
                )
            })
    }

    #[test]
    fn windows_round_trip_in_order_with_each_hashtag_once() {
        let windows = vec![
            window("fyp", 60_000, 1_700_000_000_000, 3),
            window("话题", 60_000, 1_700_000_000_000, 1),
            window("fyp", 300_000, 1_699_999_800_000, 9),
            window("fyp", 60_000, 1_700_000_060_000, 0),
            window("big", 86_400_000, 0, i64::MAX),
        ];
        let value = encode(&windows);
        assert!(same(&decode(&value).unwrap(), &windows));
        assert_eq!(value.windows(3).filter(|w| w == b"fyp").count(), 1);
        assert!(decode(&encode(&[])).unwrap().is_empty());
    }

    #[test]
    fn a_window_takes_a_few_bytes() {
        let windows: Vec<Closed> = (0..1000)
            .map(|i| window(&format!("tag{i}"), 60_000, 1_700_000_000_000, 1))
            .collect();
        let per_window = encode(&windows).len() as f64 / 1000.0;
        assert!(per_window < 16.0, "{per_window} bytes a window");
    }

    #[test]
    fn every_cut_and_every_damaged_byte_is_an_error_or_windows_never_a_panic() {
        let value = encode(&[
            window("fyp", 60_000, 120_000, 3),
            window("b", 300_000, 0, 1),
        ]);
        for cut in 0..value.len() {
            assert!(decode(&value[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..value.len() {
            for byte in [0u8, 0x7F, 0x80, 0xFF] {
                let mut damaged = value.clone();
                damaged[i] = byte;
                let _ = decode(&damaged);
            }
        }
        assert!(decode(b"[[\"fyp\"]]").is_err());
        let mut trailing = value.clone();
        trailing.push(0);
        assert!(decode(&trailing).is_err());
    }

    #[test]
    fn hostile_values_are_refused() {
        let mut w = Writer::new();
        w.varint(1);
        w.varint(1);
        w.0.push(b'x');
        w.varint(1);
        w.zigzag(-5); // a negative size
        w.varint(0);
        assert!(decode(&w.0).unwrap_err().0.contains("size <= 0"));
        let mut w = Writer::new();
        w.varint(1);
        w.varint(1);
        w.0.push(b'x');
        w.varint(1);
        w.zigzag(60_000);
        w.varint(1);
        w.varint(0);
        w.varint(0);
        w.zigzag(i64::MAX); // start + size overflows
        assert!(decode(&w.0).unwrap_err().0.contains("start out of range"));
    }
}
