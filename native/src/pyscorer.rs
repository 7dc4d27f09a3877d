//! The Python class of the surge scorer's native part (`detectors._native.SurgeCore`).
//!
//! `detectors.surge.SurgeScorer` is the Python face (River's `AnomalyDetector`,
//! its parameters, pickling); this object holds what changes per window: the
//! per-tag states, the unconfirmed verdicts and the stream's origin (`scorer.rs`),
//! and the long-tail sketch it shares with the Python face. Windows come in as
//! `Window` records (`update`), or stay native and are scored a whole moment at a
//! time (`Moments.score`); verdicts go out as `Verdict(Window, kind, score,
//! observed, expected, growth)`.

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple, PyType};

use crate::hashing::SeededHashSet;
use crate::pydetect::DecayingCountMin;
use crate::scorer::{
    Held, Judged, Kind, Outcome, Params, Scorer, TagState, Thresholds, Verdict, SLOTS,
};

/// The per-window state of `SurgeScorer` (see the module docs).
#[pyclass(module = "detectors._native")]
pub struct SurgeCore {
    pub(crate) scorer: Scorer,
    pub(crate) tail: Py<DecayingCountMin>,
    window: Py<PyType>,
    verdict: Py<PyType>,
    kinds: [Option<Py<PyString>>; 3],
}

/// The fields of a `Window` record, its size name and hashtag owned.
pub(crate) struct Fields {
    pub tag: String,
    pub name: String,
    pub n: [i64; 6],
}

impl Fields {
    pub fn of(w: &Bound<'_, PyAny>) -> PyResult<Fields> {
        let py = w.py();
        let int = |name: &Bound<'_, PyString>| -> PyResult<i64> { w.getattr(name)?.extract() };
        let n = [
            int(intern!(py, "window_start"))?,
            int(intern!(py, "window_end"))?,
            int(intern!(py, "posts"))?,
            int(intern!(py, "views"))?,
            int(intern!(py, "authors"))?,
            int(intern!(py, "new_authors"))?,
        ];
        if n[1] <= n[0] {
            return Err(PyValueError::new_err(format!(
                "a window must end after it starts, not {}..{}",
                n[0], n[1]
            )));
        }
        Ok(Fields {
            tag: w.getattr(intern!(py, "hashtag"))?.extract()?,
            name: w.getattr(intern!(py, "size"))?.extract()?,
            n,
        })
    }

    pub fn win(&self) -> crate::scorer::Win<'_> {
        crate::scorer::Win::new(&self.tag, &self.name, self.n)
    }
}

impl SurgeCore {
    fn kind<'py>(&self, py: Python<'py>, kind: Kind) -> Bound<'py, PyAny> {
        match &self.kinds[kind as usize] {
            Some(name) => name.clone_ref(py).into_bound(py).into_any(),
            None => py.None().into_bound(py),
        }
    }

    /// A `Window` record of a held window of `tag`.
    fn held_window<'py>(
        &self,
        py: Python<'py>,
        tag: &str,
        h: &Held,
    ) -> PyResult<Bound<'py, PyAny>> {
        let w = crate::scorer::Win::new(tag, &h.name, h.counts);
        let fields = (
            w.tag,
            w.name,
            w.start,
            w.end,
            w.posts,
            w.views,
            w.authors,
            w.new_authors,
        );
        self.window.bind(py).call1(fields)
    }

    fn judged<'py>(
        &self,
        py: Python<'py>,
        window: Bound<'py, PyAny>,
        j: &Judged,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fields = (
            window,
            self.kind(py, j.kind),
            j.score,
            j.observed,
            j.expected,
            j.growth,
        );
        self.verdict.bind(py).call1(fields)
    }

    /// The `Verdict` of `v`: of `window` (the one scored), or of the held first window of `tag`.
    pub(crate) fn verdict<'py>(
        &self,
        py: Python<'py>,
        tag: &str,
        window: impl FnOnce() -> PyResult<Bound<'py, PyAny>>,
        v: &Verdict,
    ) -> PyResult<Bound<'py, PyAny>> {
        let window = match &v.first {
            Some(held) => self.held_window(py, tag, held)?,
            None => window()?,
        };
        self.judged(py, window, &v.judged)
    }

    fn total(total: Option<&Bound<'_, PyAny>>) -> PyResult<Option<i64>> {
        match total {
            None => Ok(None),
            Some(t) if t.is_none() => Ok(None),
            Some(t) => Ok(Some(t.extract()?)),
        }
    }
}

fn state_tuple<'py>(py: Python<'py>, s: &TagState) -> PyResult<Bound<'py, PyTuple>> {
    let profile: Vec<f64> = s.profile.iter().map(|&p| p as f64).collect();
    let items: Vec<Bound<'py, PyAny>> = vec![
        s.fast.into_pyobject(py)?.into_any(),
        s.slow.into_pyobject(py)?.into_any(),
        s.fast_end.into_pyobject(py)?.into_any(),
        s.slow_end.into_pyobject(py)?.into_any(),
        s.fast_last.into_pyobject(py)?.into_any(),
        s.slow_last.into_pyobject(py)?.into_any(),
        s.born.into_pyobject(py)?.into_any(),
        s.since.into_pyobject(py)?.into_any(),
        s.fast_var.into_pyobject(py)?.into_any(),
        s.slow_var.into_pyobject(py)?.into_any(),
        profile.into_pyobject(py)?.into_any(),
        PyBytes::new(py, &s.seen).into_any(),
        s.hour.into_pyobject(py)?.into_any(),
        s.hour_sum.into_pyobject(py)?.into_any(),
        s.day_sum.into_pyobject(py)?.into_any(),
        s.week_mean.into_pyobject(py)?.into_any(),
    ];
    PyTuple::new(py, items)
}

#[pymethods]
impl SurgeCore {
    /// The scorer's settings as `SurgeScorer` derives them (`alpha`, `var_alpha` and `floor`: fast,
    /// slow); `thresholds`: `(z_on, z_off, min_posts, min_authors, min_ratio, author_cap,
    /// bot_posts_per_author, confirm)`; `tail`: the long-tail sketch; `window` and `verdict`: the
    /// classes of the records it builds.
    #[new]
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    #[pyo3(signature = (*, fast_ms, slow_ms, alpha, var_alpha, per_hour, floor, max_tags, admit_posts, warmup_ms,
                        profile_beta, history_ms, clip, weekly_weeks, thresholds, tail, window, verdict))]
    fn new(
        py: Python<'_>,
        fast_ms: i64,
        slow_ms: i64,
        alpha: (f64, f64),
        var_alpha: (f64, f64),
        per_hour: i64,
        floor: (f64, f64),
        max_tags: i64,
        admit_posts: i64,
        warmup_ms: i64,
        profile_beta: f64,
        history_ms: i64,
        clip: f64,
        weekly_weeks: u8,
        thresholds: (f64, f64, f64, f64, f64, i64, f64, Option<f64>),
        tail: Py<DecayingCountMin>,
        window: Py<PyType>,
        verdict: Py<PyType>,
    ) -> PyResult<Self> {
        if fast_ms <= 0 || slow_ms <= 0 || per_hour <= 0 {
            return Err(PyValueError::new_err(
                "window sizes and windows per hour must be positive",
            ));
        }
        let p = Params {
            fast_ms,
            slow_ms,
            alpha: [alpha.0, alpha.1],
            var_alpha: [var_alpha.0, var_alpha.1],
            per_hour,
            floor: [floor.0, floor.1],
            max_tags,
            admit_posts,
            warmup_ms,
            profile_beta,
            history_ms,
            clip,
            weekly_weeks,
            th: Thresholds {
                z_on: thresholds.0,
                z_off: thresholds.1,
                min_posts: thresholds.2,
                min_authors: thresholds.3,
                min_ratio: thresholds.4,
                author_cap: thresholds.5,
                bot_posts_per_author: thresholds.6,
                confirm: thresholds.7,
            },
        };
        Ok(SurgeCore {
            scorer: Scorer::new(p),
            tail,
            window,
            verdict,
            kinds: [
                None,
                Some(PyString::intern(py, "trend").unbind()),
                Some(PyString::intern(py, "suspicious").unbind()),
            ],
        })
    }

    /// Scores the `Window` `w` (`total`: posts of the non-surging tags in its window, None: absolute
    /// counts), then learns it: its `Verdict` when at least warm, else None.
    #[pyo3(signature = (w, total, slow))]
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        w: &Bound<'py, PyAny>,
        total: Option<&Bound<'py, PyAny>>,
        slow: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(self
            .update_observed(py, w, total, slow)?
            .and_then(|(v, _, _)| v))
    }

    /// As `update`, with what the window was judged against: `(verdict, expected, dispersion)`
    /// (expected never below the noise floor); None for a window of a tag without state.
    #[pyo3(signature = (w, total, slow))]
    #[allow(clippy::type_complexity)]
    fn update_observed<'py>(
        &mut self,
        py: Python<'py>,
        w: &Bound<'py, PyAny>,
        total: Option<&Bound<'py, PyAny>>,
        slow: bool,
    ) -> PyResult<Option<(Option<Bound<'py, PyAny>>, f64, f64)>> {
        let fields = Fields::of(w)?;
        let total = Self::total(total)?;
        let outcome = {
            let mut tail = self.tail.borrow_mut(py);
            self.scorer
                .update(&mut tail.inner, &fields.win(), total, slow)
        };
        match outcome {
            Outcome::Untracked => Ok(None),
            Outcome::Scored {
                expected,
                spread,
                verdict,
            } => {
                let verdict = verdict
                    .map(|v| self.verdict(py, &fields.tag, || Ok(w.clone()), &v))
                    .transpose()?;
                Ok(Some((verdict, expected, spread)))
            }
        }
    }

    /// The score `w` would get now, without learning it.
    #[pyo3(signature = (w, total, slow))]
    fn score_one(
        &self,
        py: Python<'_>,
        w: &Bound<'_, PyAny>,
        total: Option<&Bound<'_, PyAny>>,
        slow: bool,
    ) -> PyResult<f64> {
        let fields = Fields::of(w)?;
        let tail = self.tail.borrow(py);
        Ok(self
            .scorer
            .score_one(&tail.inner, &fields.win(), Self::total(total)?, slow))
    }

    /// Closes a fast window: the long tail's shares go into the sketch, the cap is enforced (never
    /// evicting a tag of `keep`).
    fn end_fast_window(&mut self, py: Python<'_>, keep: &Bound<'_, PyAny>) -> PyResult<()> {
        let mut kept: SeededHashSet<String> = Default::default();
        for tag in keep.try_iter()? {
            kept.insert(tag?.extract()?);
        }
        let mut tail = self.tail.borrow_mut(py);
        self.scorer
            .end_fast_window(&mut tail.inner, &|tag| kept.contains(tag));
        Ok(())
    }

    /// The start of the first window seen (None before any).
    #[getter]
    fn origin(&self) -> Option<i64> {
        self.scorer.origin
    }

    #[setter]
    fn set_origin(&mut self, origin: Option<i64>) {
        self.scorer.origin = origin;
    }

    /// Tags with exact state.
    fn __len__(&self) -> usize {
        self.scorer.states.len()
    }

    fn __contains__(&self, tag: &str) -> bool {
        self.scorer.is_tracked(tag)
    }

    /// Memory of one tracked tag: its state and map entry (key text excluded), in bytes.
    #[staticmethod]
    fn bytes_per_tag() -> usize {
        Scorer::bytes_per_tag()
    }

    /// The share `tag`'s profile expects at `start_ms` (None: not tracked).
    fn seasonal(&self, tag: &str, start_ms: i64) -> Option<f64> {
        self.scorer.states.get(tag).map(|s| s.seasonal(start_ms))
    }

    /// Whether `tag`'s day-of-week term is in use (None: not tracked).
    fn weekly(&self, tag: &str) -> Option<bool> {
        self.scorer.states.get(tag).map(|s| s.weekly())
    }

    /// Tracked tags whose day-of-week term is in use.
    fn weekly_tags(&self) -> usize {
        self.scorer.states.values().filter(|s| s.weekly()).count()
    }

    /// Every state as `{tag: (fast, slow, fast_end, slow_end, fast_last, slow_last, born, since,
    /// fast_var, slow_var, profile, seen, hour, hour_sum, day_sum, week_mean)}` (profile a list
    /// of 31 floats, seen 31 bytes).
    fn states<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (tag, s) in &self.scorer.states {
            out.set_item(tag.as_ref(), state_tuple(py, s)?)?;
        }
        Ok(out)
    }

    /// The unconfirmed verdicts as `{(tag, channel): Verdict}`.
    fn unconfirmed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for ((tag, channel), (held, judged)) in &self.scorer.unconfirmed {
            let verdict = self.judged(py, self.held_window(py, tag, held)?, judged)?;
            out.set_item((tag.as_ref(), *channel), verdict)?;
        }
        Ok(out)
    }

    /// Sets the state of `tag` from the 16 fields `states` gives (a checkpoint of another format).
    fn restore_state(&mut self, tag: &str, fields: &Bound<'_, PyTuple>) -> PyResult<()> {
        let bad = || PyValueError::new_err(format!("not the state of a tracked tag: {tag:?}"));
        if fields.len() != 16 {
            return Err(bad());
        }
        let f = |i: usize| -> PyResult<f64> { fields.get_item(i)?.extract() };
        let n = |i: usize| -> PyResult<i64> { fields.get_item(i)?.extract() };
        let profile_in: Vec<f64> = fields.get_item(10)?.extract()?;
        let seen_in: Vec<u8> = fields.get_item(11)?.extract()?;
        if profile_in.len() != SLOTS || seen_in.len() != SLOTS {
            return Err(bad());
        }
        let mut profile = [0f32; SLOTS];
        profile
            .iter_mut()
            .zip(&profile_in)
            .for_each(|(p, &v)| *p = v as f32);
        let mut seen = [0u8; SLOTS];
        seen.copy_from_slice(&seen_in);
        let state = TagState {
            fast: f(0)?,
            slow: f(1)?,
            fast_end: n(2)?,
            slow_end: n(3)?,
            fast_last: n(4)?,
            slow_last: n(5)?,
            born: n(6)?,
            since: n(7)?,
            fast_var: f(8)?,
            slow_var: f(9)?,
            profile,
            seen,
            hour: n(12)?,
            hour_sum: f(13)?,
            day_sum: f(14)?,
            week_mean: f(15)?,
        };
        self.scorer.states.insert(tag.into(), Box::new(state));
        Ok(())
    }

    /// Keeps the unconfirmed `verdict` (a `Verdict` of a trend) of its hashtag on `channel` (a
    /// checkpoint of another format).
    fn restore_unconfirmed(&mut self, channel: u8, verdict: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = verdict.py();
        let fields = Fields::of(&verdict.getattr(intern!(py, "window"))?)?;
        let kind = match verdict
            .getattr(intern!(py, "kind"))?
            .extract::<Option<String>>()?
            .as_deref()
        {
            None => Kind::Warm,
            Some("trend") => Kind::Trend,
            Some("suspicious") => Kind::Suspicious,
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "not a verdict kind: {other:?}"
                )))
            }
        };
        if channel > 1 {
            return Err(PyValueError::new_err(
                "channel must be 0 (fast) or 1 (slow)",
            ));
        }
        let judged = Judged {
            kind,
            score: verdict.getattr(intern!(py, "score"))?.extract()?,
            observed: verdict.getattr(intern!(py, "observed"))?.extract()?,
            expected: verdict.getattr(intern!(py, "expected"))?.extract()?,
            growth: verdict.getattr(intern!(py, "growth"))?.extract()?,
        };
        let held = Held {
            name: fields.name.clone(),
            counts: fields.n,
        };
        self.scorer
            .unconfirmed
            .insert((fields.tag.as_str().into(), channel), (held, judged));
        Ok(())
    }

    /// States, unconfirmed verdicts and origin as bytes (a versioned format; `load_state` reads it).
    fn to_state<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.scorer.to_bytes())
    }

    /// Replaces states, unconfirmed verdicts and origin with those of `to_state` bytes.
    fn load_state(&mut self, state: &[u8]) -> PyResult<()> {
        self.scorer.load(state).map_err(PyValueError::new_err)
    }
}
