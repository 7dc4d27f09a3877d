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
//! - sketch window: format byte `3`, then for each of its three sketches
//!   (posts, views, new authors) `u32` counters per row (8,192, or 65,536 for
//!   the promotion window's posts), `i64` total and either `u8` 0, `u32`
//!   non-zero counters, each a varint gap from the previous index plus one and
//!   a zigzag varint count, or `u8` 1 and every counter as a zigzag varint
//!   (whichever is shorter: a flooded window is dense, a byte or two a
//!   counter). Read too: format byte `2` (`u32` counters per row for all
//!   three, then three times `i64` total, `u32` non-zero counters, each `u32`
//!   index and `i64` count) and format byte `1` (the same without the width:
//!   rows of 1,024 counters, written before the rows grew). A window keeps
//!   the widths it was restored with (a promotion window from a checkpoint
//!   written before its posts sketch grew stays 8,192 wide until it closes);
//!   new windows get the widths of their size;
//! - meta: `u32` clocks, each string and `i64`; `u8` has watermark, `i64`
//!   watermark; `i64` late applied, late dropped, sketched posts.

use crate::cells::{Authors, Cell};
use crate::codec::err;
pub use crate::codec::{Reader, StateError, Writer};
use crate::sketches::{
    CountMin, HyperLogLog, CM_DEPTH, CM_WIDTH, CM_WIDTH_FIRST, CM_WIDTH_WIDE, HLL_REGISTERS,
};
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

/// The format byte of a sketch window's state that carries one width for its three sketches.
const SKETCH_FORMAT_WIDTH: u8 = 2;
/// The format byte of a sketch window's state in varints, a width per sketch (written now).
const SKETCH_FORMAT: u8 = 3;
/// A sketch in `SKETCH_FORMAT`: its non-zero counters, or all of them.
const SPARSE: u8 = 0;
const DENSE: u8 = 1;

/// One sketch in `SKETCH_FORMAT`: the shorter of its non-zero counters (index gaps and
/// counts) and all its counters (counts only).
fn write_tail(w: &mut Writer, tail: &CountMin) {
    w.u32(tail.width());
    w.i64(tail.total);
    let nonzero = tail.nonzero();
    let mut sparse = Writer(Vec::new());
    sparse.u32(nonzero.len());
    let mut next = 0;
    for (i, c) in nonzero {
        sparse.varint((i - next) as u64);
        sparse.zigzag(c);
        next = i + 1;
    }
    if sparse.0.len() > tail.width() * CM_DEPTH {
        let mut dense = Writer(Vec::new());
        tail.counters().into_iter().for_each(|c| dense.zigzag(c));
        if dense.0.len() < sparse.0.len() {
            w.u8(DENSE);
            w.0.extend_from_slice(&dense.0);
            return;
        }
    }
    w.u8(SPARSE);
    w.0.extend_from_slice(&sparse.0);
}

fn read_tail(r: &mut Reader, width: usize, total: i64) -> Result<CountMin, StateError> {
    let bad = || StateError(format!("{width} counters a row, or a counter past them"));
    let mut nonzero = Vec::new();
    match r.u8()? {
        SPARSE => {
            let n = r.u32()?;
            nonzero.reserve(n.min(r.0.len() / 2));
            let mut next = 0usize;
            for _ in 0..n {
                let gap = usize::try_from(r.varint()?).map_err(|_| bad())?;
                let i = next.checked_add(gap).ok_or_else(bad)?;
                nonzero.push((i, r.zigzag()?));
                next = i + 1;
            }
        }
        DENSE => {
            if ![CM_WIDTH, CM_WIDTH_WIDE, CM_WIDTH_FIRST].contains(&width) {
                return Err(bad());
            }
            for i in 0..width * CM_DEPTH {
                let c = r.zigzag()?;
                if c != 0 {
                    nonzero.push((i, c));
                }
            }
        }
        _ => return err("unknown sketch kind"),
    }
    CountMin::from_nonzero(total, width, &nonzero).ok_or_else(bad)
}

fn write_tails(tails: &[CountMin; 3]) -> Writer {
    let mut w = Writer::with_format(SKETCH_FORMAT);
    tails.iter().for_each(|tail| write_tail(&mut w, tail));
    w
}

fn read_tails(state: &[u8]) -> Result<Box<[CountMin; 3]>, StateError> {
    let formats = [crate::codec::FORMAT, SKETCH_FORMAT_WIDTH, SKETCH_FORMAT];
    let (format, mut r) = Reader::versioned(state, &formats)?;
    let mut tails: Box<[CountMin; 3]> = Box::default();
    if format == SKETCH_FORMAT {
        for tail in tails.iter_mut() {
            let (width, total) = (r.u32()?, r.i64()?);
            *tail = read_tail(&mut r, width, total)?;
        }
        r.end()?;
        return Ok(tails);
    }
    let width = if format == SKETCH_FORMAT_WIDTH {
        r.u32()?
    } else {
        CM_WIDTH_FIRST
    };
    for tail in tails.iter_mut() {
        let total = r.i64()?;
        let n = r.u32()?;
        let mut nonzero = Vec::with_capacity(n.min(r.0.len() / 12));
        for _ in 0..n {
            nonzero.push((r.u32()?, r.i64()?));
        }
        *tail = CountMin::from_nonzero(total, width, &nonzero)
            .ok_or_else(|| StateError(format!("{width} counters a row, or a counter past them")))?;
    }
    r.end()?;
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
        if let Some(key) = sketch_key(unit) {
            return Ok(self.sketches.get(&key?).map(|tails| write_tails(tails).0));
        }
        let Some(cells) = self.cells.get(unit) else {
            return Ok(None);
        };
        let mut w = Writer::new();
        w.u32(cells.len());
        cells
            .iter()
            .for_each(|(key, cell)| write_cell(&mut w, key, cell));
        Ok(Some(w.0))
    }

    /// Replaces one unit with `unit_state` output (None: removes it).
    pub fn load_unit(&mut self, unit: &str, state: Option<&[u8]>) -> Result<(), StateError> {
        if let Some(key) = sketch_key(unit) {
            let key = key?;
            let tails = state.map(read_tails).transpose()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mentions::{read_all, write_mention};
    use crate::sketches::{stable_hash, CM_DEPTH, CM_WIDTH, CM_WIDTH_WIDE};
    use crate::windows::Config;

    fn aggregator() -> Aggregator {
        Aggregator::new(Config {
            sizes: vec![60_000, 300_000],
            names: vec!["1m".into(), "5m".into()],
            allowed_lateness: 0,
            apply_late: true,
            retention: 0,
            sources: Vec::new(),
            max_tags: 0,
            exact_authors: 0,
            promote_at: 10,
            promote_size: 300_000,
        })
    }

    /// Counts `posts` one-post mentions of `tag` in the minute from `bucket`.
    fn mention(agg: &mut Aggregator, tag: &str, bucket: i64, posts: usize) {
        let mut buf = Vec::new();
        for i in 0..posts {
            write_mention(
                &mut buf,
                tag,
                bucket,
                bucket + i as i64,
                1,
                0,
                0,
                &mut Vec::new(),
            )
            .unwrap();
        }
        let mut out = Vec::new();
        for m in read_all(&buf).unwrap() {
            agg.update(&m, &mut out);
        }
    }

    #[test]
    fn a_promotion_window_from_before_it_grew_keeps_its_width_and_still_promotes() {
        let mut agg = aggregator();
        agg.config.max_tags = 10;
        (0..10).for_each(|i| mention(&mut agg, &format!("exact{i}"), 0, 1));
        mention(&mut agg, "fyp", 0, 3);
        let widths = |agg: &Aggregator, key| agg.sketches[&key].each_ref().map(|t| t.width());
        assert_eq!(
            widths(&agg, (300_000, 0)),
            [CM_WIDTH_WIDE, CM_WIDTH, CM_WIDTH]
        );
        assert_eq!(widths(&agg, (60_000, 0)), [CM_WIDTH; 3]);
        let mut narrow = Writer::with_format(SKETCH_FORMAT_WIDTH);
        narrow.u32(CM_WIDTH);
        for _ in 0..3 {
            narrow.i64(0);
            narrow.u32(0);
        }
        agg.load_unit(":300000:0", Some(&narrow.0)).unwrap();
        mention(&mut agg, "fyp", 0, 9);
        assert!(
            !agg.cells.contains_key("fyp"),
            "9 posts in the restored window: not yet"
        );
        mention(&mut agg, "fyp", 0, 1);
        assert_eq!(agg.sketches[&(300_000, 0)][0].width(), CM_WIDTH);
        let posts: Vec<(i64, i64)> = agg.cells["fyp"]
            .iter()
            .map(|(k, c)| (k.0, c.posts))
            .collect();
        assert_eq!(
            posts,
            [(60_000, 13), (300_000, 10)],
            "promoted on the 5-minute window"
        );
        mention(&mut agg, "other", 300_000, 1);
        assert_eq!(
            widths(&agg, (300_000, 300_000)),
            [CM_WIDTH_WIDE, CM_WIDTH, CM_WIDTH]
        );
    }

    #[test]
    fn a_flooded_promotion_window_is_saved_dense_in_varints_and_restores() {
        let mut agg = aggregator();
        let mut buf = Vec::new();
        for i in 0..300_000 {
            let tag = format!("flood{i}");
            write_mention(&mut buf, &tag, 0, i, 1, 3, 1, &mut Vec::new()).unwrap();
        }
        let mut out = Vec::new();
        read_all(&buf)
            .unwrap()
            .iter()
            .for_each(|m| agg.update(m, &mut out));
        let state = agg.unit_state(":300000:0").unwrap().unwrap();
        assert_eq!(state[0], SKETCH_FORMAT);
        // posts: 4 x 65,536 counters of about 4.6, views 3 x 37, new authors 37: each a byte
        // or two, where the second format took 12 bytes a non-zero counter (3.9 MB)
        assert!(state.len() < 400_000, "{} bytes", state.len());
        let mut copy = aggregator();
        copy.load_unit(":300000:0", Some(&state)).unwrap();
        assert!(copy.sketches[&(300_000, 0)] == agg.sketches[&(300_000, 0)]);
        let small = agg.unit_state(":60000:0").unwrap().unwrap();
        copy.load_unit(":60000:0", Some(&small)).unwrap();
        assert!(copy.sketches == agg.sketches);
        for cut in [1, 5, 20, state.len() / 2, state.len() - 1] {
            assert!(
                copy.load_unit(":300000:0", Some(&state[..cut])).is_err(),
                "cut at {cut}"
            );
        }
        let mut sparse = aggregator();
        mention(&mut sparse, "fyp", 0, 3);
        let state = sparse.unit_state(":300000:0").unwrap().unwrap();
        assert!(state.len() < 80, "{} bytes for one hashtag", state.len());
        let mut copy = aggregator();
        copy.load_unit(":300000:0", Some(&state)).unwrap();
        assert!(copy.sketches[&(300_000, 0)] == sparse.sketches[&(300_000, 0)]);
    }

    #[test]
    fn a_sketch_window_of_the_first_format_restores_with_1024_counters_a_row() {
        let positions = CountMin::from_nonzero(0, CM_WIDTH_FIRST, &[])
            .unwrap()
            .positions(stable_hash(b"fyp"));
        let mut w = Writer::new();
        for total in [3, 30, 0] {
            w.i64(total);
            w.u32(CM_DEPTH);
            for p in positions {
                w.u32(p);
                w.i64(total);
            }
        }
        let mut agg = aggregator();
        agg.load_unit(":60000:0", Some(&w.0)).unwrap();
        let tails = &agg.sketches[&(60_000, 0)];
        assert_eq!(tails[1].width(), CM_WIDTH_FIRST);
        assert_eq!(tails[1].estimate(&positions), 30);
        let again = agg.unit_state(":60000:0").unwrap().unwrap();
        assert_eq!(again[0], SKETCH_FORMAT);
        let mut copy = aggregator();
        copy.load_unit(":60000:0", Some(&again)).unwrap();
        assert_eq!(copy.sketches, agg.sketches);
    }

    #[test]
    fn new_sketch_windows_round_trip_and_bad_widths_are_errors() {
        let mut agg = aggregator();
        let mention_tails: &mut Box<[CountMin; 3]> = agg.sketches.entry((60_000, 0)).or_default();
        let p = mention_tails[0].positions(stable_hash(b"fyp"));
        mention_tails[0].update(&p, 4);
        let state = agg.unit_state(":60000:0").unwrap().unwrap();
        let mut copy = aggregator();
        copy.load_unit(":60000:0", Some(&state)).unwrap();
        assert_eq!(copy.sketches[&(60_000, 0)][0].width(), CM_WIDTH);
        assert_eq!(copy.sketches, agg.sketches);
        let mut bad = state.clone();
        bad[1..5].copy_from_slice(&7u32.to_le_bytes());
        assert!(copy.load_unit(":60000:0", Some(&bad)).is_err());
        assert!(copy.load_unit(":60000:0", Some(&[3, 0])).is_err());
    }
}
