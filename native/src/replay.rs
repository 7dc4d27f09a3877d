//! Idempotent replay: the window aggregator of one mentions partition, fed
//! by source offsets, with checkpoints that restore to one consistent point.
//!
//! Each batch of mentions names its `source` (an input partition), that
//! source's `offset` and `clock`. A batch at or below the last applied offset
//! of its source is skipped, so re-sent or replayed batches are never counted
//! twice.
//!
//! A checkpoint writes every unit (hashtag or sketch window) that changed,
//! then the meta value (clocks, watermark, counters). Each value carries the
//! applied-offset vector it reflects, the unit's state (none once its last
//! window closed: a tombstone) and its state as of the previous checkpoint.
//! A crash can cut a checkpoint anywhere: the restore then finds units ahead
//! of the last meta value and takes their previous state, so that every unit
//! is as of that meta value and the replay from its offsets repeats exactly
//! what the lost run did, long tail included (which hashtags get a slot, what
//! the sketches hold, which hashtags they promote). A tombstone is deleted by
//! a later checkpoint, once a meta value covering it is written.

use std::collections::HashMap;

use crate::codec::FORMAT;
use crate::mentions::{read_all, FormatError};
use crate::state::{Reader, StateError, Writer};
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

/// The format byte of checkpoint values (states inside start with their own).
const VALUE_FORMAT: u8 = 2;

pub struct Counter {
    pub agg: Aggregator,
    pub applied: Vector,
    /// Units restored from values of the first format (offset vector and
    /// state only) that were ahead of the meta value: mentions of such a
    /// hashtag at or below its vector are skipped.
    pub restored: HashMap<String, Vector>,
    /// Hashtags written as tombstones, with the offset vector they hold.
    tombstones: HashMap<String, Vector>,
    /// The offset vector of the last meta value written (or restored).
    written: Vector,
    /// Every unit's state as last written: the previous state of its next value.
    last: HashMap<String, Vec<u8>>,
}

/// A decoded checkpoint value.
struct Value<'a> {
    vector: Vector,
    state: Option<&'a [u8]>,
    /// The state as of the previous checkpoint; `Err(())` in values of the first format.
    prev: Result<Option<&'a [u8]>, ()>,
}

/// The state of a hashtag without cells in values of the first format.
const NO_CELLS: [u8; 5] = [FORMAT, 0, 0, 0, 0];

impl Counter {
    pub fn new(agg: Aggregator) -> Self {
        Counter {
            agg,
            applied: Vec::new(),
            restored: HashMap::new(),
            tombstones: HashMap::new(),
            written: Vec::new(),
            last: HashMap::new(),
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
            let state = self.agg.unit_state(&unit)?;
            let prev = match &state {
                Some(state) => {
                    self.tombstones.remove(&unit);
                    self.last.insert(unit.clone(), state.clone())
                }
                None => {
                    self.tombstones.insert(unit.clone(), self.applied.clone());
                    self.last.remove(&unit)
                }
            };
            out.push((unit, Some(self.value(state.as_deref(), prev.as_deref()))));
        }
        let written = &self.written;
        let changed: std::collections::HashSet<&str> =
            out.iter().map(|(k, _)| k.as_str()).collect();
        let covered: Vec<String> = self
            .tombstones
            .iter()
            .filter(|(unit, vector)| covers(written, vector) && !changed.contains(unit.as_str()))
            .map(|(unit, _)| unit.clone())
            .collect();
        for unit in covered {
            self.tombstones.remove(&unit);
            out.push((unit, None));
        }
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let meta = self.agg.meta_state();
        out.push((META_KEY.to_owned(), Some(self.value(Some(&meta), None))));
        self.written = self.applied.clone();
        Ok(out)
    }

    fn value(&self, state: Option<&[u8]>, prev: Option<&[u8]>) -> Vec<u8> {
        let mut w = Writer(vec![VALUE_FORMAT]);
        w.u32(self.applied.len());
        for (source, offset) in &self.applied {
            w.str(source);
            w.i64(*offset);
        }
        for part in [state, prev] {
            w.u8(u8::from(part.is_some()));
            if let Some(bytes) = part {
                w.u32(bytes.len());
                w.0.extend_from_slice(bytes);
            }
        }
        w.0
    }

    /// Rebuilds from the latest checkpoint value of every key (None: deleted):
    /// every unit as of the meta value.
    pub fn restore(&mut self, items: &[(&str, Option<&[u8]>)]) -> Result<(), StateError> {
        let decoded: Vec<(&str, Value)> = items
            .iter()
            .filter_map(|(unit, value)| value.map(|v| (*unit, v)))
            .map(|(unit, value)| decode(value).map(|v| (unit, v)))
            .collect::<Result<_, _>>()?;
        if let Some((_, meta)) = decoded.iter().find(|(unit, _)| *unit == META_KEY) {
            self.agg.load_meta(meta.state.unwrap_or_default())?;
            self.applied = meta.vector.clone();
            self.written = meta.vector.clone();
        }
        let mut reverted = Vec::new();
        for (unit, value) in decoded {
            if unit == META_KEY {
                continue;
            }
            let ahead = !covers(&self.applied, &value.vector);
            let state = match value.prev {
                Ok(prev) if ahead => {
                    reverted.push(unit);
                    prev
                }
                Ok(_) => value.state,
                Err(()) => {
                    if ahead {
                        self.restored.insert(unit.to_owned(), value.vector.clone());
                    }
                    value.state.filter(|s| *s != NO_CELLS)
                }
            };
            self.agg.load_unit(unit, state)?;
            match state {
                Some(state) => {
                    self.last.insert(unit.to_owned(), state.to_vec());
                }
                None if !ahead => {
                    self.tombstones.insert(unit.to_owned(), value.vector);
                }
                None => {}
            }
        }
        self.agg.pop_dirty();
        for unit in reverted {
            self.agg.mark_dirty(unit)?;
        }
        Ok(())
    }
}

/// True when `meta` holds every offset of `vector`.
fn covers(meta: &Vector, vector: &Vector) -> bool {
    vector.iter().all(|(s, o)| *o <= offset_of(meta, s))
}

/// A checkpoint value: offset vector, state, previous state (format 2), or
/// offset vector and state (format 1, written by earlier versions).
fn decode(value: &[u8]) -> Result<Value<'_>, StateError> {
    let (legacy, rest) = match value.split_first() {
        Some((&VALUE_FORMAT, rest)) => (false, rest),
        _ => (true, Reader::new(value)?.0),
    };
    let mut r = Reader(rest);
    let mut vector = Vec::new();
    for _ in 0..r.u32()? {
        vector.push((r.str()?.to_owned(), r.i64()?));
    }
    if legacy {
        return Ok(Value {
            vector,
            state: Some(r.0),
            prev: Err(()),
        });
    }
    let (state, prev) = (optional(&mut r)?, optional(&mut r)?);
    r.end()?;
    Ok(Value {
        vector,
        state,
        prev: Ok(prev),
    })
}

fn optional<'a>(r: &mut Reader<'a>) -> Result<Option<&'a [u8]>, StateError> {
    if r.u8()? == 0 {
        return Ok(None);
    }
    let n = r.u32()?;
    r.take(n).map(Some)
}
