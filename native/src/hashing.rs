//! The hasher of the aggregator's maps: foldhash (fast on short keys, as
//! hashtags and window keys are), seeded at random once per process.
//!
//! Hashtags come from the public, so an unseeded hash would let anyone post
//! hashtags that collide in a map's buckets and make every lookup a scan
//! (the low bits of a multiply-rotate hash such as Fx depend only on the low
//! bytes of a key's last word). One seed for the whole process, rather than
//! one per map, keeps the iteration order of equal maps equal.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

use foldhash::fast::SeedableRandomState;
use foldhash::SharedSeed;

/// The process's random seed (from the standard library's randomly keyed SipHash).
fn process_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| RandomState::new().hash_one(0x7472_656e_6477_6174_u64))
}

/// Builds the process-seeded hashers of `SeededHashMap` and `SeededHashSet`.
#[derive(Clone, Debug)]
pub struct Seeded(SeedableRandomState);

impl Default for Seeded {
    fn default() -> Self {
        Seeded(SeedableRandomState::with_seed(
            process_seed(),
            SharedSeed::global_random(),
        ))
    }
}

impl BuildHasher for Seeded {
    type Hasher = <SeedableRandomState as BuildHasher>::Hasher;

    #[inline]
    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}

pub type SeededHashMap<K, V> = HashMap<K, V, Seeded>;
pub type SeededHashSet<K> = HashSet<K, Seeded>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_in_every_map_of_the_process() {
        let (a, b) = (Seeded::default(), Seeded::default());
        assert_eq!(a.hash_one("fyp"), b.hash_one(String::from("fyp")));
        assert_ne!(a.hash_one("abcdefgh1"), a.hash_one("abcdefgh2"));
        assert_ne!(a.hash_one((60_000i64, 0i64)), a.hash_one((0i64, 60_000i64)));
    }

    #[test]
    fn keys_that_differ_in_their_last_bytes_spread_over_the_low_bits() {
        // 4,096 hashtags that differ only past the first two bytes of their last word: with Fx they all
        // shared their low 16 bits, i.e. one bucket of a map of up to 65,536 buckets.
        let build = Seeded::default();
        let low: HashSet<u64> = (0..4096u32)
            .map(|i| build.hash_one(format!("aaaaaaaaab{i:03x}")) & 0xffff)
            .collect();
        assert!(low.len() > 3500, "{} distinct low 16-bit values", low.len());
    }
}
