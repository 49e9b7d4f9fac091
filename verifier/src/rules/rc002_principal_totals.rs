//! RC002: per-principal totals differ from the truth.

use super::rc001_bedrock_total::{compare, reconciliation_skip};
use super::{Aggregates, Ctx, Rule};
use crate::finding::Tally;
use crate::meta::*;

/// RC002.
pub struct PrincipalTotals;

static META: RuleMeta = RuleMeta {
    code: "RC002",
    name: "principal-total-mismatch",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    columns: &["line_item_iam_principal", "line_item_unblended_cost"],
    summary: "a principal's Bedrock total differs from the truth",
    checks: "For each principal both in the truth's `by_principal` and in the export, the Bedrock inference cost on its rows equals the truth within $0.005. Principals only on one side are RC005/RC006.",
    why: "Per-principal totals are the chargeback numbers; a mismatch means spend moved between identities.",
    example: "`assumed-role/BedrockInvoke/alice`: truth $12.00, export $9.50.",
    fix: "Look for PR/TG findings on that principal's rows (missing principal, wrong ARN) and for gateway collapse.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::rc002),
};

impl Rule for PrincipalTotals {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        reconciliation_skip(ctx)
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(t) = &ctx.truth else { return };
        let actual = agg.by_principal();
        for (i, (p, expected)) in t.by_principal.iter().enumerate() {
            if let Some(s) = actual.get(p.as_str()) {
                compare(out, i, &[("principal", p.clone())], *expected, s.nanos);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;
    use curlab_vocab::truth::Truth;

    #[test]
    fn fires_on_principal_difference() {
        let p = inference().principal.unwrap().to_string();
        let mut c = ctx();
        c.truth = Some(Truth {
            by_principal: [(p.clone(), 0.8)].into(),
            ..Default::default()
        });
        assert_eq!(run(&PrincipalTotals, &[inference()], &c).count, 0);
        c.truth = Some(Truth {
            by_principal: [(p, 2.0)].into(),
            ..Default::default()
        });
        assert_eq!(run(&PrincipalTotals, &[inference()], &c).count, 1);
    }
}
