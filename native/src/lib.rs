//! `detectors._native`: the per-event core of trendwatch, called once per batch from Python.
//!
//! The Python face is `detectors` (and `streams.stages`); `detectors/_native.pyi`
//! types this module.

use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// The extension's own allocations (JSON documents, events, cells; not Python objects)
/// come from mimalloc: the extract path allocates a few small blocks per event, and
/// glibc's malloc and free were a quarter of its instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bindings;
mod cells;
mod chars;
mod codec;
pub mod events;
pub mod eventtime;
pub mod extract;
mod hashing;
pub mod hashtags;
pub mod inflate;
pub mod json;
mod json_text;
pub mod longtail;
pub mod mentions;
mod pydetect;
mod pyfuncs;
mod pyinbox;
mod pyrepr;
mod pyscorer;
mod pywindows;
pub mod replay;
pub mod scorer;
pub mod sketches;
pub mod state;
mod tables;
mod tail;
pub mod timestamp;
pub mod window_records;
pub mod windows;

/// The canonical form of one hashtag, or None if nothing valid remains.
#[pyfunction]
fn normalise_hashtag(tag: &str) -> Option<String> {
    hashtags::normalise_hashtag(tag)
}

/// The distinct normalised hashtags of a post's text (a tuple), in order of first appearance.
#[pyfunction]
fn extract_hashtags<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, hashtags::extract_hashtags(text))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MAX_TAG_LENGTH", hashtags::MAX_TAG_LENGTH)?;
    m.add("MAX_TAGS_PER_POST", hashtags::MAX_TAGS_PER_POST)?;
    m.add("UNICODE_VERSION", tables::UNICODE_VERSION)?;
    m.add_function(wrap_pyfunction!(normalise_hashtag, m)?)?;
    m.add_function(wrap_pyfunction!(extract_hashtags, m)?)?;
    m.add_class::<pywindows::WindowAggregator>()?;
    m.add_class::<inflate::GunzipStream>()?;
    m.add_class::<pydetect::ClosedWindows>()?;
    m.add_class::<pydetect::Moments>()?;
    m.add_class::<pydetect::DecayingCountMin>()?;
    m.add_class::<pyinbox::WindowInbox>()?;
    m.add_function(wrap_pyfunction!(pyinbox::encode_windows, m)?)?;
    m.add_function(wrap_pyfunction!(pyinbox::decode_windows, m)?)?;
    m.add_function(wrap_pyfunction!(pyinbox::windows_batch, m)?)?;
    m.add_class::<pyscorer::SurgeCore>()?;
    m.add_function(wrap_pyfunction!(pyfuncs::pack_mentions, m)?)?;
    m.add_function(wrap_pyfunction!(pyfuncs::format_size, m)?)?;
    m.add_function(wrap_pyfunction!(pyfuncs::py_stable_hash, m)?)?;
    bindings::register(m)?;
    Ok(())
}
