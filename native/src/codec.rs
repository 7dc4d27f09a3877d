//! Little-endian byte encoding of the checkpoint state: a format byte first,
//! then integers and `u32`-length-prefixed strings, every read checked.

use std::fmt;

/// The format byte every encoding starts with.
pub const FORMAT: u8 = 1;

/// Why bytes are not a checkpoint state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateError(pub String);

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a window checkpoint state: {}", self.0)
    }
}

pub fn err<T>(what: &str) -> Result<T, StateError> {
    Err(StateError(what.to_owned()))
}

/// Appends to a byte buffer.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn new() -> Self {
        Writer(vec![FORMAT])
    }
    /// A buffer of another format than `FORMAT` (the sketch windows' second format).
    pub fn with_format(format: u8) -> Self {
        Writer(vec![format])
    }
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn u32(&mut self, v: usize) {
        self.0.extend_from_slice(&(v as u32).to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn str(&mut self, v: &str) {
        self.u32(v.len());
        self.0.extend_from_slice(v.as_bytes());
    }
}

/// Reads a byte buffer, every read checked.
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Result<Self, StateError> {
        match buf.split_first() {
            Some((&FORMAT, rest)) => Ok(Reader(rest)),
            Some((v, _)) => err(&format!("format {v}, expected {FORMAT}")),
            None => err("empty"),
        }
    }
    /// A reader of either format, and the format byte.
    pub fn versioned(buf: &'a [u8], formats: &[u8]) -> Result<(u8, Self), StateError> {
        match buf.split_first() {
            Some((v, rest)) if formats.contains(v) => Ok((*v, Reader(rest))),
            Some((v, _)) => err(&format!("format {v}, expected one of {formats:?}")),
            None => err("empty"),
        }
    }
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        if self.0.len() < n {
            return err("truncated");
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    pub fn u8(&mut self) -> Result<u8, StateError> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Result<usize, StateError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    pub fn i64(&mut self) -> Result<i64, StateError> {
        let b = self.take(8)?;
        Ok(i64::from_le_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }
    pub fn str(&mut self) -> Result<&'a str, StateError> {
        let n = self.u32()?;
        std::str::from_utf8(self.take(n)?).or_else(|_| err("string is not UTF-8"))
    }
    pub fn end(&self) -> Result<(), StateError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            err("trailing bytes")
        }
    }
}
