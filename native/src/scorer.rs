//! The surge scorer's per-window arithmetic and per-tag state (`detectors.surge.SurgeScorer`).
//!
//! One closed window in: its expectation from the tag's baselines, a verdict
//! when it is at least warm, then the window is learnt. The operations are
//! those of the former Python scorer, in the same order and on the same
//! types, so that verdicts and states are the same bit for bit (the Python
//! oracle is `tests/oracles/scorer.py`):
//!
//! - every `**` is libm's `pow` (what CPython's float `**` calls), never an
//!   integer power or a multiplication;
//! - the hour-of-day and day-of-week profile is kept as `f32` (Python's
//!   `array("f")`): each slot is computed in `f64` and rounded when stored;
//! - `max`/`min` keep Python's rule (the first argument unless the second is
//!   strictly larger/smaller), `//` and `%` are floor division and modulo;
//! - the growth rate is rounded as Python's `round(x, 2)`: the correctly
//!   rounded decimal (ties to even on the exact binary value), read back.
//!
//! Counts (posts, authors, totals) are converted to `f64` where Python mixes
//! an int with a float or divides two ints; both are exact below 2^53.

use std::collections::HashMap;

use crate::hashing::SeededHashMap;
use crate::longtail::DecayingCountMin;

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// Profile slots: 24 hours of the day, then 7 days of the week.
pub const SLOTS: usize = 31;
/// Expected above this many noise floors: the tag has a level of its own.
pub const ESTABLISHED: f64 = 4.0;
/// A squared residual is learnt as at most 20^2 dispersions^2.
pub const VAR_CLIP: f64 = 400.0;
const MAGIC: &[u8; 4] = b"TWS1";

extern "C" {
    /// The C library's `pow`, which CPython's float `**` calls.
    #[link_name = "pow"]
    fn libm_pow(x: f64, y: f64) -> f64;
}

/// `x ** y` as CPython computes it for two floats.
pub fn pow(x: f64, y: f64) -> f64 {
    // SAFETY: `pow` is a pure function of two doubles.
    unsafe { libm_pow(x, y) }
}

/// Python's `max(a, b)`: `a` unless `b > a`.
fn pmax(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

/// Python's `min(a, b)`: `a` unless `b < a`.
fn pmin(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// Python's `round(x, 2)` of a finite float: the correctly rounded decimal with two digits, read back.
pub fn round2(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.2}").parse().unwrap_or(x)
}

/// `2 (sqrt(observed) - sqrt(expected))`: the deviation on the variance-stabilised scale.
pub fn z_score(observed: f64, expected: f64) -> f64 {
    2.0 * (observed.sqrt() - expected.sqrt())
}

/// The EW weight of a new window, or 1/n for the n-th window of a state born without history.
pub fn weight(alpha: f64, size_ms: i64, end: i64, born: i64) -> f64 {
    if born < 0 || end <= born {
        return alpha;
    }
    pmin(1.0, pmax(alpha, size_ms as f64 / (end - born) as f64))
}

/// `mean` after `gaps` observations of zero.
pub fn decayed(mean: f64, alpha: f64, gaps: i64) -> f64 {
    if gaps > 0 {
        mean * pow(1.0 - alpha, gaps as f64)
    } else {
        mean
    }
}

/// The exact state of one tracked hashtag (see `detectors/baseline.py` for what each part means).
#[derive(Clone, Debug, PartialEq)]
pub struct TagState {
    pub fast: f64,
    pub slow: f64,
    pub fast_end: i64,
    pub slow_end: i64,
    pub fast_last: i64,
    pub slow_last: i64,
    pub born: i64,
    pub since: i64,
    pub fast_var: f64,
    pub slow_var: f64,
    pub profile: [f32; SLOTS],
    pub seen: [u8; SLOTS],
    pub hour: i64,
    pub hour_sum: f64,
    pub day_sum: f64,
    pub week_mean: f64,
}

impl TagState {
    pub fn new(share: f64, end: i64, born: i64) -> Self {
        TagState {
            fast: share,
            slow: share,
            fast_end: end,
            slow_end: end,
            fast_last: 0,
            slow_last: 0,
            born,
            since: end,
            fast_var: 1.0,
            slow_var: 1.0,
            profile: [0.0; SLOTS],
            seen: [0; SLOTS],
            hour: -1,
            hour_sum: 0.0,
            day_sum: 0.0,
            week_mean: 0.0,
        }
    }

    /// The share expected from previous days at the time of `start_ms` (that hour's or the next's).
    pub fn seasonal(&self, start_ms: i64) -> f64 {
        let hour = start_ms.div_euclid(HOUR_MS);
        let mut now = self.profile[hour.rem_euclid(24) as usize] as f64;
        let mut following = self.profile[(hour + 1).rem_euclid(24) as usize] as f64;
        if self.week_mean > 0.0 {
            now *= self.factor(hour);
            following *= self.factor(hour + 1);
        }
        pmax(now, following)
    }

    /// Whether the day-of-week term is in use.
    pub fn weekly(&self) -> bool {
        self.week_mean > 0.0
    }

    fn factor(&self, hour: i64) -> f64 {
        self.profile[24 + hour.div_euclid(24).rem_euclid(7) as usize] as f64 / self.week_mean
    }

    /// Adds a window's share to its hour; a finished hour's mean goes into the profiles.
    pub fn learn_hour(
        &mut self,
        start_ms: i64,
        share: f64,
        per_hour: i64,
        beta_min: f64,
        weeks: u8,
    ) {
        let hour = start_ms.div_euclid(HOUR_MS);
        if hour != self.hour {
            if self.hour >= 0 {
                self.finish_hour(hour, per_hour, beta_min, weeks);
            }
            self.hour = hour;
            self.hour_sum = 0.0;
        }
        self.hour_sum += share;
    }

    fn finish_hour(&mut self, following: i64, per_hour: i64, beta_min: f64, weeks: u8) {
        let (old, mean) = (self.hour, self.hour_sum / per_hour as f64);
        let factor = if self.week_mean > 0.0 {
            self.factor(old)
        } else {
            1.0
        };
        let unscaled = if factor > 0.0 { mean / factor } else { mean };
        self.fold(old.rem_euclid(24) as usize, unscaled, beta_min);
        self.day_sum += mean;
        if following.div_euclid(24) != old.div_euclid(24) {
            let day = old.div_euclid(24);
            if day.saturating_mul(DAY_MS) >= self.since {
                self.fold(
                    24 + day.rem_euclid(7) as usize,
                    self.day_sum / 24.0,
                    beta_min,
                );
                if weeks > 0 && self.seen[24..].iter().min().copied().unwrap_or(0) >= weeks {
                    // Python's sum() of the seven floats (3.11: left to right, from the int 0)
                    let total = self.profile[24..]
                        .iter()
                        .fold(0.0f64, |sum, &p| sum + p as f64);
                    self.week_mean = total / 7.0;
                }
            }
            self.day_sum = 0.0;
        }
    }

    fn fold(&mut self, slot: usize, mean: f64, beta_min: f64) {
        let n = self.seen[slot];
        let beta = pmax(1.0 / (n as f64 + 1.0), beta_min);
        let p = self.profile[slot] as f64;
        self.profile[slot] = (p + beta * (mean - p)) as f32;
        if n < 255 {
            self.seen[slot] = n + 1;
        }
    }
}

/// When a window is hot (`detectors.scoring.Thresholds`).
#[derive(Clone, Debug, PartialEq)]
pub struct Thresholds {
    pub z_on: f64,
    pub z_off: f64,
    pub min_posts: f64,
    pub min_authors: f64,
    pub min_ratio: f64,
    pub author_cap: i64,
    pub bot_posts_per_author: f64,
    pub confirm: Option<f64>,
}

/// The scorer's settings, derived in Python (`SurgeScorer.__init__`).
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub fast_ms: i64,
    pub slow_ms: i64,
    pub alpha: [f64; 2],
    pub var_alpha: [f64; 2],
    pub per_hour: i64,
    pub floor: [f64; 2],
    pub max_tags: i64,
    pub admit_posts: i64,
    pub warmup_ms: i64,
    pub profile_beta: f64,
    pub history_ms: i64,
    pub clip: f64,
    pub weekly_weeks: u8,
    pub th: Thresholds,
}

/// One closed window as the scorer reads it.
#[derive(Clone, Copy, Debug)]
pub struct Win<'a> {
    pub tag: &'a str,
    pub name: &'a str,
    pub start: i64,
    pub end: i64,
    pub posts: i64,
    pub views: i64,
    pub authors: i64,
    pub new_authors: i64,
}

impl<'a> Win<'a> {
    /// A window from its hashtag, size name and `[start, end, posts, views, authors, new_authors]`.
    pub fn new(tag: &'a str, name: &'a str, counts: [i64; 6]) -> Self {
        let [start, end, posts, views, authors, new_authors] = counts;
        Win {
            tag,
            name,
            start,
            end,
            posts,
            views,
            authors,
            new_authors,
        }
    }
    fn size_ms(&self) -> i64 {
        self.end - self.start
    }
    fn unknown_authors(&self) -> bool {
        self.authors == 0 && self.posts > 0
    }
    /// `[start, end, posts, views, authors, new_authors]`.
    pub fn counts(&self) -> [i64; 6] {
        [
            self.start,
            self.end,
            self.posts,
            self.views,
            self.authors,
            self.new_authors,
        ]
    }
    fn held(&self) -> Held {
        Held {
            name: self.name.to_owned(),
            counts: self.counts(),
        }
    }
}

/// A window kept with an unconfirmed verdict (its hashtag is the key it is kept under):
/// its size name and `[start, end, posts, views, authors, new_authors]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Held {
    pub name: String,
    pub counts: [i64; 6],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Warm,
    Trend,
    Suspicious,
}

impl Kind {
    pub fn code(self) -> u8 {
        self as u8
    }
    pub fn from_code(code: u8) -> Option<Kind> {
        [Kind::Warm, Kind::Trend, Kind::Suspicious]
            .get(code as usize)
            .copied()
    }
}

/// What the scorer says about one window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Judged {
    pub kind: Kind,
    pub score: f64,
    pub observed: i64,
    pub expected: f64,
    pub growth: f64,
}

/// A verdict; `first`: it is of an earlier window of the tag (a confirmed trend), not the one scored.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub judged: Judged,
    pub first: Option<Held>,
}

/// What `update` did with a window.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// No state (below admission): deferred into the long tail if fast.
    Untracked,
    /// Scored and learnt: the expectation (never below the noise floor), the dispersion, the verdict.
    Scored {
        expected: f64,
        spread: f64,
        verdict: Option<Verdict>,
    },
}

/// Per-tag states, unconfirmed verdicts and the stream's origin.
#[derive(Clone, Debug)]
pub struct Scorer {
    pub p: Params,
    /// Boxed: a map of a million tags then grows by moving pointers, not 272-byte states.
    pub states: SeededHashMap<Box<str>, Box<TagState>>,
    pub unconfirmed: HashMap<(Box<str>, u8), (Held, Judged)>,
    pub origin: Option<i64>,
}

fn capped(posts: i64, authors: i64, cap: i64) -> i64 {
    if authors > 0 {
        posts.min(cap.saturating_mul(authors))
    } else {
        posts
    }
}

impl Scorer {
    pub fn new(p: Params) -> Self {
        Scorer {
            p,
            states: Default::default(),
            unconfirmed: HashMap::new(),
            origin: None,
        }
    }

    pub fn capped(&self, w: &Win) -> i64 {
        capped(w.posts, w.authors, self.p.th.author_cap)
    }

    pub fn is_tracked(&self, tag: &str) -> bool {
        self.states.contains_key(tag)
    }

    fn expected(&self, state: &TagState, w: &Win, total: i64, slow: usize) -> f64 {
        let (mean, end) = if slow == 1 {
            (state.slow, state.slow_end)
        } else {
            (state.fast, state.fast_end)
        };
        let alpha = weight(self.p.alpha[slow], w.size_ms(), w.end, state.born);
        let gaps = (w.end - end).div_euclid(w.size_ms()) - 1;
        let root = pmax(decayed(mean, alpha, gaps), state.seasonal(w.start));
        root * root * total as f64
    }

    /// The score a window would get now, without learning it.
    pub fn score_one(
        &self,
        tail: &DecayingCountMin,
        w: &Win,
        total: Option<i64>,
        slow: bool,
    ) -> f64 {
        let slow = slow as usize;
        let total = total.map_or(1, |t| t.max(w.posts).max(1));
        let state = self.states.get(w.tag);
        let expected = match state {
            Some(state) => self.expected(state, w, total, slow),
            None => tail.get(w.tag) * total as f64,
        };
        let spread = state.map_or(1.0, |s| spread(s, slow));
        z_score(self.capped(w) as f64, pmax(expected, self.p.floor[slow])) / spread
    }

    /// Scores `w` (`total`: posts of all non-surging tags in its window; None: absolute counts),
    /// then learns it. `w.end > w.start` (the caller checks).
    pub fn update(
        &mut self,
        tail: &mut DecayingCountMin,
        w: &Win,
        total: Option<i64>,
        slow: bool,
    ) -> Outcome {
        let origin = *self.origin.get_or_insert(w.start);
        let channel = slow as usize;
        let observed = self.capped(w);
        let total = total.map_or(1, |t| t.max(w.posts).max(1));
        let warming = w.end - origin <= self.p.warmup_ms;
        if !self.states.contains_key(w.tag) {
            if w.posts < self.p.admit_posts {
                if !slow {
                    tail.defer(w.tag, observed as f64 / total as f64);
                }
                return Outcome::Untracked;
            }
            // the tag's share leaves the long tail for its state (eviction puts back what it learnt)
            let known = tail.take(w.tag);
            let share = if warming {
                observed as f64 / total as f64
            } else {
                known
            };
            let born = if warming { w.start } else { -1 };
            self.states.insert(
                w.tag.into(),
                Box::new(TagState::new(share.sqrt(), w.start, born)),
            );
        }
        let state = &self.states[w.tag];
        let expected = self.expected(state, w, total, channel);
        let floored = pmax(expected, self.p.floor[channel]);
        let width = spread(state, channel);
        let mut verdict = if warming {
            None
        } else {
            self.judge(w, state, observed, expected, channel)
                .map(|judged| Verdict {
                    judged,
                    first: None,
                })
        };
        if self.p.th.confirm.is_some() && w.unknown_authors() {
            verdict = self.confirmed(w, channel, verdict);
        }
        let (p, state) = (&self.p, self.states.get_mut(w.tag).expect("admitted above"));
        learn(p, state, w, observed, total, expected, channel);
        Outcome::Scored {
            expected: floored,
            spread: width,
            verdict,
        }
    }

    /// Persistence instead of breadth: a hot window is a trend once the next one holds.
    fn confirmed(&mut self, w: &Win, channel: usize, verdict: Option<Verdict>) -> Option<Verdict> {
        let key: (Box<str>, u8) = (w.tag.into(), channel as u8);
        let first = self.unconfirmed.remove(&key);
        let confirm = self.p.th.confirm.unwrap_or(f64::INFINITY);
        if let (Some((held, judged)), Some(v)) = (&first, &verdict) {
            if held.counts[1] == w.start && v.judged.score >= confirm {
                return Some(Verdict {
                    judged: *judged,
                    first: Some(held.clone()),
                });
            }
        }
        match verdict {
            Some(v) if v.judged.kind == Kind::Trend => {
                let (held, judged) = match &v.first {
                    Some(held) => (held.clone(), v.judged),
                    None => (w.held(), v.judged),
                };
                self.unconfirmed.insert(key, (held, judged));
                Some(Verdict {
                    judged: Judged {
                        kind: Kind::Warm,
                        ..v.judged
                    },
                    first: v.first,
                })
            }
            other => other,
        }
    }

    fn judge(
        &self,
        w: &Win,
        state: &TagState,
        observed: i64,
        expected: f64,
        slow: usize,
    ) -> Option<Judged> {
        let th = &self.p.th;
        let floor = pmax(expected, self.p.floor[slow]);
        let width = spread(state, slow);
        let mut score = z_score(observed as f64, floor) / width;
        let raw = if w.posts > observed {
            z_score(w.posts as f64, floor) / width
        } else {
            score
        };
        let unknown = w.unknown_authors();
        if raw < th.z_off {
            return None;
        }
        let mut kind = Kind::Warm;
        let established = expected >= ESTABLISHED * self.p.floor[slow];
        let young = established && state.born >= 0 && w.end - state.since < self.p.history_ms;
        let (observed_f, posts_f) = (observed as f64, w.posts as f64);
        if score >= th.z_on
            && observed_f >= th.min_posts
            && observed_f >= th.min_ratio * floor
            && (unknown || w.authors as f64 >= th.min_authors)
            && !young
        {
            kind = Kind::Trend;
        } else if !unknown
            && raw >= th.z_on
            && posts_f >= th.min_posts
            && posts_f >= th.min_ratio * floor
            && ((w.authors as f64) < th.min_authors
                || posts_f >= th.bot_posts_per_author * w.authors as f64)
        {
            kind = Kind::Suspicious;
            score = raw;
        }
        let (last, last_end) = if slow == 1 {
            (state.slow_last, state.slow_end)
        } else {
            (state.fast_last, state.fast_end)
        };
        let previous = if last_end == w.start { last } else { 0 };
        let growth = round2((observed as f64 + 1.0) / (previous as f64 + 1.0));
        Some(Judged {
            kind,
            score,
            observed,
            expected,
            growth,
        })
    }

    /// Closes a fast window: the long tail's shares go into the sketch, the cap is enforced.
    pub fn end_fast_window(&mut self, tail: &mut DecayingCountMin, keep: &dyn Fn(&str) -> bool) {
        tail.decay(1);
        tail.commit();
        if self.states.len() as i64 > self.p.max_tags {
            self.evict(tail, keep);
        }
    }

    /// Drops the tags with the smallest slow share (never those kept) down to 90% of the cap, in
    /// (slow, tag) order; their slow share goes back into the long tail (`put`: what admission
    /// took out of it was the tag's estimate, so the sketch reads the share the state learnt). The order is Python's sort of
    /// `(slow, tag)` tuples for every slow share that is a number; a NaN share (only after a
    /// tail estimate overflowed to infinity) sorts after every number here, by tag, where
    /// Python's order would depend on its dict's insertion order.
    fn evict(&mut self, tail: &mut DecayingCountMin, keep: &dyn Fn(&str) -> bool) {
        let excess = self.states.len() as i64 - (self.p.max_tags as f64 * 0.9) as i64;
        let mut ranked: Vec<(f64, &str)> = self
            .states
            .iter()
            .filter(|(tag, _)| !keep(tag))
            .map(|(tag, s)| (s.slow, tag.as_ref()))
            .collect();
        ranked.sort_by(|a, b| {
            let shares = match (a.0.is_nan(), b.0.is_nan()) {
                (false, false) => a.0.partial_cmp(&b.0).expect("numbers"),
                (nan_a, nan_b) => nan_a.cmp(&nan_b),
            };
            shares.then_with(|| a.1.cmp(b.1))
        });
        let gone: Vec<Box<str>> = ranked
            .iter()
            .take(excess.max(0) as usize)
            .map(|(_, tag)| (*tag).into())
            .collect();
        for tag in gone {
            let state = self.states.remove(&tag).expect("ranked from the states");
            self.unconfirmed.remove(&(tag.clone(), 0));
            self.unconfirmed.remove(&(tag.clone(), 1));
            tail.put(&tag, state.slow * state.slow);
        }
    }

    /// Memory of one tracked tag: its state, its map entry at 7/8 load (key text excluded).
    pub fn bytes_per_tag() -> usize {
        (std::mem::size_of::<(Box<str>, Box<TagState>)>() + 1) * 8 / 7
            + std::mem::size_of::<TagState>()
    }

    /// The states, unconfirmed verdicts and origin as bytes (`load` reads them); tags in order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.states.len() * 300);
        out.extend_from_slice(MAGIC);
        match self.origin {
            Some(origin) => {
                out.push(1);
                put_i64(&mut out, origin);
            }
            None => out.push(0),
        }
        let mut tags: Vec<&Box<str>> = self.states.keys().collect();
        tags.sort();
        put_u64(&mut out, tags.len() as u64);
        for tag in tags {
            let s = &self.states[tag];
            put_str(&mut out, tag);
            for v in [
                s.fast,
                s.slow,
                s.fast_var,
                s.slow_var,
                s.hour_sum,
                s.day_sum,
                s.week_mean,
            ] {
                put_u64(&mut out, v.to_bits());
            }
            for v in [
                s.fast_end,
                s.slow_end,
                s.fast_last,
                s.slow_last,
                s.born,
                s.since,
                s.hour,
            ] {
                put_i64(&mut out, v);
            }
            s.profile
                .iter()
                .for_each(|p| out.extend_from_slice(&p.to_bits().to_le_bytes()));
            out.extend_from_slice(&s.seen);
        }
        let mut held: Vec<_> = self.unconfirmed.iter().collect();
        held.sort_by(|a, b| a.0.cmp(b.0));
        put_u64(&mut out, held.len() as u64);
        for ((tag, channel), (h, j)) in held {
            put_str(&mut out, tag);
            out.push(*channel);
            put_str(&mut out, &h.name);
            for v in h.counts.iter().chain([&j.observed]) {
                put_i64(&mut out, *v);
            }
            out.push(j.kind.code());
            for v in [j.score, j.expected, j.growth] {
                put_u64(&mut out, v.to_bits());
            }
        }
        out
    }

    /// Replaces the states, unconfirmed verdicts and origin with those of `to_bytes`.
    pub fn load(&mut self, data: &[u8]) -> Result<(), String> {
        let bad = || "not a surge scorer state".to_string();
        let mut r = Cursor { data, at: 0 };
        if r.take(4).ok_or_else(bad)? != MAGIC {
            return Err(bad());
        }
        let origin = match r.u8().ok_or_else(bad)? {
            0 => None,
            1 => Some(r.i64().ok_or_else(bad)?),
            _ => return Err(bad()),
        };
        let mut states: SeededHashMap<Box<str>, Box<TagState>> = Default::default();
        for _ in 0..r.u64().ok_or_else(bad)? {
            let tag = r.str().ok_or_else(bad)?;
            let mut f = [0f64; 7];
            for v in f.iter_mut() {
                *v = f64::from_bits(r.u64().ok_or_else(bad)?);
            }
            let mut n = [0i64; 7];
            for v in n.iter_mut() {
                *v = r.i64().ok_or_else(bad)?;
            }
            let mut profile = [0f32; SLOTS];
            for p in profile.iter_mut() {
                let bytes = r.take(4).ok_or_else(bad)?;
                *p = f32::from_bits(u32::from_le_bytes(bytes.try_into().map_err(|_| bad())?));
            }
            let mut seen = [0u8; SLOTS];
            seen.copy_from_slice(r.take(SLOTS).ok_or_else(bad)?);
            let [fast, slow, fast_var, slow_var, hour_sum, day_sum, week_mean] = f;
            let [fast_end, slow_end, fast_last, slow_last, born, since, hour] = n;
            let state = TagState {
                fast,
                slow,
                fast_end,
                slow_end,
                fast_last,
                slow_last,
                born,
                since,
                fast_var,
                slow_var,
                profile,
                seen,
                hour,
                hour_sum,
                day_sum,
                week_mean,
            };
            states.insert(tag.into(), Box::new(state));
        }
        let mut unconfirmed = HashMap::new();
        for _ in 0..r.u64().ok_or_else(bad)? {
            let tag = r.str().ok_or_else(bad)?;
            let channel = r.u8().ok_or_else(bad)?;
            let name = r.str().ok_or_else(bad)?.to_owned();
            let mut n = [0i64; 7];
            for v in n.iter_mut() {
                *v = r.i64().ok_or_else(bad)?;
            }
            let kind = Kind::from_code(r.u8().ok_or_else(bad)?).ok_or_else(bad)?;
            let mut f = [0f64; 3];
            for v in f.iter_mut() {
                *v = f64::from_bits(r.u64().ok_or_else(bad)?);
            }
            if channel > 1 {
                return Err(bad());
            }
            let mut counts = [0i64; 6];
            counts.copy_from_slice(&n[..6]);
            let (held, observed) = (Held { name, counts }, n[6]);
            let judged = Judged {
                kind,
                score: f[0],
                observed,
                expected: f[1],
                growth: f[2],
            };
            unconfirmed.insert((tag.into(), channel), (held, judged));
        }
        if r.at != data.len() {
            return Err(bad());
        }
        self.states = states;
        self.unconfirmed = unconfirmed;
        self.origin = origin;
        Ok(())
    }
}

/// The tag's dispersion on the `2 sqrt` scale, never below Poisson's 1.
fn spread(state: &TagState, slow: usize) -> f64 {
    let var = if slow == 1 {
        state.slow_var
    } else {
        state.fast_var
    };
    pmax(var, 1.0).sqrt()
}

fn learn(
    p: &Params,
    state: &mut TagState,
    w: &Win,
    observed: i64,
    total: i64,
    expected: f64,
    slow: usize,
) {
    let floor = pmax(expected, p.floor[slow]);
    let residual = z_score(observed as f64, floor);
    let mut var = if slow == 1 {
        state.slow_var
    } else {
        state.fast_var
    };
    let a = weight(p.var_alpha[slow], w.size_ms(), w.end, state.born);
    let upper = residual * residual;
    var += a * (pmin(upper, VAR_CLIP * pmax(var, 1.0)) - var);
    let ceiling = pow(floor.sqrt() + 0.5 * p.clip * pmax(var, 1.0).sqrt(), 2.0);
    let share = (pmin(observed as f64, ceiling) / total as f64).sqrt();
    let alpha = weight(p.alpha[slow], w.size_ms(), w.end, state.born);
    let gaps = |end: i64| (w.end - end).div_euclid(w.size_ms()) - 1;
    if slow == 1 {
        state.slow_var = var;
        let mean = decayed(state.slow, alpha, gaps(state.slow_end));
        state.slow = mean + alpha * (share - mean);
        state.slow_end = w.end;
        state.slow_last = w.posts;
    } else {
        state.fast_var = var;
        let mean = decayed(state.fast, alpha, gaps(state.fast_end));
        state.fast = mean + alpha * (share - mean);
        state.fast_end = w.end;
        state.fast_last = w.posts;
        state.learn_hour(w.start, share, p.per_hour, p.profile_beta, p.weekly_weeks);
    }
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, v: &str) {
    put_u64(out, v.len() as u64);
    out.extend_from_slice(v.as_bytes());
}

struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let bytes = self.data.get(self.at..end)?;
        self.at = end;
        Some(bytes)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
    }
    fn i64(&mut self) -> Option<i64> {
        self.u64().map(|v| v as i64)
    }
    fn str(&mut self) -> Option<&'a str> {
        let n = usize::try_from(self.u64()?).ok()?;
        std::str::from_utf8(self.take(n)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        Params {
            fast_ms: 300_000,
            slow_ms: HOUR_MS,
            alpha: [
                1.0 - pow(0.5, 300_000.0 / 7_200_000.0),
                1.0 - pow(0.5, 1.0 / 24.0),
            ],
            var_alpha: [
                1.0 - pow(0.5, 300_000.0 / 259_200_000.0),
                1.0 - pow(0.5, 1.0 / 72.0),
            ],
            per_hour: 12,
            floor: [0.25, 3.0],
            max_tags: 3,
            admit_posts: 3,
            warmup_ms: 0,
            profile_beta: 0.25,
            history_ms: 24 * HOUR_MS,
            clip: 3.0,
            weekly_weeks: 2,
            th: Thresholds {
                z_on: 5.0,
                z_off: 2.0,
                min_posts: 10.0,
                min_authors: 8.0,
                min_ratio: 3.0,
                author_cap: 3,
                bot_posts_per_author: 5.0,
                confirm: None,
            },
        }
    }

    fn win(tag: &str, start: i64, posts: i64, authors: i64) -> Win<'_> {
        Win {
            tag,
            name: "5m",
            start,
            end: start + 300_000,
            posts,
            views: 0,
            authors,
            new_authors: 0,
        }
    }

    #[test]
    fn round2_rounds_as_python_does() {
        // round(x, 2) in CPython: ties to even on the exact binary value
        assert_eq!(round2(0.125), 0.12);
        assert_eq!(round2(0.375), 0.38);
        assert_eq!(round2(2.675), 2.67); // 2.67499999... in binary
        assert_eq!(round2(12.195121951219512), 12.2);
        assert_eq!(round2(1.005), 1.0); // 1.00499999...
        assert_eq!(round2(1e300), 1e300);
    }

    #[test]
    fn quiet_windows_are_not_hot_and_a_burst_is_a_trend() {
        let mut scorer = Scorer::new(params());
        let mut tail = DecayingCountMin::new(64, 2, 0.01);
        let mut last = Outcome::Untracked;
        for i in 0..24 {
            last = scorer.update(&mut tail, &win("cats", i * 300_000, 4, 4), Some(100), false);
        }
        assert!(matches!(last, Outcome::Scored { verdict: None, .. }));
        let out = scorer.update(
            &mut tail,
            &win("cats", 24 * 300_000, 60, 50),
            Some(156),
            false,
        );
        let Outcome::Scored {
            verdict: Some(v), ..
        } = out
        else {
            panic!("no verdict: {out:?}")
        };
        assert_eq!(
            (v.judged.kind, v.judged.observed, v.judged.growth),
            (Kind::Trend, 60, 12.2)
        );
        let bots = scorer.update(
            &mut tail,
            &win("coin", 24 * 300_000, 300, 4),
            Some(456),
            false,
        );
        assert!(matches!(
            bots,
            Outcome::Scored {
                verdict: Some(Verdict {
                    judged: Judged {
                        kind: Kind::Suspicious,
                        ..
                    },
                    ..
                }),
                ..
            }
        ));
        let few = scorer.update(
            &mut tail,
            &win("rare", 24 * 300_000, 2, 2),
            Some(456),
            false,
        );
        assert_eq!(few, Outcome::Untracked);
        assert_eq!(tail.deferred(), 1);
    }

    #[test]
    fn a_tag_churning_at_the_cap_keeps_a_bounded_tail_estimate_and_still_trends() {
        // admitted from the long tail and evicted back into it every fast window: its estimate
        // used to grow on every cycle (eviction added to what admission had read), inf after ~1,100
        let mut scorer = Scorer::new(Params {
            max_tags: 2,
            history_ms: 0,
            ..params()
        });
        let mut tail = DecayingCountMin::new(1 << 14, 4, 1.0 - pow(0.5, 1.0 / 288.0));
        let mut hourly = [0i64; 3];
        let tags = [("big1", 50), ("big2", 47), ("x", 3)];
        let mut highest = 0.0f64;
        for i in 0..1_300i64 {
            let t = i * 300_000;
            for (n, (tag, posts)) in tags.iter().enumerate() {
                scorer.update(&mut tail, &win(tag, t, *posts, *posts), Some(100), false);
                hourly[n] += posts;
            }
            if (i + 1) % 12 == 0 {
                let h = t + 300_000 - HOUR_MS;
                for (n, (tag, _)) in tags.iter().enumerate() {
                    let counts = [h, h + HOUR_MS, hourly[n], 0, hourly[n], 0];
                    scorer.update(&mut tail, &Win::new(tag, "1h", counts), Some(1_200), true);
                }
                hourly = [0; 3];
            }
            scorer.end_fast_window(&mut tail, &|_| false);
            assert!(i < 12 || !scorer.is_tracked("x"), "window {i}"); // ties by tag before the first hour
            highest = highest.max(tail.get("x"));
        }
        assert!(highest < 0.1, "{highest}"); // of the order of its 3% share
        assert!(tail.get("x") > 0.003, "{}", tail.get("x"));
        let t = 1_300 * 300_000;
        let out = scorer.update(&mut tail, &win("x", t, 60, 60), Some(157), false);
        let Outcome::Scored {
            verdict: Some(v), ..
        } = out
        else {
            panic!("no verdict: {out:?}")
        };
        assert_eq!(v.judged.kind, Kind::Trend, "{v:?}");
    }

    #[test]
    fn the_state_round_trips_through_bytes_and_eviction_keeps_the_cap() {
        let mut scorer = Scorer::new(Params {
            th: Thresholds {
                confirm: Some(2.0),
                ..params().th
            },
            ..params()
        });
        let mut tail = DecayingCountMin::new(64, 2, 0.01);
        for (i, tag) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            scorer.update(&mut tail, &win(tag, 0, 3 + i as i64, 0), Some(50), false);
        }
        scorer.update(&mut tail, &win("e", 300_000, 90, 0), Some(150), false);
        let bytes = scorer.to_bytes();
        let mut copy = Scorer::new(params());
        copy.load(&bytes).unwrap();
        assert_eq!(copy.states, scorer.states);
        assert_eq!(copy.unconfirmed, scorer.unconfirmed);
        assert_eq!(copy.to_bytes(), bytes);
        assert!(copy.load(&bytes[..bytes.len() - 1]).is_err());
        scorer.end_fast_window(&mut tail, &|tag| tag == "a");
        let mut left: Vec<&str> = scorer.states.keys().map(|k| k.as_ref()).collect();
        left.sort();
        assert_eq!(left, ["a", "e"]); // 90% of 3: 2 tags, "a" kept, then the largest slow share
    }
}
