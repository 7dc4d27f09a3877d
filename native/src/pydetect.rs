//! The detector's side of the native core: closed windows kept out of Python until they matter.
//!
//! - `ClosedWindows`: the windows one call of the aggregator closed, held in
//!   native memory (`WindowAggregator.process_batch`); Python sees their
//!   count, sums and distinct hashtags, and builds `Window` records only when
//!   asked (`tuples`).
//! - `Moments`: the windows of the trend model's two sizes waiting for their
//!   moment (window end) to complete. `take` hands back, sorted by hashtag,
//!   only the windows that can change a tag's state: those of a tracked tag
//!   (a key of the scorer's state dict) or with at least `admit_posts` posts.
//!   The others, windows of untracked tags below admission, only add to the
//!   moment's sums; the shares of the fast ones are deferred into the long-tail
//!   sketch once the moment's total is known (`defer_tail`), which is what
//!   `SurgeScorer.update` does with such a window.
//! - `DecayingCountMin`: the long-tail sketch (`longtail.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PySet, PyString, PyTuple, PyType};

use crate::longtail::{self, MAX_DEPTH};
use crate::pyfuncs::format_size;
use crate::pyscorer::SurgeCore;
use crate::scorer::Scorer;
use crate::windows::Closed;

/// The windows one aggregator call closed, in the order it closed them.
#[pyclass(module = "detectors._native")]
pub struct ClosedWindows {
    pub windows: Vec<Closed>,
    pub names: Vec<(i64, Py<PyString>)>,
}

impl ClosedWindows {
    fn name<'py>(&self, py: Python<'py>, size: i64) -> Bound<'py, PyString> {
        match self.names.iter().find(|(s, _)| *s == size) {
            Some((_, name)) => name.clone_ref(py).into_bound(py),
            None => PyString::new(py, &format_size(size)),
        }
    }
}

#[pymethods]
impl ClosedWindows {
    fn __len__(&self) -> usize {
        self.windows.len()
    }

    /// `(hashtag, size, window_start, window_end, posts, views, authors, new_authors)` of each window.
    pub(crate) fn tuples<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self.windows.iter().map(|w| {
            let fields = (
                w.tag.as_ref(),
                self.name(py, w.size),
                w.start,
                w.start + w.size,
                w.posts,
                w.views,
                w.authors,
                w.new_authors,
            );
            fields.into_pyobject(py)
        });
        PyList::new(py, items.collect::<PyResult<Vec<Bound<'py, PyTuple>>>>()?)
    }

    /// The number of windows of each size name.
    fn size_counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let mut counts: Vec<(i64, usize)> = Vec::new();
        for w in &self.windows {
            match counts.iter_mut().find(|(s, _)| *s == w.size) {
                Some((_, n)) => *n += 1,
                None => counts.push((w.size, 1)),
            }
        }
        let out = PyDict::new(py);
        for (size, n) in counts {
            out.set_item(self.name(py, size), n)?;
        }
        Ok(out)
    }

    /// The latest window end (None without windows).
    fn max_end(&self) -> Option<i64> {
        self.windows.iter().map(|w| w.start + w.size).max()
    }

    /// The earliest window start (None without windows).
    fn min_start(&self) -> Option<i64> {
        self.windows.iter().map(|w| w.start).min()
    }

    /// The distinct hashtags of the windows.
    fn hashtags<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PySet>> {
        let mut seen: crate::hashing::SeededHashSet<&str> = Default::default();
        self.windows.iter().for_each(|w| {
            seen.insert(w.tag.as_ref());
        });
        PySet::new(py, seen)
    }
}

/// One window waiting for its moment; `name` indexes `Moments::names`; `object`: the `Window`
/// it came as, if it came as one.
struct Pending {
    tag: Arc<str>,
    name: usize,
    size: i64,
    start: i64,
    posts: i64,
    views: i64,
    authors: i64,
    new_authors: i64,
    object: Option<Py<PyAny>>,
}

/// A window of an untracked tag below admission in a fast group: its capped posts and posts.
struct Deferred {
    tag: Arc<str>,
    observed: i64,
    posts: i64,
}

/// Windows of the fast and slow sizes by window end, until their moment completes.
#[pyclass(module = "detectors._native")]
pub struct Moments {
    fast_ms: i64,
    slow_ms: i64,
    window: Py<PyType>,
    names: Vec<Py<PyString>>,
    pending: BTreeMap<i64, [Vec<Pending>; 2]>,
    staged: Vec<Deferred>,
}

impl Moments {
    fn name_index(&mut self, py: Python<'_>, name: &Bound<'_, PyString>) -> PyResult<usize> {
        let text = name.to_str()?;
        for (i, known) in self.names.iter().enumerate() {
            if known.bind(py).to_str()? == text {
                return Ok(i);
            }
        }
        self.names.push(name.clone().unbind());
        Ok(self.names.len() - 1)
    }

    fn object<'py>(&self, py: Python<'py>, w: &Pending) -> PyResult<Bound<'py, PyAny>> {
        if let Some(object) = &w.object {
            return Ok(object.clone_ref(py).into_bound(py));
        }
        let fields = (
            w.tag.as_ref(),
            self.names[w.name].clone_ref(py),
            w.start,
            w.start + w.size,
            w.posts,
            w.views,
            w.authors,
            w.new_authors,
        );
        self.window.bind(py).call1(fields)
    }

    /// Files `w` under its end, or returns it as late (its moment is done); None: another size.
    fn file(&mut self, py: Python<'_>, w: Pending, done: i64) -> PyResult<Option<Py<PyAny>>> {
        if w.size != self.fast_ms && w.size != self.slow_ms {
            return Ok(None);
        }
        let end = w.start + w.size;
        if end <= done {
            return Ok(Some(self.object(py, &w)?.unbind()));
        }
        let slow = (w.size != self.fast_ms) as usize;
        self.pending.entry(end).or_default()[slow].push(w);
        Ok(None)
    }

    fn pending_of(
        py: Python<'_>,
        item: &Bound<'_, PyAny>,
        this: &mut Moments,
    ) -> PyResult<Pending> {
        let tag: String = item.getattr("hashtag")?.extract()?;
        let size = item.getattr("size")?;
        let start: i64 = item.getattr("window_start")?.extract()?;
        let end: i64 = item.getattr("window_end")?.extract()?;
        Ok(Pending {
            tag: Arc::from(tag),
            name: this.name_index(py, size.cast::<PyString>()?)?,
            size: end - start,
            start,
            posts: item.getattr("posts")?.extract()?,
            views: item.getattr("views")?.extract()?,
            authors: item.getattr("authors")?.extract()?,
            new_authors: item.getattr("new_authors")?.extract()?,
            object: Some(item.clone().unbind()),
        })
    }
}

/// The windows of one size of a moment, sorted by hashtag; `kept`: the indices of those that can
/// change a tag's state; the rest's sums.
struct Group {
    windows: Vec<Pending>,
    kept: Vec<usize>,
    rest_posts: i64,
    rest_views: i64,
}

impl Moments {
    /// Removes the windows of one size of the moment ending at `end` and splits them: kept (a tag
    /// `scorer` tracks, `admit_posts` posts, or after such a window of the same tag) or left out,
    /// the fast ones left out staged for `defer_tail`. The stream's origin is set by the first.
    fn split(&mut self, end: i64, slow: bool, scorer: &mut Scorer) -> Group {
        let mut windows = match self.pending.get_mut(&end) {
            Some(both) => std::mem::take(&mut both[slow as usize]),
            None => Vec::new(),
        };
        if self
            .pending
            .get(&end)
            .is_some_and(|both| both.iter().all(Vec::is_empty))
        {
            self.pending.remove(&end);
        }
        windows.sort_by(|a, b| a.tag.as_bytes().cmp(b.tag.as_bytes()));
        if !windows.is_empty() && scorer.origin.is_none() {
            scorer.origin = Some(end - if slow { self.slow_ms } else { self.fast_ms });
        }
        let (admit_posts, author_cap) = (scorer.p.admit_posts, scorer.p.th.author_cap);
        let (mut rest_posts, mut rest_views) = (0i64, 0i64);
        let mut kept = Vec::new();
        let mut admitted: Option<&str> = None;
        for (i, w) in windows.iter().enumerate() {
            let admits = w.posts >= admit_posts || admitted == Some(w.tag.as_ref());
            if admits || scorer.is_tracked(&w.tag) {
                kept.push(i);
                if admits {
                    admitted = Some(w.tag.as_ref());
                }
                continue;
            }
            rest_posts = rest_posts.saturating_add(w.posts);
            rest_views = rest_views.saturating_add(w.views);
            if !slow {
                self.staged.push(Deferred {
                    tag: w.tag.clone(),
                    observed: capped(w.posts, w.authors, author_cap),
                    posts: w.posts,
                });
            }
        }
        Group {
            windows,
            kept,
            rest_posts,
            rest_views,
        }
    }
}

fn capped(posts: i64, authors: i64, cap: i64) -> i64 {
    if authors > 0 {
        posts.min(cap.saturating_mul(authors))
    } else {
        posts
    }
}

#[pymethods]
impl Moments {
    #[new]
    fn new(fast_ms: i64, slow_ms: i64, window: Py<PyType>) -> PyResult<Self> {
        if fast_ms <= 0 || slow_ms <= 0 {
            return Err(PyValueError::new_err("window sizes must be positive"));
        }
        Ok(Moments {
            fast_ms,
            slow_ms,
            window,
            names: Vec::new(),
            pending: BTreeMap::new(),
            staged: Vec::new(),
        })
    }

    /// Files closed windows (a `ClosedWindows` or `Window` records) under their end; returns the
    /// latest window end among them (-1 without any) and, in order, the windows of the two sizes
    /// whose moment ended at or before `done` (late: scored on their own).
    fn add<'py>(
        &mut self,
        py: Python<'py>,
        windows: &Bound<'py, PyAny>,
        done: i64,
    ) -> PyResult<(i64, Bound<'py, PyList>)> {
        let late = PyList::empty(py);
        let mut latest = -1;
        if let Ok(batch) = windows.cast::<ClosedWindows>() {
            let batch = batch.borrow();
            let names: Vec<(i64, usize)> = batch
                .names
                .iter()
                .map(|(size, name)| Ok((*size, self.name_index(py, name.bind(py))?)))
                .collect::<PyResult<_>>()?;
            for w in &batch.windows {
                latest = latest.max(w.start + w.size);
                let name = match names.iter().find(|(s, _)| *s == w.size) {
                    Some((_, i)) => *i,
                    None => self.name_index(py, &PyString::new(py, &format_size(w.size)))?,
                };
                let pending = Pending {
                    tag: w.tag.clone(),
                    name,
                    size: w.size,
                    start: w.start,
                    posts: w.posts,
                    views: w.views,
                    authors: w.authors,
                    new_authors: w.new_authors,
                    object: None,
                };
                if let Some(object) = self.file(py, pending, done)? {
                    late.append(object)?;
                }
            }
            return Ok((latest, late));
        }
        for item in windows.try_iter()? {
            let pending = Self::pending_of(py, &item?, self)?;
            latest = latest.max(pending.start + pending.size);
            if let Some(object) = self.file(py, pending, done)? {
                late.append(object)?;
            }
        }
        Ok((latest, late))
    }

    /// The ends of the waiting moments at or before `upto` (None: all), in order.
    #[pyo3(signature = (upto=None))]
    fn ends(&self, upto: Option<i64>) -> Vec<i64> {
        match upto {
            Some(upto) => self.pending.range(..=upto).map(|(end, _)| *end).collect(),
            None => self.pending.keys().copied().collect(),
        }
    }

    /// Windows waiting.
    fn __len__(&self) -> usize {
        self.pending.values().flatten().map(Vec::len).sum()
    }

    /// Takes the windows of one size (`slow`: the slow one) of the moment ending at `end`:
    /// `(windows, count, rest_posts, rest_views)`. `windows` are the `Window` records that can
    /// change a tag's state, sorted by hashtag (stable): those of a tag `scorer` tracks, with at
    /// least its `admit_posts` posts, or after such a window of the same tag (it admits the tag);
    /// `count` is of all the windows, the rest sums of those left out. The fast ones left out wait
    /// for `defer_tail`. Take the fast windows first and score them before taking the slow ones.
    #[allow(clippy::type_complexity)]
    fn take<'py>(
        &mut self,
        py: Python<'py>,
        end: i64,
        slow: bool,
        mut scorer: PyRefMut<'py, SurgeCore>,
    ) -> PyResult<(Bound<'py, PyList>, usize, i64, i64)> {
        let group = self.split(end, slow, &mut scorer.scorer);
        let kept = PyList::empty(py);
        for &i in &group.kept {
            kept.append(self.object(py, &group.windows[i])?)?;
        }
        Ok((
            kept,
            group.windows.len(),
            group.rest_posts,
            group.rest_views,
        ))
    }

    /// Scores and learns, in `scorer`, the windows of one size of the moment ending at `end` that
    /// can change a tag's state (those `take` would give), normalised by the posts of the tags not
    /// in `active` (`normalise`; else absolute counts), without making them `Window` records:
    /// `(count, scored, posts, views, total, events)`. `count`, `posts` and `views` are of all the
    /// windows, `scored` of those scored, `total` what they were normalised by; `events` are, in
    /// order, `(Window, Verdict or None)` of the windows that got a verdict or whose tag is in
    /// `active` or got a verdict earlier in the group (the windows the alert book needs).
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    fn score<'py>(
        &mut self,
        py: Python<'py>,
        end: i64,
        slow: bool,
        mut scorer: PyRefMut<'py, SurgeCore>,
        active: &Bound<'py, PyDict>,
        normalise: bool,
    ) -> PyResult<(usize, usize, i128, i128, i128, Bound<'py, PyList>)> {
        let group = self.split(end, slow, &mut scorer.scorer);
        let events = PyList::empty(py);
        let mut on: crate::hashing::SeededHashSet<String> = Default::default();
        for tag in active.keys() {
            on.insert(tag.extract()?);
        }
        let (mut posts, mut views, mut total) = (0i128, 0i128, group.rest_posts as i128);
        for w in &group.windows {
            posts += w.posts as i128;
            views += w.views as i128;
        }
        for &i in &group.kept {
            let w = &group.windows[i];
            if !on.contains(w.tag.as_ref()) {
                total += w.posts as i128;
            }
        }
        let over = normalise.then(|| total.clamp(i64::MIN as i128, i64::MAX as i128) as i64);
        let names: Vec<String> = self
            .names
            .iter()
            .map(|n| Ok(n.bind(py).to_str()?.to_owned()))
            .collect::<PyResult<_>>()?;
        let core = &mut *scorer;
        let tail = core.tail.clone_ref(py);
        let mut tail = tail.borrow_mut(py);
        for &i in &group.kept {
            let p = &group.windows[i];
            let counts = [
                p.start,
                p.start + p.size,
                p.posts,
                p.views,
                p.authors,
                p.new_authors,
            ];
            let w = crate::scorer::Win::new(&p.tag, &names[p.name], counts);
            let verdict = match core.scorer.update(&mut tail.inner, &w, over, slow) {
                crate::scorer::Outcome::Scored { verdict, .. } => verdict,
                crate::scorer::Outcome::Untracked => None,
            };
            let tag: &str = &p.tag;
            if verdict.is_none() && !on.contains(tag) {
                continue;
            }
            let window = self.object(py, p)?;
            let verdict = match &verdict {
                Some(v) => {
                    on.insert(tag.to_owned());
                    core.verdict(py, tag, || Ok(window.clone()), v)?.into_any()
                }
                None => py.None().into_bound(py),
            };
            events.append((window, verdict))?;
        }
        Ok((
            group.windows.len(),
            group.kept.len(),
            posts,
            views,
            total,
            events,
        ))
    }

    /// Defers the share of each fast window `take` left out into `tail`: its capped posts over
    /// `max(total, posts, 1)` (over 1 when `total` is None), in hashtag order.
    #[pyo3(signature = (tail, total))]
    fn defer_tail(&mut self, mut tail: PyRefMut<'_, DecayingCountMin>, total: Option<i64>) {
        for d in std::mem::take(&mut self.staged) {
            let over = total.map_or(1, |t| t.max(d.posts).max(1));
            tail.inner.defer(&d.tag, d.observed as f64 / over as f64);
        }
    }

    /// The waiting windows as bytes (`load_state` reads them).
    fn to_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::new();
        let names: Vec<String> = self
            .names
            .iter()
            .map(|n| Ok(n.bind(py).to_str()?.to_owned()))
            .collect::<PyResult<_>>()?;
        out.extend_from_slice(&(names.len() as u64).to_le_bytes());
        for name in &names {
            put_text(&mut out, name);
        }
        let windows: Vec<&Pending> = self.pending.values().flatten().flatten().collect();
        out.extend_from_slice(&(windows.len() as u64).to_le_bytes());
        for w in windows {
            put_text(&mut out, &w.tag);
            out.extend_from_slice(&(w.name as u64).to_le_bytes());
            for n in [w.size, w.start, w.posts, w.views, w.authors, w.new_authors] {
                out.extend_from_slice(&n.to_le_bytes());
            }
        }
        Ok(PyBytes::new(py, &out))
    }

    /// Replaces the waiting windows with those of `to_state` bytes.
    fn load_state(&mut self, py: Python<'_>, state: &[u8]) -> PyResult<()> {
        let bad = || PyValueError::new_err("not a moments state");
        let mut at = 0usize;
        let word = |at: &mut usize| -> PyResult<u64> {
            let bytes = state.get(*at..*at + 8).ok_or_else(bad)?;
            *at += 8;
            Ok(u64::from_le_bytes(bytes.try_into().map_err(|_| bad())?))
        };
        let text = |at: &mut usize, n: u64| -> PyResult<String> {
            let end = at.checked_add(n as usize).ok_or_else(bad)?;
            let bytes = state.get(*at..end).ok_or_else(bad)?;
            *at = end;
            String::from_utf8(bytes.to_vec()).map_err(|_| bad())
        };
        let mut names = Vec::new();
        for _ in 0..word(&mut at)? {
            let n = word(&mut at)?;
            names.push(PyString::new(py, &text(&mut at, n)?).unbind());
        }
        let mut pending: BTreeMap<i64, [Vec<Pending>; 2]> = BTreeMap::new();
        for _ in 0..word(&mut at)? {
            let n = word(&mut at)?;
            let tag = text(&mut at, n)?;
            let name = word(&mut at)? as usize;
            let mut f = [0i64; 6];
            for slot in f.iter_mut() {
                *slot = word(&mut at)? as i64;
            }
            if name >= names.len() || f[0] <= 0 {
                return Err(bad());
            }
            let [size, start, posts, views, authors, new_authors] = f;
            let slow = (size != self.fast_ms) as usize;
            pending.entry(start + size).or_default()[slow].push(Pending {
                tag: Arc::from(tag),
                name,
                size,
                start,
                posts,
                views,
                authors,
                new_authors,
                object: None,
            });
        }
        if at != state.len() {
            return Err(bad());
        }
        self.names = names;
        self.pending = pending;
        self.staged.clear();
        Ok(())
    }

    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(
        Bound<'py, PyType>,
        (i64, i64, Py<PyType>),
        Bound<'py, PyBytes>,
    )> {
        let this = slf.borrow();
        let args = (this.fast_ms, this.slow_ms, this.window.clone_ref(slf.py()));
        Ok((slf.get_type(), args, this.to_state(slf.py())?))
    }

    fn __setstate__(&mut self, py: Python<'_>, state: &[u8]) -> PyResult<()> {
        self.load_state(py, state)
    }
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// Exponentially decaying sums per key in a fixed `depth x width` table (`detectors.longtail`).
#[pyclass(subclass, module = "detectors._native")]
pub struct DecayingCountMin {
    pub inner: longtail::DecayingCountMin,
}

#[pymethods]
impl DecayingCountMin {
    #[new]
    #[pyo3(signature = (width=None, depth=None, alpha=0.01))]
    fn new(
        width: Option<&Bound<'_, PyAny>>,
        depth: Option<&Bound<'_, PyAny>>,
        alpha: f64,
    ) -> PyResult<Self> {
        let py_int = |v: Option<&Bound<'_, PyAny>>, default: i64| match v {
            None => Ok(default),
            Some(v) if v.is_instance_of::<pyo3::types::PyInt>() => {
                v.extract::<i64>().map_err(|_| ())
            }
            Some(_) => Err(()),
        };
        let repr = |v: Option<&Bound<'_, PyAny>>| {
            v.map_or(Ok(String::new()), |v| Ok::<_, PyErr>(v.repr()?.to_string()))
        };
        let width = match py_int(width, 1 << 14) {
            Ok(w) if w >= 1 => w as usize,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "width must be a positive int, not {}",
                    repr(width)?
                )))
            }
        };
        let depth = match py_int(depth, 4) {
            Ok(d) if (1..=MAX_DEPTH as i64).contains(&d) => d as usize,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "depth must be an int from 1 to {MAX_DEPTH}, not {}",
                    repr(depth)?
                )))
            }
        };
        if !(alpha > 0.0 && alpha <= 1.0) {
            return Err(PyValueError::new_err(format!(
                "alpha must be in (0, 1], not {alpha:?}"
            )));
        }
        Ok(DecayingCountMin {
            inner: longtail::DecayingCountMin::new(width, depth, alpha),
        })
    }

    #[getter]
    fn width(&self) -> usize {
        self.inner.width
    }

    #[getter]
    fn depth(&self) -> usize {
        self.inner.depth
    }

    #[getter]
    fn alpha(&self) -> f64 {
        self.inner.alpha
    }

    /// Time steps decayed so far.
    #[getter]
    fn steps(&self) -> u64 {
        self.inner.steps
    }

    /// Memory held by the table, in bytes (independent of the number of keys).
    #[getter]
    fn nbytes(&self) -> usize {
        self.inner.nbytes()
    }

    /// Adds `alpha * value` to the cells of each key, in order.
    fn update(&mut self, keys: Vec<String>, values: Vec<f64>) -> PyResult<()> {
        if keys.len() != values.len() {
            return Err(PyValueError::new_err(
                "keys and values must have the same length",
            ));
        }
        keys.iter()
            .zip(values)
            .for_each(|(k, v)| self.inner.update(k, v));
        Ok(())
    }

    /// Takes `key` out: returns its estimate and subtracts the minimum of its cells from each,
    /// so that its estimate is 0 after (deferred values are not touched).
    fn take(&mut self, key: &str) -> f64 {
        self.inner.take(key)
    }

    /// Adds `share` to the estimate of `key` as it reads now (`share` times the bias correction's
    /// warmth to each of its cells); a share that is not a finite number is dropped.
    fn put(&mut self, key: &str, share: f64) {
        self.inner.put(key, share);
    }

    /// Keeps `value` of `key` for the next `commit`.
    fn defer(&mut self, key: &str, value: f64) {
        self.inner.defer(key, value);
    }

    /// Values deferred and not committed yet.
    #[getter]
    fn deferred(&self) -> usize {
        self.inner.deferred()
    }

    /// Adds every deferred value (as `update` would have, in the order deferred).
    fn commit(&mut self) {
        self.inner.commit();
    }

    /// Lets `steps` time steps pass: every cell shrinks by `(1 - alpha) ** steps`.
    #[pyo3(signature = (steps=1))]
    fn decay(&mut self, steps: i64) {
        if steps > 0 {
            self.inner.decay(steps as u64);
        }
    }

    fn __getitem__(&self, key: &str) -> f64 {
        self.inner.get(key)
    }

    /// The whole sketch as bytes.
    fn to_state<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// Replaces the sketch with `to_state` bytes.
    fn load_state(&mut self, state: &[u8]) -> PyResult<()> {
        self.inner =
            longtail::DecayingCountMin::from_bytes(state).map_err(PyValueError::new_err)?;
        Ok(())
    }

    /// Replaces the sketch with a table of `depth * width` cells (row after row) and its steps.
    fn load_table(
        &mut self,
        width: usize,
        depth: usize,
        alpha: f64,
        table: Vec<f64>,
        steps: u64,
    ) -> PyResult<()> {
        if width == 0 || !(1..=MAX_DEPTH).contains(&depth) || !(alpha > 0.0 && alpha <= 1.0) {
            return Err(PyValueError::new_err("not a long-tail sketch table"));
        }
        self.inner = longtail::DecayingCountMin::from_table(width, depth, alpha, table, steps)
            .ok_or_else(|| PyValueError::new_err("the table must have depth * width cells"))?;
        Ok(())
    }
}
