//! Packed mentions: the window aggregator's input, one buffer per batch.
//!
//! A mention is the activity of one hashtag in one base bucket. Packed, each
//! is (little-endian): `u16` tag length, the tag's UTF-8 bytes, `i64` bucket,
//! `i64` max_ts, `i64` posts, `i64` views, `i64` new_authors, `u32` number of
//! authors, then each author's `stable_hash` as `u64`, strictly increasing.
//! Mentions follow each other with no separator.

use std::fmt;

/// Why a buffer is not packed mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not packed mentions: {}", self.0)
    }
}

/// One mention, borrowed from its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention<'a> {
    pub tag: &'a str,
    pub bucket: i64,
    pub max_ts: i64,
    pub posts: i64,
    pub views: i64,
    pub new_authors: i64,
    authors: &'a [u8],
}

impl<'a> Mention<'a> {
    /// The authors' hashes, increasing.
    pub fn authors(&self) -> impl Iterator<Item = u64> + 'a {
        self.authors
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
    }

    pub fn has_authors(&self) -> bool {
        !self.authors.is_empty()
    }
}

/// Appends one mention to `out`; `authors` are sorted and deduplicated here.
#[allow(clippy::too_many_arguments)]
pub fn write_mention(
    out: &mut Vec<u8>,
    tag: &str,
    bucket: i64,
    max_ts: i64,
    posts: i64,
    views: i64,
    new_authors: i64,
    authors: &mut Vec<u64>,
) -> Result<(), FormatError> {
    let len = u16::try_from(tag.len())
        .map_err(|_| FormatError(format!("hashtag of {} bytes (at most 65535)", tag.len())))?;
    authors.sort_unstable();
    authors.dedup();
    let n = u32::try_from(authors.len()).map_err(|_| FormatError("too many authors".into()))?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(tag.as_bytes());
    for v in [bucket, max_ts, posts, views, new_authors] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&n.to_le_bytes());
    for h in authors.iter() {
        out.extend_from_slice(&h.to_le_bytes());
    }
    Ok(())
}

/// The mentions of a buffer, checked as they are read.
pub struct Mentions<'a> {
    buf: &'a [u8],
}

impl<'a> Mentions<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Mentions { buf }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        if self.buf.len() < n {
            return Err(FormatError(format!(
                "truncated ({} bytes left, {n} needed)",
                self.buf.len()
            )));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn int(&mut self) -> Result<i64, FormatError> {
        let b = self.take(8)?;
        Ok(i64::from_le_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    fn next_mention(&mut self) -> Result<Mention<'a>, FormatError> {
        let b = self.take(2)?;
        let len = usize::from(u16::from_le_bytes([b[0], b[1]]));
        let tag = std::str::from_utf8(self.take(len)?)
            .map_err(|_| FormatError("hashtag is not UTF-8".into()))?;
        let (bucket, max_ts, posts, views, new_authors) = (
            self.int()?,
            self.int()?,
            self.int()?,
            self.int()?,
            self.int()?,
        );
        let b = self.take(4)?;
        let n = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let authors = self.take(
            n.checked_mul(8)
                .ok_or_else(|| FormatError("too many authors".into()))?,
        )?;
        let mention = Mention {
            tag,
            bucket,
            max_ts,
            posts,
            views,
            new_authors,
            authors,
        };
        let mut last = None;
        for h in mention.authors() {
            if last.is_some_and(|l| l >= h) {
                return Err(FormatError("author hashes not increasing".into()));
            }
            last = Some(h);
        }
        Ok(mention)
    }
}

impl<'a> Iterator for Mentions<'a> {
    type Item = Result<Mention<'a>, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        let item = self.next_mention();
        if item.is_err() {
            self.buf = &[];
        }
        Some(item)
    }
}

/// Every mention of `buf`, or the first format error.
pub fn read_all(buf: &[u8]) -> Result<Vec<Mention<'_>>, FormatError> {
    Mentions::new(buf).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut buf = Vec::new();
        write_mention(
            &mut buf,
            "小红书",
            60_000,
            61_000,
            2,
            7,
            1,
            &mut vec![9, 3, 9],
        )
        .unwrap();
        write_mention(&mut buf, "fyp", 0, 5, 0, 4, 0, &mut vec![]).unwrap();
        let all = read_all(&buf).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].tag, all[0].bucket, all[0].max_ts, all[0].posts),
            ("小红书", 60_000, 61_000, 2)
        );
        assert_eq!(all[0].authors().collect::<Vec<_>>(), vec![3, 9]);
        assert!(!all[1].has_authors());
    }

    #[test]
    fn bad_buffers_are_errors() {
        let mut buf = Vec::new();
        write_mention(&mut buf, "fyp", 0, 5, 1, 0, 0, &mut vec![1, 2]).unwrap();
        assert!(read_all(&buf[..buf.len() - 1]).is_err());
        let n = buf.len();
        buf[n - 16..n - 8].copy_from_slice(&5u64.to_le_bytes());
        assert_eq!(
            read_all(&buf).unwrap_err().0,
            "author hashes not increasing"
        );
        assert!(read_all(&[3, 0, 0xff, 0xfe, 0xfd]).is_err());
    }
}
