//! RC005: expected principals missing from the export.

use super::shared::{export_sample, reconciliation_skip};
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::money::{TOLERANCE_NANOS, to_nanos, usd};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{Cte, SqlCx, SqlForm, Violations};
use crate::sql::fragment::sample;

/// RC005.
pub struct MissingPrincipals;

static META: RuleMeta = RuleMeta {
    code: "RC005",
    name: "expected-principal-missing",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    needs: Needs {
        columns: &[Col::Principal],
        aggregates: &[Aggregate::Spend],
        ..Needs::NONE
    },
    summary: "a principal with Bedrock spend in the truth does not appear in the export",
    checks: "Every principal of the truth's `by_principal` with more than $0.005 of spend appears on at least one Bedrock inference row.",
    why: "A missing principal's spend went somewhere else (unattributed, another identity, a gateway).",
    example: "Truth lists `assumed-role/BedrockInvoke/bob` with $8.00; no row carries it.",
    fix: "Look for PR001/PR002 and GW001 findings.",
    sql: SqlForm::Query(sql),
};

impl Rule for MissingPrincipals {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        reconciliation_skip(ctx)
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(t) = &ctx.truth else { return };
        let actual = agg.by_principal();
        for (i, (p, cost)) in t.by_principal.iter().enumerate() {
            if to_nanos(*cost) > TOLERANCE_NANOS && !actual.contains_key(p.as_str()) {
                out.hit_n(
                    1,
                    i,
                    Some(*cost),
                    export_sample(None, [("principal", p.clone()), ("expected", usd(*cost))]),
                );
            }
        }
    }
}

/// The SQL form: a truth principal with over half a cent of spend that no Bedrock row carries.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM truth_principals t\nLEFT JOIN principals p ON p.principal = t.arn\nWHERE t.nanos > {TOLERANCE_NANOS} AND p.principal IS NULL",
            s = sample(d, &[("principal", "t.arn".into()), ("expected_nanos", d.to_str("t.nanos"))]),
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
    fn fires_on_absent_principal() {
        let p = inference().principal.unwrap().to_string();
        let mut c = ctx();
        c.truth = Some(Truth {
            by_principal: [(p, 0.8)].into(),
            ..Default::default()
        });
        assert_eq!(run(&MissingPrincipals, &[inference()], &c).count, 0);
        assert_eq!(run(&MissingPrincipals, &[ec2()], &c).count, 1);
    }
}
