//! RC002: per-principal totals differ from the truth.

use super::shared::{compare, reconciliation_skip};
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::money::TOLERANCE_NANOS;
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{Cte, SqlCx, SqlForm, Violations};
use crate::sql::fragment::sample;

/// RC002.
pub struct PrincipalTotals;

static META: RuleMeta = RuleMeta {
    code: "RC002",
    name: "principal-total-mismatch",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    needs: Needs {
        columns: &[Col::Principal, Col::UnblendedCost],
        aggregates: &[Aggregate::Spend],
        ..Needs::NONE
    },
    summary: "a principal's Bedrock total differs from the truth",
    checks: "For each principal both in the truth's `by_principal` and in the export, the Bedrock inference cost on its rows equals the truth within $0.005. Principals only on one side are RC005/RC006.",
    why: "Per-principal totals are the chargeback numbers; a mismatch means spend moved between identities.",
    example: "`assumed-role/BedrockInvoke/alice`: truth $12.00, export $9.50.",
    fix: "Look for PR/TG findings on that principal's rows (missing principal, wrong ARN) and for gateway collapse.",
    sql: SqlForm::Query(sql),
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

/// The SQL form: a principal in the truth and the export whose total differs; one per principal.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM truth_principals t\nJOIN principals p ON p.principal = t.arn\nWHERE t.nanos IS NOT NULL AND abs(p.nanos - t.nanos) > {TOLERANCE_NANOS}",
            s = sample(d, &[("principal", "t.arn".into()), ("expected_nanos", d.to_str("t.nanos")), ("actual_nanos", d.to_str("p.nanos"))]),
        ),
        uses: &[Cte::Spend, Cte::Principals, Cte::TruthPrincipals],
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
