//! The Python class of the window aggregator (`detectors._native.WindowAggregator`).
//!
//! Mentions come in packed (`mentions.rs`, built by `pack_mentions` or the
//! extractor); closed windows go out as tuples `(hashtag, size, window_start,
//! window_end, posts, views, authors, new_authors)`; state goes in and out as
//! bytes (`state.rs`).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PySet, PyString, PyTuple};

use crate::pydetect::ClosedWindows;
use crate::pyfuncs::{config, source_key, strings, value_error};
use crate::replay::Counter;
use crate::windows::{Aggregator, Closed};

/// Per-hashtag windowed counts at several sizes, closed by an event-time watermark.
#[pyclass(subclass, module = "detectors._native")]
pub struct WindowAggregator {
    counter: Counter,
    names: Vec<(i64, Py<PyString>)>,
}

impl WindowAggregator {
    fn agg(&self) -> &Aggregator {
        &self.counter.agg
    }

    fn batch(&self, py: Python<'_>, windows: Vec<Closed>) -> ClosedWindows {
        let names = self
            .names
            .iter()
            .map(|(s, n)| (*s, n.clone_ref(py)))
            .collect();
        ClosedWindows { windows, names }
    }

    fn windows<'py>(&self, py: Python<'py>, closed: Vec<Closed>) -> PyResult<Bound<'py, PyList>> {
        self.batch(py, closed).tuples(py)
    }
}

#[pymethods]
impl WindowAggregator {
    #[new]
    #[pyo3(signature = (sizes=vec![60_000, 300_000, 3_600_000, 86_400_000], allowed_lateness=60_000,
                        late_policy="apply", retention=None, sources=None, max_tags=20_000,
                        exact_authors=256, promote_at=10, promote_size=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        sizes: Vec<i64>,
        allowed_lateness: i64,
        late_policy: &str,
        retention: Option<i64>,
        sources: Option<&Bound<'_, PyAny>>,
        max_tags: i64,
        exact_authors: i64,
        promote_at: i64,
        promote_size: Option<i64>,
    ) -> PyResult<Self> {
        let sources = sources.map(strings).transpose()?.unwrap_or_default();
        let limits = (max_tags, exact_authors, promote_at);
        let config = config(
            sizes,
            allowed_lateness,
            late_policy,
            retention,
            sources,
            limits,
            promote_size,
        )?;
        let names = config
            .sizes
            .iter()
            .zip(&config.names)
            .map(|(s, n)| (*s, PyString::new(py, n).unbind()))
            .collect();
        Ok(WindowAggregator {
            counter: Counter::new(Aggregator::new(config)),
            names,
        })
    }

    #[getter]
    fn sizes(&self) -> Vec<i64> {
        self.agg().config.sizes.clone()
    }
    #[getter]
    fn allowed_lateness(&self) -> i64 {
        self.agg().config.allowed_lateness
    }
    #[getter]
    fn late_policy(&self) -> &'static str {
        if self.agg().config.apply_late {
            "apply"
        } else {
            "drop"
        }
    }
    #[getter]
    fn retention(&self) -> i64 {
        self.agg().config.retention
    }
    #[getter]
    fn sources(&self) -> Vec<String> {
        self.agg().config.sources.clone()
    }
    #[getter]
    fn max_tags(&self) -> usize {
        self.agg().config.max_tags
    }
    #[getter]
    fn exact_authors(&self) -> usize {
        self.agg().config.exact_authors
    }
    #[getter]
    fn promote_at(&self) -> i64 {
        self.agg().config.promote_at
    }
    /// The window size (ms) whose sketch decides promotion (default: the smallest).
    #[getter]
    fn promote_size(&self) -> i64 {
        self.agg().config.promote_size
    }
    /// Event time (ms) up to which windows are closed; None before all sources reported.
    #[getter]
    fn watermark(&self) -> Option<i64> {
        self.agg().watermark
    }
    /// True while some window is open (not yet closed or flushed).
    #[getter]
    fn has_open(&self) -> bool {
        self.agg().has_open()
    }
    /// Hashtags with exact state (open or retained windows).
    #[getter]
    fn tracked_tags(&self) -> usize {
        self.agg().cells.len()
    }
    #[getter]
    fn late_applied(&self) -> i64 {
        self.agg().late_applied
    }
    #[getter]
    fn late_dropped(&self) -> i64 {
        self.agg().late_dropped
    }
    #[getter]
    fn sketched_posts(&self) -> i64 {
        self.agg().sketched_posts
    }
    /// The last applied offset of every source.
    #[getter]
    fn applied<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (source, offset) in &self.counter.applied {
            out.set_item(source, offset)?;
        }
        Ok(out)
    }

    /// Counts packed mentions (no offsets, no clock); returns the windows they correct.
    fn update_packed<'py>(
        &mut self,
        py: Python<'py>,
        mentions: &[u8],
    ) -> PyResult<Bound<'py, PyList>> {
        let parsed = crate::mentions::read_all(mentions).map_err(value_error)?;
        let mut out = Vec::new();
        parsed
            .iter()
            .for_each(|m| self.counter.agg.update(m, &mut out));
        self.windows(py, out)
    }

    /// Counts a packed batch from `source` at `offset` (skipped if already applied),
    /// then moves that source's clock to `clock` (default: the batch's latest event time).
    #[pyo3(signature = (mentions, source=None, offset=None, clock=None))]
    fn process<'py>(
        &mut self,
        py: Python<'py>,
        mentions: &[u8],
        source: Option<&Bound<'py, PyAny>>,
        offset: Option<i64>,
        clock: Option<i64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let source = source_key(source)?;
        let mut out = Vec::new();
        self.counter
            .process(mentions, source.as_deref(), offset, clock, &mut out)
            .map_err(value_error)?;
        self.windows(py, out)
    }

    /// `process`, with the windows kept in native memory (`ClosedWindows`) instead of tuples.
    #[pyo3(signature = (mentions, source=None, offset=None, clock=None))]
    fn process_batch(
        &mut self,
        py: Python<'_>,
        mentions: &[u8],
        source: Option<&Bound<'_, PyAny>>,
        offset: Option<i64>,
        clock: Option<i64>,
    ) -> PyResult<ClosedWindows> {
        let source = source_key(source)?;
        let mut out = Vec::new();
        self.counter
            .process(mentions, source.as_deref(), offset, clock, &mut out)
            .map_err(value_error)?;
        Ok(self.batch(py, out))
    }

    /// `flush`, with the windows kept in native memory (`ClosedWindows`).
    fn flush_batch(&mut self, py: Python<'_>) -> ClosedWindows {
        let mut out = Vec::new();
        self.counter.agg.flush(&mut out);
        self.batch(py, out)
    }

    /// Moves `source`'s clock to `time` (ms); returns the windows that close.
    #[pyo3(signature = (time, source=None))]
    fn advance<'py>(
        &mut self,
        py: Python<'py>,
        time: i64,
        source: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let source = source_key(source)?.unwrap_or_default();
        let mut out = Vec::new();
        self.counter.agg.advance(time, &source, &mut out);
        self.windows(py, out)
    }

    /// Closes every open window now (end of input or idle input).
    fn flush<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let mut out = Vec::new();
        self.counter.agg.flush(&mut out);
        self.windows(py, out)
    }

    /// Names of the units changed since the last call (hashtags, sketch windows).
    fn pop_dirty<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PySet>> {
        PySet::new(py, self.counter.agg.pop_dirty())
    }

    /// Names of all units that have state.
    fn units(&self) -> Vec<String> {
        self.agg().units()
    }

    /// The state of one unit as bytes, or None if it has none.
    fn unit_state<'py>(
        &self,
        py: Python<'py>,
        unit: &str,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let state = self.agg().unit_state(unit).map_err(value_error)?;
        Ok(state.map(|s| PyBytes::new(py, &s)))
    }

    /// Replaces one unit with `unit_state` output (None: removes it).
    #[pyo3(signature = (unit, state))]
    fn load_unit(&mut self, unit: &str, state: Option<&[u8]>) -> PyResult<()> {
        self.counter.agg.load_unit(unit, state).map_err(value_error)
    }

    /// Clocks, watermark and counters as bytes.
    fn meta_state<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.agg().meta_state())
    }

    fn load_meta(&mut self, state: &[u8]) -> PyResult<()> {
        self.counter.agg.load_meta(state).map_err(value_error)
    }

    /// The whole aggregator state as bytes (see `load_state`).
    fn to_state<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.agg().to_state())
    }

    /// Replaces the aggregator state with `to_state` output (same configuration).
    fn load_state(&mut self, state: &[u8]) -> PyResult<()> {
        self.counter.agg.load_state(state).map_err(value_error)
    }

    /// The changes since the last checkpoint, `{key: bytes or None}`, meta key `""` last;
    /// each value carries the applied-offset vector it reflects.
    fn checkpoint<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (unit, value) in self.counter.checkpoint().map_err(value_error)? {
            out.set_item(unit, value.map(|v| PyBytes::new(py, &v)))?;
        }
        Ok(out)
    }

    /// Rebuilds from checkpoint values (the latest value of every key).
    fn restore(&mut self, items: &Bound<'_, PyDict>) -> PyResult<()> {
        let mut owned: Vec<(String, Option<Vec<u8>>)> = Vec::with_capacity(items.len());
        for (key, value) in items.iter() {
            let value = if value.is_none() {
                None
            } else {
                Some(value.extract::<Vec<u8>>()?)
            };
            owned.push((key.extract()?, value));
        }
        let borrowed: Vec<(&str, Option<&[u8]>)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        self.counter.restore(&borrowed).map_err(value_error)
    }

    /// The cells of `hashtag`: `(size, start, closed, posts, views, new_authors, authors)`,
    /// authors as `("items", sorted hashes)` or `("hll", registers)` (for tests and tools).
    fn cells<'py>(&self, py: Python<'py>, hashtag: &str) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        use crate::cells::Authors;
        let Some(cells) = self.agg().cells.get(hashtag) else {
            return Ok(Vec::new());
        };
        cells
            .iter()
            .map(|((size, start), c)| {
                let authors = match &c.authors {
                    Authors::Exact(known) => {
                        ("items", known.clone().into_pyobject(py)?.into_any()).into_pyobject(py)?
                    }
                    Authors::Sketch(hll) => {
                        ("hll", PyBytes::new(py, hll.registers()).into_any()).into_pyobject(py)?
                    }
                };
                (
                    *size,
                    *start,
                    c.closed,
                    c.posts,
                    c.views,
                    c.new_authors,
                    authors,
                )
                    .into_pyobject(py)
            })
            .collect()
    }
}
