//! Sketches of the window aggregator: a stable 64-bit hash, HyperLogLog and Count-Min.
//!
//! They reproduce the sketches the project's checkpoints and windows were
//! built with: BLAKE2b with an 8-byte digest read little-endian, a
//! HyperLogLog of 1,024 one-byte registers (rank = leading zeros of the hash
//! shifted past the index bits, plus one) whose estimate sums `2^-register` in
//! register order and rounds half to even, and a 4 x 1,024 Count-Min of `i64`
//! counters indexed by double hashing (`h1 + row * h2`).

/// Index bits of the HyperLogLog.
pub const HLL_PRECISION: u32 = 10;
/// Registers of the HyperLogLog.
pub const HLL_REGISTERS: usize = 1 << HLL_PRECISION;
/// Counters per Count-Min row.
pub const CM_WIDTH: usize = 1024;
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountMin {
    pub total: i64,
    counts: Vec<i64>,
}

impl Default for CountMin {
    fn default() -> Self {
        Self::new()
    }
}

impl CountMin {
    pub fn new() -> Self {
        CountMin {
            total: 0,
            counts: vec![0; CM_WIDTH * CM_DEPTH],
        }
    }

    /// Indices of the counters of the key whose `stable_hash` is `h`.
    pub fn positions(h: u64) -> [usize; CM_DEPTH] {
        let h1 = h & 0xFFFF_FFFF;
        let h2 = (h >> 32) | 1;
        let mut out = [0usize; CM_DEPTH];
        for (row, slot) in out.iter_mut().enumerate() {
            let column = (h1 + row as u64 * h2) % CM_WIDTH as u64;
            *slot = row * CM_WIDTH + column as usize;
        }
        out
    }

    pub fn update(&mut self, positions: &[usize; CM_DEPTH], count: i64) {
        for &p in positions {
            self.counts[p] += count;
        }
        self.total += count;
    }

    pub fn estimate(&self, positions: &[usize; CM_DEPTH]) -> i64 {
        positions.iter().map(|&p| self.counts[p]).min().unwrap_or(0)
    }

    pub fn counts(&self) -> &[i64] {
        &self.counts
    }

    /// Rebuilds a sketch from its total and counters (`None` unless there are 4 x 1,024).
    pub fn from_counts(total: i64, counts: Vec<i64>) -> Option<Self> {
        (counts.len() == CM_WIDTH * CM_DEPTH).then_some(CountMin { total, counts })
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
    fn inverse_powers_are_exact() {
        assert_eq!(inverse_power(0), 1.0);
        assert_eq!(inverse_power(3), 0.125);
        assert_eq!(inverse_power(255), 2f64.powi(-255));
    }

    #[test]
    fn count_min_never_underestimates() {
        let mut cms = CountMin::new();
        let keys: Vec<_> = (0..3000)
            .map(|i| CountMin::positions(stable_hash(format!("t{i}").as_bytes())))
            .collect();
        for (i, p) in keys.iter().enumerate() {
            cms.update(p, i as i64 % 5);
        }
        for (i, p) in keys.iter().enumerate() {
            assert!(cms.estimate(p) >= i as i64 % 5);
        }
        assert_eq!(cms.total, (0..3000).map(|i| i % 5).sum::<i64>());
        assert!(CountMin::from_counts(1, vec![0; 3]).is_none());
    }
}
