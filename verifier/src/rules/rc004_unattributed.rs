//! RC004: unattributed Bedrock spend differs from the truth.

use super::rc001_bedrock_total::{compare, reconciliation_skip};
use super::{Aggregates, Ctx, Rule};
use crate::finding::Tally;
use crate::meta::*;

/// RC004.
pub struct Unattributed;

static META: RuleMeta = RuleMeta {
    code: "RC004",
    name: "unattributed-mismatch",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    columns: &["line_item_unblended_cost"],
    summary: "Bedrock spend without a principal differs from the truth",
    checks: "The cost of Bedrock inference rows with an empty (or absent) `line_item_iam_principal` equals the truth's `unattributed_bedrock_cost` within $0.005.",
    why: "Unattributed spend is what chargeback cannot assign; more than expected means principals were lost.",
    example: "Truth $3.10 unattributed (rows before 2026-04-08), export $57.90.",
    fix: "Look for PR001 findings; check when INCLUDE_IAM_PRINCIPAL_DATA was enabled.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::rc004),
};

impl Rule for Unattributed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        reconciliation_skip(ctx)
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(t) = &ctx.truth else { return };
        compare(
            out,
            0,
            &[],
            t.unattributed_bedrock_cost,
            agg.unattributed_nanos,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::Row;
    use crate::rules::testkit::*;
    use curlab_vocab::truth::Truth;

    #[test]
    fn fires_on_lost_principals() {
        let mut c = ctx();
        c.truth = Some(Truth::default());
        assert_eq!(run(&Unattributed, &[inference()], &c).count, 0);
        let bad = Row {
            principal: None,
            ..inference()
        };
        assert_eq!(run(&Unattributed, &[bad], &c).count, 1);
    }
}
