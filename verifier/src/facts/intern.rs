//! Small integer ids for the distinct strings the scan aggregates by (principals, accounts, tag
//! keys and values), one table shared by all workers: each string is stored once however many
//! workers see it, the workers' aggregates are keyed by the same ids (so they merge by id, not
//! by string), and the strings become the final aggregates' keys without being copied
//! ([`Names`], `Arc<str>`).
//!
//! The table is split into [`SHARDS`] shards by the string's digest, each behind its own lock:
//! a worker looks a string up only when a dictionary of its row group brings it (its memos
//! keep the id for the rest of the row group), so two workers rarely want the same shard at
//! once.

use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;

/// Shards of the table (a power of two, well above the number of workers).
const SHARDS: usize = 64;

/// One shard: digest → the shard's own index, and the strings by that index.
#[derive(Debug, Default)]
struct Shard {
    /// The 128-bit digest as two words (8-byte aligned: a 24-byte entry, not 32).
    ids: FxHashMap<[u64; 2], u32>,
    strings: Vec<Arc<str>>,
}

/// Small integer ids for the distinct strings the workers aggregate by, shared by them.
///
/// A string is found by its 128-bit XXH3 digest, not compared byte by byte: every row group
/// brings a new dictionary of tens of thousands of principals (nearly one per row, as rows are
/// in time order), and comparing each with the string kept at its first sight read a cold
/// cache line per value (a seventh of verify's time at 9M rows). Two different strings get one
/// id only when their digests are equal: for `n` distinct strings the chance of any such pair
/// is about n²/2¹²⁹ (4 × 10⁻²⁷ for a million principals), the same bound as the duplicate line
/// items' digests (`dupes.rs`).
///
/// An id is the string's index within its shard times [`SHARDS`] plus the shard, so ids are
/// dense (the shards fill evenly) and vectors indexed by id stay small. Which id a string gets
/// depends on the order the workers meet it; nothing reported depends on an id.
#[derive(Debug)]
pub struct Interner {
    shards: Box<[Mutex<Shard>]>,
}

impl Default for Interner {
    fn default() -> Self {
        let shards: Box<[Mutex<Shard>]> = (0..SHARDS).map(|_| Mutex::default()).collect();
        // The empty string is id 0 (index 0 of shard 0); `id` answers it without a lookup.
        shards[0]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .strings
            .push(Arc::from(""));
        Interner { shards }
    }
}

fn shard_of(s: &str) -> ([u64; 2], usize) {
    let d = twox_hash::XxHash3_128::oneshot(s.as_bytes());
    let key = [d as u64, (d >> 64) as u64];
    (key, (d >> 64) as usize & (SHARDS - 1))
}

impl Interner {
    /// The id of the empty string.
    pub const EMPTY: u32 = 0;

    /// The id of `s`, assigned on first sight by any worker.
    pub fn id(&self, s: &str) -> u32 {
        if s.is_empty() {
            return Self::EMPTY;
        }
        let (key, n) = shard_of(s);
        // A worker that panicked while holding a shard left it whole (a push and an insert,
        // each complete or not begun): its data stays usable.
        let mut shard = self.shards[n]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Shard { ids, strings } = &mut *shard;
        let next = strings.len() as u32;
        let local = *ids.entry(key).or_insert(next);
        if local == next {
            strings.push(Arc::from(s));
        }
        local * SHARDS as u32 + n as u32
    }

    /// The ids of the `n` strings `get(0..n)` into `out` (cleared first), in order: the
    /// strings are sorted into their shards first and each shard is locked once, not once per
    /// string (a row group's dictionary brings tens of thousands of principals; a lock per
    /// string, its cache line going back and forth between the workers' cores, cost 8 % of
    /// the scan's CPU). `buckets` is the caller's scratch.
    pub fn ids_into<'s>(
        &self,
        n: usize,
        get: impl Fn(usize) -> &'s str,
        out: &mut Vec<u32>,
        buckets: &mut Buckets,
    ) {
        out.clear();
        out.resize(n, Self::EMPTY);
        if buckets.0.len() != SHARDS {
            buckets.0 = (0..SHARDS).map(|_| Vec::new()).collect();
        }
        for b in &mut buckets.0 {
            b.clear();
        }
        for i in 0..n {
            let s = get(i);
            if !s.is_empty() {
                let (key, shard) = shard_of(s);
                buckets.0[shard].push((key, i as u32));
            }
        }
        for (n, bucket) in buckets.0.iter().enumerate() {
            if bucket.is_empty() {
                continue;
            }
            let mut shard = self.shards[n]
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let Shard { ids, strings } = &mut *shard;
            for (key, i) in bucket {
                let next = strings.len() as u32;
                let local = *ids.entry(*key).or_insert(next);
                if local == next {
                    strings.push(Arc::from(get(*i as usize)));
                }
                out[*i as usize] = local * SHARDS as u32 + n as u32;
            }
        }
    }

    /// The strings by id, for turning id-keyed aggregates into string-keyed ones (the
    /// strings are shared, not copied). The interner may be dropped after.
    pub fn names(&self) -> Names {
        Names {
            shards: self
                .shards
                .iter()
                .map(|s| {
                    s.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .strings
                        .clone()
                })
                .collect(),
        }
    }
}

/// Scratch for [`Interner::ids_into`]: (digest, position) per shard.
#[derive(Debug, Default)]
pub struct Buckets(Vec<Vec<([u64; 2], u32)>>);

/// The strings of an [`Interner`] by id, without its lookup table.
#[derive(Debug)]
pub struct Names {
    shards: Vec<Vec<Arc<str>>>,
}

impl Names {
    /// The string of an id the interner gave out.
    pub fn get(&self, id: u32) -> &Arc<str> {
        let id = id as usize;
        &self.shards[id % SHARDS][id / SHARDS]
    }
}

#[cfg(test)]
mod tests {
    use super::{Buckets, Interner, SHARDS};

    #[test]
    fn ids_of_a_dictionary_at_once_are_the_ids_one_by_one() {
        let i = Interner::default();
        let early = i.id("w17");
        let words: Vec<String> = (0..3_000)
            .map(|n| {
                if n % 7 == 0 {
                    String::new()
                } else {
                    format!("w{}", n % 1_000)
                }
            })
            .collect();
        let mut out = vec![99; 5];
        let mut buckets = Buckets::default();
        i.ids_into(words.len(), |k| words[k].as_str(), &mut out, &mut buckets);
        assert_eq!(out.len(), words.len());
        for (w, id) in words.iter().zip(&out) {
            assert_eq!(i.id(w), *id, "{w}");
        }
        assert_eq!(out[17], early);
        assert_eq!(out[0], Interner::EMPTY);
        i.ids_into(0, |k| words[k].as_str(), &mut out, &mut buckets);
        assert!(out.is_empty());
    }

    #[test]
    fn one_id_per_distinct_string_and_back() {
        let i = Interner::default();
        assert_eq!(i.id(""), Interner::EMPTY);
        let alice = "arn:aws:iam::111122223333:user/alice";
        let a = i.id(alice);
        let b = i.id("arn:aws:iam::111122223333:user/bob");
        assert_ne!(a, b);
        assert_eq!(i.id(alice), a);
        let ids: Vec<u32> = (0..20_000).map(|n| i.id(&format!("p{n}"))).collect();
        let names = i.names();
        assert_eq!(&**names.get(a), alice);
        assert_eq!(&**names.get(Interner::EMPTY), "");
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(i.id(&format!("p{n}")), *id);
            assert_eq!(&**names.get(*id), format!("p{n}"));
        }
        assert_eq!(&**names.get(b), "arn:aws:iam::111122223333:user/bob");
        // Dense: 20,003 strings in 64 shards of about 313 each (the fullest a few standard
        // deviations, √313 ≈ 18, above that) need ids a little above 20,003.
        let max = *ids.iter().max().unwrap_or(&0) as usize;
        assert!(max < 20_003 + 100 * SHARDS, "{max}");
    }

    #[test]
    fn workers_sharing_it_get_one_id_per_string() {
        let i = Interner::default();
        let words: Vec<String> = (0..5_000).map(|n| format!("w{n}")).collect();
        let (x, y): (Vec<u32>, Vec<u32>) = std::thread::scope(|s| {
            let fwd = s.spawn(|| words.iter().map(|w| i.id(w)).collect::<Vec<_>>());
            let back = s.spawn(|| {
                let mut v: Vec<u32> = words.iter().rev().map(|w| i.id(w)).collect();
                v.reverse();
                v
            });
            (
                fwd.join().unwrap_or_default(),
                back.join().unwrap_or_default(),
            )
        });
        assert_eq!(x.len(), words.len());
        assert_eq!(x, y);
        let mut distinct = x.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), words.len());
        let names = i.names();
        for (w, id) in words.iter().zip(&x) {
            assert_eq!(&**names.get(*id), w.as_str());
        }
    }
}
