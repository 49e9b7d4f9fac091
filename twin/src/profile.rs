//! One streaming pass over an export: per principal, model, region and tier the tokens, cost,
//! active hours and shapes; per principal its tags; per tag key its values and first
//! appearance; background spend by account and service; tax. Files and Parquet row groups are
//! read in parallel through `curlab-reader` with only the needed columns; what is kept is per
//! principal and workload (active hours as bitsets), so memory does not grow with the rows.

use std::collections::BTreeMap;
use std::sync::Arc;

use curlab_reader::kind::FileKind;
use curlab_vocab::bedrock::{ServiceTier, Spelling, REGION_CODES};

use crate::bill_stats::BillStats;

pub use crate::map::Map;

/// Cells kept per workload for sparse callers (replayed as explicit requests): one more than
/// [`crate::specs::SPARSE_CELLS`], the most a caller replayed that way has, so a workload with
/// more is known not to be one.
pub const MAX_CELLS: usize = crate::specs::SPARSE_CELLS + 1;

/// Active hours as a bitset over hour indexes (seconds / 3600).
#[derive(Debug, Clone, Default)]
pub struct HourSet {
    base: i64,
    bits: Vec<u64>,
}

impl HourSet {
    /// Mark the hour of `ts` (seconds).
    pub fn insert(&mut self, ts: i64) {
        let h = ts.div_euclid(3600);
        if self.bits.is_empty() {
            self.base = h - h.rem_euclid(64);
        }
        if h < self.base {
            let add = ((self.base - h + 63) / 64) as usize;
            let mut v = vec![0; add];
            v.extend_from_slice(&self.bits);
            self.bits = v;
            self.base -= add as i64 * 64;
        }
        let i = (h - self.base) as usize;
        if i / 64 >= self.bits.len() {
            self.bits.resize(i / 64 + 1, 0);
        }
        self.bits[i / 64] |= 1 << (i % 64);
    }

    /// Hours marked.
    pub fn count(&self) -> u64 {
        self.bits.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    /// Every marked hour index.
    pub fn hours(&self) -> impl Iterator<Item = i64> + '_ {
        self.bits.iter().enumerate().flat_map(move |(w, bits)| {
            (0..64)
                .filter(move |b| bits & (1 << b) != 0)
                .map(move |b| self.base + (w * 64 + b) as i64)
        })
    }

    fn merge(&mut self, o: &HourSet) {
        for h in o.hours() {
            self.insert(h * 3600);
        }
    }
}

/// One explicit-request cell: (usage start seconds, batch, global, streaming, long context).
pub type CellKey = (i64, bool, bool, bool, bool);

/// What one principal sent to one model in one region and tier.
#[derive(Debug, Clone)]
pub struct WorkStats {
    /// Tokens by [`TokenType`] order.
    pub tokens: [f64; 5],
    /// Cost, USD.
    pub cost: f64,
    /// Cost by token type, USD.
    pub cost_t: [f64; 5],
    /// Prompt tokens (all but output) sent as batch.
    pub batch_prompt: f64,
    /// Prompt tokens through the global profile.
    pub global_prompt: f64,
    /// Prompt tokens of streaming calls.
    pub stream_prompt: f64,
    /// Rows at long-context rates.
    pub long_rows: u64,
    /// Rows.
    pub rows: u64,
    /// Active usage hours (the buckets with a row).
    pub units: HourSet,
    /// Prompt tokens by hour of day (UTC).
    pub hod: [f64; 24],
    /// Prompt tokens by weekday, Monday first.
    pub wd: [f64; 7],
    /// First and last usage start, seconds.
    pub first: i64,
    /// Last usage start, seconds.
    pub last: i64,
    /// Tokens per cell while there are at most [`MAX_CELLS`].
    pub cells: Option<BTreeMap<CellKey, [f64; 5]>>,
    /// Marketplace spelling family, for form-B models.
    pub spelling: Spelling,
}

impl WorkStats {
    pub(crate) fn new(spelling: Spelling) -> Self {
        WorkStats {
            tokens: [0.0; 5],
            cost: 0.0,
            cost_t: [0.0; 5],
            batch_prompt: 0.0,
            global_prompt: 0.0,
            stream_prompt: 0.0,
            long_rows: 0,
            rows: 0,
            units: HourSet::default(),
            hod: [0.0; 24],
            wd: [0.0; 7],
            first: i64::MAX,
            last: i64::MIN,
            cells: Some(BTreeMap::new()),
            spelling,
        }
    }

    /// Prompt tokens: input, cache reads and cache writes.
    pub fn prompt(&self) -> f64 {
        self.tokens[0] + self.tokens[2] + self.tokens[3] + self.tokens[4]
    }

    /// Add another workload's figures (the sessions of one role).
    pub fn merge_from(&mut self, o: &WorkStats) {
        self.merge(o.clone());
    }

    fn merge(&mut self, o: WorkStats) {
        for i in 0..5 {
            self.tokens[i] += o.tokens[i];
            self.cost_t[i] += o.cost_t[i];
        }
        self.cost += o.cost;
        self.batch_prompt += o.batch_prompt;
        self.global_prompt += o.global_prompt;
        self.stream_prompt += o.stream_prompt;
        self.long_rows += o.long_rows;
        self.rows += o.rows;
        self.units.merge(&o.units);
        for i in 0..24 {
            self.hod[i] += o.hod[i];
        }
        for i in 0..7 {
            self.wd[i] += o.wd[i];
        }
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
        self.cells = match (self.cells.take(), o.cells) {
            (Some(mut a), Some(b)) => {
                for (k, v) in b {
                    let e = a.entry(k).or_insert([0.0; 5]);
                    for i in 0..5 {
                        e[i] += v[i];
                    }
                }
                (a.len() <= MAX_CELLS).then_some(a)
            }
            _ => None,
        };
    }
}

/// Workload key within a principal: (model key, billing region code, tier, application
/// inference profile ARN). The model key is the form-A model token or `MP:<product name>` for
/// Marketplace rows.
pub type WorkKey = (Arc<str>, &'static str, ServiceTier, Option<Arc<str>>);

/// One principal (or, for rows without one, one account's unattributed usage).
#[derive(Debug, Clone, Default)]
pub struct PrincipalStats {
    /// `line_item_usage_account_id`.
    pub account: String,
    /// `iamPrincipal/` key (without prefix) → value → rows.
    pub tags: Map<String, Map<String, u64>>,
    /// Workloads.
    pub work: Map<WorkKey, WorkStats>,
}

impl PrincipalStats {
    fn merge(&mut self, o: PrincipalStats) {
        if self.account.is_empty() {
            self.account = o.account;
        }
        for (k, vs) in o.tags {
            let e = self.tags.entry(k).or_default();
            for (v, n) in vs {
                *e.entry(v).or_default() += n;
            }
        }
        for (k, w) in o.work {
            match self.work.get_mut(&k) {
                Some(x) => x.merge(w),
                None => {
                    self.work.insert(k, w);
                }
            }
        }
    }
}

/// Background (non-Bedrock) spend of one account and product code.
#[derive(Debug, Clone, Default)]
pub struct BackgroundStats {
    /// Cost, USD.
    pub cost: f64,
    /// Rows per billing region code.
    pub regions: Map<&'static str, u64>,
    /// `resourceTags/` key (without prefix) → value → rows.
    pub tags: Map<String, Map<String, u64>>,
    /// Active usage hours.
    pub units: HourSet,
}

/// One tag key across the export.
#[derive(Debug, Clone, Default)]
pub struct TagKeyStats {
    /// First usage start carrying the key, seconds.
    pub first: i64,
    /// Distinct values.
    pub values: rustc_hash::FxHashSet<String>,
    /// Bedrock inference cost carrying the key, USD.
    pub bedrock_cost: f64,
}

/// A data file and what it is.
#[derive(Debug, Clone)]
pub struct FileNote {
    /// Path as displayed.
    pub display: String,
    /// Its kind.
    pub kind: FileKind,
}

/// Everything the twin learns from an export.
#[derive(Debug, Default)]
pub struct Profile {
    /// Data files found, with their kinds.
    pub files: Vec<FileNote>,
    /// Whether any CUR 2.0 file was CSV (else Parquet).
    pub csv: bool,
    /// Whether every CUR 2.0 file has `line_item_iam_principal`.
    pub principal_column: bool,
    /// Whether every CUR 2.0 file has `tags`.
    pub tags_column: bool,
    /// Rows read (CUR 2.0 files).
    pub rows: u64,
    /// Bedrock inference rows.
    pub bedrock_rows: u64,
    /// Bedrock inference cost, USD.
    pub bedrock_cost: f64,
    /// Bedrock rows that are not inference usage (e.g. provisioned throughput), and their cost.
    pub other_bedrock: (u64, f64),
    /// Usage end minus start of usage rows, seconds → rows (tells the granularity).
    pub spans: Map<i64, u64>,
    /// Billing periods `YYYY-MM`.
    pub periods: std::collections::BTreeSet<String>,
    /// Usage accounts.
    pub accounts: std::collections::BTreeSet<String>,
    /// Principals by ARN.
    pub principals: Map<String, PrincipalStats>,
    /// Bedrock usage without a principal, by account.
    pub unattributed: Map<String, PrincipalStats>,
    /// First usage start of a Bedrock row with and without a principal, seconds.
    pub first_with_principal: Option<i64>,
    /// First usage start of any Bedrock inference row.
    pub first_bedrock: Option<i64>,
    /// Full tag key (`iamPrincipal/team`) → stats.
    pub tag_keys: Map<String, TagKeyStats>,
    /// Account → product code → background spend.
    pub background: Map<String, Map<String, BackgroundStats>>,
    /// Tax cost per account, USD.
    pub tax: Map<String, f64>,
    /// Pre-tax cost per account, USD.
    pub pretax: Map<String, f64>,
    /// Prompt tokens by hour of day, all Bedrock rows.
    pub hod: [f64; 24],
    /// Prompt tokens by weekday, all Bedrock rows.
    pub wd: [f64; 7],
    /// Inference profiles, discounts, credits and refunds.
    pub bill: BillStats,
}

fn merge_map<K: std::hash::Hash + Eq, V>(a: &mut Map<K, V>, b: Map<K, V>, f: impl Fn(&mut V, V)) {
    for (k, v) in b {
        match a.get_mut(&k) {
            Some(x) => f(x, v),
            None => {
                a.insert(k, v);
            }
        }
    }
}

impl Profile {
    pub(crate) fn merge(&mut self, o: Profile) {
        self.rows += o.rows;
        self.bedrock_rows += o.bedrock_rows;
        self.bedrock_cost += o.bedrock_cost;
        self.other_bedrock.0 += o.other_bedrock.0;
        self.other_bedrock.1 += o.other_bedrock.1;
        merge_map(&mut self.spans, o.spans, |a, b| *a += b);
        self.periods.extend(o.periods);
        self.accounts.extend(o.accounts);
        merge_map(&mut self.principals, o.principals, |a, b| a.merge(b));
        merge_map(&mut self.unattributed, o.unattributed, |a, b| a.merge(b));
        let min = |a: Option<i64>, b: Option<i64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        self.first_with_principal = min(self.first_with_principal, o.first_with_principal);
        self.first_bedrock = min(self.first_bedrock, o.first_bedrock);
        for (k, t) in o.tag_keys {
            let e = self.tag_keys.entry(k).or_insert_with(|| TagKeyStats {
                first: i64::MAX,
                ..Default::default()
            });
            e.first = e.first.min(t.first);
            e.values.extend(t.values);
            e.bedrock_cost += t.bedrock_cost;
        }
        merge_map(&mut self.background, o.background, |a, b| {
            merge_map(a, b, |x, y| {
                x.cost += y.cost;
                merge_map(&mut x.regions, y.regions, |p, q| *p += q);
                merge_map(&mut x.tags, y.tags, |p, q| merge_map(p, q, |m, n| *m += n));
                x.units.merge(&y.units);
            })
        });
        merge_map(&mut self.tax, o.tax, |a, b| *a += b);
        merge_map(&mut self.pretax, o.pretax, |a, b| *a += b);
        for i in 0..24 {
            self.hod[i] += o.hod[i];
        }
        for i in 0..7 {
            self.wd[i] += o.wd[i];
        }
        self.bill.merge(o.bill);
    }

    /// The rows' granularity: `HOURLY`, `DAILY` or `MONTHLY` (the most common usage span).
    pub fn granularity(&self) -> &'static str {
        let span = self
            .spans
            .iter()
            .max_by_key(|(s, n)| (**n, -**s))
            .map_or(3600, |(s, _)| *s);
        if span <= 3600 {
            "HOURLY"
        } else if span <= 86_400 {
            "DAILY"
        } else {
            "MONTHLY"
        }
    }
}

/// The billing region code a usage type starts with, if it is a known one.
pub fn region_code_of(usage_type: &str) -> Option<&'static str> {
    let code = usage_type.split('-').next().unwrap_or("");
    REGION_CODES
        .iter()
        .find(|(_, c)| *c == code)
        .map(|(_, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_sets_grow_both_ways() {
        let mut h = HourSet::default();
        h.insert(1000 * 3600);
        h.insert(10 * 3600);
        h.insert(5000 * 3600 + 17);
        h.insert(10 * 3600 + 5);
        assert_eq!(h.count(), 3);
        assert_eq!(h.hours().collect::<Vec<_>>(), vec![10, 1000, 5000]);
    }
}
