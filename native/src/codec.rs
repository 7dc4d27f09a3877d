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
    /// An unsigned LEB128 varint (7 bits a byte, low first).
    pub fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    /// A signed integer as a zigzag varint (small magnitudes take one byte).
    pub fn zigzag(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
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
    pub fn varint(&mut self) -> Result<u64, StateError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        err("varint longer than 10 bytes")
    }
    pub fn zigzag(&mut self) -> Result<i64, StateError> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }
    pub fn end(&self) -> Result<(), StateError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            err("trailing bytes")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_small_ones_take_a_byte() {
        let values = [0, 1, -1, 63, -64, 64, 300, -300, i64::MAX, i64::MIN];
        let mut w = Writer::new();
        values.iter().for_each(|&v| w.zigzag(v));
        let mut r = Reader::new(&w.0).unwrap();
        for &v in &values {
            assert_eq!(r.zigzag().unwrap(), v);
        }
        r.end().unwrap();
        let mut one = Writer::new();
        one.zigzag(-64);
        one.zigzag(63);
        assert_eq!(one.0.len(), 3);
        assert!(
            Reader::new(&[FORMAT, 0x80]).unwrap().varint().is_err(),
            "truncated"
        );
        assert!(Reader::new(&[
            FORMAT, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1
        ])
        .unwrap()
        .varint()
        .is_err());
    }
}
