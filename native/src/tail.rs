//! The long tail: hashtags past `max_tags` counted in per-window Count-Min sketches.
//!
//! Each window of the tail has three sketches (posts, views, new authors). A
//! tail hashtag whose estimated posts in its base window reach `promote_at` is
//! promoted to exact tracking with the sketches' estimates, while the tracked
//! hashtags number less than `max_tags` plus a tenth.

use crate::cells::{Authors, Cell};
use crate::mentions::Mention;
use crate::sketches::{stable_hash, CountMin};
use crate::windows::{Aggregator, Key, Tag};

impl Aggregator {
    /// Counts `mention` of an untracked hashtag in the sketches of its open windows.
    pub(crate) fn sketch(&mut self, mention: &Mention, keys: &[Key]) {
        self.sketched_posts += mention.posts;
        let positions = CountMin::positions(stable_hash(mention.tag.as_bytes()));
        let mut estimates: Vec<(Key, [i64; 3])> = Vec::with_capacity(keys.len());
        for &key in keys {
            if self.watermark.is_some_and(|wm| key.0 + key.1 <= wm) {
                continue;
            }
            let tails = self.sketches.entry(key).or_default();
            let counts = [mention.posts, mention.views, mention.new_authors];
            let mut estimate = [0i64; 3];
            for ((tail, count), slot) in tails.iter_mut().zip(counts).zip(estimate.iter_mut()) {
                tail.update(&positions, count);
                *slot = tail.estimate(&positions);
            }
            self.dirty_sketches.insert(key);
            estimates.push((key, estimate));
        }
        let max_tags = self.config.max_tags;
        let base = estimates.first().filter(|(key, _)| *key == keys[0]);
        if base.is_some_and(|(_, e)| e[0] >= self.config.promote_at)
            && self.cells.len() < max_tags + max_tags / 10
        {
            let tag = Tag::from(mention.tag);
            for (key, [posts, views, new_authors]) in estimates {
                let authors = Authors::of(mention, self.config.exact_authors);
                self.insert_cell(
                    &tag,
                    key,
                    Cell {
                        posts,
                        views,
                        new_authors,
                        authors,
                        closed: false,
                    },
                );
            }
            self.dirty_tags.insert(tag);
        }
    }
}
