//! The `--policy` file: an organisation's attribution rules in a small TOML file
//! (documented in `docs/policy.md`). Unknown keys are errors that name file, line and column.

use std::path::Path;

use serde::Deserialize;

use crate::error::VerifyError;

/// The whole policy file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Format version; must be 1 when given.
    #[serde(default)]
    pub version: Option<u32>,
    /// Tag expectations.
    #[serde(default)]
    pub tags: TagPolicy,
    /// Principal expectations.
    #[serde(default)]
    pub principals: PrincipalPolicy,
    /// Gateway roles that must open one session per end user (`[[gateway]]` tables).
    #[serde(default, rename = "gateway")]
    pub gateways: Vec<GatewayPolicy>,
    /// Spend limits per IAM principal (`[[budgets]]`, PO004).
    #[serde(default)]
    pub budgets: Vec<BudgetPolicy>,
}

/// The cost metric of a user-based AWS budget (`DescribeBudgetSpendForPrincipal`: "A user-based
/// budget uses the `PublicOnDemandCost` or `EstimatedContractedCost` metric").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum BudgetMetric {
    /// Σ `pricing_public_on_demand_cost` of the principal's usage rows (0 on rows billed by
    /// AWS Marketplace).
    PublicOnDemandCost,
    /// Σ `line_item_net_unblended_cost` (unblended where null) of the principal's usage rows:
    /// after EDP and private-rate discounts, before credits, refunds and tax.
    EstimatedContractedCost,
}

impl BudgetMetric {
    /// The AWS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetMetric::PublicOnDemandCost => "PublicOnDemandCost",
            BudgetMetric::EstimatedContractedCost => "EstimatedContractedCost",
        }
    }
}

/// `[[budgets]]`: a limit per IAM principal (an AWS Budgets limit with the `IAM_PRINCIPAL`
/// dimension).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetPolicy {
    /// A name for messages; default `budget-<n>` (1-based).
    #[serde(default)]
    pub name: Option<String>,
    /// The cost metric.
    pub metric: BudgetMetric,
    /// `MONTHLY` (the billing period), the only period checked.
    #[serde(default)]
    pub period: Option<String>,
    /// USD per principal per billing period.
    pub limit: f64,
    /// Principals it limits: globs (`*` also matches `/`) or exact principal ARNs, as AWS's
    /// `SpendPrincipal` ids (`arn:aws:iam::<acct>:root`, `…:user/…`, `…:role/…`,
    /// `arn:aws:sts::<acct>:assumed-role/<role>/<session>`, `…:federated-user/…`); an id
    /// written without `arn:<partition>:` gets `arn:aws:`. Empty: every principal.
    #[serde(default)]
    pub principals: Vec<String>,
}

impl BudgetPolicy {
    /// The budget's name (`budget-<n>` when none is given; `index` is 0-based).
    pub fn name_or(&self, index: usize) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("budget-{}", index + 1))
    }

    /// The principal patterns with `arn:aws:` added where the id was written without it.
    pub fn patterns(&self) -> Vec<String> {
        self.principals
            .iter()
            .map(|p| {
                if p.starts_with("iam::") || p.starts_with("sts::") {
                    format!("arn:aws:{p}")
                } else {
                    p.clone()
                }
            })
            .collect()
    }
}

/// `[tags]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagPolicy {
    /// Keys activated as cost allocation tags, as they appear in `tags`
    /// (`iamPrincipal/team`; a key without a known prefix means `iamPrincipal/<key>`).
    /// When given, TG007 reports keys outside this list.
    #[serde(default)]
    pub activated: Option<Vec<String>>,
    /// When activation of a key took effect (for TG008).
    #[serde(default)]
    pub activation: Vec<ActivationPolicy>,
    /// Keys that must be present on Bedrock spend (PO001).
    #[serde(default)]
    pub required: Vec<String>,
    /// Share of Bedrock inference spend (0..=1) each required key must cover; default 1.0.
    #[serde(default)]
    pub min_coverage: Option<f64>,
}

/// `[[tags.activation]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationPolicy {
    /// Tag key, e.g. `iamPrincipal/team`.
    pub key: String,
    /// RFC 3339 time (or date) from which rows carry the key.
    pub effective_from: String,
    /// First day of a backfilled month, if a backfill re-applied the key.
    #[serde(default)]
    pub backfill_from: Option<String>,
}

/// `[principals]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalPolicy {
    /// Glob patterns (`*`, `?`, `[..]`) a principal ARN on a Bedrock row must match (PO003).
    /// Empty means every principal is allowed.
    #[serde(default)]
    pub allowed: Vec<String>,
}

/// `[[gateway]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayPolicy {
    /// A name for messages.
    pub name: String,
    /// Role-name globs of the roles whose sessions call Bedrock for the gateway's users.
    pub roles: Vec<String>,
    /// Largest share (0..1) of the roles' Bedrock spend one session may carry; default 0.5.
    #[serde(default)]
    pub max_session_share: Option<f64>,
    /// Fewest distinct sessions expected when the roles carry spend; default 2.
    #[serde(default)]
    pub min_sessions: Option<u64>,
}

impl GatewayPolicy {
    /// `max_session_share` with its default.
    pub fn max_share(&self) -> f64 {
        self.max_session_share.unwrap_or(0.5)
    }

    /// `min_sessions` with its default.
    pub fn min_sessions(&self) -> u64 {
        self.min_sessions.unwrap_or(2)
    }
}

/// Prefix `iamPrincipal/` to a key written without a known source prefix.
pub fn full_tag_key(key: &str) -> String {
    if curlab_vocab::tags::split_prefix(key).is_some() {
        key.to_string()
    } else {
        format!("{}{key}", curlab_vocab::tags::IAM_PRINCIPAL_PREFIX)
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// Parse a policy from TOML text; `path` is used in messages.
pub fn parse(path: &Path, text: &str) -> Result<Policy, VerifyError> {
    let policy: Policy = toml::from_str(text).map_err(|e| {
        let place = e.span().map(|s| {
            let (l, c) = line_col(text, s.start);
            format!("line {l}, column {c}")
        });
        VerifyError::Read {
            path: path.to_path_buf(),
            problem: format!("invalid policy: {}", e.message()),
            place,
            fix: "see docs/policy.md for the keys a policy file may hold".into(),
        }
    })?;
    let bad = |problem: String| VerifyError::read(path, problem, "see docs/policy.md");
    if let Some(v) = policy.version {
        if v != 1 {
            return Err(bad(format!(
                "version {v} is not supported; this curlab reads version 1"
            )));
        }
    }
    if let Some(c) = policy.tags.min_coverage {
        if !(0.0..=1.0).contains(&c) {
            return Err(bad(format!("tags.min_coverage {c} is not between 0 and 1")));
        }
    }
    for p in &policy.principals.allowed {
        glob::Pattern::new(p).map_err(|e| {
            bad(format!(
                "principals.allowed pattern `{p}` is not a valid glob: {e}"
            ))
        })?;
    }
    for g in &policy.gateways {
        for r in &g.roles {
            glob::Pattern::new(r).map_err(|e| {
                bad(format!(
                    "gateway `{}` role pattern `{r}` is not a valid glob: {e}",
                    g.name
                ))
            })?;
        }
        if !(0.0..=1.0).contains(&g.max_share()) {
            return Err(bad(format!(
                "gateway `{}` max_session_share is not between 0 and 1",
                g.name
            )));
        }
    }
    for (i, b) in policy.budgets.iter().enumerate() {
        let name = b.name_or(i);
        if !(b.limit.is_finite() && b.limit > 0.0) {
            return Err(bad(format!(
                "budgets `{name}` limit {} is not a positive amount of USD",
                b.limit
            )));
        }
        if let Some(p) = &b.period {
            if p != "MONTHLY" {
                return Err(bad(format!(
                    "budgets `{name}` period `{p}` is not supported; curlab checks MONTHLY budgets (one billing period)"
                )));
            }
        }
        for p in b.patterns() {
            if p.contains(['*', '?', '[']) {
                glob::Pattern::new(&p).map_err(|e| {
                    bad(format!(
                        "budgets `{name}` principal pattern `{p}` is not a valid glob: {e}"
                    ))
                })?;
            } else if let Err(e) = curlab_vocab::arn::parse_principal(&p) {
                return Err(bad(format!(
                    "budgets `{name}` principal `{p}` is not an IAM principal ARN ({e}); write an ARN such as arn:aws:iam::111122223333:user/alice, arn:aws:iam::111122223333:root or arn:aws:sts::111122223333:assumed-role/Role/session, or a glob"
                )));
            }
        }
    }
    for a in &policy.tags.activation {
        if crate::read::parse_ts(&a.effective_from).is_none() {
            return Err(bad(format!(
                "tags.activation `{}` effective_from `{}` is not an RFC 3339 time or date",
                a.key, a.effective_from
            )));
        }
    }
    Ok(policy)
}

/// Read and parse a policy file.
pub fn load(path: &Path) -> Result<Policy, VerifyError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        VerifyError::read(
            path,
            format!("cannot read policy file: {e}"),
            "check the --policy path",
        )
    })?;
    parse(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_and_check() {
        let p = parse(
            Path::new("p.toml"),
            r#"
[[budgets]]
name = "per-user"
metric = "PublicOnDemandCost"
period = "MONTHLY"
limit = 100.0
principals = ["arn:aws:iam::*:user/*", "iam::111122223333:root"]
[[budgets]]
metric = "EstimatedContractedCost"
limit = 5
"#,
        )
        .unwrap();
        assert_eq!(p.budgets.len(), 2);
        assert_eq!(p.budgets[0].metric, BudgetMetric::PublicOnDemandCost);
        assert_eq!(p.budgets[0].patterns()[1], "arn:aws:iam::111122223333:root");
        assert_eq!(p.budgets[1].name_or(1), "budget-2");
        for (bad, says) in [
            ("metric = \"Cost\"\nlimit = 1", "line 3"),
            ("metric = \"PublicOnDemandCost\"\nlimit = 0", "positive"),
            (
                "metric = \"PublicOnDemandCost\"\nlimit = 1\nperiod = \"DAILY\"",
                "MONTHLY",
            ),
            (
                "metric = \"PublicOnDemandCost\"\nlimit = 1\nprincipals = [\"alice\"]",
                "not an IAM principal ARN",
            ),
        ] {
            let err = parse(Path::new("p.toml"), &format!("\n[[budgets]]\n{bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(says) && err.contains("p.toml"), "{bad}: {err}");
        }
    }

    #[test]
    fn unknown_keys_name_the_line() {
        let err = parse(
            Path::new("p.toml"),
            "[tags]\nrequired = [\"team\"]\nrequird = 1\n",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("p.toml") && msg.contains("line 3"), "{msg}");
    }

    #[test]
    fn parses_example() {
        let p = parse(
            Path::new("p.toml"),
            r#"
version = 1
[tags]
activated = ["iamPrincipal/team"]
required = ["team"]
min_coverage = 0.9
[principals]
allowed = ["arn:aws:sts::*:assumed-role/Bedrock*/*"]
[[gateway]]
name = "litellm"
roles = ["LiteLLM*"]
"#,
        )
        .unwrap();
        assert_eq!(p.gateways[0].max_share(), 0.5);
        assert!(p.budgets.is_empty());
        assert_eq!(full_tag_key("team"), "iamPrincipal/team");
    }
}
