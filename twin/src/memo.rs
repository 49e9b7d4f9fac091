//! Small caches of the profile pass: strings interned to dense ids, and memos from a
//! dictionary key to an id, per batch ([`Memo`]) or across the batches that share a
//! dictionary ([`Sticky`]).

use std::sync::Arc;

use curlab_reader::read::DictStr;

use crate::map::Map;

/// Not worked out yet (in a per-batch memo).
pub(crate) const UNSET: u32 = u32::MAX;
/// A null or empty value.
pub(crate) const NONE: u32 = u32::MAX - 1;

/// Strings to dense ids (each string stored once, shared by the list and the index).
#[derive(Debug, Default)]
pub(crate) struct Interner {
    pub(crate) names: Vec<Arc<str>>,
    ids: Map<Arc<str>, u32>,
}

impl Interner {
    pub(crate) fn id(&mut self, s: &str) -> u32 {
        if let Some(i) = self.ids.get(s) {
            return *i;
        }
        let a: Arc<str> = Arc::from(s);
        self.names.push(a.clone());
        let i = (self.names.len() - 1) as u32;
        self.ids.insert(a, i);
        i
    }

    /// The names by id, dropping the index.
    pub(crate) fn into_names(self) -> Vec<Arc<str>> {
        self.names
    }
}

/// A worker's own index in front of a shared [`Interner`] (for columns whose dictionary
/// changes from batch to batch, such as principals): a string this worker has seen is found
/// without taking the shared lock. It is keyed by the string's 128-bit XXH3 hash, so a lookup
/// never reads a stored string (at 55,376 principals, comparing the stored strings was a
/// cache miss per lookup and 10 % of the pass); the shared interner, asked the first time,
/// compares strings. Two strings would share an id only if their hashes collided: for a
/// million distinct values the chance is about 10^-27.
#[derive(Debug, Default)]
pub(crate) struct Local(Map<u128, u32>);

impl Local {
    /// The id of `s`, asking `shared` (the locked interner) the first time.
    pub(crate) fn id(&mut self, s: &str, shared: impl FnOnce(&str) -> u32) -> u32 {
        let h = twox_hash::XxHash3_128::oneshot(s.as_bytes());
        *self.0.entry(h).or_insert_with(|| shared(s))
    }
}

/// A per-batch cache from dictionary key to an id.
pub(crate) struct Memo(Vec<u32>);

impl Memo {
    pub(crate) fn new() -> Self {
        Memo(Vec::new())
    }

    /// The id of row `i` of `d` (`NONE` for null), worked out by `f` once per key.
    #[inline]
    pub(crate) fn of(&mut self, d: Option<&DictStr>, i: usize, f: impl FnOnce(&str) -> u32) -> u32 {
        let Some(d) = d else { return NONE };
        let Some(k) = d.key(i) else { return NONE };
        self.at(k, || f(d.values().value(k)))
    }

    #[inline]
    pub(crate) fn at(&mut self, k: usize, f: impl FnOnce() -> u32) -> u32 {
        if k >= self.0.len() {
            self.0.resize(k + 1, UNSET);
        }
        if self.0[k] == UNSET {
            self.0[k] = f();
        }
        self.0[k]
    }
}

/// A [`Memo`] that lives across batches while their dictionary is the same buffer (a
/// Parquet column chunk's dictionary is shared by its batches), so a column with many
/// distinct values (principals, resource ids, tag values) is worked out once per row group,
/// not once per batch. It holds a clone of the dictionary, so the buffer it compares by
/// address cannot be freed and reused meanwhile.
#[derive(Default)]
pub(crate) struct Sticky {
    dict: Option<DictStr>,
    memo: Vec<u32>,
}

impl Sticky {
    /// Keep the memo if `d` is the dictionary it was made for, else start afresh.
    pub(crate) fn refresh(&mut self, d: Option<&DictStr>) {
        let same = match (&self.dict, d) {
            (Some(a), Some(b)) => {
                let (x, y) = (a.values(), b.values());
                x.values().as_ptr() == y.values().as_ptr()
                    && x.value_offsets().as_ptr() == y.value_offsets().as_ptr()
                    && x.value_offsets().len() == y.value_offsets().len()
            }
            _ => false,
        };
        if !same {
            self.memo.clear();
            self.dict = d.cloned();
        }
    }

    pub(crate) fn take(&mut self) -> Memo {
        Memo(std::mem::take(&mut self.memo))
    }

    pub(crate) fn put(&mut self, m: Memo) {
        self.memo = m.0;
    }
}

impl std::fmt::Debug for Sticky {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sticky({} entries)", self.memo.len())
    }
}
