//! Facts per distinct value of one dictionary, kept while the batches bring the same
//! dictionary: the memo every per-value fact of the scan goes through, built-in or a rule's.
//!
//! Text columns arrive in dictionary form ([`DictStr`]: per row a key into the distinct
//! values). A Parquet column chunk's dictionary is shared by all batches of its row group, so a
//! fact is worked out once per distinct value per row group (once per batch for CSV), and per
//! row only looked up by key.

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use arrow_array::{Array, StringArray};

use crate::context::Ctx;
use crate::read::DictStr;

/// Facts per distinct value of one dictionary, kept while batches bring the same dictionary.
#[derive(Debug)]
pub(crate) struct Memo<T> {
    source: Option<StringArray>,
    /// The facts, by dictionary key.
    pub(crate) facts: Vec<T>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo {
            source: None,
            facts: Vec::new(),
        }
    }
}

fn same_values(a: &StringArray, b: &StringArray) -> bool {
    // `source` holds a clone of the dictionary, so its buffers stay alive and their addresses
    // cannot be reused by another dictionary while compared.
    a.len() == b.len()
        && a.values().as_ptr() == b.values().as_ptr()
        && a.value_offsets().as_ptr() == b.value_offsets().as_ptr()
}

impl<T> Memo<T> {
    /// Work the facts out again when `d` brings a dictionary other than the last one; `f` gets
    /// each distinct value's key and text (`""` for a null value). Returns whether they changed.
    pub(crate) fn update(
        &mut self,
        d: Option<&DictStr>,
        mut f: impl FnMut(usize, &str) -> T,
    ) -> bool {
        let Some(d) = d else {
            let changed = self.source.is_some();
            self.source = None;
            self.facts.clear();
            return changed;
        };
        if self
            .source
            .as_ref()
            .is_some_and(|s| same_values(s, d.values()))
        {
            return false;
        }
        let values = d.values();
        // Refilled in place: a large dictionary's table is reused, not allocated per row group.
        self.facts.clear();
        self.facts.extend((0..values.len()).map(|k| {
            f(
                k,
                if values.is_null(k) {
                    ""
                } else {
                    values.value(k)
                },
            )
        }));
        self.source = Some(values.clone());
        true
    }

    /// The fact of row `i`'s value (`None` for a null cell or no column).
    #[inline]
    pub(crate) fn of(&self, d: Option<&DictStr>, i: usize) -> Option<&T> {
        d.and_then(|d| d.key(i)).map(|k| &self.facts[k])
    }
}

/// Make `v` at least `n` long, filling with `fill`. A table indexed by interned id grows by an
/// eighth, not by doubling: it ends within an eighth of the ids it holds (each worker keeps
/// several such tables of a few hundred thousand entries), for a few more copies while it
/// grows.
pub(crate) fn grow_to<T: Clone>(v: &mut Vec<T>, n: usize, fill: T) {
    if n <= v.len() {
        return;
    }
    if n > v.capacity() {
        let want = n.max(v.len() + v.len() / 8);
        v.reserve_exact(want - v.len());
    }
    v.resize(n, fill);
}

/// What a per-value fact may be: anything that marks a value or not. A rule can skip a batch
/// whose dictionary marks no value ([`Facts::any`](super::Facts::any)).
pub trait Fact: Clone + Send + Sync + 'static {
    /// Whether the value is marked (an offence, or something the rule must look at per row).
    fn marked(&self) -> bool;
}

impl Fact for bool {
    fn marked(&self) -> bool {
        *self
    }
}

impl<T: Clone + Send + Sync + 'static> Fact for Option<T> {
    fn marked(&self) -> bool {
        self.is_some()
    }
}

/// A per-worker table of one rule fact (see [`PerValue`](super::PerValue)), kept up to date
/// with the batches' dictionaries.
pub trait FactTable {
    /// Bring the table up to date with the dictionary `d`; `ids` are the interned ids of its
    /// values where the scan keeps them (principals), to reuse facts across dictionaries.
    fn update(&mut self, d: Option<&DictStr>, ids: Option<&[u32]>, ctx: &Ctx);
    /// The table, for [`View::facts`](super::View::facts) to downcast.
    fn as_any(&self) -> &dyn Any;
}

/// A rule fact's values by interned id (ids are dense: a vector, not a map), one table for all
/// workers of a scan.
type ById<T> = Arc<RwLock<Vec<Option<T>>>>;

/// The rule facts' tables by interned id, shared by the workers of one scan (found by the
/// fact's address): a principal's fact is worked out once, not once per worker, and kept once.
#[derive(Default)]
pub struct SharedFacts(Mutex<Vec<(usize, Arc<dyn Any + Send + Sync>)>>);

impl std::fmt::Debug for SharedFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedFacts")
    }
}

impl SharedFacts {
    /// The shared table of the fact at `address` (made on first request).
    pub(crate) fn table<T: Fact>(&self, address: usize) -> ById<T> {
        let mut tables = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(t) = tables
            .iter()
            .find(|(a, _)| *a == address)
            .and_then(|(_, t)| t.clone().downcast::<RwLock<Vec<Option<T>>>>().ok())
        {
            return t;
        }
        let t: ById<T> = Arc::default();
        tables.push((address, t.clone()));
        t
    }
}

/// The table of a fact of type `T`.
pub(crate) struct RuleTable<T> {
    fact: fn(&str, &Ctx) -> T,
    /// By dictionary key.
    pub(crate) memo: Memo<T>,
    /// Whether any value of the current dictionary is marked.
    pub(crate) any: bool,
    /// The fact of the empty string (a null tag value).
    pub(crate) empty: T,
    /// Facts by interned id, kept across dictionaries and shared by the workers: every row
    /// group brings its own dictionary, and a large export repeats tens of thousands of
    /// principals in each.
    by_id: ById<T>,
    /// Scratch: facts worked out for this dictionary, to add to `by_id`.
    fresh: Vec<(u32, T)>,
}

impl<T: Fact> RuleTable<T> {
    pub(crate) fn new(fact: fn(&str, &Ctx) -> T, ctx: &Ctx, by_id: ById<T>) -> Self {
        RuleTable {
            fact,
            memo: Memo::default(),
            any: false,
            empty: fact("", ctx),
            by_id,
            fresh: Vec::new(),
        }
    }
}

impl<T: Fact> FactTable for RuleTable<T> {
    fn update(&mut self, d: Option<&DictStr>, ids: Option<&[u32]>, ctx: &Ctx) {
        let fact = self.fact;
        let fresh = &mut self.fresh;
        fresh.clear();
        // Read while the dictionary is gone through (the other workers read alongside); the
        // facts not yet known are added after, under the write lock, once per dictionary.
        let by_id = self.by_id.read().unwrap_or_else(PoisonError::into_inner);
        let changed = self
            .memo
            .update(d, |k, s| match ids.and_then(|ids| ids.get(k)) {
                Some(id) => match by_id.get(*id as usize).and_then(Option::as_ref) {
                    Some(f) => f.clone(),
                    None => {
                        let f = fact(s, ctx);
                        fresh.push((*id, f.clone()));
                        f
                    }
                },
                None => fact(s, ctx),
            });
        drop(by_id);
        if !fresh.is_empty() {
            let mut by_id = self.by_id.write().unwrap_or_else(PoisonError::into_inner);
            for (id, f) in fresh.drain(..) {
                let i = id as usize;
                grow_to(&mut by_id, i + 1, None);
                by_id[i].get_or_insert(f);
            }
        }
        if changed {
            self.any = self.memo.facts.iter().any(Fact::marked);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::{grow_to, SharedFacts};
    use std::sync::Arc;

    #[test]
    fn workers_get_one_table_per_fact() {
        let shared = SharedFacts::default();
        let a = shared.table::<bool>(1);
        let b = shared.table::<bool>(1);
        let c = shared.table::<bool>(2);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        if let Ok(mut t) = a.write() {
            t.push(Some(true));
        }
        assert_eq!(b.read().map(|t| t.len()).unwrap_or(0), 1);
        assert_eq!(c.read().map(|t| t.len()).unwrap_or(9), 0);
    }

    #[test]
    fn grow_to_fills_and_keeps_little_spare_capacity() {
        let mut v: Vec<u8> = Vec::new();
        grow_to(&mut v, 3, 7);
        assert_eq!(v, [7, 7, 7]);
        grow_to(&mut v, 2, 9);
        assert_eq!(v, [7, 7, 7]);
        for n in 4..=100_000 {
            grow_to(&mut v, n, 1);
            assert_eq!(v.len(), n);
        }
        assert!(v.capacity() <= 100_000 + 100_000 / 8, "{}", v.capacity());
        assert!(v[3..].iter().all(|b| *b == 1));
    }
}
