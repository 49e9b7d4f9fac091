//! Every random stream of the generator is seeded here, from the scenario's seed and a name or
//! a position, never from the clock or a thread: the same scenario and seed give the same
//! numbers on any machine and for any `--threads`.
//!
//! There are two derivations, one per phase; their arithmetic is pinned by the exports'
//! digests (`tests/it/digests.rs`), so neither may change:
//! - [`named`]: a population decided once when the scenario is resolved (generated user names
//!   and attributes, API key ids, ECS task and EC2 instance ids, the Identity Center role
//!   suffix, background resource ids), keyed by a name such as `idp:okta` or `bg:3`;
//! - [`daily`]: one simulated stream on one day (a workload stream's requests, a background
//!   resource's hourly usage), keyed by what it is, its index and the day, so any thread can
//!   simulate any day.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator for a population named `salt`, drawn while resolving (FNV-1a-style over the
/// name's bytes).
pub(crate) fn named(seed: u64, salt: &str) -> ChaCha8Rng {
    let mut h = seed ^ 0x5851_f42d_4c95_7f2d;
    for b in salt.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    ChaCha8Rng::seed_from_u64(h)
}

/// What a [`daily`] stream draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Daily {
    /// A workload stream's requests (index: the stream).
    Requests,
    /// Hourly usage of one line of a background service (index: entry << 32 | resource).
    BackgroundLine(u8),
}

impl Daily {
    /// The number mixed into the seed (requests 1, background lines 100 + line).
    fn code(self) -> u64 {
        match self {
            Daily::Requests => 1,
            Daily::BackgroundLine(line) => 100 + u64::from(line),
        }
    }
}

fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
    for x in [a, b] {
        h ^= x
            .wrapping_add(0x9e37_79b9_7f4a_7c15)
            .wrapping_add(h << 6)
            .wrapping_add(h >> 2);
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 31;
    }
    h
}

/// The generator of stream `what` number `index` on `day` (days since epoch).
pub(crate) fn daily(seed: u64, what: Daily, index: u64, day: i64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(
        seed,
        what.code().wrapping_mul(1_000_003) ^ index,
        day as u64,
    ))
}

/// `n` lower-case hex digits (ids AWS writes in hex: task ids, instance ids, role suffixes).
pub(crate) fn hex(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16u32), 16).unwrap_or('0'))
        .collect()
}

/// A deterministic lowercase alphanumeric id of `n` characters derived from `s`.
pub(crate) fn short_id(s: &str, n: usize) -> String {
    const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut h = u64::from(curlab_vocab::arn::fnv1a32(s.as_bytes())) | 1;
    (0..n)
        .map(|_| {
            h ^= h << 13;
            h ^= h >> 7;
            h ^= h << 17;
            A[(h % 36) as usize] as char
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The first draw of each derivation, pinned: if one of these changes, every export
    // changes with it (and the digests test says so too).
    #[test]
    fn derivations_are_pinned() {
        assert_eq!(
            named(11, "api-keys").random::<u64>(),
            16_396_702_372_929_585_447
        );
        assert_eq!(
            daily(11, Daily::Requests, 3, 20_000).random::<u64>(),
            2_801_831_433_704_750_677
        );
        assert_eq!(
            daily(11, Daily::BackgroundLine(2), 1 << 32 | 5, 20_000).random::<u64>(),
            10_679_605_957_599_957_470
        );
        assert_ne!(
            named(11, "api-keys").random::<u64>(),
            named(11, "api-key").random::<u64>()
        );
    }
}
