//! RC004: unattributed Bedrock spend differs from the truth.

use super::shared::{compare, reconciliation_skip};
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::total_vs_truth;

/// RC004.
pub struct Unattributed;

static META: RuleMeta = RuleMeta {
    code: "RC004",
    name: "unattributed-mismatch",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    needs: Needs {
        columns: &[Col::UnblendedCost],
        aggregates: &[Aggregate::Spend],
        ..Needs::NONE
    },
    summary: "Bedrock spend without a principal differs from the truth",
    checks: "The cost of Bedrock inference rows with an empty (or absent) `line_item_iam_principal` equals the truth's `unattributed_bedrock_cost` within $0.005.",
    why: "Unattributed spend is what chargeback cannot assign; more than expected means principals were lost.",
    example: "Truth $3.10 unattributed (rows before 2026-04-08), export $57.90.",
    fix: "Look for PR001 findings; check when INCLUDE_IAM_PRINCIPAL_DATA was enabled.",
    sql: SqlForm::Query(sql),
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

/// The SQL form: Bedrock spend without a principal differs from the truth's `unattributed_bedrock_cost`.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let expected = cx
        .ctx
        .truth
        .as_ref()
        .map_or(0.0, |t| t.unattributed_bedrock_cost);
    total_vs_truth(cx.d, "inference AND principal IS NULL", expected)
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
