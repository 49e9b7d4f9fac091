//! One streaming pass over an export: per principal, model, region and tier the tokens, cost,
//! active hours and shapes; per principal its tags; per tag key its values and first
//! appearance; background spend by account and service; tax. Files and Parquet row groups are
//! read in parallel through `curlab-reader` with only the needed columns; what is kept is per
//! principal and workload (active hours as bitsets), so memory does not grow with the rows.

use std::sync::Arc;

use curlab_reader::kind::FileKind;
use curlab_vocab::bedrock::{ServiceTier, Spelling, REGION_CODES};

use crate::bill_stats::BillStats;

pub use crate::map::Map;

/// Cells kept per workload for sparse callers (replayed as explicit requests): one more than
/// [`crate::specs::SPARSE_CELLS`], the most a caller replayed that way has, so a workload with
/// more is known not to be one.
pub const MAX_CELLS: usize = crate::specs::SPARSE_CELLS + 1;

/// Words of an [`HourSet`] kept inline: a 31-day month from any hour (744 hours from an
/// offset of up to 63 in the first word), so a row's update of a one-month export reads no
/// pointer.
const INLINE_WORDS: usize = 13;

/// Active hours as a bitset over hour indexes (seconds / 3600): inline while the hours span
/// at most [`INLINE_WORDS`] words, else on the heap.
#[derive(Debug, Clone, Default)]
pub struct HourSet {
    base: i64,
    /// Inline words in use (0 once on the heap).
    len: u32,
    inline: [u64; INLINE_WORDS],
    heap: Vec<u64>,
}

impl HourSet {
    fn words(&self) -> &[u64] {
        if self.heap.is_empty() {
            &self.inline[..self.len as usize]
        } else {
            &self.heap
        }
    }

    /// Keep `words` (from `base`) inline if they fit, else on the heap.
    fn store(&mut self, base: i64, words: Vec<u64>) {
        self.base = base;
        if words.len() <= INLINE_WORDS {
            self.inline = [0; INLINE_WORDS];
            self.inline[..words.len()].copy_from_slice(&words);
            self.len = words.len() as u32;
            self.heap = Vec::new();
        } else {
            self.len = 0;
            self.heap = words;
        }
    }

    /// Mark the hour of `ts` (seconds).
    pub fn insert(&mut self, ts: i64) {
        let h = ts.div_euclid(3600);
        if self.words().is_empty() {
            self.base = h - h.rem_euclid(64);
        }
        if h < self.base {
            let add = ((self.base - h + 63) / 64) as usize;
            let mut v = vec![0; add];
            v.extend_from_slice(self.words());
            self.store(self.base - add as i64 * 64, v);
        }
        let i = (h - self.base) as usize;
        let (w, bit) = (i / 64, 1u64 << (i % 64));
        if self.heap.is_empty() {
            if w < INLINE_WORDS {
                self.len = self.len.max(w as u32 + 1);
                self.inline[w] |= bit;
                return;
            }
            let mut v = self.words().to_vec();
            v.resize(w + 1, 0);
            self.store(self.base, v);
        }
        if w >= self.heap.len() {
            self.heap.resize(w + 1, 0);
        }
        self.heap[w] |= bit;
    }

    /// Hours marked.
    pub fn count(&self) -> u64 {
        self.words().iter().map(|w| u64::from(w.count_ones())).sum()
    }

    /// Every marked hour index.
    pub fn hours(&self) -> impl Iterator<Item = i64> + '_ {
        self.words().iter().enumerate().flat_map(move |(w, bits)| {
            (0..64)
                .filter(move |b| bits & (1 << b) != 0)
                .map(move |b| self.base + (w * 64 + b) as i64)
        })
    }

    pub(crate) fn merge(&mut self, o: &HourSet) {
        for h in o.hours() {
            self.insert(h * 3600);
        }
    }
}

/// One explicit-request cell: (usage start seconds, batch, global, streaming, long context).
pub type CellKey = (i64, bool, bool, bool, bool);

/// A workload's cells: tokens by [`TokenType`](curlab_vocab::bedrock::TokenType) order per
/// cell.
pub type Cells = Vec<(CellKey, [f64; 5])>;

/// Active hours and shapes of a workload that is not (or no longer) kept cell by cell.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dense {
    units: HourSet,
    hod: [f64; 24],
    wd: [f64; 7],
}

impl Dense {
    fn add(&mut self, ts: i64, prompt: f64) {
        self.units.insert(ts);
        if prompt != 0.0 {
            self.hod[hour_of_day(ts)] += prompt;
            self.wd[weekday(ts)] += prompt;
        }
    }
}

/// How a workload keeps its rows' times: every cell while it has few (its active hours and
/// shapes follow from them), else active hours and shapes.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // inline: a row's update should not chase one more pointer
enum Detail {
    Cells(Cells),
    Dense(Dense),
}

/// The hour of day (UTC) of `ts` seconds.
pub(crate) fn hour_of_day(ts: i64) -> usize {
    (ts.rem_euclid(86_400) / 3600) as usize
}

/// The weekday of `ts` seconds, Monday 0.
pub(crate) fn weekday(ts: i64) -> usize {
    ((ts.div_euclid(86_400) + 3).rem_euclid(7)) as usize // 1970-01-01 was a Thursday
}

fn prompt_of(t: &[f64; 5]) -> f64 {
    t[0] + t[2] + t[3] + t[4]
}

/// What one principal sent to one model in one region and tier.
#[derive(Debug, Clone)]
pub struct WorkStats {
    /// Tokens by [`TokenType`](curlab_vocab::bedrock::TokenType) order.
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
    /// First usage start, seconds.
    pub first: i64,
    /// Last usage start, seconds.
    pub last: i64,
    /// Marketplace spelling family, for form-B models.
    pub spelling: Spelling,
    detail: Detail,
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
            first: i64::MAX,
            last: i64::MIN,
            spelling,
            detail: Detail::Cells(Vec::new()),
        }
    }

    /// Prompt tokens: input, cache reads and cache writes.
    pub fn prompt(&self) -> f64 {
        prompt_of(&self.tokens)
    }

    /// Tokens per cell, in cell order, while the workload has at most [`MAX_CELLS`] cells and
    /// its caller at most [`SPARSE_CELLS`](crate::specs::SPARSE_CELLS) over all its workloads.
    pub fn cells(&self) -> Option<&[(CellKey, [f64; 5])]> {
        match &self.detail {
            Detail::Cells(c) => Some(c),
            Detail::Dense(_) => None,
        }
    }

    /// Active usage hours (the buckets with a row).
    pub fn active_hours(&self) -> u64 {
        match &self.detail {
            Detail::Dense(d) => d.units.count(),
            Detail::Cells(c) => {
                let mut h: Vec<i64> = c.iter().map(|(k, _)| k.0.div_euclid(3600)).collect();
                h.sort_unstable();
                h.dedup();
                h.len() as u64
            }
        }
    }

    /// Prompt tokens by hour of day (UTC).
    pub fn hod(&self) -> [f64; 24] {
        match &self.detail {
            Detail::Dense(d) => d.hod,
            Detail::Cells(_) => self.folded().hod,
        }
    }

    /// Prompt tokens by weekday, Monday first.
    pub fn wd(&self) -> [f64; 7] {
        match &self.detail {
            Detail::Dense(d) => d.wd,
            Detail::Cells(_) => self.folded().wd,
        }
    }

    fn folded(&self) -> Dense {
        let mut d = Dense::default();
        if let Detail::Cells(c) = &self.detail {
            for (k, t) in c {
                d.add(k.0, prompt_of(t));
            }
        }
        d
    }

    /// Stop keeping cells: fold them into active hours and shapes.
    pub(crate) fn make_dense(&mut self) -> &mut Dense {
        if let Detail::Cells(_) = self.detail {
            self.detail = Detail::Dense(self.folded());
        }
        match &mut self.detail {
            Detail::Dense(d) => d,
            Detail::Cells(_) => unreachable!("made dense above"),
        }
    }

    /// Add one row of `tokens` of token type `t` in `cell` (cost and flags are added by the
    /// caller). Returns whether a new cell was opened.
    pub(crate) fn add_to_cell(&mut self, cell: CellKey, t: usize, tokens: f64) -> bool {
        let prompt = if t == 1 { 0.0 } else { tokens };
        if let Detail::Cells(list) = &mut self.detail {
            match list.iter().rposition(|(c, _)| *c == cell) {
                Some(x) => {
                    list[x].1[t] += tokens;
                    return false;
                }
                None if list.len() < MAX_CELLS => {
                    let mut v = [0.0; 5];
                    v[t] = tokens;
                    list.push((cell, v));
                    return true;
                }
                None => {}
            }
        }
        self.make_dense().add(cell.0, prompt);
        false
    }

    /// Cells in key order, and no spare capacity (once, after the pass).
    pub(crate) fn settle(&mut self) {
        if let Detail::Cells(c) = &mut self.detail {
            c.sort_by_key(|a| a.0);
            c.shrink_to_fit();
        }
    }

    /// Add another workload's figures (the sessions of one role).
    pub fn merge_from(&mut self, o: &WorkStats) {
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
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
        if let (Detail::Cells(a), Detail::Cells(b)) = (&mut self.detail, &o.detail) {
            let mut u = a.clone();
            for (k, v) in b {
                match u.iter_mut().find(|(c, _)| c == k) {
                    Some((_, x)) => {
                        for i in 0..5 {
                            x[i] += v[i];
                        }
                    }
                    None => u.push((*k, *v)),
                }
            }
            if u.len() <= MAX_CELLS {
                u.sort_by_key(|x| x.0);
                *a = u;
                return;
            }
        }
        let other = match &o.detail {
            Detail::Dense(d) => d.clone(),
            Detail::Cells(_) => o.folded(),
        };
        let d = self.make_dense();
        d.units.merge(&other.units);
        for i in 0..24 {
            d.hod[i] += other.hod[i];
        }
        for i in 0..7 {
            d.wd[i] += other.wd[i];
        }
    }
}

/// Workload key within a principal: (model key, billing region code, tier, application
/// inference profile ARN). The model key is the form-A model token or `MP:<product name>` for
/// Marketplace rows.
pub type WorkKey = (Arc<str>, &'static str, ServiceTier, Option<Arc<str>>);

/// A caller's `iamPrincipal/` tags: (key without prefix, value, rows), sorted.
pub type TagCounts = Vec<(Arc<str>, Arc<str>, u64)>;

/// One principal (or, for rows without one, one account's unattributed usage).
#[derive(Debug, Clone, Default)]
pub struct PrincipalStats {
    /// `line_item_usage_account_id`.
    pub account: Arc<str>,
    /// `iamPrincipal/` tags and their rows.
    pub tags: TagCounts,
    /// Workloads, sorted by key.
    pub work: Vec<(WorkKey, WorkStats)>,
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
    pub values: usize,
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
    /// Principals by ARN, sorted.
    pub principals: Vec<(Arc<str>, PrincipalStats)>,
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
    /// Add another worker's figures kept as they are read (accounts, tag keys, background,
    /// tax and callers are filled by [`crate::observe`] once, after the pass).
    pub(crate) fn merge(&mut self, o: Profile) {
        self.rows += o.rows;
        self.bedrock_rows += o.bedrock_rows;
        self.bedrock_cost += o.bedrock_cost;
        self.other_bedrock.0 += o.other_bedrock.0;
        self.other_bedrock.1 += o.other_bedrock.1;
        merge_map(&mut self.spans, o.spans, |a, b| *a += b);
        self.periods.extend(o.periods);
        self.accounts.extend(o.accounts);
        let min = |a: Option<i64>, b: Option<i64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        self.first_with_principal = min(self.first_with_principal, o.first_with_principal);
        self.first_bedrock = min(self.first_bedrock, o.first_bedrock);
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
    use curlab_vocab::bedrock::Spelling;

    #[test]
    fn hour_sets_grow_both_ways() {
        let mut h = HourSet::default();
        h.insert(1000 * 3600);
        h.insert(10 * 3600);
        h.insert(5000 * 3600 + 17);
        h.insert(10 * 3600 + 5);
        assert_eq!(h.count(), 3);
        assert_eq!(h.hours().collect::<Vec<_>>(), vec![10, 1000, 5000]);
        // Inline (a month from any hour), then on the heap, growing both ways.
        let mut h = HourSet::default();
        h.insert(700 * 3600);
        h.insert(640 * 3600);
        h.insert((640 + 64 * 13 - 1) * 3600);
        assert!(h.heap.is_empty(), "{h:?}");
        assert_eq!(h.hours().collect::<Vec<_>>(), vec![640, 700, 1471]);
        h.insert(1472 * 3600);
        assert!(!h.heap.is_empty());
        h.insert(3 * 3600);
        assert_eq!(h.count(), 5);
        assert_eq!(h.hours().collect::<Vec<_>>(), vec![3, 640, 700, 1471, 1472]);
        let mut g = HourSet::default();
        g.insert(650 * 3600);
        g.insert(600 * 3600);
        assert!(g.heap.is_empty());
        assert_eq!(g.hours().collect::<Vec<_>>(), vec![600, 650]);
    }

    #[test]
    fn cells_fold_into_the_shapes_rows_give() {
        let cell = |ts: i64| (ts, false, false, false, false);
        // Kept as cells, and dense from the start: the same hours and shapes.
        let mut a = WorkStats::new(Spelling::Aws);
        let mut b = WorkStats::new(Spelling::Aws);
        b.make_dense();
        let rows = [
            (10 * 3600, 0, 100.0),
            (10 * 3600, 1, 50.0),
            (34 * 3600, 2, 7.0),
            (200 * 3600, 0, 3.0),
        ];
        for (ts, t, n) in rows {
            a.add_to_cell(cell(ts), t, n);
            b.add_to_cell(cell(ts), t, n);
        }
        assert_eq!(a.cells().map(|c| c.len()), Some(3));
        assert!(b.cells().is_none());
        assert_eq!((a.active_hours(), b.active_hours()), (3, 3));
        assert_eq!(a.hod(), b.hod());
        assert_eq!(a.wd(), b.wd());
        assert_eq!(
            a.hod()[10],
            107.0,
            "output tokens are not prompt: {:?}",
            a.hod()
        );
        // More than MAX_CELLS cells: the workload stops keeping them and keeps its shapes.
        for h in 0..MAX_CELLS as i64 {
            a.add_to_cell(cell((1000 + h) * 3600), 0, 1.0);
        }
        assert!(a.cells().is_none());
        assert_eq!(a.active_hours(), 3 + MAX_CELLS as u64);
        assert_eq!(a.hod().iter().sum::<f64>(), 110.0 + MAX_CELLS as f64);
    }
}
