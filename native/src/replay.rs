//! Idempotent replay: the window aggregator of one mentions partition, fed
//! by source offsets, with checkpoints that say which offsets they reflect.
//!
//! Each batch of mentions names its `source` (an input partition), that
//! source's `offset` and `clock`. A batch at or below the last applied offset
//! of its source is skipped, so re-sent or replayed batches are never counted
//! twice. Every checkpoint value carries the applied-offset vector it
//! reflects; after a restore, a mention of a hashtag whose restored state
//! already holds the batch's offset is skipped too.
//!
//! A hashtag whose last window closed is not deleted at once: its checkpoint
//! value is a tombstone (its offset vector, no cells), and the key is deleted
//! by a later checkpoint, once a meta value covering that vector is written.
//! A checkpoint cut short after the tombstone but before its meta value would
//! otherwise lose what the hashtag had applied, and the replay would count its
//! mentions again.

use std::collections::HashMap;

use crate::codec::FORMAT;
use crate::mentions::{read_all, FormatError};
use crate::state::{sketch_key, Reader, StateError, Writer};
use crate::windows::{Aggregator, Closed};

/// Offsets applied per source, in order of first appearance.
pub type Vector = Vec<(String, i64)>;
/// Checkpoint records: `(key, value or None to delete)`.
pub type Changes = Vec<(String, Option<Vec<u8>>)>;

fn offset_of(vector: &Vector, source: &str) -> i64 {
    vector
        .iter()
        .find(|(s, _)| s == source)
        .map_or(-1, |(_, o)| *o)
}

/// The meta key of a checkpoint (no hashtag is empty).
pub const META_KEY: &str = "";

pub struct Counter {
    pub agg: Aggregator,
    pub applied: Vector,
    pub restored: HashMap<String, Vector>,
    /// Hashtags written as tombstones, with the offset vector they hold.
    tombstones: HashMap<String, Vector>,
    /// The offset vector of the last meta value written (or restored).
    written: Vector,
}

/// The state of a hashtag without cells (`unit_state` of zero cells).
const NO_CELLS: [u8; 5] = [FORMAT, 0, 0, 0, 0];

impl Counter {
    pub fn new(agg: Aggregator) -> Self {
        Counter {
            agg,
            applied: Vec::new(),
            restored: HashMap::new(),
            tombstones: HashMap::new(),
            written: Vec::new(),
        }
    }

    /// Counts a packed batch of mentions and moves the source's clock (the
    /// batch's latest event time if `clock` is None); closed windows go to `out`.
    pub fn process(
        &mut self,
        buf: &[u8],
        source: Option<&str>,
        offset: Option<i64>,
        clock: Option<i64>,
        out: &mut Vec<Closed>,
    ) -> Result<(), FormatError> {
        let mentions = read_all(buf)?;
        let key = source.unwrap_or("");
        if offset.is_none_or(|o| o > offset_of(&self.applied, key)) {
            for mention in &mentions {
                if let (Some(o), false) = (offset, self.restored.is_empty()) {
                    if self
                        .restored
                        .get(mention.tag)
                        .is_some_and(|v| o <= offset_of(v, key))
                    {
                        continue;
                    }
                }
                self.agg.update(mention, out);
            }
            if let Some(o) = offset {
                match self.applied.iter_mut().find(|(s, _)| s == key) {
                    Some((_, applied)) => *applied = o,
                    None => self.applied.push((key.to_owned(), o)),
                }
            }
        }
        if let Some(clock) = clock.or_else(|| mentions.iter().map(|m| m.max_ts).max()) {
            self.agg.advance(clock, key, out);
        }
        Ok(())
    }

    /// What changed since the last checkpoint, `(key, value or None)` sorted by key, meta key last.
    pub fn checkpoint(&mut self) -> Result<Changes, StateError> {
        let units = self.agg.pop_dirty();
        let mut out = Vec::with_capacity(units.len() + 1);
        for unit in units {
            let value = match self.agg.unit_state(&unit)? {
                Some(state) => {
                    self.tombstones.remove(&unit);
                    Some(self.value(&state))
                }
                None if sketch_key(&unit).is_some() => None,
                None => {
                    self.tombstones.insert(unit.clone(), self.applied.clone());
                    Some(self.value(&NO_CELLS))
                }
            };
            out.push((unit, value));
        }
        let written = &self.written;
        let covered: Vec<String> = self
            .tombstones
            .iter()
            .filter(|(unit, vector)| {
                covers(written, vector) && !out.iter().any(|(k, _)| k == *unit)
            })
            .map(|(unit, _)| unit.clone())
            .collect();
        for unit in covered {
            self.tombstones.remove(&unit);
            out.push((unit, None));
        }
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        out.push((
            META_KEY.to_owned(),
            Some(self.value(&self.agg.meta_state())),
        ));
        self.written = self.applied.clone();
        Ok(out)
    }

    fn value(&self, state: &[u8]) -> Vec<u8> {
        let mut w = Writer::new();
        w.u32(self.applied.len());
        for (source, offset) in &self.applied {
            w.str(source);
            w.i64(*offset);
        }
        w.0.extend_from_slice(state);
        w.0
    }

    /// Rebuilds from the latest checkpoint value of every key (None: deleted).
    pub fn restore<'a>(&mut self, items: &[(&str, Option<&'a [u8]>)]) -> Result<(), StateError> {
        let decoded: Vec<(&str, Vector, &'a [u8])> = items
            .iter()
            .filter_map(|(unit, value)| value.map(|v| (*unit, v)))
            .map(|(unit, value)| split_value(value).map(|(vector, state)| (unit, vector, state)))
            .collect::<Result<_, _>>()?;
        if let Some((_, vector, meta)) = decoded.iter().find(|(unit, _, _)| *unit == META_KEY) {
            self.agg.load_meta(meta)?;
            self.applied = vector.clone();
            self.written = vector.clone();
        }
        for (unit, vector, state) in decoded {
            if unit == META_KEY {
                continue;
            }
            self.agg.load_unit(unit, Some(state))?;
            if state == NO_CELLS {
                self.tombstones.insert(unit.to_owned(), vector.clone());
            }
            if vector.iter().any(|(s, o)| *o > offset_of(&self.applied, s)) {
                self.restored.insert(unit.to_owned(), vector);
            }
        }
        self.agg.pop_dirty();
        Ok(())
    }
}

/// True when `meta` holds every offset of `vector`.
fn covers(meta: &Vector, vector: &Vector) -> bool {
    vector.iter().all(|(s, o)| *o <= offset_of(meta, s))
}

/// The offset vector and the state of a checkpoint value.
pub fn split_value(value: &[u8]) -> Result<(Vector, &[u8]), StateError> {
    let mut r = Reader::new(value)?;
    let mut vector = Vec::new();
    for _ in 0..r.u32()? {
        vector.push((r.str()?.to_owned(), r.i64()?));
    }
    Ok((vector, r.0))
}
