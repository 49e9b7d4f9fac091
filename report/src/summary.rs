//! The result of a report: what every output format renders. Its JSON form is documented in
//! `docs/report.md` (schema `curlab-report/1`).

use serde::{Serialize, Serializer};

use crate::money::{self, Units};

/// Schema identifier written in the JSON output.
pub const SCHEMA: &str = "curlab-report/1";

/// Serialise integer 1e-10 USD as a JSON number of dollars.
pub fn usd<S: Serializer>(u: &Units, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(money::to_usd(*u))
}

/// Serialise millionths of a token as a whole number of tokens.
pub fn tokens<S: Serializer>(e6: &i128, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(((e6 + 500_000).div_euclid(1_000_000)) as i64)
}

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The cost summed when it is not the unblended cost (`net`, `amortized`); absent for
    /// unblended, so existing outputs keep their shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<&'static str>,
    /// What was read: data files, or `scenario:<name>`.
    pub sources: Vec<String>,
    /// Billing period filter, if any.
    pub period: Option<String>,
    /// The grouping dimensions, in order.
    pub group_by: Vec<String>,
    /// The filters, as `DIM=VALUE`.
    pub filters: Vec<String>,
    /// `daily` or `monthly`: the bucket size of [`Summary::timeline`].
    pub granularity: &'static str,
    /// Bedrock inference usage rows counted (after filters).
    pub rows: u64,
    /// Bedrock inference spend (after filters), USD.
    #[serde(rename = "total_usd", serialize_with = "usd")]
    pub total: Units,
    /// Tokens over all counted rows.
    #[serde(serialize_with = "tokens")]
    pub tokens: i128,
    /// Spend that carries a principal, USD.
    #[serde(rename = "attributed_usd", serialize_with = "usd")]
    pub attributed: Units,
    /// Spend per group, largest first.
    pub groups: Vec<Group>,
    /// Spend per time bucket and group, oldest first.
    pub timeline: Vec<Bucket>,
    /// Coverage of every tag key seen on Bedrock spend, by key.
    pub coverage: Vec<Coverage>,
    /// Spend per principal ARN (`(no principal)` for rows without one), largest first.
    pub principals: Vec<Amount>,
}

/// One group of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The values of the grouping dimensions, in `group_by` order.
    pub key: Vec<String>,
    /// Spend, USD.
    #[serde(rename = "cost_usd", serialize_with = "usd")]
    pub cost: Units,
    /// Share of the report total, 0..1.
    pub share: f64,
    /// Tokens.
    #[serde(serialize_with = "tokens")]
    pub tokens: i128,
    /// Rows.
    pub rows: u64,
}

impl Group {
    /// The key as one label (`a / b`).
    pub fn label(&self) -> String {
        self.key.join(" / ")
    }
}

/// Spend in one time bucket.
#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    /// `YYYY-MM-DD` (daily) or `YYYY-MM` (monthly); `unknown` for rows without a start date.
    pub period: String,
    /// Spend in the bucket, USD.
    #[serde(rename = "cost_usd", serialize_with = "usd")]
    pub cost: Units,
    /// Spend per group label (values joined with ` / `), largest first.
    pub groups: Vec<Amount>,
}

/// A labelled amount.
#[derive(Debug, Clone, Serialize)]
pub struct Amount {
    /// Group label or principal ARN.
    pub name: String,
    /// Spend, USD.
    #[serde(rename = "cost_usd", serialize_with = "usd")]
    pub cost: Units,
}

/// How much Bedrock spend carries one tag key.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// The full `tags` key, e.g. `iamPrincipal/team`.
    pub key: String,
    /// Spend carrying the key, USD.
    #[serde(rename = "tagged_usd", serialize_with = "usd")]
    pub tagged: Units,
    /// Spend without it, USD.
    #[serde(rename = "untagged_usd", serialize_with = "usd")]
    pub untagged: Units,
    /// `tagged / total`, 0..1.
    pub coverage: f64,
    /// The untagged spend by principal, largest first.
    pub untagged_by_principal: Vec<Amount>,
}

impl Summary {
    /// Spend of one principal (0 when absent).
    pub fn principal_cost(&self, arn: &str) -> Units {
        self.principals
            .iter()
            .find(|a| a.name == arn)
            .map_or(0, |a| a.cost)
    }

    /// A one-line description of what was grouped, for headings.
    pub fn title(&self) -> String {
        let by = if self.group_by.is_empty() {
            "total".to_string()
        } else {
            self.group_by.join(", ")
        };
        let mut t = format!("Bedrock spend by {by}");
        if let Some(c) = self.cost {
            t.push_str(&format!(" ({c} cost)"));
        }
        if let Some(p) = &self.period {
            t.push_str(&format!(", billing period {p}"));
        }
        // Filters on one dimension are alternatives, on different dimensions all must hold.
        let mut by_dim: Vec<(&str, Vec<&str>)> = Vec::new();
        for f in &self.filters {
            let (d, v) = f.split_once('=').unwrap_or((f.as_str(), ""));
            match by_dim.iter_mut().find(|(x, _)| *x == d) {
                Some((_, vs)) => vs.push(v),
                None => by_dim.push((d, vec![v])),
            }
        }
        if !by_dim.is_empty() {
            let parts: Vec<String> = by_dim
                .iter()
                .map(|(d, vs)| format!("{d}={}", vs.join(" or ")))
                .collect();
            t.push_str(&format!(", where {}", parts.join(" and ")));
        }
        t
    }
}
