//! RC005: expected principals missing from the export.

use super::rc001_bedrock_total::reconciliation_skip;
use super::{export_sample, usd, Aggregates, Ctx, Rule};
use crate::finding::Tally;
use crate::meta::*;
use crate::money::{to_nanos, TOLERANCE_NANOS};

/// RC005.
pub struct MissingPrincipals;

static META: RuleMeta = RuleMeta {
    code: "RC005",
    name: "expected-principal-missing",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    columns: &["line_item_iam_principal"],
    summary: "a principal with Bedrock spend in the truth does not appear in the export",
    checks: "Every principal of the truth's `by_principal` with more than $0.005 of spend appears on at least one Bedrock inference row.",
    why: "A missing principal's spend went somewhere else (unattributed, another identity, a gateway).",
    example: "Truth lists `assumed-role/BedrockInvoke/bob` with $8.00; no row carries it.",
    fix: "Look for PR001/PR002 and GW001 findings.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::rc005),
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
