//! Sketches of the window aggregator: a stable 64-bit hash, HyperLogLog and Count-Min.
//!
//! They reproduce the sketches the project's checkpoints and windows were
//! built with: BLAKE2b with an 8-byte digest read little-endian, a
//! HyperLogLog of 1,024 one-byte registers (rank = leading zeros of the hash
//! shifted past the index bits, plus one) whose estimate sums `2^-register` in
//! register order and rounds half to even, and a Count-Min of 4 rows of `i64`
//! counters indexed by double hashing (`h1 + row * h2`): 8,192 counters a row,
//! 65,536 in the sketches that decide promotion (`CM_WIDTH_WIDE`), or 1,024 in
//! sketches restored from checkpoints written before the rows grew.

use crate::hashing::SeededHashMap;

/// Index bits of the HyperLogLog.
pub const HLL_PRECISION: u32 = 10;
/// Registers of the HyperLogLog.
pub const HLL_REGISTERS: usize = 1 << HLL_PRECISION;
/// Counters per row of a new Count-Min sketch.
pub const CM_WIDTH: usize = 8192;
/// Counters per row of the sketches whose estimates decide promotion: wide enough
/// to see 13 posts among 500,000 one-post keys (noise of about 2 posts a row).
pub const CM_WIDTH_WIDE: usize = 65_536;
/// Counters per row of the sketches in checkpoints written before the rows grew.
pub const CM_WIDTH_FIRST: usize = 1024;
/// Count-Min rows.
pub const CM_DEPTH: usize = 4;

/// BLAKE2b of `data` with an 8-byte digest, as a little-endian integer.
pub fn stable_hash(data: &[u8]) -> u64 {
    let digest = blake2b_simd::Params::new().hash_length(8).hash(data);
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(digest.as_bytes());
    u64::from_le_bytes(bytes)
}

/// Approximate distinct count in 1,024 one-byte registers (standard error about 3.3 %).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HyperLogLog {
    registers: Box<[u8; HLL_REGISTERS]>,
}

impl Default for HyperLogLog {
    fn default() -> Self {
        Self::new()
    }
}

impl HyperLogLog {
    pub fn new() -> Self {
        HyperLogLog {
            registers: Box::new([0u8; HLL_REGISTERS]),
        }
    }

    /// Rebuilds a sketch from its registers (`None` unless there are exactly 1,024).
    pub fn from_registers(registers: &[u8]) -> Option<Self> {
        let registers: [u8; HLL_REGISTERS] = registers.try_into().ok()?;
        Some(HyperLogLog {
            registers: Box::new(registers),
        })
    }

    pub fn registers(&self) -> &[u8] {
        &self.registers[..]
    }

    /// Counts an item by its `stable_hash`.
    pub fn add_hash(&mut self, h: u64) {
        let rest = h << HLL_PRECISION;
        let rank = if rest == 0 {
            65 - HLL_PRECISION
        } else {
            rest.leading_zeros() + 1
        };
        let index = (h >> (64 - HLL_PRECISION)) as usize;
        // rank <= 55, so it fits a register
        let rank = rank as u8;
        if rank > self.registers[index] {
            self.registers[index] = rank;
        }
    }

    /// The estimated number of distinct items.
    pub fn count(&self) -> i64 {
        let m = HLL_REGISTERS as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let mut sum = 0.0f64;
        let mut zeros = 0usize;
        for &r in self.registers.iter() {
            sum += inverse_power(r);
            zeros += usize::from(r == 0);
        }
        let mut estimate = alpha * m * m / sum;
        if estimate <= 2.5 * m && zeros > 0 {
            estimate = m * (m / zeros as f64).ln();
        }
        estimate.round_ties_even() as i64
    }
}

/// `2^-r`, exactly (built from the exponent bits).
fn inverse_power(r: u8) -> f64 {
    f64::from_bits((1023 - u64::from(r)) << 52)
}

/// Count-Min sketch: per-key counts that never under-estimate.
///
/// Its counters are kept sparse (only the non-zero ones, in a map) until a
/// sixteenth of them are non-zero, then as one dense array: most sketch
/// windows hold a few hashtags, and a batch of input that spans hours opens a
/// sketch window per base bucket before the watermark closes them.
#[derive(Clone, Debug)]
pub struct CountMin {
    pub total: i64,
    width: usize,
    counts: Counters,
}

#[derive(Clone, Debug)]
enum Counters {
    Sparse(SeededHashMap<u32, i64>),
    Dense(Vec<i64>),
}

impl Default for CountMin {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for CountMin {
    fn eq(&self, other: &Self) -> bool {
        (self.total, self.width) == (other.total, other.width) && self.nonzero() == other.nonzero()
    }
}

impl Eq for CountMin {}

impl CountMin {
    pub fn new() -> Self {
        Self::with_width(CM_WIDTH)
    }

    /// An empty sketch of `width` counters a row (one of `CM_WIDTH`, `CM_WIDTH_WIDE`,
    /// `CM_WIDTH_FIRST`).
    pub fn with_width(width: usize) -> Self {
        CountMin {
            total: 0,
            width,
            counts: Counters::Sparse(SeededHashMap::default()),
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Indices of the counters of the key whose `stable_hash` is `h`.
    pub fn positions(&self, h: u64) -> [usize; CM_DEPTH] {
        let (h1, h2, width) = (h & 0xFFFF_FFFF, (h >> 32) | 1, self.width as u64);
        let mut out = [0usize; CM_DEPTH];
        for (row, slot) in out.iter_mut().enumerate() {
            let column = (h1 + row as u64 * h2) % width;
            *slot = row * self.width + column as usize;
        }
        out
    }

    fn get(&self, p: usize) -> i64 {
        match &self.counts {
            Counters::Sparse(map) => map.get(&(p as u32)).copied().unwrap_or(0),
            Counters::Dense(counts) => counts[p],
        }
    }

    fn add(&mut self, p: usize, count: i64) {
        match &mut self.counts {
            Counters::Sparse(map) => {
                let c = map.entry(p as u32).or_insert(0);
                *c = c.saturating_add(count);
                if map.len() > self.width * CM_DEPTH / 16 {
                    let mut dense = vec![0i64; self.width * CM_DEPTH];
                    map.iter().for_each(|(&i, &c)| dense[i as usize] = c);
                    self.counts = Counters::Dense(dense);
                }
            }
            Counters::Dense(counts) => counts[p] = counts[p].saturating_add(count),
        }
    }

    pub fn update(&mut self, positions: &[usize; CM_DEPTH], count: i64) {
        for &p in positions {
            self.add(p, count);
        }
        self.total = self.total.saturating_add(count);
    }

    /// The smallest counter of the key: never below its count.
    pub fn estimate(&self, positions: &[usize; CM_DEPTH]) -> i64 {
        positions.iter().map(|&p| self.get(p)).min().unwrap_or(0)
    }

    /// The key's count corrected for what other keys add to its counters
    /// (Count-Mean-Min): in each row its counter less the mean of the row's
    /// other counters (rounded down), the median of the rows (the mean of the
    /// middle two, rounded down), within `0..=estimate`. Under a flood of
    /// distinct keys, where every counter holds about `total / width`, this is
    /// near the key's own count while `estimate` is near the flood's share.
    pub fn corrected(&self, positions: &[usize; CM_DEPTH]) -> i64 {
        let others = self.width as i64 - 1;
        let mut rows = positions.map(|p| {
            let c = self.get(p);
            c - (self.total - c).div_euclid(others)
        });
        rows.sort_unstable();
        let middle = i128::from(rows[CM_DEPTH / 2 - 1]) + i128::from(rows[CM_DEPTH / 2]);
        let median = middle.div_euclid(2) as i64; // within the two rows' range: no overflow
        median.clamp(0, self.estimate(positions).max(0))
    }

    /// Every counter, in index order (`width` x 4 of them).
    pub fn counters(&self) -> Vec<i64> {
        match &self.counts {
            Counters::Dense(counts) => counts.clone(),
            Counters::Sparse(map) => {
                let mut all = vec![0i64; self.width * CM_DEPTH];
                map.iter().for_each(|(&i, &c)| all[i as usize] = c);
                all
            }
        }
    }

    /// The non-zero counters by index, in index order.
    pub fn nonzero(&self) -> Vec<(usize, i64)> {
        let mut out: Vec<(usize, i64)> = match &self.counts {
            Counters::Sparse(map) => map.iter().map(|(&i, &c)| (i as usize, c)).collect(),
            Counters::Dense(counts) => counts.iter().copied().enumerate().collect(),
        };
        out.retain(|&(_, c)| c != 0);
        out.sort_unstable();
        out
    }

    /// Rebuilds a sketch from its total and non-zero counters (`None` unless it has 4 rows of
    /// `CM_WIDTH`, `CM_WIDTH_WIDE` or `CM_WIDTH_FIRST` counters and every index is within them).
    pub fn from_nonzero(total: i64, width: usize, nonzero: &[(usize, i64)]) -> Option<Self> {
        if ![CM_WIDTH, CM_WIDTH_WIDE, CM_WIDTH_FIRST].contains(&width) {
            return None;
        }
        let mut cms = Self::with_width(width);
        for &(i, c) in nonzero {
            if i >= width * CM_DEPTH {
                return None;
            }
            cms.add(i, c);
        }
        cms.total = total;
        Some(cms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_hash_is_blake2b_with_an_8_byte_digest() {
        // hashlib.blake2b(b"fyp", digest_size=8).digest(), read little-endian
        let h = stable_hash("fyp".as_bytes());
        assert_eq!(h, stable_hash(b"fyp"));
        assert_ne!(h, stable_hash(b"fyq"));
    }

    #[test]
    fn hll_is_exact_enough_and_order_free() {
        let mut a = HyperLogLog::new();
        let mut b = HyperLogLog::new();
        let hashes: Vec<u64> = (0..5000)
            .map(|i| stable_hash(format!("user{i}").as_bytes()))
            .collect();
        hashes.iter().for_each(|&h| a.add_hash(h));
        hashes.iter().rev().for_each(|&h| b.add_hash(h));
        assert_eq!(a, b);
        assert!((a.count() - 5000).abs() < 500, "{}", a.count());
        assert_eq!(HyperLogLog::new().count(), 0);
    }

    #[test]
    fn hll_rank_of_a_hash_with_no_bits_past_the_index() {
        let mut hll = HyperLogLog::new();
        hll.add_hash(0b11 << 54);
        assert_eq!(hll.registers()[3], 55);
    }

    #[test]
    fn count_min_saturates_under_huge_counts() {
        let mut cm = CountMin::with_width(CM_WIDTH);
        let (a, b) = (cm.positions(1), cm.positions(2));
        for _ in 0..3 {
            cm.update(&a, i64::MAX);
            cm.update(&b, i64::MAX / 2);
        }
        assert_eq!(cm.estimate(&a), i64::MAX);
        assert!(cm.corrected(&a) >= 0 && cm.corrected(&b) >= 0);
    }

    #[test]
    fn inverse_powers_are_exact() {
        assert_eq!(inverse_power(0), 1.0);
        assert_eq!(inverse_power(3), 0.125);
        assert_eq!(inverse_power(255), 2f64.powi(-255));
    }

    #[test]
    fn count_min_never_underestimates() {
        let mut cms = CountMin::new();
        let keys: Vec<_> = (0..3000)
            .map(|i| cms.positions(stable_hash(format!("t{i}").as_bytes())))
            .collect();
        for (i, p) in keys.iter().enumerate() {
            cms.update(p, i as i64 % 5);
        }
        for (i, p) in keys.iter().enumerate() {
            assert!(cms.estimate(p) >= i as i64 % 5);
        }
        assert_eq!(cms.total, (0..3000).map(|i| i % 5).sum::<i64>());
        assert!(
            matches!(cms.counts, Counters::Dense(_)),
            "3,000 keys make it dense"
        );
        let copy = CountMin::from_nonzero(cms.total, CM_WIDTH, &cms.nonzero()).unwrap();
        assert_eq!(copy, cms);
        assert!(CountMin::from_nonzero(1, 3, &[]).is_none());
        assert!(CountMin::from_nonzero(1, CM_WIDTH, &[(CM_WIDTH * CM_DEPTH, 1)]).is_none());
        let first = CountMin::from_nonzero(0, CM_WIDTH_FIRST, &[]).unwrap();
        assert_eq!(first.width(), CM_WIDTH_FIRST);
        assert!(first
            .positions(u64::MAX)
            .iter()
            .all(|&p| p < CM_WIDTH_FIRST * CM_DEPTH));
    }

    #[test]
    fn corrected_counts_see_a_key_through_a_flood_of_distinct_keys() {
        let mut cms = CountMin::new();
        for i in 0..100_000 {
            let p = cms.positions(stable_hash(format!("flood{i}").as_bytes()));
            cms.update(&p, 1);
        }
        let real = cms.positions(stable_hash(b"earthquake"));
        cms.update(&real, 30);
        let flood = |i: u32| cms.positions(stable_hash(format!("flood{i}").as_bytes()));
        assert!(
            cms.estimate(&flood(7)) > 10,
            "the plain estimate carries the flood"
        );
        let promoted = (0..100_000)
            .filter(|&i| cms.corrected(&flood(i)) >= 10)
            .count();
        assert!(promoted < 20, "{promoted} flood keys look like 10 posts");
        assert!(
            (cms.corrected(&real) - 30).abs() <= 10,
            "{}",
            cms.corrected(&real)
        );
    }

    #[test]
    fn a_wide_sketch_sees_13_posts_among_500_000_one_post_keys() {
        let mut cms = CountMin::with_width(CM_WIDTH_WIDE);
        let flood: Vec<_> = (0..500_000)
            .map(|i| cms.positions(stable_hash(format!("flood{i}").as_bytes())))
            .collect();
        flood.iter().for_each(|p| cms.update(p, 1));
        let real = cms.positions(stable_hash(b"earthquake"));
        cms.update(&real, 13);
        let promoted = flood.iter().filter(|p| cms.corrected(p) >= 10).count();
        assert!(promoted < 5, "{promoted} flood keys look like 10 posts");
        let seen = cms.corrected(&real);
        assert!((10..=17).contains(&seen), "{seen}");
        let copy = CountMin::from_nonzero(cms.total, CM_WIDTH_WIDE, &cms.nonzero()).unwrap();
        assert_eq!(copy, cms);
    }

    #[test]
    fn corrected_counts_are_exact_without_collisions() {
        let mut cms = CountMin::new();
        let keys: Vec<_> = (0..50)
            .map(|i| cms.positions(stable_hash(format!("t{i}").as_bytes())))
            .collect();
        for (i, p) in keys.iter().enumerate() {
            cms.update(p, i as i64);
        }
        for (i, p) in keys.iter().enumerate() {
            assert_eq!(cms.corrected(p), i as i64);
        }
    }
}
