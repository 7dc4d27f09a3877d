//! Python-facing helpers of the window aggregator: size names, the stable hash,
//! packing `Mention` objects, and the checked configuration of the class.

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::hashing::SeededHashMap;
use crate::mentions::write_mention;
use crate::sketches::stable_hash;
use crate::windows::Config;

pub fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A window size as text in the largest unit dividing it (`"5m"`).
#[pyfunction]
pub fn format_size(ms: i64) -> String {
    for (unit, factor) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms % factor == 0 {
            return format!("{}{unit}", ms / factor);
        }
    }
    format!("{ms}ms")
}

/// BLAKE2b of the UTF-8 bytes of `item` with an 8-byte digest, little-endian.
#[pyfunction(name = "stable_hash")]
pub fn py_stable_hash(item: &str) -> u64 {
    stable_hash(item.as_bytes())
}

/// Packs objects with the attributes of `detectors.records.Mention` (authors by name).
#[pyfunction]
pub fn pack_mentions<'py>(
    py: Python<'py>,
    mentions: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut out = Vec::new();
    let mut authors = Vec::new();
    let mut hashes: SeededHashMap<String, u64> = SeededHashMap::default();
    for mention in mentions.try_iter()? {
        let m = mention?;
        let tag = m.getattr(intern!(py, "hashtag"))?;
        let tag: &str = tag.extract()?;
        authors.clear();
        for author in m.getattr(intern!(py, "authors"))?.try_iter()? {
            let author = author?;
            let name: &str = author.extract()?;
            let h = match hashes.get(name) {
                Some(h) => *h,
                None => *hashes
                    .entry(name.to_owned())
                    .or_insert_with(|| stable_hash(name.as_bytes())),
            };
            authors.push(h);
        }
        let field = |name: &Bound<'py, PyString>| -> PyResult<i64> { m.getattr(name)?.extract() };
        let (bucket, max_ts) = (field(intern!(py, "bucket"))?, field(intern!(py, "max_ts"))?);
        let posts = field(intern!(py, "posts"))?;
        let (views, new) = (
            field(intern!(py, "views"))?,
            field(intern!(py, "new_authors"))?,
        );
        write_mention(
            &mut out,
            tag,
            bucket,
            max_ts,
            posts,
            views,
            new,
            &mut authors,
        )
        .map_err(value_error)?;
    }
    Ok(PyBytes::new(py, &out))
}

pub fn config(
    sizes: Vec<i64>,
    allowed_lateness: i64,
    late_policy: &str,
    retention: Option<i64>,
    sources: Vec<String>,
    limits: (i64, i64, i64),
    promote_size: Option<i64>,
) -> PyResult<Config> {
    let mut sizes = sizes;
    sizes.sort_unstable();
    if sizes.is_empty() || sizes[0] <= 0 || sizes.iter().any(|s| s % sizes[0] != 0) {
        return Err(PyValueError::new_err(format!(
            "sizes must be positive multiples of the smallest, got {sizes:?}"
        )));
    }
    if allowed_lateness < 0 {
        return Err(PyValueError::new_err(format!(
            "allowed_lateness must be >= 0, got {allowed_lateness}"
        )));
    }
    if late_policy != "apply" && late_policy != "drop" {
        return Err(PyValueError::new_err(format!(
            "late_policy must be 'apply' or 'drop', got {late_policy:?}"
        )));
    }
    if let Some(r) = retention.filter(|r| *r < 0) {
        return Err(PyValueError::new_err(format!(
            "retention must be >= 0, got {r}"
        )));
    }
    let (max_tags, exact_authors, promote_at) = limits;
    if max_tags < 1 {
        return Err(PyValueError::new_err(format!(
            "max_tags must be >= 1, got {max_tags}"
        )));
    }
    if exact_authors < 0 {
        return Err(PyValueError::new_err(format!(
            "exact_authors must be >= 0, got {exact_authors}"
        )));
    }
    let promote_size = promote_size.unwrap_or(sizes[0]);
    if !sizes.contains(&promote_size) {
        return Err(PyValueError::new_err(format!(
            "promote_size must be one of the sizes {sizes:?}, got {promote_size}"
        )));
    }
    Ok(Config {
        names: sizes.iter().map(|&s| format_size(s)).collect(),
        sizes,
        allowed_lateness,
        apply_late: late_policy == "apply",
        retention: retention.unwrap_or(allowed_lateness),
        sources,
        max_tags: max_tags as usize,
        exact_authors: exact_authors as usize,
        promote_at,
        promote_size,
    })
}

pub fn strings(items: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    items
        .try_iter()?
        .map(|item| Ok(item?.str()?.to_string()))
        .collect()
}

pub fn source_key(source: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    source
        .filter(|s| !s.is_none())
        .map(|s| Ok(s.str()?.to_string()))
        .transpose()
}
