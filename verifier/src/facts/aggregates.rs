//! Export-wide facts gathered during the scan, for the rules' `finish`: only the
//! [`Aggregate`](super::Aggregate)s the selected rules need are filled in. Merging is
//! commutative, so the result does not depend on the thread count.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use curlab_vocab::Money;

/// Bedrock spend of one (usage account, principal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spend {
    /// Cost, nano-dollars.
    pub cost: Money,
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

/// One billing period's bill ([`Bill`](super::Aggregate::Bill)), nano-dollars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodBill {
    /// Σ `line_item_unblended_cost` of every row (usage, discounts, credits, refunds, tax).
    pub invoice: Money,
    /// Σ net cost (`line_item_net_unblended_cost`, unblended where null) of the usage rows.
    pub usage_net: Money,
}

/// A principal's usage rows in one billing period ([`Bill`](super::Aggregate::Bill)),
/// nano-dollars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrincipalBill {
    /// Σ unblended cost.
    pub gross: Money,
    /// Σ net cost (unblended where the net column is null).
    pub net: Money,
    /// Σ `pricing_public_on_demand_cost`.
    pub public: Money,
    /// Σ unblended cost of its rows billed by AWS Marketplace (public on-demand cost 0).
    pub marketplace: Money,
}

impl PrincipalBill {
    pub(crate) fn add(&mut self, o: &PrincipalBill) {
        self.gross += o.gross;
        self.net += o.net;
        self.public += o.public;
        self.marketplace += o.marketplace;
    }
}

/// A billing period as a number (`2026-04` → 202604; 0 when unknown or not `YYYY-MM…`).
pub fn period_number(p: &str) -> u32 {
    p.get(..4).and_then(|y| y.parse::<u32>().ok()).unwrap_or(0) * 100
        + p.get(5..7).and_then(|m| m.parse::<u32>().ok()).unwrap_or(0)
}

/// `2026-05` for 202605 ("" for 0): the inverse of [`period_number`].
pub fn period_text(n: u32) -> String {
    if n == 0 {
        String::new()
    } else {
        format!("{:04}-{:02}", n / 100, n % 100)
    }
}

/// A principal's bill per billing period, in period order.
///
/// A sorted vector, not a map: nearly every principal has one or two periods, and a
/// `BTreeMap` allocates a node of eleven slots (about 1 KB) for its first entry, which at a
/// few hundred thousand principals was most of `verify`'s memory (BENCHMARKS.md). The period
/// is kept as a number ([`period_number`]; 80 bytes a period, no string of its own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodBills(Vec<(u32, PrincipalBill)>);

impl PeriodBills {
    /// Add `b` to the period numbered `period` ([`period_number`]).
    pub fn add(&mut self, period: u32, b: &PrincipalBill) {
        match self.0.binary_search_by(|(p, _)| p.cmp(&period)) {
            Ok(i) => self.0[i].1.add(b),
            Err(i) => {
                // One period is the common case: no spare capacity (a first push reserves 4).
                self.0.reserve_exact(1);
                self.0.insert(i, (period, *b));
            }
        }
    }

    /// The periods (`YYYY-MM`, "" when unknown) and their bills, in period order.
    pub fn iter(&self) -> impl Iterator<Item = (String, &PrincipalBill)> {
        self.0.iter().map(|(p, b)| (period_text(*p), b))
    }

    /// The bill of one period (`YYYY-MM`).
    pub fn get(&self, period: &str) -> Option<&PrincipalBill> {
        let n = period_number(period);
        if period_text(n) != period {
            return None;
        }
        let i = self.0.binary_search_by(|(p, _)| p.cmp(&n)).ok()?;
        Some(&self.0[i].1)
    }

    /// Σ over every period.
    pub fn total(&self) -> PrincipalBill {
        let mut t = PrincipalBill::default();
        for (_, b) in &self.0 {
            t.add(b);
        }
        t
    }
}

/// One commitment's rows in one billing period ([`Commitments`](super::Aggregate::Commitments)).
#[derive(Debug, Clone, PartialEq)]
pub struct CommitmentLine {
    /// Rows.
    pub rows: u64,
    /// Smallest and largest `line_item_usage_amount`.
    pub min_amount: f64,
    /// Largest `line_item_usage_amount`.
    pub max_amount: f64,
    /// Distinct usage starts (UTC µs): one per time bucket.
    pub starts: BTreeSet<i64>,
    /// (file index, row) of its first row.
    pub first: (usize, u64),
    /// Σ unblended cost.
    pub cost: Money,
}

impl CommitmentLine {
    /// A line of one row.
    pub fn of(amount: f64, start: Option<i64>, at: (usize, u64), cost: Money) -> Self {
        CommitmentLine {
            rows: 1,
            min_amount: amount,
            max_amount: amount,
            starts: start.into_iter().collect(),
            first: at,
            cost,
        }
    }

    /// Fold another part of the same line in.
    pub fn add(&mut self, o: CommitmentLine) {
        self.rows += o.rows;
        self.min_amount = self.min_amount.min(o.min_amount);
        self.max_amount = self.max_amount.max(o.max_amount);
        self.starts.extend(o.starts);
        self.first = self.first.min(o.first);
        self.cost += o.cost;
    }
}

/// (usage account, usage type, resource id or "", billing period `YYYY-MM`).
pub type CommitmentKey = (String, String, String, String);

/// Rows of one application inference profile with one set of `resourceTags/` keys
/// ([`ProfileTags`](super::Aggregate::ProfileTags)): (rows, nano-dollars) per usage start.
pub type ProfileRows = BTreeMap<i64, (u64, Money)>;

/// Fold `rows` (another part of the same profile and key set) into `into`.
pub(crate) fn add_profile_rows(into: &mut ProfileRows, rows: ProfileRows) {
    for (start, (n, nanos)) in rows {
        let e = into.entry(start).or_default();
        e.0 += n;
        e.1 += nanos;
    }
}

/// The earlier of two optional first starts.
pub(crate) fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
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
    pub bedrock_cost: Money,
    /// [`Spend`](super::Aggregate::Spend): of that, cost without a principal.
    pub unattributed_cost: Money,
    /// [`Spend`](super::Aggregate::Spend): Bedrock inference spend by usage account, then
    /// principal (or ""). The keys are the interner's strings, shared, not copies.
    pub spend: BTreeMap<Arc<str>, BTreeMap<Arc<str>, Spend>>,
    /// [`SpendByTag`](super::Aggregate::SpendByTag): Bedrock inference spend by
    /// `iamPrincipal/` key and value.
    pub by_tag: BTreeMap<String, BTreeMap<String, Money>>,
    /// [`TagSpellings`](super::Aggregate::TagSpellings): every `tags` key by lower-cased key,
    /// then spelling.
    pub tag_spellings: BTreeMap<String, BTreeMap<String, KeySeen>>,
    /// [`LineItemIds`](super::Aggregate::LineItemIds): every occurrence of a line item except
    /// the first (filled in after the scan).
    pub duplicates: Vec<Duplicate>,
    /// [`Bill`](super::Aggregate::Bill): per billing period (`YYYY-MM`, "" when unknown).
    pub periods: BTreeMap<String, PeriodBill>,
    /// [`Bill`](super::Aggregate::Bill): per principal, then billing period.
    pub principal_bill: BTreeMap<Arc<str>, PeriodBills>,
    /// [`Commitments`](super::Aggregate::Commitments): per commitment line.
    pub commitments: BTreeMap<CommitmentKey, CommitmentLine>,
    /// [`ProfileTags`](super::Aggregate::ProfileTags): per profile ARN, per sorted set of
    /// `resourceTags/` keys.
    pub profiles: BTreeMap<String, BTreeMap<Vec<String>, ProfileRows>>,
}

impl Aggregates {
    /// Fold another thread's aggregates into this one.
    pub fn merge(&mut self, other: Aggregates) {
        self.principal_rows += other.principal_rows;
        self.first_principal_start =
            earliest(self.first_principal_start, other.first_principal_start);
        self.bedrock_cost += other.bedrock_cost;
        self.unattributed_cost += other.unattributed_cost;
        for (acct, principals) in other.spend {
            let mine = self.spend.entry(acct).or_default();
            for (p, s) in principals {
                let e = mine.entry(p).or_default();
                e.cost += s.cost;
                e.rows += s.rows;
            }
        }
        for (k, vals) in other.by_tag {
            let e = self.by_tag.entry(k).or_default();
            for (v, n) in vals {
                let t = e.entry(v).or_default();
                *t += n;
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
        for (p, b) in other.periods {
            let e = self.periods.entry(p).or_default();
            e.invoice += b.invoice;
            e.usage_net += b.usage_net;
        }
        for (p, periods) in other.principal_bill {
            match self.principal_bill.get_mut(&p) {
                Some(mine) => {
                    for (period, b) in periods.0 {
                        mine.add(period, &b);
                    }
                }
                None => {
                    self.principal_bill.insert(p, periods);
                }
            }
        }
        for (k, line) in other.commitments {
            match self.commitments.get_mut(&k) {
                Some(mine) => mine.add(line),
                None => {
                    self.commitments.insert(k, line);
                }
            }
        }
        for (arn, sets) in other.profiles {
            let mine = self.profiles.entry(arn).or_default();
            for (keys, rows) in sets {
                add_profile_rows(mine.entry(keys).or_default(), rows);
            }
        }
    }

    /// A principal's usage rows summed over every billing period.
    pub fn principal_total(&self, principal: &str) -> Option<PrincipalBill> {
        Some(self.principal_bill.get(principal)?.total())
    }

    /// Bedrock inference spend per principal (all accounts), principals only.
    pub fn by_principal(&self) -> BTreeMap<&str, Spend> {
        let mut out: BTreeMap<&str, Spend> = BTreeMap::new();
        for (p, s) in self.spend.values().flatten() {
            if p.is_empty() {
                continue;
            }
            let e = out.entry(&**p).or_default();
            e.cost += s.cost;
            e.rows += s.rows;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bill(n: i64) -> PrincipalBill {
        PrincipalBill {
            gross: Money::from_e16(n as i128),
            ..Default::default()
        }
    }

    #[test]
    fn period_bills_keep_period_order_and_sum_a_period_once() {
        let mut p = PeriodBills::default();
        p.add(202606, &bill(5));
        p.add(202605, &bill(2));
        p.add(202606, &bill(1));
        p.add(0, &bill(1));
        let got: Vec<(String, i64)> = p.iter().map(|(k, b)| (k, b.gross.e16() as i64)).collect();
        assert_eq!(
            got,
            [
                (String::new(), 1),
                ("2026-05".to_string(), 2),
                ("2026-06".to_string(), 6)
            ]
        );
        assert_eq!(p.get("2026-06").map(|b| b.gross.e16() as i64), Some(6));
        assert_eq!(p.get("").map(|b| b.gross.e16() as i64), Some(1));
        assert!(p.get("2026-07").is_none());
        assert!(p.get("2026-6").is_none());
        assert_eq!(p.total().gross.e16(), 9);
    }

    #[test]
    fn period_numbers_and_text_round_trip() {
        assert_eq!(period_number("2026-04"), 202604);
        assert_eq!(period_number("2026-04-01T00:00:00Z"), 202604);
        assert_eq!(period_number(""), 0);
        assert_eq!(period_text(202604), "2026-04");
        assert_eq!(period_text(0), "");
        assert_eq!(period_text(period_number("1999-12")), "1999-12");
    }

    #[test]
    fn merging_principal_bills_adds_periods_of_the_same_principal() {
        let mut a = Aggregates::default();
        a.principal_bill
            .entry("p".into())
            .or_default()
            .add(202605, &bill(3));
        let mut b = Aggregates::default();
        b.principal_bill
            .entry("p".into())
            .or_default()
            .add(202605, &bill(4));
        b.principal_bill
            .entry("q".into())
            .or_default()
            .add(202606, &bill(7));
        a.merge(b);
        assert_eq!(
            a.principal_total("p").map(|t| t.gross.e16() as i64),
            Some(7)
        );
        assert_eq!(
            a.principal_total("q").map(|t| t.gross.e16() as i64),
            Some(7)
        );
        assert!(a.principal_total("r").is_none());
    }
}
