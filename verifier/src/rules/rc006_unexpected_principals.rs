//! RC006: principals in the export the truth does not know.

use super::shared::{export_sample, reconciliation_skip};
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::finding::usd;
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{Cte, SqlCx, SqlForm, Violations};
use crate::sql::fragment::sample;

/// RC006.
pub struct UnexpectedPrincipals;

static META: RuleMeta = RuleMeta {
    code: "RC006",
    name: "unexpected-principal",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    needs: Needs {
        columns: &[Col::Principal],
        aggregates: &[Aggregate::Spend],
        ..Needs::NONE
    },
    summary: "a principal on Bedrock rows is not in the truth",
    checks: "Every principal on Bedrock inference rows is in the truth's `by_principal` or `principals`.",
    why: "An unknown identity spending on Bedrock is either a data error (rewritten ARN) or an identity nobody accounted for.",
    example: "`arn:aws:iam::111122223333:user/mallory` with $5.00, absent from the truth.",
    fix: "Look for PR002/PR003 findings; otherwise add the identity to the scenario.",
    sql: SqlForm::Query(sql),
};

impl Rule for UnexpectedPrincipals {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        reconciliation_skip(ctx)
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(t) = &ctx.truth else { return };
        for (i, (p, s)) in agg.by_principal().into_iter().enumerate() {
            if !t.by_principal.contains_key(p) && ctx.truth_principal(p).is_none() {
                let cost = s.cost.to_usd();
                out.hit_n(
                    1,
                    i,
                    Some(cost),
                    export_sample(None, [("principal", p.to_string()), ("actual", usd(cost))]),
                );
            }
        }
    }
}

/// The SQL form: a principal on Bedrock rows that the truth does not know.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM principals p\nLEFT JOIN truth_principals t ON t.arn = p.principal\nWHERE t.arn IS NULL",
            s = sample(d, &[("principal", "p.principal".into()), ("actual_e10", d.to_str("p.e10"))]),
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
    fn fires_on_unknown_principal() {
        let p = inference().principal.unwrap().to_string();
        let mut c = ctx();
        c.truth = Some(Truth::default());
        assert_eq!(run(&UnexpectedPrincipals, &[inference()], &c).count, 1);
        c.truth = Some(Truth {
            by_principal: [(p, 0.8)].into(),
            ..Default::default()
        });
        assert_eq!(run(&UnexpectedPrincipals, &[inference()], &c).count, 0);
    }
}
