//! RC001: the Bedrock total differs from the truth.

use super::shared::{compare, reconciliation_skip};
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::total_vs_truth;

/// RC001.
pub struct BedrockTotal;

static META: RuleMeta = RuleMeta {
    code: "RC001",
    name: "bedrock-total-mismatch",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    needs: Needs {
        columns: &[Col::UnblendedCost, Col::ProductCode, Col::Operation, Col::LineItemType],
        aggregates: &[Aggregate::Spend],
        ..Needs::NONE
    },
    summary: "the export's Bedrock inference total differs from the truth",
    checks: "The sum of `line_item_unblended_cost` over Bedrock inference Usage rows (AWS- and Marketplace-billed) equals the truth's `bedrock_cost_total` within $0.005. Sums are exact (integer nano-dollars).",
    why: "If the export's total is off, every per-principal or per-tag report built on it is off too.",
    example: "Truth $1,234.56, export $1,240.12.",
    fix: "For a generated export, see which fault the truth lists; for a real one, compare against Cost Explorer filtered to Amazon Bedrock and look for missing or duplicated files.",
    sql: SqlForm::Query(sql),
};

impl Rule for BedrockTotal {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        reconciliation_skip(ctx)
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(t) = &ctx.truth else { return };
        compare(out, 0, &[], t.bedrock_cost_total, agg.bedrock_nanos);
    }
}

/// The SQL form: the Bedrock inference total differs from the truth's `bedrock_cost_total`.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let expected = cx.ctx.truth.as_ref().map_or(0.0, |t| t.bedrock_cost_total);
    total_vs_truth(cx.d, "inference", expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;
    use curlab_vocab::truth::Truth;

    #[test]
    fn fires_on_total_difference() {
        let mut c = ctx();
        c.truth = Some(Truth {
            bedrock_cost_total: 0.8,
            ..Default::default()
        });
        assert_eq!(run(&BedrockTotal, &[inference(), ec2()], &c).count, 0);
        c.truth = Some(Truth {
            bedrock_cost_total: 0.9,
            ..Default::default()
        });
        assert_eq!(run(&BedrockTotal, &[inference()], &c).count, 1);
    }
}
