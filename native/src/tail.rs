//! The long tail: hashtags past `max_tags` counted in per-window Count-Min sketches.
//!
//! Each window of the tail has three sketches (posts, views, new authors). A
//! tail hashtag whose posts in its open window of size `promote_size` (the
//! promotion window: the detector's fast window in the count stage) reach
//! `promote_at` is promoted to exact tracking, while the tracked hashtags
//! number less than `max_tags` plus a tenth. Both the decision and the
//! promoted counts use the sketches' noise-corrected estimates
//! (`CountMin::corrected`): under a flood of one-post hashtags every counter
//! holds about the flood's share, which would promote the flood instead of the
//! hashtags that surge in it.
//!
//! The promotion window's posts sketch is `CM_WIDTH_WIDE` (65,536) counters a
//! row, every other sketch `CM_WIDTH` (8,192): the decision is only as good as
//! the noise of the sketch it reads, and a 5-minute window of a flood of a
//! million tags in ten minutes holds 500,000 of them (about 7.6 a counter in
//! the wide rows, 61 in the narrow ones). Deciding on the window the detector
//! scores lets a surge in without the 10 posts in one minute that a decision
//! on the base window needs. The other sketches only give the counts a
//! promoted hashtag starts with (its views and new authors in the promotion
//! window too: noisier under a flood, never above the plain estimate).

use crate::cells::{Authors, Cell};
use crate::mentions::Mention;
use crate::sketches::{stable_hash, CountMin, CM_WIDTH, CM_WIDTH_WIDE};
use crate::windows::{Aggregator, Key, Tag};

impl Aggregator {
    /// Counters per row of the new sketches (posts, views, new authors) of the window `key`.
    fn sketch_widths(&self, key: &Key) -> [usize; 3] {
        if key.0 == self.config.promote_size {
            [CM_WIDTH_WIDE, CM_WIDTH, CM_WIDTH]
        } else {
            [CM_WIDTH; 3]
        }
    }

    /// Counts `mention` of an untracked hashtag in the sketches of its open windows.
    pub(crate) fn sketch(&mut self, mention: &Mention, keys: &[Key]) {
        self.sketched_posts = self.sketched_posts.saturating_add(mention.posts);
        let h = stable_hash(mention.tag.as_bytes());
        let counts = [mention.posts, mention.views, mention.new_authors];
        let mut open: Vec<Key> = Vec::with_capacity(keys.len());
        for &key in keys {
            if self.watermark.is_some_and(|wm| key.0 + key.1 <= wm) {
                continue;
            }
            let widths = self.sketch_widths(&key);
            let tails = self
                .sketches
                .entry(key)
                .or_insert_with(|| Box::new(widths.map(CountMin::with_width)));
            for (tail, count) in tails.iter_mut().zip(counts) {
                let positions = tail.positions(h);
                tail.update(&positions, count);
            }
            self.dirty_sketches.insert(key);
            open.push(key);
        }
        let max_tags = self.config.max_tags;
        let Some(window) = open.iter().find(|k| k.0 == self.config.promote_size) else {
            return;
        };
        if self.cells.len() >= max_tags + max_tags / 10 {
            return;
        }
        let corrected = |key: &Key| {
            self.sketches[key]
                .each_ref()
                .map(|t| t.corrected(&t.positions(h)))
        };
        if corrected(window)[0] < self.config.promote_at {
            return;
        }
        let promoted: Vec<(Key, [i64; 3])> = open.iter().map(|k| (*k, corrected(k))).collect();
        let tag = Tag::from(mention.tag);
        for (key, [posts, views, new_authors]) in promoted {
            let authors = Authors::of(mention, self.config.exact_authors);
            let cell = Cell {
                posts,
                views,
                new_authors,
                authors,
                closed: false,
            };
            self.insert_cell(&tag, key, cell);
        }
        self.dirty_tags.insert(tag);
    }
}
