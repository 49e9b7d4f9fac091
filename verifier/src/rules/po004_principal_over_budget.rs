//! PO004: a principal's spend in a billing period reaches its budget's limit.

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs, PrincipalBill};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::finding::usd;
use curlab_vocab::Money;
use crate::policy::{BudgetMetric, BudgetPolicy};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::SqlForm;

/// PO004.
pub struct PrincipalOverBudget;

static META: RuleMeta = RuleMeta {
    code: "PO004",
    name: "principal-over-budget",
    family: Family::Policy,
    severity: Severity::Error,
    applies: Applicability::Policy,
    needs: Needs {
        columns: &[Col::Principal, Col::UnblendedCost],
        aggregates: &[Aggregate::Bill],
        ..Needs::NONE
    },
    summary: "a principal's spend in a billing period reaches its budget's limit",
    checks: "For each `[[budgets]]` of the policy and each principal it names (globs or exact ARNs; every principal when none are given), the principal's spend in each billing period, by the budget's metric over its usage rows — `PublicOnDemandCost`: Σ `pricing_public_on_demand_cost`; `EstimatedContractedCost`: Σ `line_item_net_unblended_cost` (unblended where null) — is below `limit`. One finding per (budget, principal, period) at or over it, with the spend, the limit and AWS's `LimitStatus` word (`LIMIT_REACHED`). For a `PublicOnDemandCost` budget each finding also gives `marketplace_not_in_metric`: the principal's spend billed by AWS Marketplace in that period, which carries no public on-demand cost and so is not in the metric (docs/policy.md).",
    why: "AWS Budgets sets limits per IAM principal (`IAM_PRINCIPAL` limit dimension); checking the export against the same limits with the same metric shows who is over before (or without) the budget's alert, and shows what a `PublicOnDemandCost` budget cannot see.",
    example: "Budget `per-user` (PublicOnDemandCost, $100): `arn:aws:iam::111122223333:user/alice` spent $140.20 in 2026-05 (LIMIT_REACHED).",
    fix: "Talk to the principal's owner, lower its usage or raise the limit; for Marketplace-billed models, use an `EstimatedContractedCost` budget (or add the Marketplace spend the finding shows).",
    sql: SqlForm::NativeOnly("matches principals against the policy's globs (the glob crate's semantics, including `**` and character classes), which SQL LIKE/regex do not reproduce exactly"),
};

/// A budget's principal matcher.
enum Matcher {
    Every,
    Some(Vec<Pattern>),
}

enum Pattern {
    Glob(glob::Pattern),
    Exact(String),
}

impl Matcher {
    fn of(b: &BudgetPolicy) -> Matcher {
        let ps = b.patterns();
        if ps.is_empty() {
            return Matcher::Every;
        }
        Matcher::Some(
            ps.into_iter()
                .map(|p| match glob::Pattern::new(&p) {
                    Ok(g) if p.contains(['*', '?', '[']) => Pattern::Glob(g),
                    _ => Pattern::Exact(p),
                })
                .collect(),
        )
    }

    fn matches(&self, principal: &str) -> bool {
        match self {
            Matcher::Every => true,
            Matcher::Some(ps) => ps.iter().any(|p| match p {
                Pattern::Glob(g) => g.matches(principal),
                Pattern::Exact(e) => e == principal,
            }),
        }
    }
}

/// The spend a budget's metric counts.
fn spend(metric: BudgetMetric, b: &PrincipalBill) -> Money {
    match metric {
        BudgetMetric::PublicOnDemandCost => b.public,
        BudgetMetric::EstimatedContractedCost => b.net,
    }
}

impl Rule for PrincipalOverBudget {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        ctx.policy
            .as_ref()
            .is_some_and(|p| p.budgets.is_empty())
            .then(|| "the policy has no [[budgets]]".to_string())
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(policy) = &ctx.policy else { return };
        for (bi, b) in policy.budgets.iter().enumerate() {
            let matcher = Matcher::of(b);
            let limit = Money::from_usd(b.limit);
            let name = b.name_or(bi);
            for (principal, periods) in &agg.principal_bill {
                if !matcher.matches(principal) {
                    continue;
                }
                for (period, bill) in periods.iter() {
                    let s = spend(b.metric, bill);
                    if s < limit {
                        continue;
                    }
                    let mut values = vec![
                        ("budget", name.clone()),
                        ("metric", b.metric.as_str().to_string()),
                        ("principal", principal.to_string()),
                        ("billing_period", period),
                        ("spend", usd(s.to_usd())),
                        ("limit", usd(b.limit)),
                        ("limit_status", "LIMIT_REACHED".to_string()),
                    ];
                    if b.metric == BudgetMetric::PublicOnDemandCost {
                        values.push((
                            "marketplace_not_in_metric",
                            usd(bill.marketplace.to_usd()),
                        ));
                    }
                    out.hit_n(
                        1,
                        bi,
                        Some((s - limit).to_usd()),
                        export_sample(None, values),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use crate::rules::testkit::*;

    fn budget(metric: BudgetMetric, limit: f64, principals: &[&str]) -> BudgetPolicy {
        BudgetPolicy {
            name: Some("b".into()),
            metric,
            period: None,
            limit,
            principals: principals.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn with(budgets: Vec<BudgetPolicy>) -> Ctx {
        let mut c = ctx();
        c.policy = Some(Policy {
            budgets,
            ..Default::default()
        });
        c
    }

    /// Alice: an AWS-billed row (public $0.80, net $0.72) and a Marketplace row ($2.00, public
    /// 0) in 2026-04, one more AWS row in 2026-05; bob one AWS row; a row without principal.
    fn rows() -> Vec<Row<'static>> {
        let aws = Row {
            net_cost: Some(0.72),
            total_discount: Some(-0.08),
            ..inference()
        };
        let marketplace = Row {
            billing_entity: "AWS Marketplace",
            product_code: "AmazonBedrockFoundationModels",
            usage_type: "USE1-MP:USE1_InputTokenCount-Units",
            pricing_unit: "Units",
            product_name: "Claude Sonnet 4.6 (Amazon Bedrock Edition)",
            cost: Some(2.0),
            public_cost: Some(0.0),
            ..inference()
        };
        let may = Row {
            folder_period: Some("2026-05"),
            period_start: ts("2026-05-01"),
            start: ts("2026-05-02T00:00:00Z"),
            end: ts("2026-05-02T01:00:00Z"),
            ..inference()
        };
        let bob = Row {
            principal: Some("arn:aws:sts::111122223333:assumed-role/App/bob"),
            ..inference()
        };
        let nobody = Row {
            principal: None,
            tags: tags(&[]),
            cost: Some(50.0),
            public_cost: Some(50.0),
            ..inference()
        };
        vec![aws, marketplace, may, bob, nobody]
    }

    #[test]
    fn public_on_demand_budget_misses_marketplace_and_says_so() {
        // Alice's 2026-04 public on-demand spend is $0.80 (the Marketplace $2.00 is not in it).
        let t = run(
            &PrincipalOverBudget,
            &rows(),
            &with(vec![budget(BudgetMetric::PublicOnDemandCost, 0.8, &[])]),
        );
        // alice 2026-04 ($0.80), alice 2026-05 ($0.80), bob ($0.80): all reach $0.80.
        assert_eq!(t.count, 3);
        let alice = t
            .samples()
            .find(|s| {
                s.values.iter().any(|(_, v)| v == "2026-04")
                    && s.values.iter().any(|(_, v)| v.ends_with("user/alice"))
            })
            .expect("alice's April");
        let get = |k: &str| {
            alice
                .values
                .iter()
                .find(|(x, _)| x.as_str() == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("spend").as_deref(), Some("$0.80"));
        assert_eq!(get("marketplace_not_in_metric").as_deref(), Some("$2.00"));
        assert_eq!(get("limit_status").as_deref(), Some("LIMIT_REACHED"));
        // Just above the public spend: nobody.
        let t = run(
            &PrincipalOverBudget,
            &rows(),
            &with(vec![budget(BudgetMetric::PublicOnDemandCost, 0.81, &[])]),
        );
        assert_eq!(t.count, 0);
    }

    #[test]
    fn contracted_budget_counts_net_and_marketplace() {
        // Alice 2026-04: net 0.72 + Marketplace 2.00 = 2.72.
        let c = with(vec![budget(
            BudgetMetric::EstimatedContractedCost,
            2.72,
            &["arn:aws:iam::*:user/*"],
        )]);
        let t = run(&PrincipalOverBudget, &rows(), &c);
        assert_eq!(t.count, 1);
        assert!(t.samples().all(|s| !s
            .values
            .iter()
            .any(|(k, _)| k == "marketplace_not_in_metric")));
        let c = with(vec![budget(
            BudgetMetric::EstimatedContractedCost,
            2.73,
            &["arn:aws:iam::*:user/*"],
        )]);
        assert_eq!(run(&PrincipalOverBudget, &rows(), &c).count, 0);
    }

    #[test]
    fn exact_principals_and_root() {
        let root = Row {
            principal: Some("arn:aws:iam::111122223333:root"),
            ..inference()
        };
        let c = with(vec![budget(
            BudgetMetric::PublicOnDemandCost,
            0.5,
            &["iam::111122223333:root"],
        )]);
        let mut all = rows();
        all.push(root);
        let t = run(&PrincipalOverBudget, &all, &c);
        assert_eq!(t.count, 1);
        assert!(t.samples().any(|s| s
            .values
            .iter()
            .any(|(_, v)| v == "arn:aws:iam::111122223333:root")));
    }

    #[test]
    fn skipped_without_budgets() {
        let c = with(Vec::new());
        assert!(PrincipalOverBudget.skip_reason(&c).is_some());
    }
}
