//! The Python surface of the extractor and the event rules (typed in `detectors/_native.pyi`).
//!
//! Plain values cross the boundary: bytes in; tuples of str/int/bytes out, one
//! call per batch of records.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyList, PyTuple, PyType};

use crate::events::{self, Count, Event, Invalid};
use crate::eventtime::{Bounds, Clock, MAX_FUTURE_MS, MAX_SKEW_MS};
use crate::extract::{self, Authors, Batch, Kind, TagCache};
use crate::json::{decode_text, parse};
use crate::mentions::write_mention;

/// Parses, validates and pre-aggregates batches of `posts` records.
#[pyclass(module = "detectors._native")]
pub struct Extractor {
    inner: extract::Extractor,
    joined: Option<Py<PyType>>,
    lines: Option<Py<PyType>>,
}

fn bytes_of<'a>(item: &'a Bound<'_, PyAny>) -> PyResult<&'a [u8]> {
    match item.cast::<PyBytes>() {
        Ok(b) => Ok(b.as_bytes()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "records must be bytes, not {}",
            item.get_type().name()?
        ))),
    }
}

fn clock_of(clock: i64, pending: Option<i64>) -> Clock {
    Clock { clock, pending }
}

#[pymethods]
impl Extractor {
    #[new]
    #[pyo3(signature = (base_ms, partitions, joined_type=None, max_future_ms=MAX_FUTURE_MS,
                        max_skew_ms=MAX_SKEW_MS, lines_type=None))]
    fn new(
        base_ms: i64,
        partitions: u32,
        joined_type: Option<Py<PyType>>,
        max_future_ms: i64,
        max_skew_ms: i64,
        lines_type: Option<Py<PyType>>,
    ) -> PyResult<Self> {
        check_bounds(max_future_ms, max_skew_ms)?;
        if base_ms < 1 || partitions < 1 {
            return Err(PyValueError::new_err("base_ms and partitions must be >= 1"));
        }
        let mut inner = extract::Extractor::new(base_ms, partitions);
        inner.max_future_ms = max_future_ms;
        inner.max_skew_ms = max_skew_ms;
        Ok(Extractor {
            inner,
            joined: joined_type,
            lines: lines_type,
        })
    }

    /// process(values, clock, pending, now_ms) ->
    /// (mentions by partition, rejected, clock, pending, posts, engagements)
    fn process<'py>(
        &mut self,
        py: Python<'py>,
        values: &Bound<'py, PyList>,
        clock: i64,
        pending: Option<i64>,
        now_ms: Option<i64>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let (batch, clock) = self.run(py, values, clock_of(clock, pending), now_ms, false)?;
        let parts = PyList::empty(py);
        for (part, cells) in batch.by_partition(self.inner.partitions) {
            let mentions = PyList::empty(py);
            for i in cells {
                let c = &batch.cells[i];
                let authors = PyTuple::new(py, c.authors.names().collect::<Vec<_>>())?;
                mentions.append((
                    c.tag.as_str(),
                    c.bucket,
                    c.max_ts,
                    c.posts,
                    c.views,
                    c.new_authors,
                    authors,
                ))?;
            }
            parts.append((part, mentions))?;
        }
        batch_to_python(py, parts, &batch, clock)
    }

    /// process_packed(values, clock, pending, now_ms) -> as `process`, each partition's
    /// mentions as one buffer of packed mentions (`native/src/mentions.rs`)
    fn process_packed<'py>(
        &mut self,
        py: Python<'py>,
        values: &Bound<'py, PyList>,
        clock: i64,
        pending: Option<i64>,
        now_ms: Option<i64>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let (batch, clock) = self.run(py, values, clock_of(clock, pending), now_ms, true)?;
        let parts = PyList::empty(py);
        let mut hashes = Vec::new();
        for (part, cells) in batch.by_partition(self.inner.partitions) {
            let mut out = Vec::new();
            for i in cells {
                let c = &batch.cells[i];
                hashes.clear();
                if let Authors::Hashes(given) = &c.authors {
                    hashes.extend_from_slice(given);
                }
                write_mention(
                    &mut out,
                    &c.tag,
                    c.bucket,
                    c.max_ts,
                    c.posts,
                    c.views,
                    c.new_authors,
                    &mut hashes,
                )
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            }
            parts.append((part, PyBytes::new(py, &out)))?;
        }
        batch_to_python(py, parts, &batch, clock)
    }
}

impl Extractor {
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        values: &Bound<'py, PyList>,
        mut clock: Clock,
        now_ms: Option<i64>,
        hashed: bool,
    ) -> PyResult<(Batch, Clock)> {
        let items: Vec<Bound<'py, PyAny>> = values.iter().collect();
        let is = |kind: &Option<Py<PyType>>, item: &Bound<'py, PyAny>| {
            kind.as_ref()
                .is_some_and(|t| item.get_type().is(t.bind(py)))
        };
        let mut records = Vec::with_capacity(items.len());
        for item in &items {
            let kind = if is(&self.lines, item) {
                Kind::Lines
            } else if is(&self.joined, item) {
                Kind::Joined
            } else {
                Kind::Plain
            };
            records.push((bytes_of(item)?, kind));
        }
        let batch = self
            .inner
            .process(records.into_iter(), &mut clock, now_ms, hashed);
        Ok((batch, clock))
    }
}

fn check_bounds(max_future_ms: i64, max_skew_ms: i64) -> PyResult<()> {
    if max_future_ms < 0 {
        return Err(PyValueError::new_err(format!(
            "max_future_ms must be >= 0, got {max_future_ms}"
        )));
    }
    if max_skew_ms < 1 {
        return Err(PyValueError::new_err(format!(
            "max_skew_ms must be >= 1, got {max_skew_ms}"
        )));
    }
    Ok(())
}

fn batch_to_python<'py>(
    py: Python<'py>,
    parts: Bound<'py, PyList>,
    batch: &Batch,
    clock: Clock,
) -> PyResult<Bound<'py, PyTuple>> {
    let rejected = PyList::empty(py);
    for r in &batch.rejected {
        rejected.append((r.reason, r.detail.as_str(), PyBytes::new(py, &r.raw)))?;
    }
    (
        parts,
        rejected,
        clock.clock,
        clock.pending,
        batch.posts,
        batch.engagements,
    )
        .into_pyobject(py)
}

fn count_to_python(py: Python<'_>, count: Count) -> PyResult<Py<PyAny>> {
    match count {
        Count::Small(v) => Ok(v.into_pyobject(py)?.into_any().unbind()),
        Count::Big(text) => Ok(py.get_type::<PyInt>().call1((text,))?.unbind()),
    }
}

fn event_to_python<'py>(py: Python<'py>, event: &Event) -> PyResult<Bound<'py, PyTuple>> {
    match event {
        Event::Post(p) => {
            let tags = PyTuple::new(py, p.hashtags.iter().map(|t| &**t))?;
            let fields = (
                p.id.as_ref(),
                p.ts,
                p.author.as_ref(),
                p.text.as_ref(),
                tags,
                p.lang.as_deref(),
                p.region.as_deref(),
                p.author_created,
            );
            (0, fields.into_pyobject(py)?).into_pyobject(py)
        }
        Event::Engagement(e) => {
            let tags = PyTuple::new(py, e.hashtags.iter().map(|t| &**t))?;
            let (likes, shares) = (
                count_to_python(py, e.likes)?,
                count_to_python(py, e.shares)?,
            );
            (
                1,
                (e.post_id.as_ref(), e.ts, tags, e.views, likes, shares).into_pyobject(py)?,
            )
                .into_pyobject(py)
        }
    }
}

fn invalid_to_python<'py>(py: Python<'py>, invalid: &Invalid) -> PyResult<Bound<'py, PyTuple>> {
    (-1, (invalid.reason, invalid.detail.as_str())).into_pyobject(py)
}

/// decode_record(value, clock=None, now_ms=None, max_future_ms, max_skew_ms) ->
/// (events as (kind, fields), rejected as (reason, detail, raw), clock as (clock, pending) or None)
#[pyfunction]
#[pyo3(signature = (value, clock=None, now_ms=None, max_future_ms=MAX_FUTURE_MS,
                    max_skew_ms=MAX_SKEW_MS))]
fn decode_record<'py>(
    py: Python<'py>,
    value: &Bound<'py, PyAny>,
    clock: Option<(i64, Option<i64>)>,
    now_ms: Option<i64>,
    max_future_ms: i64,
    max_skew_ms: i64,
) -> PyResult<Bound<'py, PyTuple>> {
    check_bounds(max_future_ms, max_skew_ms)?;
    let raw = bytes_of(value)?;
    let mut extractor = extract::Extractor::new(1, 1);
    extractor.max_future_ms = max_future_ms;
    extractor.max_skew_ms = max_skew_ms;
    // Without a clock no bound applies: a clock that admits every time stands in for it.
    let bounds = match clock {
        Some(_) => extractor.bounds(now_ms),
        None => Bounds {
            max_future_ms: i64::MAX,
            max_skew_ms: i64::MAX,
            now_ms: None,
        },
    };
    let mut state = clock.map_or(Clock::default(), |(c, p)| clock_of(c, p));
    let mut events = Vec::new();
    let mut rejected = Vec::new();
    extractor.decode(
        raw,
        Kind::Plain,
        &mut state,
        &bounds,
        &mut |event| events.push(event_to_python(py, event).map(Bound::unbind)),
        &mut rejected,
    );
    let events = events.into_iter().collect::<PyResult<Vec<_>>>()?;
    let rejected: Vec<_> = rejected
        .iter()
        .map(|r| (r.reason, r.detail.as_str(), PyBytes::new(py, &r.raw)))
        .collect();
    let clock = clock.map(|_| (state.clock, state.pending));
    (events, rejected, clock).into_pyobject(py)
}

/// A refusal (reason, detail) or None, and the clock after it.
type Admitted = (Option<(&'static str, String)>, i64, Option<i64>);

/// admit_time(ts, clock, pending, now_ms, max_future_ms, max_skew_ms) ->
/// (None or (reason, detail), clock, pending): one event time through a source's clock.
#[pyfunction]
#[pyo3(signature = (ts, clock, pending, now_ms=None, max_future_ms=MAX_FUTURE_MS,
                    max_skew_ms=MAX_SKEW_MS))]
fn admit_time(
    ts: i64,
    clock: i64,
    pending: Option<i64>,
    now_ms: Option<i64>,
    max_future_ms: i64,
    max_skew_ms: i64,
) -> PyResult<Admitted> {
    check_bounds(max_future_ms, max_skew_ms)?;
    let bounds = Bounds {
        max_future_ms,
        max_skew_ms,
        now_ms,
    };
    let mut state = clock_of(clock, pending);
    let before = state;
    let refused = state
        .admit(ts, &bounds)
        .map(|reason| (reason, before.describe(reason, ts, &bounds)));
    Ok((refused, state.clock, state.pending))
}

/// parse_event(value) -> (0 post | 1 engagement, fields) or (-1, (reason, detail)): one JSON document.
#[pyfunction]
fn parse_event<'py>(py: Python<'py>, value: &[u8]) -> PyResult<Bound<'py, PyTuple>> {
    let bad_json = |detail: String| Invalid {
        reason: "bad_json",
        detail: detail.chars().take(200).collect(),
    };
    let (text, _) = match decode_text(value) {
        Ok(found) => found,
        Err(detail) => return invalid_to_python(py, &bad_json(detail)),
    };
    // The document is json.dumps of a Python value: read it as Python would (integers exact).
    match parse(&text, true) {
        Ok((doc, _)) => match events::parse_event(&doc, &mut TagCache::default()) {
            Ok(event) => event_to_python(py, &event),
            Err(invalid) => invalid_to_python(py, &invalid),
        },
        Err(error) => {
            let (reason, detail) = error.reason_detail();
            invalid_to_python(py, &Invalid { reason, detail })
        }
    }
}

/// parse_timestamp(value, name) -> (ms, None) or (None, (reason, detail)); value is one JSON document.
#[pyfunction]
fn parse_timestamp<'py>(
    py: Python<'py>,
    value: &[u8],
    name: &str,
) -> PyResult<Bound<'py, PyTuple>> {
    let not_json = |detail: String| {
        (
            None::<i64>,
            Some(("bad_timestamp", format!("{name} is not JSON: {detail}"))),
        )
    };
    let (text, _) = match decode_text(value) {
        Ok(found) => found,
        Err(detail) => return not_json(detail).into_pyobject(py),
    };
    let doc = match parse(&text, true) {
        Ok((doc, _)) => doc,
        Err(error) => return not_json(error.reason_detail().1).into_pyobject(py),
    };
    match events::parse_timestamp(&doc, name) {
        Ok(ms) => (Some(ms), None::<(&str, &str)>).into_pyobject(py),
        Err(invalid) => {
            (None::<i64>, Some((invalid.reason, invalid.detail.as_str()))).into_pyobject(py)
        }
    }
}

/// partition_for(tag, partitions) -> CRC-32 of the tag's UTF-8 bytes mod partitions.
#[pyfunction]
fn partition_for(tag: &str, partitions: u32) -> PyResult<u32> {
    if partitions < 1 {
        return Err(PyValueError::new_err("partitions must be >= 1"));
    }
    Ok(extract::partition_for(tag, partitions))
}

/// count_newlines(data) -> the number of b"\n" in data (`bytes.count` is a plain byte loop).
#[pyfunction]
fn count_newlines(data: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', data).count()
}

/// Add the extractor and the event functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Extractor>()?;
    m.add_function(wrap_pyfunction!(decode_record, m)?)?;
    m.add_function(wrap_pyfunction!(admit_time, m)?)?;
    m.add_function(wrap_pyfunction!(parse_event, m)?)?;
    m.add_function(wrap_pyfunction!(parse_timestamp, m)?)?;
    m.add_function(wrap_pyfunction!(partition_for, m)?)?;
    m.add_function(wrap_pyfunction!(count_newlines, m)?)?;
    m.add("MAX_RECORD_BYTES", events::MAX_RECORD_BYTES)?;
    m.add("MAX_TEXT_LENGTH", events::MAX_TEXT_LENGTH)?;
    m.add("MAX_ID_LENGTH", events::MAX_ID_LENGTH)?;
    m.add("MAX_GIVEN_TAGS", events::MAX_GIVEN_TAGS)?;
    m.add("NEW_AUTHOR_MS", events::NEW_AUTHOR_MS)?;
    m.add("MAX_FUTURE_MS", MAX_FUTURE_MS)?;
    m.add("MAX_SKEW_MS", MAX_SKEW_MS)?;
    m.add("MAX_DEPTH", crate::json::MAX_DEPTH)?;
    m.add("MAX_ELEMENT_DEPTH", extract::MAX_ELEMENT_DEPTH)?;
    Ok(())
}
