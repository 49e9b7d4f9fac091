//! What the workers of the pass share: the dictionaries (every string the profile keeps,
//! interned once to a global id) and the per-caller figures, one copy for all workers. The
//! callers live in shards behind their own locks, so two workers rarely wait for each other;
//! a worker looks a string up here only the first time a dictionary of its row group shows it
//! (its memos remember the id), and locks one shard per Bedrock inference row.

use std::sync::{Arc, Mutex, MutexGuard};

use curlab_vocab::bedrock::{ServiceTier, Spelling};

use crate::map::Map;
use crate::memo::Interner;
use crate::profile::{CellKey, WorkKey, WorkStats};
use crate::specs::SPARSE_CELLS;

/// Shards of the caller table (a power of two, more than workers).
const SHARDS: usize = 64;

/// Every string the profile keeps, by global id.
#[derive(Debug, Default)]
pub(crate) struct Dicts {
    pub(crate) accounts: Interner,
    /// Full tag keys (`iamPrincipal/team`).
    pub(crate) keys: Interner,
    pub(crate) values: Interner,
    /// Model keys: the form-A model token or `MP:<product name>`.
    pub(crate) models: Interner,
    pub(crate) usage_types: Interner,
    /// Application inference profile ARNs.
    pub(crate) profiles: Interner,
    /// Principal ARNs.
    pub(crate) principals: Interner,
}

/// Tags kept inside the [`Caller`] (most callers carry one or two `iamPrincipal/` tags).
const INLINE_TAGS: usize = 2;

/// A caller's (tag key id, value id, rows): the first [`INLINE_TAGS`] inside the caller, so a
/// row's update does not follow a pointer to them (that cache miss was half of the update's
/// time at 55,376 callers), any more in a vector.
#[derive(Debug, Default)]
pub(crate) struct TagRows {
    inline: [(u32, u32, u64); INLINE_TAGS],
    n: u8,
    more: Vec<(u32, u32, u64)>,
}

impl TagRows {
    /// Count one row of `(key, value)`.
    fn add(&mut self, k: u32, v: u32) {
        let n = usize::from(self.n);
        if let Some(t) = self.inline[..n]
            .iter_mut()
            .chain(self.more.iter_mut())
            .find(|(a, b, _)| *a == k && *b == v)
        {
            t.2 += 1;
        } else if n < INLINE_TAGS {
            self.inline[n] = (k, v, 1);
            self.n += 1;
        } else {
            // No spare capacity: a `Vec` grows to 4 at its first push, and there is one per
            // caller.
            self.more.reserve_exact(1);
            self.more.push((k, v, 1));
        }
    }

    /// Every (key id, value id, rows).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32, u64)> + '_ {
        self.inline[..usize::from(self.n)]
            .iter()
            .chain(self.more.iter())
            .copied()
    }
}

/// One caller's figures, by id.
#[derive(Debug, Default)]
pub(crate) struct Caller {
    pub(crate) account: u32,
    /// Cells opened over all workloads; above [`SPARSE_CELLS`] the caller cannot be replayed
    /// as exact requests, and its workloads stop keeping cells.
    cells: u32,
    /// The first workload, inside the caller (most callers have one): a row's update finds
    /// it without following a pointer. Workloads are keyed by the interned strings (compared
    /// by address while reading), so the profile takes them as they are.
    first: Option<(WorkKey, WorkStats)>,
    /// Any further workloads (no spare capacity: a workload is 600 bytes).
    more: Vec<(WorkKey, WorkStats)>,
    /// Rows per `iamPrincipal/` tag.
    pub(crate) tags: TagRows,
}

/// One Bedrock inference row, as a caller takes it.
pub(crate) struct Row<'a> {
    pub(crate) account: u32,
    /// (key id, value id) of the row's `iamPrincipal/` tags.
    pub(crate) tags: &'a [(u32, u32)],
    /// Model key, interned.
    pub(crate) model: &'a Arc<str>,
    /// Billing region code.
    pub(crate) region: &'static str,
    pub(crate) tier: ServiceTier,
    /// Application inference profile ARN, interned.
    pub(crate) profile: Option<&'a Arc<str>>,
    pub(crate) spelling: Spelling,
    /// Token type index.
    pub(crate) token: usize,
    pub(crate) tokens: f64,
    pub(crate) cost: f64,
    pub(crate) ts: i64,
    pub(crate) batch: bool,
    pub(crate) global: bool,
    pub(crate) streaming: bool,
    pub(crate) long: bool,
}

impl Caller {
    /// Add one inference row.
    pub(crate) fn add(&mut self, r: &Row<'_>) {
        self.account = r.account;
        for (k, v) in r.tags {
            self.tags.add(*k, *v);
        }
        let same = |k: &WorkKey| {
            Arc::ptr_eq(&k.0, r.model)
                && k.1 == r.region
                && k.2 == r.tier
                && match (&k.3, r.profile) {
                    (None, None) => true,
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    _ => false,
                }
        };
        let w = match &mut self.first {
            Some((k, w)) if same(k) => w,
            None => {
                let key = (r.model.clone(), r.region, r.tier, r.profile.cloned());
                &mut self.first.insert((key, WorkStats::new(r.spelling))).1
            }
            Some(_) => {
                let i = match self.more.iter().position(|(k, _)| same(k)) {
                    Some(i) => i,
                    None => {
                        let key = (r.model.clone(), r.region, r.tier, r.profile.cloned());
                        self.more.reserve_exact(1);
                        self.more.push((key, WorkStats::new(r.spelling)));
                        self.more.len() - 1
                    }
                };
                &mut self.more[i].1
            }
        };
        let t = r.token;
        w.tokens[t] += r.tokens;
        w.cost += r.cost;
        w.cost_t[t] += r.cost;
        w.rows += 1;
        w.first = w.first.min(r.ts);
        w.last = w.last.max(r.ts);
        if r.long {
            w.long_rows += 1;
        }
        if t != 1 {
            if r.batch {
                w.batch_prompt += r.tokens;
            }
            if r.global {
                w.global_prompt += r.tokens;
            }
            if r.streaming {
                w.stream_prompt += r.tokens;
            }
        }
        let cell: CellKey = (r.ts, r.batch, r.global, r.streaming, r.long);
        if w.add_to_cell(cell, t, r.tokens) {
            self.cells += 1;
            if self.cells as usize > SPARSE_CELLS {
                let more = self.more.iter_mut();
                for (_, w) in self.first.iter_mut().chain(more) {
                    w.make_dense();
                }
            }
        }
    }
}

impl Caller {
    /// Its workloads, in the order they were opened.
    pub(crate) fn into_work(self) -> Vec<(WorkKey, WorkStats)> {
        let mut v = Vec::with_capacity(usize::from(self.first.is_some()) + self.more.len());
        v.extend(self.first);
        v.extend(self.more);
        v
    }
}

/// A lock that does not let one panicked worker poison the others' results (the pass fails
/// with that worker's error anyway).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One shard, on its own cache line.
#[repr(align(64))]
#[derive(Debug, Default)]
struct Shard(Mutex<Vec<Caller>>);

/// The shared state of one pass.
#[derive(Debug)]
pub(crate) struct Store {
    dicts: Mutex<Dicts>,
    shards: Vec<Shard>,
    /// Bedrock usage without a principal, by account id.
    unattributed: Mutex<Map<u32, Caller>>,
}

impl Store {
    pub(crate) fn new() -> Self {
        Store {
            dicts: Mutex::default(),
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            unattributed: Mutex::default(),
        }
    }

    /// The dictionaries, locked.
    pub(crate) fn dicts(&self) -> MutexGuard<'_, Dicts> {
        lock(&self.dicts)
    }

    /// Add a row to the principal with global id `principal`.
    pub(crate) fn add(&self, principal: u32, r: &Row<'_>) {
        let (s, i) = (principal as usize % SHARDS, principal as usize / SHARDS);
        let mut v = lock(&self.shards[s].0);
        if i >= v.len() {
            v.resize_with(i + 1, Caller::default);
        }
        v[i].add(r);
    }

    /// Add a row without a principal to its account's stand-in.
    pub(crate) fn add_unattributed(&self, r: &Row<'_>) {
        lock(&self.unattributed)
            .entry(r.account)
            .or_default()
            .add(r);
    }

    /// Take out the dictionaries, the callers, and the unattributed usage by account (once
    /// the workers are done).
    pub(crate) fn take_parts(&self) -> (Dicts, Callers, Map<u32, Caller>) {
        let dicts = std::mem::take(&mut *self.dicts());
        let shards = self
            .shards
            .iter()
            .map(|s| std::mem::take(&mut *lock(&s.0)))
            .collect();
        let un = std::mem::take(&mut *lock(&self.unattributed));
        (dicts, Callers(shards), un)
    }
}

/// The callers of a finished pass, in their shards.
pub(crate) struct Callers(Vec<Vec<Caller>>);

impl Callers {
    /// The `n` callers by principal id, each turned into a `T` by `f` (a caller never sent a
    /// row is a default one). One shard after the other, each freed once turned, so the
    /// callers and what they are turned into are not both held in full.
    pub(crate) fn into_by_id<T>(self, n: usize, mut f: impl FnMut(Caller) -> T) -> Vec<T> {
        let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
        for (s, shard) in self.0.into_iter().enumerate() {
            for (i, c) in shard.into_iter().enumerate() {
                if let Some(o) = out.get_mut(i * SHARDS + s) {
                    *o = Some(f(c));
                }
            }
        }
        out.into_iter()
            .map(|o| o.unwrap_or_else(|| f(Caller::default())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_rows_count_inline_and_beyond() {
        let mut t = TagRows::default();
        for (k, v) in [(1, 1), (2, 5), (1, 1), (3, 7), (2, 6), (3, 7), (3, 7)] {
            t.add(k, v);
        }
        let mut got: Vec<_> = t.iter().collect();
        got.sort_unstable();
        assert_eq!(got, [(1, 1, 2), (2, 5, 1), (2, 6, 1), (3, 7, 3)]);
        assert_eq!(t.more.len(), 2);
    }

    /// A store with principal 70 sent `cells` one-hour cells, alternating two models.
    fn caller_with(cells: i64) -> Caller {
        let models: [Arc<str>; 2] = [Arc::from("m1"), Arc::from("m2")];
        let store = Store::new();
        for i in 0..=70 {
            store.dicts().principals.id(&format!("p{i}"));
        }
        for c in 0..cells {
            let r = Row {
                account: 0,
                tags: &[(1, 2)],
                model: &models[(c % 2) as usize],
                region: "USE1",
                tier: ServiceTier::Standard,
                profile: None,
                spelling: Spelling::Aws,
                token: 0,
                tokens: 10.0,
                cost: 0.5,
                ts: c * 3600,
                batch: false,
                global: false,
                streaming: false,
                long: false,
            };
            store.add(70, &r);
        }
        let (_, callers, _) = store.take_parts();
        let mut callers = callers.into_by_id(71, |c| c);
        assert_eq!(callers.len(), 71);
        assert!(callers[..70].iter().all(|c| c.first.is_none()));
        callers.swap_remove(70)
    }

    #[test]
    fn a_caller_with_many_cells_stops_keeping_them_in_every_workload() {
        let c = caller_with(SPARSE_CELLS as i64);
        assert_eq!(c.tags.iter().count(), 1);
        let tags: Vec<_> = c.tags.iter().collect();
        let work = c.into_work();
        assert_eq!(work.len(), 2);
        assert!(work.iter().all(|(_, w)| w.cells().is_some()));
        assert_eq!(tags, [(1, 2, SPARSE_CELLS as u64)]);
        let c = caller_with(SPARSE_CELLS as i64 + 1);
        let work = c.into_work();
        assert!(work.iter().all(|(_, w)| w.cells().is_none()));
        let hours: u64 = work.iter().map(|(_, w)| w.active_hours()).sum();
        assert_eq!(hours, SPARSE_CELLS as u64 + 1);
    }
}
