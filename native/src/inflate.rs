//! Gunzip as a pure step, bytes in and bytes out (no I/O): what Python's `gzip` module
//! reads from a file (members one after another, zero bytes between them skipped), with
//! zlib-rs, faster than the zlib CPython links (the file reader's largest cost).

use flate2::{Decompress, FlushDecompress, Status};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Decompresses a gzip stream given in pieces of any size.
pub struct Gunzip {
    z: Decompress,
    /// Between two members (or before the first): zero bytes are padding here.
    between: bool,
}

impl Default for Gunzip {
    fn default() -> Self {
        Gunzip {
            z: Decompress::new_gzip(15),
            between: true,
        }
    }
}

/// Why a stream cannot be read.
pub const TRUNCATED: &str = "compressed file ended before the end-of-stream marker was reached";

impl Gunzip {
    /// The bytes `input` decompresses to, appended to `out`; or a one-line error.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        loop {
            if self.between {
                let zeros = input.iter().take_while(|&&b| b == 0).count();
                input = &input[zeros..];
                if input.is_empty() {
                    return Ok(());
                }
                self.z = Decompress::new_gzip(15);
                self.between = false;
            }
            if out.capacity() - out.len() < 64 * 1024 {
                out.reserve((input.len() * 4).max(256 * 1024));
            }
            let (read, written) = (self.z.total_in(), out.len());
            let status = self
                .z
                .decompress_vec(input, out, FlushDecompress::None)
                .map_err(|e| format!("not a valid gzip stream: {e}"))?;
            input = &input[(self.z.total_in() - read) as usize..];
            if status == Status::StreamEnd {
                self.between = true;
            } else if out.len() < out.capacity() {
                // Room was left: zlib took all the input it could.
                if input.is_empty() {
                    return Ok(());
                }
                if self.z.total_in() == read && out.len() == written {
                    return Err("not a valid gzip stream: no progress".to_string());
                }
            }
        }
    }

    /// The end of the stream: an error if it stops inside a member.
    pub fn finish(&self) -> Result<(), String> {
        if self.between {
            Ok(())
        } else {
            Err(TRUNCATED.to_string())
        }
    }
}

/// GunzipStream(): `feed(data)` for each piece of a gzip file (inflated into its buffer),
/// `take(n)` for up to `n` of the bytes inflated so far, `finish()` at its end; ValueError
/// with a one-line message for a corrupt or truncated stream.
#[pyclass(module = "detectors._native")]
#[derive(Default)]
pub struct GunzipStream {
    inner: Gunzip,
    out: Vec<u8>,
    /// Bytes of `out` before this are taken.
    start: usize,
}

#[pymethods]
impl GunzipStream {
    #[new]
    fn new() -> Self {
        GunzipStream::default()
    }

    /// Inflate this piece of the stream into the buffer; the number of bytes buffered.
    fn feed(&mut self, data: &[u8]) -> PyResult<usize> {
        if self.start > 0 {
            self.out.drain(..self.start);
            self.start = 0;
        }
        self.inner
            .feed(data, &mut self.out)
            .map_err(PyValueError::new_err)?;
        Ok(self.out.len())
    }

    /// Up to `n` bytes from the buffer's start, taken out of it.
    fn take<'py>(&mut self, py: Python<'py>, n: usize) -> Bound<'py, PyBytes> {
        let end = self.out.len().min(self.start.saturating_add(n));
        let taken = PyBytes::new(py, &self.out[self.start..end]);
        self.start = end;
        taken
    }

    /// The end of the file: ValueError if it ends inside a member.
    fn finish(&self) -> PyResult<()> {
        self.inner.finish().map_err(PyValueError::new_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn gunzip(stream: &[u8], piece: usize) -> Result<Vec<u8>, String> {
        let mut g = Gunzip::default();
        let mut out = Vec::new();
        for chunk in stream.chunks(piece.max(1)) {
            g.feed(chunk, &mut out)?;
        }
        g.finish().map(|_| out)
    }

    #[test]
    fn members_and_padding_in_pieces_of_any_size() {
        let text: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut stream = gz(&text[..500_000]);
        stream.extend([0u8; 7]);
        stream.extend(gz(&text[500_000..]));
        stream.extend([0u8; 3]);
        for piece in [1, 7, 4096, 1 << 20] {
            assert_eq!(gunzip(&stream, piece).unwrap(), text, "pieces of {piece}");
        }
        assert_eq!(gunzip(&[], 1).unwrap(), b"");
    }

    #[test]
    fn truncated_and_corrupt_streams_are_errors() {
        let stream = gz(b"hello hello hello");
        assert_eq!(gunzip(&stream[..12], 5).unwrap_err(), TRUNCATED);
        let mut bad = stream.clone();
        let n = bad.len();
        bad[n - 6] ^= 0xff; // the CRC-32 of the data
        assert!(gunzip(&bad, 4)
            .unwrap_err()
            .starts_with("not a valid gzip stream"));
        let mut garbage = stream;
        garbage.extend(b"junk");
        assert!(gunzip(&garbage, 3).is_err());
    }
}
