//! CT005: negative usage on a Usage row.

use crate::context::Ctx;
use crate::facts::{Needs, R_USAGE, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// CT005.
pub struct NegativeUsage;

static META: RuleMeta = RuleMeta {
    code: "CT005",
    name: "negative-usage",
    family: Family::Cost,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::UsageAmount, Col::LineItemType],
        ..Needs::NONE
    },
    summary: "a Usage row has a negative usage amount",
    checks: "Rows with `line_item_line_item_type = Usage` have `line_item_usage_amount >= 0`. Credits, refunds, discounts and Savings Plan negations may be negative and are not checked.",
    why: "Negative usage silently offsets real spend in sums by usage type or principal.",
    example: "A Bedrock input-token row with usage -12.5.",
    fix: "Re-download the export; adjustments belong on Credit/Refund rows, not on Usage rows.",
    sql: SqlForm::Query(sql),
};

impl Rule for NegativeUsage {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        for i in 0..v.len {
            if let (Some(u), true) = (v.usage(i), v.is(i, R_USAGE)) {
                if u < 0.0 {
                    out.hit(
                        v.file,
                        v.cost(i),
                        v.sample(i, [("line_item_usage_amount", u.to_string())]),
                    );
                }
            }
        }
    }
}

/// The SQL form: a Usage row with a negative usage amount.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE line_item_type = 'Usage' AND usage_amount < 0",
        s = sample(d, &[id(), ("line_item_usage_amount", d.to_str("usage_amount"))]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_negative_usage_only() {
        let credit = Row {
            line_item_type: "Credit",
            usage: Some(-1.0),
            ..ec2()
        };
        assert_eq!(run(&NegativeUsage, &[inference(), credit], &ctx()).count, 0);
        let bad = Row {
            usage: Some(-1.0),
            ..inference()
        };
        assert_eq!(run(&NegativeUsage, &[bad], &ctx()).count, 1);
    }
}
