//! Facts per distinct value of one dictionary, kept while the batches bring the same
//! dictionary: the memo every per-value fact of the scan goes through, built-in or a rule's.
//!
//! Text columns arrive in dictionary form ([`DictStr`]: per row a key into the distinct
//! values). A Parquet column chunk's dictionary is shared by all batches of its row group, so a
//! fact is worked out once per distinct value per row group (once per batch for CSV), and per
//! row only looked up by key.

use std::any::Any;

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
pub trait Fact: Clone + 'static {
    /// Whether the value is marked (an offence, or something the rule must look at per row).
    fn marked(&self) -> bool;
}

impl Fact for bool {
    fn marked(&self) -> bool {
        *self
    }
}

impl<T: Clone + 'static> Fact for Option<T> {
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

/// The table of a fact of type `T`.
pub(crate) struct RuleTable<T> {
    fact: fn(&str, &Ctx) -> T,
    /// By dictionary key.
    pub(crate) memo: Memo<T>,
    /// Whether any value of the current dictionary is marked.
    pub(crate) any: bool,
    /// The fact of the empty string (a null tag value).
    pub(crate) empty: T,
    /// Facts by interned id (ids are dense: a vector, not a map), kept across dictionaries:
    /// every row group brings its own dictionary, and a large export repeats tens of thousands
    /// of principals in each.
    by_id: Vec<Option<T>>,
}

impl<T: Fact> RuleTable<T> {
    pub(crate) fn new(fact: fn(&str, &Ctx) -> T, ctx: &Ctx) -> Self {
        RuleTable {
            fact,
            memo: Memo::default(),
            any: false,
            empty: fact("", ctx),
            by_id: Vec::new(),
        }
    }
}

impl<T: Fact> FactTable for RuleTable<T> {
    fn update(&mut self, d: Option<&DictStr>, ids: Option<&[u32]>, ctx: &Ctx) {
        let fact = self.fact;
        let by_id = &mut self.by_id;
        let changed = self
            .memo
            .update(d, |k, s| match ids.and_then(|ids| ids.get(k)) {
                Some(id) => {
                    let i = *id as usize;
                    grow_to(by_id, i + 1, None);
                    by_id[i].get_or_insert_with(|| fact(s, ctx)).clone()
                }
                None => fact(s, ctx),
            });
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
    use super::grow_to;

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
