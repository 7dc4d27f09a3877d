//! The worker's `hashtag-windows` path kept native: packed batch records and the detect agent's inbox.
//!
//! - `encode_windows` / `decode_windows`: a `ClosedWindows` batch as packed record values
//!   and back (`window_records.rs` has the format);
//! - `windows_batch`: `Window` records as a `ClosedWindows` (records of the earlier JSON format);
//! - `WindowInbox`: what the detect agent does with every window before the model sees it:
//!   drop sizes the model does not read, recognise a window published again (by size, end and
//!   hashtag, over the latest `keep` moments), hand late windows (their moment already released)
//!   back at once and hold the others until a watermark releases them in order of end and start.

use std::collections::{BTreeMap, HashMap, HashSet};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::codec::{Reader, StateError, Writer};
use crate::pydetect::ClosedWindows;
use crate::pyfuncs::format_size;
use crate::pyscorer::Fields;
use crate::window_records::{decode, encode};
use crate::windows::{Closed, Tag};

fn value_error(e: StateError) -> PyErr {
    PyValueError::new_err(e.0)
}

/// A batch of `windows`, their size names made from their sizes.
fn batch_of(py: Python<'_>, windows: Vec<Closed>) -> ClosedWindows {
    let mut names: Vec<(i64, Py<PyString>)> = Vec::new();
    for w in &windows {
        if !names.iter().any(|(s, _)| *s == w.size) {
            names.push((w.size, PyString::new(py, &format_size(w.size)).unbind()));
        }
    }
    ClosedWindows { windows, names }
}

/// `batch` as packed record values of at most `per_record` windows each.
#[pyfunction]
pub fn encode_windows<'py>(
    py: Python<'py>,
    batch: PyRef<'py, ClosedWindows>,
    per_record: usize,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    if per_record == 0 {
        return Err(PyValueError::new_err("per_record must be at least 1"));
    }
    Ok(batch
        .windows
        .chunks(per_record)
        .map(|chunk| PyBytes::new(py, &encode(chunk)))
        .collect())
}

/// The windows of a packed record value (`ValueError` if it is not one).
#[pyfunction]
pub fn decode_windows(py: Python<'_>, value: &[u8]) -> PyResult<ClosedWindows> {
    let windows = decode(value).map_err(value_error)?;
    Ok(batch_of(py, windows))
}

/// `Window` records (anything with their attributes) as a batch, in order.
#[pyfunction]
pub fn windows_batch(py: Python<'_>, windows: &Bound<'_, PyAny>) -> PyResult<ClosedWindows> {
    let mut out = Vec::new();
    let mut names: Vec<(i64, Py<PyString>)> = Vec::new();
    for item in windows.try_iter()? {
        let f = Fields::of(&item?)?;
        let [start, end, posts, views, authors, new_authors] = f.n;
        let size = end - start;
        if !names.iter().any(|(s, _)| *s == size) {
            names.push((size, PyString::new(py, &f.name).unbind()));
        }
        out.push(Closed {
            tag: Tag::from(f.tag),
            size,
            start,
            posts,
            views,
            authors,
            new_authors,
        });
    }
    Ok(ClosedWindows {
        windows: out,
        names,
    })
}

/// The detect agent's windows between their record and the model (see the module docs).
#[pyclass(module = "detectors._native")]
pub struct WindowInbox {
    sizes: [i64; 2],
    keep: usize,
    /// `(size, end)` -> the hashtags seen of that window.
    seen: HashMap<(i64, i64), HashSet<Tag>>,
    /// `(end, order)` -> `(size, end)`: the moments seen, oldest first.
    by_end: BTreeMap<(i64, u64), (i64, i64)>,
    next_order: u64,
    buffer: Vec<Closed>,
}

impl WindowInbox {
    /// False for a size the model ignores or a window already seen; else remembers it.
    fn fresh(&mut self, w: &Closed) -> bool {
        if !self.sizes.contains(&w.size) {
            return false;
        }
        let key = (w.size, w.start + w.size);
        if let Some(seen) = self.seen.get_mut(&key) {
            return seen.insert(w.tag.clone());
        }
        self.remember(key, std::iter::once(w.tag.clone()));
        true
    }

    fn remember(&mut self, key: (i64, i64), tags: impl Iterator<Item = Tag>) {
        let order = self.next_order;
        self.next_order += 1;
        self.seen.insert(key, tags.collect());
        self.by_end.insert((key.1, order), key);
        while self.seen.len() > self.keep {
            let Some((_, oldest)) = self.by_end.pop_first() else {
                break;
            };
            self.seen.remove(&oldest);
        }
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.zigzag(self.sizes[0]);
        w.zigzag(self.sizes[1]);
        w.varint(self.keep as u64);
        w.varint(self.by_end.len() as u64);
        for key in self.by_end.values() {
            w.zigzag(key.0);
            w.zigzag(key.1);
            let mut tags: Vec<&str> = self.seen[key].iter().map(|t| t.as_ref()).collect();
            tags.sort_unstable();
            w.varint(tags.len() as u64);
            for tag in tags {
                w.varint(tag.len() as u64);
                w.0.extend_from_slice(tag.as_bytes());
            }
        }
        w.0.extend_from_slice(&encode(&self.buffer)); // with its own format byte
        w.0
    }

    fn from_bytes(state: &[u8]) -> Result<Self, StateError> {
        let mut r = Reader::new(state)?;
        let sizes = [r.zigzag()?, r.zigzag()?];
        let keep = r.varint()? as usize;
        let mut inbox = WindowInbox::empty(sizes, keep);
        let moments = r.varint()? as usize;
        if moments > state.len() {
            return Err(StateError(
                "not a window inbox: more moments than bytes".into(),
            ));
        }
        for _ in 0..moments {
            let key = (r.zigzag()?, r.zigzag()?);
            let n = r.varint()? as usize;
            let mut tags = Vec::with_capacity(n.min(state.len()));
            for _ in 0..n {
                let len = r.varint()? as usize;
                let raw = r.take(len)?;
                let tag = std::str::from_utf8(raw)
                    .map_err(|_| StateError("not a window inbox: a hashtag is not UTF-8".into()))?;
                tags.push(Tag::from(tag));
            }
            inbox.remember(key, tags.into_iter());
        }
        inbox.buffer = decode(r.0)?; // the waiting windows, packed as a record is
        Ok(inbox)
    }

    fn empty(sizes: [i64; 2], keep: usize) -> Self {
        WindowInbox {
            sizes,
            keep,
            seen: HashMap::new(),
            by_end: BTreeMap::new(),
            next_order: 0,
            buffer: Vec::new(),
        }
    }
}

#[pymethods]
impl WindowInbox {
    /// An empty inbox for a model reading windows of `fast_ms` and `slow_ms`, recognising
    /// windows published again over the latest `keep` (size, end) pairs.
    #[new]
    fn new(fast_ms: i64, slow_ms: i64, keep: usize) -> PyResult<Self> {
        if fast_ms <= 0 || slow_ms <= 0 || keep == 0 {
            return Err(PyValueError::new_err(
                "window sizes and keep must be positive",
            ));
        }
        Ok(WindowInbox::empty([fast_ms, slow_ms], keep))
    }

    /// Takes a batch: windows of other sizes and windows already seen are dropped, those ending
    /// at or before `released` come back at once (late: scored on their own, in order), the
    /// others wait for `release`.
    fn add(
        &mut self,
        py: Python<'_>,
        batch: PyRef<'_, ClosedWindows>,
        released: i64,
    ) -> ClosedWindows {
        let mut late = Vec::new();
        for w in &batch.windows {
            if !self.fresh(w) {
                continue;
            }
            if w.start + w.size <= released {
                late.push(w.clone());
            } else {
                self.buffer.push(w.clone());
            }
        }
        batch_of(py, late)
    }

    /// The waiting windows ending at or before `upto` (None: all), sorted by end and start (in
    /// arrival order otherwise); the others keep waiting.
    #[pyo3(signature = (upto=None))]
    fn release(&mut self, py: Python<'_>, upto: Option<i64>) -> ClosedWindows {
        let (mut ready, rest): (Vec<Closed>, Vec<Closed>) = std::mem::take(&mut self.buffer)
            .into_iter()
            .partition(|w| upto.is_none_or(|u| w.start + w.size <= u));
        self.buffer = rest;
        ready.sort_by_key(|w| (w.start + w.size, w.start));
        batch_of(py, ready)
    }

    /// Windows waiting.
    fn __len__(&self) -> usize {
        self.buffer.len()
    }

    /// Moments remembered to recognise windows published again.
    #[getter]
    fn moments(&self) -> usize {
        self.seen.len()
    }

    /// The whole inbox as bytes (`from_state` reads them back).
    fn state<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.to_bytes())
    }

    /// An inbox from `state()` bytes (`ValueError` if they are not that).
    #[staticmethod]
    fn from_state(state: &[u8]) -> PyResult<Self> {
        WindowInbox::from_bytes(state).map_err(value_error)
    }

    /// The windows seen, oldest moment first: `(size_ms, end, sorted hashtags)`.
    fn seen(&self) -> Vec<(i64, i64, Vec<String>)> {
        self.by_end
            .values()
            .map(|key| {
                let mut tags: Vec<String> = self.seen[key].iter().map(|t| t.to_string()).collect();
                tags.sort_unstable();
                (key.0, key.1, tags)
            })
            .collect()
    }

    /// The windows waiting, in arrival order.
    fn waiting(&self, py: Python<'_>) -> ClosedWindows {
        batch_of(py, self.buffer.clone())
    }

    /// Remembers `tags` as seen for the window of `size_ms` ending at `end` (a state saved with
    /// the seen windows in Python; call in the order they were first seen).
    fn load_seen(&mut self, size_ms: i64, end: i64, tags: Vec<String>) {
        let tags = tags.into_iter().map(Tag::from);
        match self.seen.get_mut(&(size_ms, end)) {
            Some(seen) => seen.extend(tags),
            None => self.remember((size_ms, end), tags),
        }
    }

    /// Adds `batch` to the waiting windows as it is (a state saved with them in Python).
    fn load_waiting(&mut self, batch: PyRef<'_, ClosedWindows>) {
        self.buffer.extend(batch.windows.iter().cloned());
    }
}
