//! A worker's export-wide aggregates while it scans: only the [`Aggregate`]s the selected rules
//! need, keyed by interned ids (see [`Interner`]) in vectors indexed by id or fast hash maps,
//! allocating nothing per row.
//! At the end of the scan the workers' accumulators merge by id (the workers share one
//! interner) with commutative operations, so the result does not depend on the thread count,
//! and the one merged accumulator becomes an [`Aggregates`] keyed by the interned strings.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::Array;
use rustc_hash::FxHashMap;

use super::accum_bill::BillAccum;
use super::aggregates::{earliest, period_number, Aggregates, KeySeen, Spend};
use super::cache::{R_INFERENCE, R_PRINCIPAL};
use super::dupes::{DupStore, IdSink, When};
use super::intern::{Interner, Names};
use super::memo::grow_to;
use super::needs::{Aggregate, Track};
use super::view::View;
use crate::read::{Col, MapCol};
use curlab_vocab::Money;

/// A worker's aggregates.
#[derive(Debug)]
pub struct Accum {
    track: Track,
    principal_rows: u64,
    first_principal_start: Option<i64>,
    bedrock_cost: Money,
    unattributed_cost: Money,
    /// Spend by principal id (ids are dense: a vector, one memory access per row), of the
    /// first usage account seen with the principal: nearly every principal bills one account.
    spend_by_principal: Vec<DenseSpend>,
    /// (account id, principal id) → spend, for the other accounts of a principal.
    spend: FxHashMap<(u32, u32), Spend>,
    /// (key id, value id) → nano-dollars.
    by_tag: FxHashMap<(u32, u32), Money>,
    /// Key spelling id → where first seen and how often.
    tag_spellings: FxHashMap<u32, KeySeen>,
    /// Line item ids, when [`Aggregate::LineItemIds`] is tracked.
    pub ids: Option<IdSink>,
    /// Last `bill_billing_period_start_date` turned into a period number, and the number.
    last_period: Option<(i64, u32)>,
    /// Scratch: per dictionary key of the batch's `tags` keys, entries and first row.
    key_rows: Vec<(u64, u64)>,
    /// The bill, commitment and profile aggregates.
    bill: BillAccum,
}

/// A principal's spend in its first usage account: 32 bytes, two to a cache line.
#[derive(Debug, Clone, Copy, Default)]
struct DenseSpend {
    cost: Money,
    rows: u64,
    /// The account's id + 1; 0 until the principal's first row.
    account: u32,
}

impl Accum {
    /// An empty accumulator tracking `track`; line item ids go to `ids` (given when `track`
    /// has [`Aggregate::LineItemIds`]).
    pub fn new(track: Track, ids: Option<&Arc<DupStore>>) -> Self {
        Accum {
            track,
            principal_rows: 0,
            first_principal_start: None,
            bedrock_cost: Money::ZERO,
            unattributed_cost: Money::ZERO,
            spend_by_principal: Vec::new(),
            spend: FxHashMap::default(),
            by_tag: FxHashMap::default(),
            tag_spellings: FxHashMap::default(),
            ids: ids.map(|s| IdSink::new(s.clone())),
            last_period: None,
            key_rows: Vec::new(),
            bill: BillAccum::default(),
        }
    }

    /// Account for the rows of one batch.
    pub fn observe(&mut self, v: &View<'_>) {
        if self.track.has(Aggregate::FirstPrincipal) && v.has_principal_column() {
            for i in 0..v.len {
                if v.is(i, R_PRINCIPAL) {
                    self.principal_rows += 1;
                    if let Some(s) = v.start(i) {
                        self.first_principal_start =
                            Some(self.first_principal_start.map_or(s, |f| f.min(s)));
                    }
                }
            }
        }
        if self.track.has(Aggregate::Spend) || self.track.has(Aggregate::SpendByTag) {
            self.observe_spend(v);
        }
        if self.track.has(Aggregate::TagSpellings) {
            if let Some(m) = v.tag_map() {
                self.observe_tag_keys(v, m);
            }
        }
        if self.ids.is_some() {
            self.observe_ids(v);
        }
        if self.track.has(Aggregate::Bill)
            || self.track.has(Aggregate::Commitments)
            || self.track.has(Aggregate::ProfileTags)
        {
            let folder = v.folder_period.map(period_number);
            for i in 0..v.len {
                let period = match folder {
                    Some(p) => p,
                    None => self.period_of(v, i),
                };
                self.bill.observe(self.track, v, i, period);
            }
        }
    }

    /// The billing period of row `i` from `bill_billing_period_start_date` (0 when unknown),
    /// remembering the last one turned into a number.
    fn period_of(&mut self, v: &View<'_>, i: usize) -> u32 {
        match v.period_start(i) {
            Some(t) => match self.last_period {
                Some((last, n)) if last == t => n,
                _ => {
                    let n = period_number(&crate::row::fmt_ts(t));
                    self.last_period = Some((t, n));
                    n
                }
            },
            None => 0,
        }
    }

    /// Count each key of the batch by its dictionary key, then fold the counts in once per
    /// distinct key.
    fn observe_tag_keys(&mut self, v: &View<'_>, m: &MapCol) {
        let n = m.keys.values().len();
        self.key_rows.clear();
        self.key_rows.resize(n, (0, 0));
        for i in 0..v.len {
            let Some(r) = m.range(i) else { continue };
            for j in r {
                if let Some(k) = m.keys.key(j) {
                    let e = &mut self.key_rows[k];
                    if e.0 == 0 {
                        e.1 = v.row(i);
                    }
                    e.0 += 1;
                }
            }
        }
        for (k, (rows, first)) in self.key_rows.iter().enumerate() {
            if *rows == 0 {
                continue;
            }
            let at = (v.file, *first);
            let e = self
                .tag_spellings
                .entry(v.tag_key_id(k))
                .or_insert(KeySeen { first: at, rows: 0 });
            e.rows += rows;
            e.first = e.first.min(at);
        }
    }

    fn observe_spend(&mut self, v: &View<'_>) {
        let spend = self.track.has(Aggregate::Spend);
        let by_tag = self.track.has(Aggregate::SpendByTag);
        for i in 0..v.len {
            if !v.is(i, R_INFERENCE) {
                continue;
            }
            let cost = Money::from_usd(v.cost(i).unwrap_or(0.0));
            if spend {
                self.bedrock_cost += cost;
                let principal = v.principal_facts(i);
                let present = principal.is_some_and(|p| p.present);
                if !present {
                    self.unattributed_cost += cost;
                }
                let account = v.account_id(i).unwrap_or(Interner::EMPTY);
                let principal = principal.map_or(Interner::EMPTY, |p| p.id);
                let p = principal as usize;
                grow_to(&mut self.spend_by_principal, p + 1, DenseSpend::default());
                let d = &mut self.spend_by_principal[p];
                if d.account == 0 {
                    d.account = account + 1;
                }
                if d.account == account + 1 {
                    d.cost += cost;
                    d.rows += 1;
                } else {
                    let s = self.spend.entry((account, principal)).or_default();
                    s.cost += cost;
                    s.rows += 1;
                }
            }
            if by_tag {
                for t in v.tags(i) {
                    if t.k.iam {
                        let e = self.by_tag.entry((t.k.id, t.value_id)).or_default();
                        *e += cost;
                    }
                }
            }
        }
    }

    fn observe_ids(&mut self, v: &View<'_>) {
        let last_period = &mut self.last_period;
        let Some(ids) = self.ids.as_mut() else { return };
        let folder = v.folder_period.map(period_number);
        let Some(col) = v.batch.strings(Col::LineItemId) else {
            return;
        };
        let intervals = v.batch.dict(Col::TimeInterval);
        for i in 0..v.len {
            if col.is_null(i) {
                continue;
            }
            let id = col.value(i);
            if id.trim().is_empty() {
                continue;
            }
            // A line item is one id per interval: key on both (usage start/end without one).
            let when = match intervals
                .and_then(|d| d.get(i))
                .filter(|t| !t.trim().is_empty())
            {
                Some(t) => When::Interval(t),
                None => When::Usage(v.start(i), v.end(i)),
            };
            let period = match folder {
                Some(p) => p,
                None => match v.period_start(i) {
                    Some(t) => match *last_period {
                        Some((last, n)) if last == t => n,
                        _ => {
                            let n = period_number(&crate::row::fmt_ts(t));
                            *last_period = Some((t, n));
                            n
                        }
                    },
                    None => 0,
                },
            };
            ids.push(period, id, when, v.file, v.row(i), v.cost(i));
        }
    }

    /// Fold another worker's accumulator in (the same interner's ids); its line item ids
    /// are not taken (the engine finishes every worker's sink).
    pub fn merge(&mut self, other: Accum) {
        self.principal_rows += other.principal_rows;
        self.first_principal_start =
            earliest(self.first_principal_start, other.first_principal_start);
        self.bedrock_cost += other.bedrock_cost;
        self.unattributed_cost += other.unattributed_cost;
        if self.spend_by_principal.len() < other.spend_by_principal.len() {
            self.spend_by_principal
                .resize(other.spend_by_principal.len(), DenseSpend::default());
        }
        for (p, d) in other.spend_by_principal.into_iter().enumerate() {
            if d.account == 0 {
                continue;
            }
            let mine = &mut self.spend_by_principal[p];
            if mine.account == 0 {
                *mine = d;
            } else if mine.account == d.account {
                mine.cost += d.cost;
                mine.rows += d.rows;
            } else {
                let s = self.spend.entry((d.account - 1, p as u32)).or_default();
                s.cost += d.cost;
                s.rows += d.rows;
            }
        }
        for (k, s) in other.spend {
            let e = self.spend.entry(k).or_default();
            e.cost += s.cost;
            e.rows += s.rows;
        }
        for (k, n) in other.by_tag {
            *self.by_tag.entry(k).or_default() += n;
        }
        for (k, seen) in other.tag_spellings {
            match self.tag_spellings.get_mut(&k) {
                Some(mine) => {
                    mine.rows += seen.rows;
                    mine.first = mine.first.min(seen.first);
                }
                None => {
                    self.tag_spellings.insert(k, seen);
                }
            }
        }
        self.bill.merge(other.bill);
    }

    /// The line item id sink, taken out (the rest of the accumulator merges without it).
    pub fn take_ids(&mut self) -> Option<IdSink> {
        self.ids.take()
    }

    /// The aggregates keyed by the interned strings `names` (the line item ids stay in the
    /// sink).
    pub fn into_aggregates(self, names: &Names) -> (Aggregates, Option<IdSink>) {
        let mut spend: BTreeMap<Arc<str>, BTreeMap<Arc<str>, Spend>> = BTreeMap::new();
        let dense = self
            .spend_by_principal
            .into_iter()
            .enumerate()
            .filter(|(_, d)| d.account != 0)
            .map(|(p, d)| {
                let s = Spend {
                    cost: d.cost,
                    rows: d.rows,
                };
                ((d.account - 1, p as u32), s)
            });
        for ((a, p), s) in dense.chain(self.spend) {
            let e = spend
                .entry(names.get(a).clone())
                .or_default()
                .entry(names.get(p).clone())
                .or_default();
            e.cost += s.cost;
            e.rows += s.rows;
        }
        let mut by_tag: BTreeMap<String, BTreeMap<String, Money>> = BTreeMap::new();
        for ((k, v), n) in self.by_tag {
            let e = by_tag
                .entry(names.get(k).to_string())
                .or_default()
                .entry(names.get(v).to_string())
                .or_default();
            *e += n;
        }
        let mut tag_spellings: BTreeMap<String, BTreeMap<String, KeySeen>> = BTreeMap::new();
        for (k, seen) in self.tag_spellings {
            let k = names.get(k);
            tag_spellings
                .entry(k.to_lowercase())
                .or_default()
                .insert(k.to_string(), seen);
        }
        let mut agg = Aggregates {
            principal_rows: self.principal_rows,
            first_principal_start: self.first_principal_start,
            bedrock_cost: self.bedrock_cost,
            unattributed_cost: self.unattributed_cost,
            spend,
            by_tag,
            tag_spellings,
            duplicates: Vec::new(),
            ..Default::default()
        };
        self.bill.into_aggregates(names, &mut agg);
        (agg, self.ids)
    }
}
