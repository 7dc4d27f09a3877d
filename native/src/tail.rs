//! The long tail: hashtags past `max_tags` counted in per-window Count-Min sketches.
//!
//! Each window of the tail has three sketches (posts, views, new authors). A
//! tail hashtag whose posts in its base window reach `promote_at` is promoted
//! to exact tracking, while the tracked hashtags number less than `max_tags`
//! plus a tenth. Both the decision and the promoted counts use the sketches'
//! noise-corrected estimates (`CountMin::corrected`): under a flood of
//! one-post hashtags every counter holds about the flood's share, which would
//! promote the flood instead of the hashtags that surge in it.

use crate::cells::{Authors, Cell};
use crate::mentions::Mention;
use crate::sketches::stable_hash;
use crate::windows::{Aggregator, Key, Tag};

impl Aggregator {
    /// Counts `mention` of an untracked hashtag in the sketches of its open windows.
    pub(crate) fn sketch(&mut self, mention: &Mention, keys: &[Key]) {
        self.sketched_posts += mention.posts;
        let h = stable_hash(mention.tag.as_bytes());
        let counts = [mention.posts, mention.views, mention.new_authors];
        let mut open: Vec<Key> = Vec::with_capacity(keys.len());
        for &key in keys {
            if self.watermark.is_some_and(|wm| key.0 + key.1 <= wm) {
                continue;
            }
            let tails = self.sketches.entry(key).or_default();
            for (tail, count) in tails.iter_mut().zip(counts) {
                let positions = tail.positions(h);
                tail.update(&positions, count);
            }
            self.dirty_sketches.insert(key);
            open.push(key);
        }
        let max_tags = self.config.max_tags;
        if open.first() != keys.first() || self.cells.len() >= max_tags + max_tags / 10 {
            return;
        }
        let corrected = |key: &Key| {
            self.sketches[key]
                .each_ref()
                .map(|t| t.corrected(&t.positions(h)))
        };
        if corrected(&keys[0])[0] < self.config.promote_at {
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
