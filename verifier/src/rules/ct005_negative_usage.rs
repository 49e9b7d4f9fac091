//! CT005: negative usage on a Usage row.

use super::{Ctx, Rule, View};
use crate::finding::Tally;
use crate::meta::*;
use crate::view::R_USAGE;

/// CT005.
pub struct NegativeUsage;

static META: RuleMeta = RuleMeta {
    code: "CT005",
    name: "negative-usage",
    family: Family::Cost,
    severity: Severity::Error,
    applies: Applicability::Always,
    columns: &["line_item_usage_amount", "line_item_line_item_type"],
    summary: "a Usage row has a negative usage amount",
    checks: "Rows with `line_item_line_item_type = Usage` have `line_item_usage_amount >= 0`. Credits, refunds, discounts and Savings Plan negations may be negative and are not checked.",
    why: "Negative usage silently offsets real spend in sums by usage type or principal.",
    example: "A Bedrock input-token row with usage -12.5.",
    fix: "Re-download the export; adjustments belong on Credit/Refund rows, not on Usage rows.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::ct005),
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
