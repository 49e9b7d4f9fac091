//! PO001: a required tag key covers too little Bedrock spend.

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::money::to_dollars;
use crate::policy::full_tag_key;
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::SqlForm;

/// PO001.
pub struct RequiredTagCoverage;

static META: RuleMeta = RuleMeta {
    code: "PO001",
    name: "required-tag-coverage",
    family: Family::Policy,
    severity: Severity::Error,
    applies: Applicability::Policy,
    needs: Needs {
        columns: &[Col::Tags, Col::UnblendedCost],
        aggregates: &[Aggregate::Spend, Aggregate::SpendByTag],
        ..Needs::NONE
    },
    summary: "a required tag key covers less Bedrock spend than the policy's minimum",
    checks: "For each key of the policy's `tags.required`, the share of Bedrock inference cost on rows carrying the key with a non-empty value is at least `tags.min_coverage` (default 1.0).",
    why: "Chargeback by team or cost center only works for tagged spend; the policy states how much untagged spend is acceptable.",
    example: "`required = [\"iamPrincipal/team\"]`, `min_coverage = 0.95`; 80 % of Bedrock spend carries the tag.",
    fix: "Tag the IAM users and roles that call Bedrock (or pass session tags from the IdP or gateway), activate the key as a cost allocation tag, and backfill if needed.",
    sql: SqlForm::NativeOnly("needs the policy file's required tags and coverage threshold; `curlab sql` inlines the truth file, not the policy"),
};

impl Rule for RequiredTagCoverage {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        ctx.policy
            .as_ref()
            .is_some_and(|p| p.tags.required.is_empty())
            .then(|| "the policy has no tags.required".to_string())
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(p) = &ctx.policy else { return };
        if agg.bedrock_nanos <= 0 {
            return;
        }
        let min = p.tags.min_coverage.unwrap_or(1.0);
        for (i, key) in p.tags.required.iter().enumerate() {
            let full = full_tag_key(key);
            let covered: i128 = agg
                .by_tag
                .get(&full)
                .map(|vals| {
                    crate::money::sum(
                        vals.iter()
                            .filter(|(v, _)| !v.trim().is_empty())
                            .map(|(_, n)| *n),
                    )
                })
                .unwrap_or(0);
            let share = covered as f64 / agg.bedrock_nanos as f64;
            if share + 1e-12 < min {
                out.hit_n(
                    1,
                    i,
                    Some(to_dollars(agg.bedrock_nanos.saturating_sub(covered))),
                    export_sample(
                        None,
                        [
                            ("tag", full),
                            ("coverage", format!("{:.2} %", share * 100.0)),
                            ("min_coverage", format!("{:.2} %", min * 100.0)),
                        ],
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use crate::row::Row;
    use crate::rules::testkit::*;

    #[test]
    fn fires_below_coverage() {
        let mut c = ctx();
        let mut p = Policy::default();
        p.tags.required = vec!["team".into()];
        p.tags.min_coverage = Some(0.9);
        c.policy = Some(p);
        assert_eq!(run(&RequiredTagCoverage, &[inference()], &c).count, 0);
        let untagged = Row {
            tags: tags(&[]),
            cost: Some(0.8),
            ..inference()
        };
        assert_eq!(
            run(&RequiredTagCoverage, &[inference(), untagged], &c).count,
            1
        );
    }
}
