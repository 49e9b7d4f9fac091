//! The rules: one module per rule, registered in [`registry`].
//!
//! A rule sees the export three ways, all optional: [`Rule::check_file`] once per data file
//! (schema and layout), [`Rule::check_batch`] for every record batch of the one streaming pass
//! (a [`View`]: the batch's columns with facts worked out once per distinct value, so per row a
//! rule only looks them up), and [`Rule::finish`] once at the end with the export-wide
//! [`Aggregates`]. Per-thread tallies and aggregates are merged commutatively, so results never
//! depend on the thread count.

use std::collections::{BTreeMap, HashMap};

use curlab_vocab::truth::Truth;

use crate::finding::Tally;
use crate::input::{DataFile, ManifestCheck};
use crate::kind::FileKind;
use crate::meta::RuleMeta;
use crate::money;
use crate::policy::Policy;
use crate::read::Opened;
pub use crate::view::View;

pub mod registry;

pub mod ct001_cost_rate_mismatch;
pub mod ct002_time_misaligned;
pub mod ct003_pricing_unit_mismatch;
pub mod ct004_duplicate_line_item;
pub mod ct005_negative_usage;
pub mod gw001_gateway_collapsed;
pub mod gw002_dominant_session;
pub mod po001_required_tag_coverage;
pub mod po002_gateway_sessions;
pub mod po003_principal_not_allowed;
pub mod pr001_missing_principal;
pub mod pr002_malformed_arn;
pub mod pr003_account_mismatch;
pub mod pr004_principal_on_non_bedrock;
pub mod pr005_principal_before_launch;
pub mod pr006_bad_session_name;
pub mod rc001_bedrock_total;
pub mod rc002_principal_totals;
pub mod rc003_tag_totals;
pub mod rc004_unattributed;
pub mod rc005_missing_principals;
pub mod rc006_unexpected_principals;
pub mod sc001_missing_column;
pub mod sc002_wrong_type;
pub mod sc003_column_case;
pub mod sc004_map_as_string;
pub mod sc005_manifest_files;
pub mod sc006_manifest_columns;
pub mod sc007_outside_billing_period;
pub mod sc008_not_cur2_data;
pub mod tg001_principal_tag_without_principal;
pub mod tg002_unprefixed_key;
pub mod tg003_tag_charset;
pub mod tg004_aws_prefix;
pub mod tg005_too_many_tags;
pub mod tg006_key_case_conflict;
pub mod tg007_inactive_key;
pub mod tg008_tag_before_activation;
pub mod tg009_session_tag_lost;

/// A verifier rule.
pub trait Rule: Sync {
    /// Code, name, documentation.
    fn meta(&self) -> &'static RuleMeta;

    /// A reason the rule cannot apply to this input, beyond its applicability and columns.
    fn skip_reason(&self, _ctx: &Ctx) -> Option<String> {
        None
    }

    /// Whether [`Rule::check_file`] sees every data file. Other rules see only CUR 2.0 files
    /// (see [`crate::kind`]); only SC008, which says what the others are, sees all.
    fn judges_every_file(&self) -> bool {
        false
    }

    /// Called once per data file with its schema (only CUR 2.0 files unless
    /// [`Rule::judges_every_file`]).
    fn check_file(&self, _file: usize, _ctx: &Ctx, _out: &mut Tally) {}

    /// Called for every record batch of the scan (its cells that did not parse as their
    /// documented type are in `view.batch.cell_errors`).
    fn check_batch(&self, _view: &View<'_>, _ctx: &Ctx, _out: &mut Tally) {}

    /// Called once after the scan.
    fn finish(&self, _agg: &Aggregates, _ctx: &Ctx, _out: &mut Tally) {}
}

/// An opened data file.
#[derive(Debug, Clone)]
pub struct FileCtx {
    /// Where and what it is.
    pub file: DataFile,
    /// Its schema.
    pub opened: Opened,
    /// CUR 2.0, legacy CUR or not CUR data (from its columns); only CUR 2.0 files are scanned.
    pub kind: FileKind,
}

/// When a cost allocation tag key took effect.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyActivation {
    /// Rows starting at or after this (UTC µs) carry the key; `None` when unknown.
    pub effective_from: Option<i64>,
    /// First instant of a backfilled month, if any.
    pub backfill_from: Option<i64>,
}

/// The export's time granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// One-hour rows.
    Hourly,
    /// One-day rows.
    Daily,
    /// One row per month.
    Monthly,
}

/// Everything a rule may consult besides the rows.
#[derive(Debug, Default)]
pub struct Ctx {
    /// Data files in discovery order.
    pub files: Vec<FileCtx>,
    /// Manifests of export folders.
    pub manifests: Vec<ManifestCheck>,
    /// Whether any input was a Data Exports folder.
    pub has_export_layout: bool,
    /// The truth file, if given.
    pub truth: Option<Truth>,
    /// The policy, if given.
    pub policy: Option<Policy>,
    /// Activated keys and when they took effect (from the truth, else the policy).
    pub activation: Option<BTreeMap<String, KeyActivation>>,
    /// Truth principals by ARN (index into `truth.principals`).
    pub truth_principals: HashMap<String, usize>,
    /// First instant (UTC µs) at which Bedrock rows must carry a principal.
    pub principal_from: i64,
    /// Whether `principal_from` comes from the truth file (else it is the launch date and the
    /// rules use the first day the export shows a principal).
    pub principal_from_truth: bool,
    /// Granularity from the truth file.
    pub granularity: Option<Granularity>,
    /// `--period`, if given.
    pub period: Option<String>,
    /// Compiled `principals.allowed` patterns of the policy.
    pub allowed_principals: Vec<glob::Pattern>,
}

impl Ctx {
    /// Whether any CUR 2.0 data file has this column.
    pub fn any_file_has(&self, column: &str) -> bool {
        self.files
            .iter()
            .any(|f| f.kind.is_cur2() && f.opened.schema.has(column))
    }

    /// Whether any data file is CUR 2.0 data (see [`crate::kind`]).
    pub fn any_cur2_file(&self) -> bool {
        self.files.iter().any(|f| f.kind.is_cur2())
    }
}

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

/// What to aggregate (only what the selected rules use).
#[derive(Debug, Clone, Copy, Default)]
pub struct Track {
    /// Spend per account and principal.
    pub spend: bool,
    /// Spend per `iamPrincipal/` tag value.
    pub by_tag: bool,
    /// Tag key spellings.
    pub tag_case: bool,
    /// `identity_line_item_id`s (see [`crate::dupes`]).
    pub duplicates: bool,
}

/// Export-wide facts gathered during the scan. Merging is commutative.
#[derive(Debug, Clone, Default)]
pub struct Aggregates {
    /// What is tracked.
    pub track: Track,
    /// Rows in files that have `line_item_iam_principal`.
    pub principal_column_rows: u64,
    /// Of those, rows with a principal.
    pub principal_rows: u64,
    /// Earliest usage start of a row with a principal.
    pub first_principal_start: Option<i64>,
    /// Cost of Bedrock inference rows, nano-dollars.
    pub bedrock_nanos: i128,
    /// Of that, cost without a principal.
    pub unattributed_nanos: i128,
    /// Bedrock inference spend by usage account, then principal (or "").
    pub spend: BTreeMap<String, BTreeMap<String, Spend>>,
    /// Bedrock inference spend by `iamPrincipal/` key and value.
    pub by_tag: BTreeMap<String, BTreeMap<String, i128>>,
    /// Every `tags` key by lower-cased key, then spelling.
    pub tag_case: BTreeMap<String, BTreeMap<String, KeySeen>>,
    /// Every occurrence of a line item id except the first (filled in after the scan).
    pub duplicates: Vec<Duplicate>,
}

impl Aggregates {
    /// Fold another thread's aggregates into this one.
    pub fn merge(&mut self, other: Aggregates) {
        self.principal_column_rows += other.principal_column_rows;
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
        for (lower, spellings) in other.tag_case {
            let e = self.tag_case.entry(lower).or_default();
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

impl Ctx {
    /// The first instant from which rows must carry a principal: the truth's
    /// `iam_principal_data_from` when given; otherwise the later of 2026-04-08 and the first day
    /// on which the export shows any principal (an export may have enabled IAM principal data
    /// after the launch). `None` when the export shows no principal at all and no truth says
    /// when it should.
    pub fn principal_expected_from(&self, agg: &Aggregates) -> Option<i64> {
        if self.principal_from_truth {
            return Some(self.principal_from);
        }
        agg.first_principal_start
            .map(|f| f.max(self.principal_from))
    }
}

/// A sample that is not tied to a row: a total, a principal, a key.
pub fn export_sample<K: Into<String>, V: Into<String>>(
    file: Option<String>,
    values: impl IntoIterator<Item = (K, V)>,
) -> crate::finding::Sample {
    crate::finding::Sample {
        file,
        row: None,
        identity_line_item_id: None,
        values: crate::finding::values(values),
    }
}

/// Format dollars for messages (`$12.34`, or more digits for small amounts).
pub fn usd(dollars: f64) -> String {
    if dollars.abs() >= 0.01 || dollars == 0.0 {
        format!("${dollars:.2}")
    } else {
        format!("${dollars:.6}")
    }
}

/// First instant and the instant after the month of `YYYY-MM`, UTC µs.
pub fn period_bounds(period: &str) -> Option<(i64, i64)> {
    let y: i32 = period.get(..4)?.parse().ok()?;
    let m: u32 = period.get(5..7)?.parse().ok()?;
    month_bounds(y, m)
}

/// First instant of the month containing `micros` and of the next one.
pub fn month_bounds_of(micros: i64) -> Option<(i64, i64)> {
    use chrono::Datelike;
    let d = chrono::DateTime::from_timestamp_micros(micros)?;
    month_bounds(d.year(), d.month())
}

fn month_bounds(y: i32, m: u32) -> Option<(i64, i64)> {
    let start = chrono::NaiveDate::from_ymd_opt(y, m, 1)?;
    let next = if m == 12 {
        chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        chrono::NaiveDate::from_ymd_opt(y, m + 1, 1)?
    };
    let us = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_micros())
    };
    Some((us(start)?, us(next)?))
}

/// True when `micros` is midnight of the first day of a month.
pub fn is_month_start(micros: i64) -> bool {
    month_bounds_of(micros).is_some_and(|(s, _)| s == micros)
}

/// Count each row whose principal has the problem `problem` picks from its facts (worked out
/// once per distinct principal), with the principal and the problem as the sample: PR002's
/// parse errors and PR006's session-name errors.
pub(crate) fn hit_principal_problems(
    v: &View<'_>,
    out: &mut Tally,
    problem: impl Fn(&crate::view::PrincipalFacts) -> Option<&String>,
) {
    for i in 0..v.len {
        let Some((p, f)) = v.principal(i) else {
            continue;
        };
        if let Some(e) = problem(f) {
            out.hit(
                v.file,
                v.cost(i),
                v.sample(
                    i,
                    [
                        ("line_item_iam_principal", p.to_string()),
                        ("problem", e.clone()),
                    ],
                ),
            );
        }
    }
}

/// Rows and tools for rule tests.
#[cfg(test)]
pub mod testkit {
    use super::*;
    use crate::read::parse_ts;
    pub use crate::row::Row;

    /// A test timestamp.
    pub fn ts(s: &str) -> Option<i64> {
        parse_ts(s)
    }

    /// A `tags` map that lives for the test.
    pub fn tags(pairs: &[(&str, &str)]) -> Option<&'static [(String, String)]> {
        let v: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Some(Box::leak(v.into_boxed_slice()))
    }

    /// A context without truth or policy.
    pub fn ctx() -> Ctx {
        Ctx {
            principal_from: ts("2026-04-08").unwrap(),
            ..Default::default()
        }
    }

    /// A clean AWS-billed Bedrock inference row of an IAM user.
    pub fn inference() -> Row<'static> {
        Row {
            file: 0,
            display: "data/BILLING_PERIOD=2026-04/x-00001.snappy.parquet",
            row: 1,
            folder_period: Some("2026-04"),
            line_item_id: Some("id-1"),
            time_interval: Some("2026-04-20T10:00:00Z/2026-04-20T11:00:00Z"),
            billing_entity: "AWS",
            line_item_type: "Usage",
            operation: "InvokeModelInference",
            product_code: "AmazonBedrock",
            usage_account: "111122223333",
            usage_type: "USE1-NovaPro-input-tokens",
            pricing_unit: "1K tokens",
            product_family: "Amazon Bedrock",
            product_name: "",
            principal: Some("arn:aws:iam::111122223333:user/alice"),
            has_principal_column: true,
            cost: Some(0.8),
            usage: Some(1000.0),
            rate: Some("0.0008000000"),
            start: ts("2026-04-20T10:00:00Z"),
            end: ts("2026-04-20T11:00:00Z"),
            period_start: ts("2026-04-01"),
            tags: tags(&[("iamPrincipal/team", "ds")]),
            bedrock: true,
            inference: true,
        }
    }

    /// A clean EC2 row with a resource tag.
    pub fn ec2() -> Row<'static> {
        Row {
            line_item_id: Some("id-ec2"),
            operation: "RunInstances",
            product_code: "AmazonEC2",
            usage_type: "USE1-BoxUsage:t3.large",
            pricing_unit: "Hrs",
            product_family: "Compute Instance",
            principal: None,
            cost: Some(0.0832),
            usage: Some(1.0),
            rate: Some("0.0832000000"),
            tags: tags(&[
                ("resourceTags/Project", "web"),
                ("resourceTags/aws:createdBy", "Root:111122223333"),
            ]),
            bedrock: false,
            inference: false,
            ..inference()
        }
    }

    /// Run one rule over rows (row checks, then finish) and return its tally.
    /// Each row is its own one-row batch (so rows may differ in file and row number); the
    /// aggregates see them through the same path as a scan.
    pub fn run(rule: &dyn Rule, rows: &[Row<'_>], ctx: &Ctx) -> Tally {
        let mut t = Tally::new(5);
        let track = Track {
            spend: true,
            by_tag: true,
            tag_case: true,
            duplicates: true,
        };
        let store = crate::dupes::DupStore::new(rows.len() as u64);
        let mut acc = crate::accum::Accum::new(track, Some(&store));
        let mut cache = crate::view::FactCache::new();
        for r in rows {
            crate::view::testrow::with_view(r, ctx, &mut cache, |v| {
                acc.observe(v);
                rule.check_batch(v, ctx, &mut t);
            });
        }
        let (mut agg, ids) = acc.into_aggregates(&cache.interner);
        agg.duplicates = store
            .finish(ids.into_iter().collect(), 1)
            .expect("in-memory duplicate detection");
        rule.finish(&agg, ctx, &mut t);
        t
    }
}
