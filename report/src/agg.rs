//! The one aggregation behind every output: line items in, a [`Summary`] out.
//!
//! Aggregators are per worker and merge with additions only, so the result does not depend on
//! how rows were split between threads.

use std::collections::{BTreeMap, HashMap};

use chrono::Datelike;
use curlab_vocab::tags::{IAM_PRINCIPAL_PREFIX, RESOURCE_TAGS_PREFIX};

use crate::dim::{Dim, Filter, NO_PRINCIPAL};
use crate::item::LineItem;
use crate::money::{share, Units};
use crate::summary::{Amount, Bucket, Coverage, Group, Summary, SCHEMA};

/// Size of the report's time buckets (`--granularity`): how spend is summed over time. Not the
/// export's time granularity (HOURLY/DAILY/MONTHLY line items), which is a property of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeBucket {
    /// One bucket per UTC day.
    #[default]
    Daily,
    /// One bucket per calendar month.
    Monthly,
}

impl TimeBucket {
    fn name(self) -> &'static str {
        match self {
            TimeBucket::Daily => "daily",
            TimeBucket::Monthly => "monthly",
        }
    }
}

/// Which cost a report sums (`--cost`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CostMetric {
    /// `line_item_unblended_cost`.
    #[default]
    Unblended,
    /// `line_item_net_unblended_cost` (after EDP and private-rate discounts), or the unblended
    /// cost where it is null (no discount program applies).
    Net,
    /// The CID `summary_view` amortized cost. For the rows a report counts (Bedrock inference
    /// `Usage` rows) its CASE falls through to `line_item_unblended_cost`: only Savings Plan
    /// covered usage, reserved (`DiscountedUsage`) rows and commitment fees differ, and no
    /// Bedrock inference row is one of them.
    Amortized,
}

impl CostMetric {
    /// The name on the command line and in outputs.
    pub fn name(self) -> &'static str {
        match self {
            CostMetric::Unblended => "unblended",
            CostMetric::Net => "net",
            CostMetric::Amortized => "amortized",
        }
    }
}

/// What to compute.
#[derive(Debug, Clone, Default)]
pub struct ReportSpec {
    /// Which cost to sum (unblended unless asked).
    pub cost: CostMetric,
    /// Grouping dimensions (empty: one group, the total).
    pub group_by: Vec<Dim>,
    /// Row filters.
    pub filters: Vec<Filter>,
    /// Time bucket size.
    pub granularity: TimeBucket,
    /// Billing period filter (applied by the reader; recorded here for headings).
    pub period: Option<String>,
}

/// Separates dimension values inside a group key; never part of CUR text.
const SEP: char = '\u{1f}';
/// Bucket of rows without a start date.
const NO_DATE: i64 = i64::MIN;

#[derive(Debug, Default, Clone)]
struct Acc {
    cost: Units,
    tokens: i128,
    rows: u64,
    by_bucket: HashMap<i64, Units>,
}

/// Spend of one principal, and the part of it carrying each tag key.
#[derive(Debug, Default, Clone)]
struct PrincipalAcc {
    cost: Units,
    tagged: HashMap<String, Units>,
}

/// Sums line items; see the module documentation.
#[derive(Debug, Default)]
pub struct Aggregator {
    spec: ReportSpec,
    groups: HashMap<String, Acc>,
    principals: HashMap<String, PrincipalAcc>,
    total: Units,
    tokens: i128,
    rows: u64,
    /// Reused group-key buffer: rows of known groups allocate nothing.
    key: String,
}

fn bucket_of(start: Option<i64>, g: TimeBucket) -> i64 {
    let Some(micros) = start else {
        return NO_DATE;
    };
    let day = micros.div_euclid(86_400_000_000);
    match g {
        TimeBucket::Daily => day,
        TimeBucket::Monthly => chrono::DateTime::from_timestamp(day * 86_400, 0)
            .map(|d| d.year() as i64 * 12 + d.month0() as i64)
            .unwrap_or(NO_DATE),
    }
}

fn bucket_label(b: i64, g: TimeBucket) -> String {
    if b == NO_DATE {
        return "unknown".into();
    }
    match g {
        TimeBucket::Daily => chrono::DateTime::from_timestamp(b * 86_400, 0)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "unknown".into()),
        TimeBucket::Monthly => format!("{:04}-{:02}", b.div_euclid(12), b.rem_euclid(12) + 1),
    }
}

fn add<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Units>, k: K, v: Units) {
    *map.entry(k).or_default() += v;
}

fn sorted_amounts(map: impl IntoIterator<Item = (String, Units)>) -> Vec<Amount> {
    let mut v: Vec<Amount> = map
        .into_iter()
        .map(|(name, cost)| Amount { name, cost })
        .collect();
    v.sort_by(|a, b| b.cost.cmp(&a.cost).then_with(|| a.name.cmp(&b.name)));
    v
}

impl Aggregator {
    /// A new, empty aggregator.
    pub fn new(spec: ReportSpec) -> Self {
        Aggregator {
            spec,
            ..Default::default()
        }
    }

    /// The spec this aggregator computes.
    pub fn spec(&self) -> &ReportSpec {
        &self.spec
    }

    /// Count one Bedrock inference usage row (the caller decides it is one).
    pub fn observe(&mut self, it: &LineItem<'_>) {
        if !Filter::all_match(&self.spec.filters, it) {
            return;
        }
        self.key.clear();
        for (i, d) in self.spec.group_by.iter().enumerate() {
            if i > 0 {
                self.key.push(SEP);
            }
            self.key.push_str(&d.value_of(it));
        }
        let tokens = it.tokens_e6();
        let bucket = bucket_of(it.start, self.spec.granularity);
        if !self.groups.contains_key(self.key.as_str()) {
            self.groups.insert(self.key.clone(), Acc::default());
        }
        let Some(acc) = self.groups.get_mut(self.key.as_str()) else {
            return;
        };
        acc.cost += it.cost;
        acc.tokens += tokens;
        acc.rows += 1;
        *acc.by_bucket.entry(bucket).or_default() += it.cost;

        let principal = it.principal.unwrap_or(NO_PRINCIPAL);
        if !self.principals.contains_key(principal) {
            self.principals
                .insert(principal.to_string(), PrincipalAcc::default());
        }
        if let Some(p) = self.principals.get_mut(principal) {
            p.cost += it.cost;
            for (k, v) in it.tags {
                if !v.is_empty()
                    && (k.starts_with(IAM_PRINCIPAL_PREFIX) || k.starts_with(RESOURCE_TAGS_PREFIX))
                {
                    match p.tagged.get_mut(k.as_str()) {
                        Some(c) => *c += it.cost,
                        None => {
                            p.tagged.insert(k.clone(), it.cost);
                        }
                    }
                }
            }
        }
        self.total += it.cost;
        self.tokens += tokens;
        self.rows += 1;
    }

    /// Add another aggregator's sums (same spec) into this one.
    pub fn merge(&mut self, other: Aggregator) {
        for (k, o) in other.groups {
            let a = self.groups.entry(k).or_default();
            a.cost += o.cost;
            a.tokens += o.tokens;
            a.rows += o.rows;
            for (b, c) in o.by_bucket {
                add(&mut a.by_bucket, b, c);
            }
        }
        for (k, o) in other.principals {
            let p = self.principals.entry(k).or_default();
            p.cost += o.cost;
            for (t, c) in o.tagged {
                add(&mut p.tagged, t, c);
            }
        }
        self.total += other.total;
        self.tokens += other.tokens;
        self.rows += other.rows;
    }

    /// The finished report.
    pub fn finish(self, sources: Vec<String>) -> Summary {
        let g = self.spec.granularity;
        let total = self.total;
        let mut groups: Vec<Group> = self
            .groups
            .iter()
            .map(|(k, a)| Group {
                key: if self.spec.group_by.is_empty() {
                    vec!["total".into()]
                } else {
                    k.split(SEP).map(str::to_string).collect()
                },
                cost: a.cost,
                share: share(a.cost, total),
                tokens: a.tokens,
                rows: a.rows,
            })
            .collect();
        groups.sort_by(|a, b| b.cost.cmp(&a.cost).then_with(|| a.key.cmp(&b.key)));

        let mut buckets: BTreeMap<i64, Vec<(String, Units)>> = BTreeMap::new();
        for (k, a) in &self.groups {
            let label = if self.spec.group_by.is_empty() {
                "total".to_string()
            } else {
                k.replace(SEP, " / ")
            };
            for (b, c) in &a.by_bucket {
                buckets.entry(*b).or_default().push((label.clone(), *c));
            }
        }
        let timeline = buckets
            .into_iter()
            .map(|(b, v)| Bucket {
                period: bucket_label(b, g),
                cost: v.iter().map(|(_, c)| c).sum(),
                groups: sorted_amounts(v),
            })
            .collect();

        let mut keys: BTreeMap<String, HashMap<String, Units>> = BTreeMap::new();
        for (p, acc) in &self.principals {
            for (k, c) in &acc.tagged {
                keys.entry(k.clone()).or_default().insert(p.clone(), *c);
            }
        }
        let coverage = keys
            .into_iter()
            .map(|(key, by_p)| {
                let tagged: Units = by_p.values().sum();
                let untagged = self.principals.iter().filter_map(|(p, acc)| {
                    let left = acc.cost - by_p.get(p).copied().unwrap_or(0);
                    (left != 0).then(|| (p.clone(), left))
                });
                Coverage {
                    key,
                    tagged,
                    untagged: total - tagged,
                    coverage: share(tagged, total),
                    untagged_by_principal: sorted_amounts(untagged),
                }
            })
            .collect();
        let attributed = total - self.principals.get(NO_PRINCIPAL).map_or(0, |p| p.cost);

        Summary {
            schema: SCHEMA,
            cost: (self.spec.cost != CostMetric::Unblended).then(|| self.spec.cost.name()),
            sources,
            period: self.spec.period.clone(),
            group_by: self.spec.group_by.iter().map(|d| d.to_string()).collect(),
            filters: self.spec.filters.iter().map(|f| f.to_string()).collect(),
            granularity: g.name(),
            rows: self.rows,
            total,
            tokens: self.tokens,
            attributed,
            groups,
            timeline,
            coverage,
            principals: sorted_amounts(self.principals.into_iter().map(|(p, a)| (p, a.cost))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::from_usd;

    fn item<'a>(p: Option<&'a str>, cost: f64, tags: &'a [(String, String)]) -> LineItem<'a> {
        LineItem {
            principal: p,
            usage_account: "123456789012",
            usage_type: "USE1-Claude4.6Sonnet-output-tokens",
            product_name: "",
            pricing_unit: "1K tokens",
            start: Some(1_776_000_000_000_000),
            cost: from_usd(cost),
            usage_e6: 2_000_000,
            tags,
        }
    }

    #[test]
    fn coverage_and_untagged_by_principal() {
        let team = [("iamPrincipal/team".to_string(), "ds".to_string())];
        let spec = ReportSpec {
            group_by: vec![Dim::Tag("team".into())],
            ..Default::default()
        };
        let mut a = Aggregator::new(spec.clone());
        a.observe(&item(Some("arn:a"), 1.0, &team));
        let mut b = Aggregator::new(spec);
        b.observe(&item(Some("arn:b"), 3.0, &[]));
        b.observe(&item(None, 0.5, &[]));
        a.merge(b);
        let s = a.finish(vec![]);
        assert_eq!(s.total, from_usd(4.5));
        assert_eq!(s.attributed, from_usd(4.0));
        assert_eq!(s.groups[0].key, vec!["(untagged)".to_string()]);
        assert_eq!(s.groups[0].cost, from_usd(3.5));
        assert_eq!(s.groups[0].tokens, 4_000_000_000);
        let c = &s.coverage[0];
        assert_eq!(c.key, "iamPrincipal/team");
        assert_eq!(c.tagged, from_usd(1.0));
        assert_eq!(c.untagged_by_principal[0].name, "arn:b");
        assert_eq!(c.untagged_by_principal[1].name, NO_PRINCIPAL);
        assert_eq!(s.timeline.len(), 1);
        assert_eq!(s.timeline[0].cost, s.total);
    }

    #[test]
    fn filters_select_rows() {
        let spec = ReportSpec {
            group_by: vec![Dim::Principal],
            filters: vec![Filter::parse("principal=arn:b").unwrap()],
            granularity: TimeBucket::Monthly,
            period: None,
            cost: CostMetric::Unblended,
        };
        let mut a = Aggregator::new(spec);
        a.observe(&item(Some("arn:a"), 1.0, &[]));
        a.observe(&item(Some("arn:b"), 2.0, &[]));
        let s = a.finish(vec![]);
        assert_eq!(s.total, from_usd(2.0));
        assert_eq!(s.timeline[0].period, "2026-04");
    }
}
