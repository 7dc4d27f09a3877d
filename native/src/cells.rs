//! One window of one hashtag: its counts and its authors, exact then sketched.

use crate::mentions::Mention;
use crate::sketches::HyperLogLog;

/// The distinct authors of a window: their hashes while at most `exact` are
/// known (sorted), then a HyperLogLog of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authors {
    Exact(Vec<u64>),
    Sketch(Box<HyperLogLog>),
}

impl Authors {
    /// The authors of `mention` (none if it has none).
    pub fn of(mention: &Mention, exact: usize) -> Self {
        let mut authors = Authors::Exact(Vec::new());
        authors.add(mention, exact);
        authors
    }

    /// Adds the authors of `mention`; past `exact` distinct ones the set becomes a sketch.
    pub fn add(&mut self, mention: &Mention, exact: usize) {
        if !mention.has_authors() {
            return;
        }
        match self {
            Authors::Sketch(hll) => mention.authors().for_each(|h| hll.add_hash(h)),
            Authors::Exact(known) => {
                merge_sorted(known, mention.authors());
                if known.len() > exact {
                    let mut hll = Box::new(HyperLogLog::new());
                    known.iter().for_each(|&h| hll.add_hash(h));
                    *self = Authors::Sketch(hll);
                }
            }
        }
    }

    pub fn count(&self) -> i64 {
        match self {
            Authors::Exact(known) => known.len() as i64,
            Authors::Sketch(hll) => hll.count(),
        }
    }
}

/// Merges the increasing `items` into the sorted, distinct `known`.
fn merge_sorted(known: &mut Vec<u64>, items: impl Iterator<Item = u64>) {
    let mut items = items.peekable();
    if known.is_empty() {
        known.extend(items);
        return;
    }
    let first = items.next();
    if items.peek().is_none() {
        if let Some(h) = first {
            if let Err(at) = known.binary_search(&h) {
                known.insert(at, h);
            }
        }
        return;
    }
    let old = std::mem::take(known);
    let mut all = first.into_iter().chain(items).peekable();
    let mut olds = old.into_iter().peekable();
    known.reserve(olds.len() + 4);
    loop {
        let next = match (olds.peek(), all.peek()) {
            (Some(&a), Some(&b)) if a == b => {
                all.next();
                olds.next()
            }
            (Some(&a), Some(&b)) if a < b => olds.next(),
            (Some(_), Some(_)) | (None, Some(_)) => all.next(),
            (Some(_), None) => olds.next(),
            (None, None) => break,
        };
        known.extend(next);
    }
}

/// The counts of one hashtag in one window, and whether the window has been closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub posts: i64,
    pub views: i64,
    pub new_authors: i64,
    pub authors: Authors,
    pub closed: bool,
}

impl Cell {
    pub fn of(mention: &Mention, exact: usize, closed: bool) -> Self {
        Cell {
            posts: mention.posts,
            views: mention.views,
            new_authors: mention.new_authors,
            authors: Authors::of(mention, exact),
            closed,
        }
    }

    pub fn add(&mut self, mention: &Mention, exact: usize) {
        // Saturating: an engagement may carry up to i64::MAX views (hostile input must not wrap).
        self.posts = self.posts.saturating_add(mention.posts);
        self.views = self.views.saturating_add(mention.views);
        self.new_authors = self.new_authors.saturating_add(mention.new_authors);
        self.authors.add(mention, exact);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mentions::{read_all, write_mention};

    fn with_authors(authors: &[u64]) -> Vec<u8> {
        let mut buf = Vec::new();
        write_mention(&mut buf, "t", 0, 0, 1, 0, 0, &mut authors.to_vec()).unwrap();
        buf
    }

    #[test]
    fn merging_keeps_a_sorted_distinct_set() {
        let mut known = Authors::Exact(Vec::new());
        for batch in [&[5u64, 9][..], &[7], &[1, 5, 12], &[9], &[3]] {
            let buf = with_authors(batch);
            known.add(&read_all(&buf).unwrap()[0], 10);
        }
        assert_eq!(known, Authors::Exact(vec![1, 3, 5, 7, 9, 12]));
        let buf = with_authors(&[2, 4, 6, 8, 10]);
        known.add(&read_all(&buf).unwrap()[0], 10);
        assert!(matches!(known, Authors::Sketch(_)));
    }

    #[test]
    fn counts_saturate_instead_of_wrapping() {
        let mut buf = Vec::new();
        write_mention(&mut buf, "t", 0, 0, 1, i64::MAX, 0, &mut vec![1]).unwrap();
        let mention = &read_all(&buf).unwrap()[0];
        let mut cell = Cell::of(mention, 10, false);
        cell.add(mention, 10);
        assert_eq!((cell.posts, cell.views), (2, i64::MAX));
    }

    #[test]
    fn no_exact_authors_sketches_at_once() {
        let buf = with_authors(&[42]);
        let known = Authors::of(&read_all(&buf).unwrap()[0], 0);
        assert!(matches!(known, Authors::Sketch(_)));
        assert_eq!(known.count(), 1);
    }
}
