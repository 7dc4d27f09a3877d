//! The extractor: `posts` records in; per (hashtag, base bucket) the posts, views,
//! new-account posts and distinct authors of a batch, and rejected input with its
//! reason; the source's event-time clock in and out (the rules of
//! `streams.stages.extract` and `detectors.eventtime`). A record the extractor
//! itself fails on (a panic: a defect) is rejected whole as `stage_error`.

use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};

use crate::events::{
    field_index, parse_event, parse_fields, Event, Fields, Invalid, Normaliser, Tag, FIELDS,
    MAX_RECORD_BYTES,
};
use crate::eventtime::{Bounds, Clock};
use crate::hashing::SeededHashMap;
use crate::json::{decode_text, parse, scan_each_object, scan_objects, Json, Members};

/// Activity of one hashtag in one base bucket (a `Mention` on the Python side).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub tag: String,
    pub bucket: i64,
    pub max_ts: i64,
    pub posts: i64,
    pub views: i64,
    pub new_authors: i64,
    pub authors: Authors,
}

/// The authors of a cell's posts: their distinct names, or (for packed mentions) the
/// `stable_hash` of each post's author, repeats included (`write_mention` drops them).
#[derive(Debug, Clone, PartialEq)]
pub enum Authors {
    Names(BTreeSet<String>),
    Hashes(Vec<u64>),
}

impl Authors {
    /// The distinct names, in order (none when hashed).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let names = match self {
            Authors::Names(names) => Some(names.iter().map(String::as_str)),
            Authors::Hashes(_) => None,
        };
        names.into_iter().flatten()
    }
}

/// Authors' `stable_hash`es, computed once per name (bounded).
#[derive(Debug, Default)]
pub struct AuthorHashes {
    known: SeededHashMap<String, u64>,
}

const AUTHOR_CACHE_SIZE: usize = 65_536;

impl AuthorHashes {
    pub fn hash(&mut self, name: &str) -> u64 {
        if let Some(h) = self.known.get(name) {
            return *h;
        }
        if self.known.len() >= AUTHOR_CACHE_SIZE {
            self.known.clear();
        }
        let h = crate::sketches::stable_hash(name.as_bytes());
        self.known.insert(name.to_owned(), h);
        h
    }
}

/// Input that could not be used: reason code, detail and the bytes it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub reason: &'static str,
    pub detail: String,
    pub raw: Vec<u8>,
}

/// What one batch of records gives.
#[derive(Debug, Default)]
pub struct Batch {
    pub cells: Vec<Cell>,
    index: SeededHashMap<String, Vec<(i64, usize)>>,
    pub rejected: Vec<Rejection>,
    pub posts: u64,
    pub engagements: u64,
    /// Authors are kept as hashes (`Authors::Hashes`), by this hasher.
    hashes: Option<AuthorHashes>,
}

impl Batch {
    fn cell(&mut self, tag: &str, bucket: i64, ts: i64) -> &mut Cell {
        let slots = match self.index.get_mut(tag) {
            Some(slots) => slots,
            None => self.index.entry(tag.to_owned()).or_default(),
        };
        let found = slots.iter().find(|(b, _)| *b == bucket).map(|(_, i)| *i);
        let i = match found {
            Some(i) => i,
            None => {
                slots.push((bucket, self.cells.len()));
                self.cells.push(Cell {
                    tag: tag.to_owned(),
                    bucket,
                    max_ts: ts,
                    posts: 0,
                    views: 0,
                    new_authors: 0,
                    authors: match self.hashes {
                        Some(_) => Authors::Hashes(Vec::new()),
                        None => Authors::Names(BTreeSet::new()),
                    },
                });
                self.cells.len() - 1
            }
        };
        let cell = &mut self.cells[i];
        cell.max_ts = cell.max_ts.max(ts);
        cell
    }

    /// Cell indices grouped by target partition, partitions in order of first appearance.
    pub fn by_partition(&self, partitions: u32) -> Vec<(u32, Vec<usize>)> {
        let mut out: Vec<(u32, Vec<usize>)> = Vec::new();
        for (i, cell) in self.cells.iter().enumerate() {
            let part = partition_for(&cell.tag, partitions);
            match out.iter_mut().find(|(p, _)| *p == part) {
                Some((_, cells)) => cells.push(i),
                None => out.push((part, vec![i])),
            }
        }
        out
    }
}

/// The `hashtag-mentions` partition of a tag: CRC-32 of its UTF-8 bytes mod `partitions`.
pub fn partition_for(tag: &str, partitions: u32) -> u32 {
    crc32fast::hash(tag.as_bytes()) % partitions
}

/// Given hashtags normalised once per distinct spelling (bounded).
#[derive(Default)]
pub struct TagCache {
    known: SeededHashMap<String, Option<Tag>>,
}

const TAG_CACHE_SIZE: usize = 65_536;

impl Normaliser for TagCache {
    fn normalise(&mut self, raw: &str) -> Option<Tag> {
        if let Some(tag) = self.known.get(raw) {
            return tag.clone();
        }
        if self.known.len() >= TAG_CACHE_SIZE {
            self.known.clear();
        }
        let tag = crate::hashtags::normalise_hashtag(raw).map(Tag::from);
        self.known.insert(raw.to_owned(), tag.clone());
        tag
    }
}

fn first_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// What a record's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One JSON document: an event or an array of them.
    Plain,
    /// JSON Lines joined into an array (`JoinedLines`): rejected lines keep their own bytes.
    Joined,
    /// A file's whole lines as read (`LineBlock`): the record `join_lines` makes of them.
    Lines,
}

/// Parses, validates and pre-aggregates batches of records.
pub struct Extractor {
    pub base_ms: i64,
    pub partitions: u32,
    pub max_future_ms: i64,
    pub max_skew_ms: i64,
    tags: TagCache,
    authors: Option<AuthorHashes>,
}

/// An element of an array record nested deeper than this keeps the whole record as its bytes.
pub const MAX_ELEMENT_DEPTH: usize = 960;

/// How deeply a value nests arrays and objects (a scalar: 0); bounded by the reader's `MAX_DEPTH`.
fn depth(value: &Json) -> usize {
    match value {
        Json::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Json::Object(members) => 1 + members.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "panic"
    }
}

impl Extractor {
    pub fn new(base_ms: i64, partitions: u32) -> Self {
        Extractor {
            base_ms,
            partitions,
            max_future_ms: crate::eventtime::MAX_FUTURE_MS,
            max_skew_ms: crate::eventtime::MAX_SKEW_MS,
            tags: TagCache::default(),
            authors: Some(AuthorHashes::default()),
        }
    }

    /// The bounds of event time for a batch read at wall-clock time `now_ms`.
    pub fn bounds(&self, now_ms: Option<i64>) -> Bounds {
        Bounds {
            max_future_ms: self.max_future_ms,
            max_skew_ms: self.max_skew_ms,
            now_ms,
        }
    }

    /// One batch of one source: each record with its kind; `clock` is the source's clock,
    /// moved by every admitted event. `hashed`: the cells' authors as hashes
    /// (`Authors::Hashes`), else as names.
    pub fn process<'r>(
        &mut self,
        records: impl Iterator<Item = (&'r [u8], Kind)>,
        clock: &mut Clock,
        now_ms: Option<i64>,
        hashed: bool,
    ) -> Batch {
        let bounds = self.bounds(now_ms);
        let base_ms = self.base_ms;
        let mut batch = Batch {
            hashes: if hashed { self.authors.take() } else { None },
            ..Batch::default()
        };
        let mut rejected = Vec::new();
        for (value, kind) in records {
            self.decode(
                value,
                kind,
                clock,
                &bounds,
                &mut |e| fold(base_ms, e, &mut batch),
                &mut rejected,
            );
        }
        batch.rejected = rejected;
        if let Some(hashes) = batch.hashes.take() {
            self.authors = Some(hashes);
        }
        batch
    }

    /// One record: its valid, admitted events to `sink`, the rest to `rejected`. A
    /// panic (a defect) leaves the clock as it was and rejects the record whole as
    /// `stage_error`; the events of that record given to `sink` before it stay given.
    pub fn decode(
        &mut self,
        value: &[u8],
        kind: Kind,
        clock: &mut Clock,
        bounds: &Bounds,
        sink: &mut dyn FnMut(&Event),
        rejected: &mut Vec<Rejection>,
    ) {
        let saved = *clock;
        let mut bad = Vec::new();
        let done = panic::catch_unwind(AssertUnwindSafe(|| match kind {
            Kind::Plain | Kind::Joined => {
                self.record(value, kind == Kind::Joined, clock, bounds, sink, &mut bad)
            }
            Kind::Lines => {
                if !self.scan_lines(value, clock, bounds, sink) {
                    if let Some(joined) = join_lines(value) {
                        self.record(&joined, true, clock, bounds, sink, &mut bad);
                    }
                }
            }
        }));
        if let Err(payload) = done {
            *clock = saved;
            bad.clear();
            bad.push(Rejection {
                reason: "stage_error",
                detail: first_chars(&format!("panic: {}", panic_text(&*payload)), 200),
                raw: match kind {
                    Kind::Lines => join_lines(value).unwrap_or_else(|| value.to_vec()),
                    _ => value.to_vec(),
                },
            });
        }
        rejected.append(&mut bad);
    }

    /// The lines of a `LineBlock` (as `join_lines` strips them, blank ones left out), each
    /// one object that is a valid event its clock admits, read one by one without joining
    /// them: their events to `sink`. False (the clock as it was, nothing given to `sink`)
    /// for anything else: the record `join_lines` makes is then read, which gives the same
    /// events when every line is such an object (its array holds exactly those objects).
    fn scan_lines(
        &mut self,
        block: &[u8],
        clock: &mut Clock,
        bounds: &Bounds,
        sink: &mut dyn FnMut(&Event),
    ) -> bool {
        // UTF-8 as a whole if and only if every line is (lines end at ASCII bytes).
        let Ok(text) = std::str::from_utf8(block) else {
            return false;
        };
        // Each line one object (a line that is an array is not one event; nor one with a BOM).
        let lines = stripped_ranges(block).map(|range| {
            text.get(range)
                .filter(|line| line.len() <= MAX_RECORD_BYTES)
        });
        self.scanned(block.len(), clock, bounds, sink, |scan| {
            scan_each_object(lines, scan)
        })
    }

    /// The events `read` gives a `Scan` of `bytes` of input to `sink` if it reads them all
    /// (true); else nothing, and the clock as it was (false).
    fn scanned<'a>(
        &mut self,
        bytes: usize,
        clock: &mut Clock,
        bounds: &Bounds,
        sink: &mut dyn FnMut(&Event),
        read: impl FnOnce(&mut Scan<'_, 'a>) -> bool,
    ) -> bool {
        let saved = *clock;
        let mut scan = Scan::new(&mut self.tags, clock, bounds, bytes);
        if !read(&mut scan) {
            *clock = saved;
            return false;
        }
        for event in &scan.events {
            sink(event);
        }
        true
    }

    /// Decode one record. A record of joined lines with anything rejected is decoded
    /// again line by line (from the clock it started with), so that each rejected
    /// line keeps its own bytes.
    fn record(
        &mut self,
        value: &[u8],
        joined: bool,
        clock: &mut Clock,
        bounds: &Bounds,
        sink: &mut dyn FnMut(&Event),
        rejected: &mut Vec<Rejection>,
    ) {
        let saved = *clock;
        let mut bad = Vec::new();
        let whole = |(reason, detail): (&'static str, String)| Rejection {
            reason,
            detail,
            raw: value.to_vec(),
        };
        if value.len() > MAX_RECORD_BYTES {
            let detail = format!(
                "record has {} bytes, more than {MAX_RECORD_BYTES}",
                value.len()
            );
            bad.push(whole(("oversize", detail)));
        } else {
            match decode_text(value) {
                Err(message) => bad.push(whole(("bad_json", first_chars(&message, 200)))),
                Ok((text, python)) if self.scan(&text, python, clock, bounds, sink) => {}
                Ok((text, python)) => match parse(&text, python) {
                    Err(error) => bad.push(whole(error.reason_detail())),
                    Ok((doc, spans)) => {
                        let mut events = Vec::with_capacity(spans.as_ref().map_or(1, Vec::len));
                        let record = Record {
                            doc: &doc,
                            spans,
                            text: &text,
                            value,
                        };
                        self.events(record, clock, bounds, &mut events, &mut bad);
                        if !joined || bad.is_empty() {
                            for event in &events {
                                sink(event);
                            }
                        }
                    }
                },
            }
        }
        if joined && !bad.is_empty() {
            *clock = saved;
            let inner = if value.len() >= 2 {
                &value[1..value.len() - 1]
            } else {
                &value[..0]
            };
            for line in split_lines(inner) {
                self.record(line, false, clock, bounds, sink, rejected);
            }
            return;
        }
        rejected.append(&mut bad);
    }

    /// A record that is an object or an array of objects, every one of them a valid event
    /// its time admits, read without building its document: its events to `sink`. False
    /// (the clock as it was, nothing given to `sink`) for anything else, which `events`
    /// then reads with every reason and detail.
    fn scan(
        &mut self,
        text: &str,
        python: bool,
        clock: &mut Clock,
        bounds: &Bounds,
        sink: &mut dyn FnMut(&Event),
    ) -> bool {
        self.scanned(text.len(), clock, bounds, sink, |scan| {
            scan_objects(text, python, scan)
        })
    }

    /// The valid, admitted events of a decoded record; the rest rejected with their own bytes.
    fn events<'j>(
        &mut self,
        record: Record<'j, '_>,
        clock: &mut Clock,
        bounds: &Bounds,
        events: &mut Vec<Event<'j>>,
        bad: &mut Vec<Rejection>,
    ) {
        let Record {
            doc,
            spans,
            text,
            value,
        } = record;
        let items: Vec<(&'j Json, Option<(usize, usize)>)> = match (doc, spans) {
            (Json::Array(items), Some(spans)) => {
                items.iter().zip(spans.into_iter().map(Some)).collect()
            }
            _ => vec![(doc, None)],
        };
        for (item, span) in items {
            let checked = parse_event(item, &mut self.tags).and_then(|event| {
                let ts = event.ts();
                let before = *clock;
                match clock.admit(ts, bounds) {
                    None => Ok(event),
                    Some(reason) => Err(Invalid {
                        reason,
                        detail: before.describe(reason, ts, bounds),
                    }),
                }
            });
            match checked {
                Ok(event) => events.push(event),
                Err(invalid) => {
                    let raw = match span {
                        Some((start, end)) if depth(item) <= MAX_ELEMENT_DEPTH => {
                            text.as_bytes()[start..end].to_vec()
                        }
                        _ => value.to_vec(),
                    };
                    bad.push(Rejection {
                        reason: invalid.reason,
                        detail: invalid.detail,
                        raw,
                    });
                }
            }
        }
    }
}

/// The events of a record as `scan_objects` reads them, while each is valid and admitted.
struct Scan<'e, 'a> {
    values: [Option<Json<'a>>; FIELDS],
    /// Bit i: `values[i]` is set.
    found: u32,
    tags: &'e mut TagCache,
    clock: &'e mut Clock,
    bounds: &'e Bounds,
    events: Vec<Event<'a>>,
}

impl<'e, 'a> Scan<'e, 'a> {
    fn new(tags: &'e mut TagCache, clock: &'e mut Clock, bounds: &'e Bounds, bytes: usize) -> Self {
        Scan {
            values: Default::default(),
            found: 0,
            tags,
            clock,
            bounds,
            // Room for the events of `bytes` of lines (100-200 bytes each) without growing.
            events: Vec::with_capacity(bytes / 96 + 1),
        }
    }
}

impl<'a> Members<'a> for Scan<'_, 'a> {
    fn member(&mut self, key: &str, value: Json<'a>) {
        if let Some(i) = field_index(key) {
            self.values[i] = Some(value);
            self.found |= 1 << i;
        }
    }

    fn end(&mut self) -> bool {
        let event = parse_fields(&Fields::of_values(&self.values), self.tags);
        while self.found != 0 {
            self.values[self.found.trailing_zeros() as usize] = None;
            self.found &= self.found - 1;
        }
        match event {
            Ok(event) if self.clock.admit(event.ts(), self.bounds).is_none() => {
                self.events.push(event);
                true
            }
            _ => false,
        }
    }
}

/// Fold one event into the batch's cells.
fn fold(base_ms: i64, event: &Event, batch: &mut Batch) {
    let ts = event.ts();
    let bucket = ts - ts.rem_euclid(base_ms);
    match event {
        Event::Post(post) => {
            batch.posts += 1;
            let new = post.is_new_author() as i64;
            let hash = match &mut batch.hashes {
                Some(hashes) if !post.hashtags.is_empty() => hashes.hash(&post.author),
                _ => 0,
            };
            for tag in &post.hashtags {
                let cell = batch.cell(tag, bucket, ts);
                cell.posts += 1;
                cell.new_authors += new;
                match &mut cell.authors {
                    Authors::Hashes(hashes) => hashes.push(hash),
                    Authors::Names(names) => {
                        if !names.contains(&*post.author) {
                            names.insert(post.author.to_string());
                        }
                    }
                }
            }
        }
        Event::Engagement(eng) => {
            batch.engagements += 1;
            for tag in &eng.hashtags {
                let cell = batch.cell(tag, bucket, ts);
                cell.views = cell.views.saturating_add(eng.views);
            }
        }
    }
}

/// A decoded record: the document, the spans of a top-level array's elements, its text and bytes.
struct Record<'j, 'v> {
    doc: &'j Json<'j>,
    spans: Option<Vec<(usize, usize)>>,
    text: &'v str,
    value: &'v [u8],
}

/// Lines of a JSON Lines file (each ending with `\n`, the last one may not) as the record
/// `JoinedLines.join` makes of them: `[line\n,line...]`, each line without the ASCII
/// whitespace around it (`bytes.strip`), blank lines left out; None if every line is blank.
pub fn join_lines(chunk: &[u8]) -> Option<Vec<u8>> {
    let lines = memchr::memchr_iter(b'\n', chunk).count();
    let mut out = Vec::with_capacity(chunk.len() + lines + 2);
    out.push(b'[');
    for line in stripped_lines(chunk) {
        if out.len() > 1 {
            out.extend_from_slice(b"\n,");
        }
        out.extend_from_slice(line);
    }
    if out.len() == 1 {
        return None;
    }
    out.push(b']');
    Some(out)
}

/// The lines of a chunk of a JSON Lines file that are not blank, each without the ASCII
/// whitespace around it (`bytes.strip`).
fn stripped_lines(chunk: &[u8]) -> impl Iterator<Item = &[u8]> {
    stripped_ranges(chunk).map(move |range| &chunk[range])
}

/// Where in `chunk` the `stripped_lines` are (none empty).
fn stripped_ranges(chunk: &[u8]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    // The whitespace of `bytes.strip` (`u8::is_ascii_whitespace` leaves \x0b).
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let mut start = 0;
    memchr::memchr_iter(b'\n', chunk)
        .chain([chunk.len()])
        .filter_map(move |end| {
            let line = &chunk[start..end];
            let from = start;
            start = end + 1;
            let first = line.iter().position(|b| !blank(b))?;
            let last = line.iter().rposition(|b| !blank(b)).unwrap_or(first);
            Some(from + first..from + last + 1)
        })
}

/// The lines of a JSON Lines batch joined as `[line\n,line...]` (without the brackets).
fn split_lines(inner: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < inner.len() {
        if inner[i] == b'\n' && inner[i + 1] == b',' {
            lines.push(&inner[start..i]);
            i += 2;
            start = i;
        } else {
            i += 1;
        }
    }
    lines.push(&inner[start..]);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: &str = r##"[{"v":1,"type":"post","id":"p1","ts":61000,"author":"a","text":"#RedNote #fyp"},
        {"v":1,"type":"engagement","post_id":"p1","ts":62000,"hashtags":["rednote"],"views":7},
        {"v":1,"type":"post","id":"p2","ts":1000,"author":"b","text":"#rednote","author_created":0},
        17]"##;

    fn run(ex: &mut Extractor, records: &[(&[u8], bool)], clock: &mut Clock) -> Batch {
        let kind = |joined| if joined { Kind::Joined } else { Kind::Plain };
        ex.process(
            records.iter().map(|&(r, j)| (r, kind(j))),
            clock,
            None,
            false,
        )
    }

    fn reasons(batch: &Batch) -> Vec<(&str, &[u8])> {
        batch
            .rejected
            .iter()
            .map(|r| (r.reason, r.raw.as_slice()))
            .collect()
    }

    #[test]
    fn pre_aggregates_per_tag_and_bucket() {
        let mut ex = Extractor::new(60_000, 2);
        let mut clock = Clock::default();
        let batch = run(
            &mut ex,
            &[(EVENTS.as_bytes(), false), (&b"{\"oops"[..], false)],
            &mut clock,
        );
        let got: Vec<_> = batch
            .cells
            .iter()
            .map(|c| (c.tag.as_str(), c.bucket, c.posts, c.views, c.new_authors))
            .collect();
        assert_eq!(
            got,
            [
                ("rednote", 60_000, 1, 7, 0),
                ("fyp", 60_000, 1, 0, 0),
                ("rednote", 0, 1, 0, 1)
            ]
        );
        assert_eq!(
            (batch.posts, batch.engagements, clock.clock),
            (2, 1, 62_000)
        );
        assert_eq!(
            reasons(&batch),
            [("not_object", &b"17"[..]), ("bad_json", &b"{\"oops"[..])]
        );
        assert_eq!(partition_for("tiktokrefugee", 4), 3);
    }

    #[test]
    fn joined_lines_reject_only_their_bad_lines() {
        let joined = b"[{\"v\":1,\"type\":\"post\",\"id\":\"p\",\"ts\":5,\"author\":\"a\",\"text\":\"#x\"}\n,{\"v\":1,\n,7]";
        let mut clock = Clock::default();
        let batch = run(
            &mut Extractor::new(60_000, 1),
            &[(&joined[..], true)],
            &mut clock,
        );
        assert_eq!(batch.posts, 1);
        assert_eq!(
            reasons(&batch),
            [("bad_json", &b"{\"v\":1,"[..]), ("not_object", &b"7"[..])]
        );
    }

    #[test]
    fn a_block_of_lines_reads_as_the_record_its_lines_join_into() {
        let post = |ts: i64, tag: &str| {
            format!(
                r##"{{"v":1,"type":"post","id":"p","ts":{ts},"author":"a{ts}","text":"#{tag}"}}"##
            )
        };
        let eng =
            r##"{"v":1,"type":"engagement","post_id":"p","ts":3000,"hashtags":["X"],"views":4}"##;
        let blocks = [
            format!(
                "{}\n\n  {} \r\n\x0b{eng}\n",
                post(1000, "x"),
                post(2000, "y")
            ),
            format!("{},{}\n{eng}", post(1000, "x"), post(2000, "y")),
            format!("[{},{}]\n{eng}", post(1000, "x"), post(2000, "y")),
            format!(
                "{}\n{}\n{eng}",
                post(1000, "x"),
                post(90_000_000_000, "far")
            ),
            format!(
                "{}\n\u{feff}{}\n{{\"v\":1,\n17",
                post(1000, "x"),
                post(2000, "y")
            ),
            format!("{} {}\n", post(1000, "x"), post(2000, "y")),
            " \n\x0c\n".to_string(),
        ];
        for block in &blocks {
            let outcome = |kind: Kind, bytes: &[u8]| {
                let mut ex = Extractor::new(60_000, 2);
                ex.max_skew_ms = 86_400_000;
                let mut clock = Clock::default();
                let batch = ex.process([(bytes, kind)].into_iter(), &mut clock, None, true);
                (
                    batch.cells,
                    batch.rejected,
                    batch.posts,
                    batch.engagements,
                    clock,
                )
            };
            let joined = join_lines(block.as_bytes()).unwrap_or_default();
            let want = if joined.is_empty() {
                outcome(Kind::Plain, b"[]")
            } else {
                outcome(Kind::Joined, &joined)
            };
            assert_eq!(outcome(Kind::Lines, block.as_bytes()), want, "{block:?}");
        }
    }

    #[test]
    fn lines_are_joined_as_python_strips_and_joins_them() {
        let chunk = b"  {\"a\":1}\r\n\n\x0b\x0c \t\n x \x0b\n\x0b{}";
        assert_eq!(
            join_lines(chunk).as_deref(),
            Some(&b"[{\"a\":1}\n,x\n,{}]"[..])
        );
        assert_eq!(join_lines(b" \n\r\n\x0c"), None);
        assert_eq!(join_lines(b""), None);
    }

    #[test]
    fn joined_lines_with_a_refused_time_are_decoded_again_from_the_same_clock() {
        let line = |id: u32, ts: i64| {
            format!(r##"{{"v":1,"type":"post","id":"p{id}","ts":{ts},"author":"a","text":"#x"}}"##)
        };
        let lines = [line(1, 1_000), line(2, 90_000_000_000), line(3, 2_000)];
        let joined = format!("[{}]", lines.join("\n,"));
        let mut ex = Extractor::new(60_000, 1);
        ex.max_skew_ms = 86_400_000;
        let mut clock = Clock::default();
        let batch = run(&mut ex, &[(joined.as_bytes(), true)], &mut clock);
        assert_eq!(reasons(&batch), [("ts_ahead", lines[1].as_bytes())]);
        assert_eq!(
            batch.rejected[0].detail,
            "ts 90000000000 is more than 86400000 ms after the stream clock 1000"
        );
        assert_eq!(
            (batch.posts, batch.cells[0].posts, clock.clock),
            (2, 2, 2_000)
        );
        assert_eq!(clock.pending, None);
    }

    #[test]
    fn hostile_input_is_rejected_not_fatal() {
        let deep = "[".repeat(100_000);
        let big = vec![b' '; MAX_RECORD_BYTES + 1];
        let inner = "[".repeat(999) + "{}" + &"]".repeat(999);
        let element = format!(r#"[{{"v":1}},{inner}]"#);
        let batch = run(
            &mut Extractor::new(1, 1),
            &[
                (deep.as_bytes(), false),
                (big.as_slice(), false),
                (element.as_bytes(), false),
            ],
            &mut Clock::default(),
        );
        let got: Vec<_> = batch
            .rejected
            .iter()
            .map(|r| (r.reason, r.raw.len()))
            .collect();
        assert_eq!(
            got,
            [
                ("too_deep", deep.len()),
                ("oversize", big.len()),
                ("missing_field", 7),
                ("not_object", element.len())
            ]
        );
    }

    #[test]
    fn a_panic_rejects_the_record_as_stage_error_and_keeps_the_clock() {
        let mut ex = Extractor::new(60_000, 1);
        let mut clock = Clock {
            clock: 5,
            pending: None,
        };
        let bounds = ex.bounds(None);
        let mut rejected = Vec::new();
        let record = br##"{"v":1,"type":"post","id":"p","ts":9,"author":"a","text":"#x"}"##;
        let hook = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        ex.decode(
            record,
            Kind::Plain,
            &mut clock,
            &bounds,
            &mut |_| panic!("a defect"),
            &mut rejected,
        );
        panic::set_hook(hook);
        assert_eq!(clock.clock, 5);
        let got: Vec<_> = rejected
            .iter()
            .map(|r| (r.reason, r.detail.as_str(), r.raw.as_slice()))
            .collect();
        assert_eq!(got, [("stage_error", "panic: a defect", &record[..])]);
    }
}
