//! Event-time tumbling windows of several sizes at once, per hashtag.
//!
//! `Aggregator` is fed mentions (activity of one hashtag in one base bucket)
//! and returns the windows that close. Windows are aligned to the epoch; the
//! base bucket is the smallest size and every size is a multiple of it. Each
//! source reports its clock with `advance`; the watermark is the smallest
//! clock of all sources minus the allowed lateness, and a window closes when
//! the watermark reaches its end.
//!
//! A mention whose base window has closed is late: dropped (`apply == false`)
//! or applied to every window it belongs to that is open or retained
//! (`retention` ms past its end); each retained window it touches is returned
//! again, corrected. `flush` closes every open window early. At most
//! `max_tags` hashtags are tracked exactly; the others go to per-window
//! Count-Min sketches (`tail.rs`) and are promoted once their posts in the
//! window of size `promote_size` reach `promote_at`.

use std::sync::Arc;

use crate::cells::Cell;
use crate::hashing::{SeededHashMap, SeededHashSet};
use crate::mentions::Mention;
use crate::sketches::CountMin;

/// A window: (size, start) in ms.
pub type Key = (i64, i64);
/// A hashtag, shared by its cells and the index of open and retained windows.
pub type Tag = Arc<str>;

pub fn end(key: &Key) -> i64 {
    key.0 + key.1
}

/// The configuration of an aggregator (checked by `Config::new`).
#[derive(Clone, Debug)]
pub struct Config {
    pub sizes: Vec<i64>,
    pub names: Vec<String>,
    pub allowed_lateness: i64,
    pub apply_late: bool,
    pub retention: i64,
    pub sources: Vec<String>,
    pub max_tags: usize,
    pub exact_authors: usize,
    pub promote_at: i64,
    /// The window size (one of `sizes`) whose sketch decides promotion.
    pub promote_size: i64,
}

/// A window that closed (or was corrected); `size` and `start` in ms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closed {
    pub tag: Tag,
    pub size: i64,
    pub start: i64,
    pub posts: i64,
    pub views: i64,
    pub authors: i64,
    pub new_authors: i64,
}

/// Per-hashtag windowed counts at several sizes (see the module docs).
pub struct Aggregator {
    pub config: Config,
    pub late_applied: i64,
    pub late_dropped: i64,
    pub sketched_posts: i64,
    pub clocks: Vec<(String, i64)>,
    pub watermark: Option<i64>,
    pub cells: SeededHashMap<Tag, Vec<(Key, Cell)>>,
    pub open: SeededHashMap<Key, SeededHashSet<Tag>>,
    pub retained: SeededHashMap<Key, SeededHashSet<Tag>>,
    pub sketches: SeededHashMap<Key, Box<[CountMin; 3]>>,
    pub dirty_tags: SeededHashSet<Tag>,
    pub dirty_sketches: SeededHashSet<Key>,
}

impl Aggregator {
    pub fn new(config: Config) -> Self {
        Aggregator {
            config,
            late_applied: 0,
            late_dropped: 0,
            sketched_posts: 0,
            clocks: Vec::new(),
            watermark: None,
            cells: SeededHashMap::default(),
            open: SeededHashMap::default(),
            retained: SeededHashMap::default(),
            sketches: SeededHashMap::default(),
            dirty_tags: SeededHashSet::default(),
            dirty_sketches: SeededHashSet::default(),
        }
    }

    /// The windows of every size that the base bucket `bucket` belongs to.
    pub fn keys(&self, bucket: i64) -> Vec<Key> {
        self.config
            .sizes
            .iter()
            .map(|&s| (s, bucket - bucket.rem_euclid(s)))
            .collect()
    }

    fn is_closed_at(&self, key: &Key) -> bool {
        self.watermark.is_some_and(|wm| end(key) <= wm)
    }

    /// The shared name of `tag` if it has cells.
    fn tracked(&self, tag: &str) -> Option<Tag> {
        self.cells.get_key_value(tag).map(|(t, _)| t.clone())
    }

    /// Counts `mention`; windows it corrects (late and applied, or flushed) go to `out`.
    pub fn update(&mut self, mention: &Mention, out: &mut Vec<Closed>) {
        let keys = self.keys(mention.bucket);
        let late = self.is_closed_at(&keys[0]);
        let charged = if mention.posts == 0 { 1 } else { mention.posts };
        if late && !self.config.apply_late {
            self.late_dropped += charged;
            return;
        }
        let tag = match self.tracked(mention.tag) {
            Some(tag) => tag,
            None if self.cells.len() >= self.config.max_tags => {
                self.sketch(mention, &keys);
                return;
            }
            None => Tag::from(mention.tag),
        };
        let (exact, retention, wm) = (
            self.config.exact_authors,
            self.config.retention,
            self.watermark,
        );
        let mut created = Vec::new();
        let mut applied = false;
        let cells = self.cells.entry(tag.clone()).or_default();
        for key in keys {
            let cell = match cells.iter_mut().find(|(k, _)| *k == key) {
                Some((_, cell)) => {
                    cell.add(mention, exact);
                    cell
                }
                None => {
                    let closed = late && wm.is_some_and(|wm| end(&key) <= wm);
                    if closed && wm.is_some_and(|wm| end(&key) + retention <= wm) {
                        continue;
                    }
                    created.push((key, closed));
                    cells.push((key, Cell::of(mention, exact, closed)));
                    &mut cells.last_mut().expect("just pushed").1
                }
            };
            if cell.closed {
                out.push(closed(&tag, key, cell));
            }
            applied = true;
        }
        if cells.is_empty() {
            self.cells.remove(&tag);
        }
        for (key, closed) in created {
            let index = if closed {
                &mut self.retained
            } else {
                &mut self.open
            };
            index.entry(key).or_default().insert(tag.clone());
        }
        self.dirty_tags.insert(tag);
        if late {
            if applied {
                self.late_applied += charged;
            } else {
                self.late_dropped += charged;
            }
        }
    }

    /// Adds a cell (from a checkpoint or a promotion) to the index.
    pub fn insert_cell(&mut self, tag: &Tag, key: Key, cell: Cell) {
        let index = if cell.closed {
            &mut self.retained
        } else {
            &mut self.open
        };
        index.entry(key).or_default().insert(tag.clone());
        self.cells.entry(tag.clone()).or_default().push((key, cell));
    }

    /// Moves `source`'s clock to `time`; windows that close go to `out`.
    pub fn advance(&mut self, time: i64, source: &str, out: &mut Vec<Closed>) {
        match self.clocks.iter_mut().find(|(s, _)| s == source) {
            Some((_, clock)) => *clock = (*clock).max(time),
            None if time > -1 => self.clocks.push((source.to_owned(), time)),
            None => {}
        }
        let low = if self.config.sources.is_empty() {
            self.clocks.iter().map(|(_, c)| *c).min()
        } else {
            let clock = |s: &String| {
                self.clocks
                    .iter()
                    .find(|(name, _)| name == s)
                    .map(|(_, c)| *c)
            };
            self.config
                .sources
                .iter()
                .map(clock)
                .collect::<Option<Vec<_>>>()
                .and_then(|c| c.into_iter().min())
        };
        let Some(low) = low else { return };
        let wm = low - self.config.allowed_lateness;
        if self.watermark.is_some_and(|w| wm <= w) {
            return;
        }
        self.watermark = Some(wm);
        self.close(Some(wm), out);
    }

    /// Closes every open window now (end of input or idle input).
    pub fn flush(&mut self, out: &mut Vec<Closed>) {
        self.close(None, out);
    }

    fn close(&mut self, until: Option<i64>, out: &mut Vec<Closed>) {
        let mut due: Vec<Key> = self
            .open
            .keys()
            .filter(|k| until.is_none_or(|u| end(k) <= u))
            .copied()
            .collect();
        due.sort_unstable_by_key(|k| (end(k), k.0));
        for key in due {
            let group = self.open.remove(&key).unwrap_or_default();
            let mut tags: Vec<&Tag> = group.iter().collect();
            tags.sort_unstable();
            for tag in tags {
                if let Some((_, cell)) = self
                    .cells
                    .get_mut(tag)
                    .and_then(|c| c.iter_mut().find(|(k, _)| *k == key))
                {
                    out.push(closed(tag, key, cell));
                    cell.closed = true;
                }
            }
            self.dirty_tags.extend(group.iter().cloned());
            self.retained.entry(key).or_default().extend(group);
        }
        if let Some(wm) = self.watermark {
            self.expire(wm);
        }
    }

    fn expire(&mut self, wm: i64) {
        let retention = self.config.retention;
        let old: Vec<Key> = self
            .retained
            .keys()
            .filter(|k| end(k) + retention <= wm)
            .copied()
            .collect();
        for key in old {
            let group = self.retained.remove(&key).unwrap_or_default();
            for tag in group {
                if let Some(cells) = self.cells.get_mut(&tag) {
                    cells.retain(|(k, _)| *k != key);
                    if cells.is_empty() {
                        self.cells.remove(&tag);
                    }
                }
                self.dirty_tags.insert(tag);
            }
        }
        let gone: Vec<Key> = self
            .sketches
            .keys()
            .filter(|k| end(k) <= wm)
            .copied()
            .collect();
        for key in gone {
            self.sketches.remove(&key);
            self.dirty_sketches.insert(key);
        }
    }

    /// True while some window is open.
    pub fn has_open(&self) -> bool {
        !self.open.is_empty()
    }
}

pub fn closed(tag: &Tag, key: Key, cell: &Cell) -> Closed {
    Closed {
        tag: tag.clone(),
        size: key.0,
        start: key.1,
        posts: cell.posts,
        views: cell.views,
        authors: cell.authors.count(),
        new_authors: cell.new_authors,
    }
}
