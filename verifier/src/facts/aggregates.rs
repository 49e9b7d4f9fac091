//! Export-wide facts gathered during the scan, for the rules' `finish`: only the
//! [`Aggregate`](super::Aggregate)s the selected rules need are filled in. Merging is
//! commutative, so the result does not depend on the thread count.

use std::collections::BTreeMap;

use crate::money;

/// Bedrock spend of one (usage account, principal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spend {
    /// Cost, nano-dollars.
    pub nanos: i128,
    /// Rows.
    pub rows: u64,
}

/// Where a tag key was first seen.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeySeen {
    /// (file index, row) of the first row carrying it.
    pub first: (usize, u64),
    /// Rows carrying it.
    pub rows: u64,
}

/// A repeated line item: the same `identity_line_item_id` and `identity_time_interval`.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    /// (file index, row) of the repeated occurrence.
    pub pos: (usize, u64),
    /// Its cost.
    pub cost: Option<f64>,
    /// The id; filled in after the scan for the sampled duplicates only (see
    /// `engine::resolve_duplicate_ids`), so the scan keeps 16 bytes per row, not the id.
    pub id: Option<String>,
    /// Its `identity_time_interval`, filled in with the id (`None` when the file has none).
    pub interval: Option<String>,
    /// Billing period it repeats in (`YYYY-MM`).
    pub period: String,
}

/// Export-wide facts gathered during the scan.
#[derive(Debug, Clone, Default)]
pub struct Aggregates {
    /// [`FirstPrincipal`](super::Aggregate::FirstPrincipal): rows with a principal.
    pub principal_rows: u64,
    /// [`FirstPrincipal`](super::Aggregate::FirstPrincipal): earliest usage start of a row
    /// with a principal.
    pub first_principal_start: Option<i64>,
    /// [`Spend`](super::Aggregate::Spend): cost of Bedrock inference rows, nano-dollars.
    pub bedrock_nanos: i128,
    /// [`Spend`](super::Aggregate::Spend): of that, cost without a principal.
    pub unattributed_nanos: i128,
    /// [`Spend`](super::Aggregate::Spend): Bedrock inference spend by usage account, then
    /// principal (or "").
    pub spend: BTreeMap<String, BTreeMap<String, Spend>>,
    /// [`SpendByTag`](super::Aggregate::SpendByTag): Bedrock inference spend by
    /// `iamPrincipal/` key and value.
    pub by_tag: BTreeMap<String, BTreeMap<String, i128>>,
    /// [`TagSpellings`](super::Aggregate::TagSpellings): every `tags` key by lower-cased key,
    /// then spelling.
    pub tag_spellings: BTreeMap<String, BTreeMap<String, KeySeen>>,
    /// [`LineItemIds`](super::Aggregate::LineItemIds): every occurrence of a line item except
    /// the first (filled in after the scan).
    pub duplicates: Vec<Duplicate>,
}

impl Aggregates {
    /// Fold another thread's aggregates into this one.
    pub fn merge(&mut self, other: Aggregates) {
        self.principal_rows += other.principal_rows;
        self.first_principal_start = match (self.first_principal_start, other.first_principal_start)
        {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.bedrock_nanos = money::add(self.bedrock_nanos, other.bedrock_nanos);
        self.unattributed_nanos = money::add(self.unattributed_nanos, other.unattributed_nanos);
        for (acct, principals) in other.spend {
            let mine = self.spend.entry(acct).or_default();
            for (p, s) in principals {
                let e = mine.entry(p).or_default();
                e.nanos = money::add(e.nanos, s.nanos);
                e.rows += s.rows;
            }
        }
        for (k, vals) in other.by_tag {
            let e = self.by_tag.entry(k).or_default();
            for (v, n) in vals {
                let t = e.entry(v).or_default();
                *t = money::add(*t, n);
            }
        }
        for (lower, spellings) in other.tag_spellings {
            let e = self.tag_spellings.entry(lower).or_default();
            for (k, seen) in spellings {
                match e.get_mut(&k) {
                    Some(mine) => {
                        mine.rows += seen.rows;
                        mine.first = mine.first.min(seen.first);
                    }
                    None => {
                        e.insert(k, seen);
                    }
                }
            }
        }
        self.duplicates.extend(other.duplicates);
    }

    /// Bedrock inference spend per principal (all accounts), principals only.
    pub fn by_principal(&self) -> BTreeMap<&str, Spend> {
        let mut out: BTreeMap<&str, Spend> = BTreeMap::new();
        for (p, s) in self.spend.values().flatten() {
            if p.is_empty() {
                continue;
            }
            let e = out.entry(p.as_str()).or_default();
            e.nanos = money::add(e.nanos, s.nanos);
            e.rows += s.rows;
        }
        out
    }
}
