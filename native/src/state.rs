//! Checkpoint state of the window aggregator, as bytes.
//!
//! The state is one unit per hashtag (its cells) or per sketch window (its
//! three Count-Min tails, named `:size:start`), plus the meta state (clocks,
//! watermark, counters), so that a changelog can carry only what changed.
//! Every encoding starts with a format byte (`1`); integers are
//! little-endian, strings a `u32` length and UTF-8 bytes.
//!
//! - hashtag: `u32` cells, each `i64` size, `i64` start, `u8` closed, `i64`
//!   posts, views, new_authors, then `u8` 0 and a `u32` count of `u64` author
//!   hashes, or `u8` 1 and the 1,024 HyperLogLog registers;
//! - sketch window: three times `i64` total, `u32` non-zero counters, each
//!   `u32` index and `i64` count;
//! - meta: `u32` clocks, each string and `i64`; `u8` has watermark, `i64`
//!   watermark; `i64` late applied, late dropped, sketched posts.

use crate::cells::{Authors, Cell};
use crate::codec::err;
pub use crate::codec::{Reader, StateError, Writer};
use crate::sketches::{CountMin, HyperLogLog, CM_DEPTH, CM_WIDTH, HLL_REGISTERS};
use crate::windows::{Aggregator, Key, Tag};

/// Unit names of sketch windows start with this (hashtags never do).
pub const SKETCH_PREFIX: &str = ":";

fn write_cell(w: &mut Writer, key: &Key, cell: &Cell) {
    w.i64(key.0);
    w.i64(key.1);
    w.u8(u8::from(cell.closed));
    w.i64(cell.posts);
    w.i64(cell.views);
    w.i64(cell.new_authors);
    match &cell.authors {
        Authors::Exact(known) => {
            w.u8(0);
            w.u32(known.len());
            known
                .iter()
                .for_each(|h| w.0.extend_from_slice(&h.to_le_bytes()));
        }
        Authors::Sketch(hll) => {
            w.u8(1);
            w.0.extend_from_slice(hll.registers());
        }
    }
}

fn read_cell(r: &mut Reader) -> Result<(Key, Cell), StateError> {
    let key = (r.i64()?, r.i64()?);
    if key.0 <= 0 {
        return err("window size <= 0");
    }
    let closed = r.u8()? != 0;
    let (posts, views, new_authors) = (r.i64()?, r.i64()?, r.i64()?);
    let authors = match r.u8()? {
        0 => {
            let n = r.u32()?;
            let raw = r.take(
                n.checked_mul(8)
                    .ok_or_else(|| StateError("too many authors".into()))?,
            )?;
            let known: Vec<u64> = raw
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect();
            if known.windows(2).any(|p| p[0] >= p[1]) {
                return err("author hashes not increasing");
            }
            Authors::Exact(known)
        }
        1 => Authors::Sketch(Box::new(
            HyperLogLog::from_registers(r.take(HLL_REGISTERS)?)
                .ok_or_else(|| StateError("registers".into()))?,
        )),
        _ => return err("unknown author kind"),
    };
    Ok((
        key,
        Cell {
            posts,
            views,
            new_authors,
            authors,
            closed,
        },
    ))
}

fn write_tails(w: &mut Writer, tails: &[CountMin; 3]) {
    for tail in tails {
        w.i64(tail.total);
        let nonzero: Vec<(usize, i64)> = tail
            .counts()
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, c)| *c != 0)
            .collect();
        w.u32(nonzero.len());
        for (i, c) in nonzero {
            w.u32(i);
            w.i64(c);
        }
    }
}

fn read_tails(r: &mut Reader) -> Result<Box<[CountMin; 3]>, StateError> {
    let mut tails: Box<[CountMin; 3]> = Box::default();
    for tail in tails.iter_mut() {
        let total = r.i64()?;
        let mut counts = vec![0i64; CM_WIDTH * CM_DEPTH];
        for _ in 0..r.u32()? {
            let i = r.u32()?;
            *counts
                .get_mut(i)
                .ok_or_else(|| StateError("counter index".into()))? = r.i64()?;
        }
        *tail =
            CountMin::from_counts(total, counts).ok_or_else(|| StateError("counters".into()))?;
    }
    Ok(tails)
}

/// The window key of a sketch unit name, None for a hashtag.
pub fn sketch_key(unit: &str) -> Option<Result<Key, StateError>> {
    let rest = unit.strip_prefix(SKETCH_PREFIX)?;
    let parsed = rest
        .split_once(':')
        .and_then(|(s, t)| Some((s.parse().ok()?, t.parse().ok()?)));
    Some(parsed.ok_or_else(|| StateError(format!("bad sketch unit name {unit:?}"))))
}

pub fn sketch_name(key: &Key) -> String {
    format!("{SKETCH_PREFIX}{}:{}", key.0, key.1)
}

impl Aggregator {
    /// Names of the units changed since the last call.
    pub fn pop_dirty(&mut self) -> Vec<String> {
        let mut out: Vec<String> = self.dirty_tags.drain().map(|t| t.to_string()).collect();
        out.extend(self.dirty_sketches.drain().map(|k| sketch_name(&k)));
        out
    }

    /// Marks a unit (hashtag or sketch window) changed, so the next checkpoint writes it.
    pub fn mark_dirty(&mut self, unit: &str) -> Result<(), StateError> {
        match sketch_key(unit) {
            Some(key) => {
                self.dirty_sketches.insert(key?);
            }
            None => {
                let tag = self
                    .cells
                    .get_key_value(unit)
                    .map_or_else(|| Tag::from(unit), |(t, _)| t.clone());
                self.dirty_tags.insert(tag);
            }
        }
        Ok(())
    }

    /// Names of all units that have state.
    pub fn units(&self) -> Vec<String> {
        let mut out: Vec<String> = self.cells.keys().map(|t| t.to_string()).collect();
        out.extend(self.sketches.keys().map(sketch_name));
        out
    }

    /// The state of one unit, None if it has none (deleted).
    pub fn unit_state(&self, unit: &str) -> Result<Option<Vec<u8>>, StateError> {
        let mut w = Writer::new();
        if let Some(key) = sketch_key(unit) {
            let Some(tails) = self.sketches.get(&key?) else {
                return Ok(None);
            };
            write_tails(&mut w, tails);
        } else {
            let Some(cells) = self.cells.get(unit) else {
                return Ok(None);
            };
            w.u32(cells.len());
            cells
                .iter()
                .for_each(|(key, cell)| write_cell(&mut w, key, cell));
        }
        Ok(Some(w.0))
    }

    /// Replaces one unit with `unit_state` output (None: removes it).
    pub fn load_unit(&mut self, unit: &str, state: Option<&[u8]>) -> Result<(), StateError> {
        if let Some(key) = sketch_key(unit) {
            let key = key?;
            let tails = state.map(|s| {
                Reader::new(s).and_then(|mut r| read_tails(&mut r).and_then(|t| r.end().map(|_| t)))
            });
            let tails = tails.transpose()?;
            self.sketches.remove(&key);
            if let Some(tails) = tails {
                self.sketches.insert(key, tails);
            }
            return Ok(());
        }
        let mut cells = Vec::new();
        if let Some(state) = state {
            let mut r = Reader::new(state)?;
            for _ in 0..r.u32()? {
                cells.push(read_cell(&mut r)?);
            }
            r.end()?;
        }
        if let Some(old) = self.cells.remove(unit) {
            for (key, _) in old {
                for index in [&mut self.open, &mut self.retained] {
                    if let Some(group) = index.get_mut(&key) {
                        if group.remove(unit) && group.is_empty() {
                            index.remove(&key);
                        }
                    }
                }
            }
        }
        let tag = Tag::from(unit);
        for (key, cell) in cells {
            self.insert_cell(&tag, key, cell);
        }
        Ok(())
    }

    /// Clocks, watermark and counters.
    pub fn meta_state(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u32(self.clocks.len());
        for (source, clock) in &self.clocks {
            w.str(source);
            w.i64(*clock);
        }
        w.u8(u8::from(self.watermark.is_some()));
        w.i64(self.watermark.unwrap_or(0));
        w.i64(self.late_applied);
        w.i64(self.late_dropped);
        w.i64(self.sketched_posts);
        w.0
    }

    /// Replaces clocks, watermark and counters with `meta_state` output.
    pub fn load_meta(&mut self, state: &[u8]) -> Result<(), StateError> {
        let mut r = Reader::new(state)?;
        let mut clocks = Vec::new();
        for _ in 0..r.u32()? {
            clocks.push((r.str()?.to_owned(), r.i64()?));
        }
        let has_wm = r.u8()? != 0;
        let wm = r.i64()?;
        let counters = (r.i64()?, r.i64()?, r.i64()?);
        r.end()?;
        self.clocks = clocks;
        self.watermark = has_wm.then_some(wm);
        (self.late_applied, self.late_dropped, self.sketched_posts) = counters;
        Ok(())
    }

    /// The whole state: the meta state, then every unit by name.
    pub fn to_state(&self) -> Vec<u8> {
        let mut w = Writer::new();
        let meta = self.meta_state();
        w.u32(meta.len());
        w.0.extend_from_slice(&meta);
        let units = self.units();
        w.u32(units.len());
        for unit in units {
            let state = self.unit_state(&unit).ok().flatten().unwrap_or_default();
            w.str(&unit);
            w.u32(state.len());
            w.0.extend_from_slice(&state);
        }
        w.0
    }

    /// Replaces the whole state with `to_state` output (same configuration).
    pub fn load_state(&mut self, state: &[u8]) -> Result<(), StateError> {
        let mut r = Reader::new(state)?;
        let mut fresh = Aggregator::new(self.config.clone());
        let n = r.u32()?;
        fresh.load_meta(r.take(n)?)?;
        for _ in 0..r.u32()? {
            let unit = r.str()?;
            let n = r.u32()?;
            fresh.load_unit(unit, Some(r.take(n)?))?;
        }
        r.end()?;
        *self = fresh;
        Ok(())
    }
}
