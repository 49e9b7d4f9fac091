//! CT001: unblended cost ≠ usage × unblended rate.

use crate::context::Ctx;
use crate::facts::{Distinct, Needs, PerValue, R_USAGE, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// CT001.
pub struct CostRateMismatch;

/// Absolute tolerance in USD.
pub const ABS_TOLERANCE: f64 = 1e-4;
/// Relative tolerance.
pub const REL_TOLERANCE: f64 = 1e-4;

static META: RuleMeta = RuleMeta {
    code: "CT001",
    name: "cost-rate-mismatch",
    family: Family::Cost,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::UnblendedCost, Col::UsageAmount, Col::UnblendedRate, Col::LineItemType],
        facts: &[&RATE],
        ..Needs::NONE
    },
    summary: "line_item_unblended_cost differs from usage × unblended rate beyond rounding",
    checks: "On Usage rows with a non-empty `line_item_unblended_rate` (a string column), `line_item_unblended_cost` equals `line_item_usage_amount × rate` within $0.0001 + 0.01 % of the expected cost. Rows with an empty rate (tax, credits, discounts) and other line item types are skipped.",
    why: "Cost that does not follow from usage and rate means rows were edited or mis-aggregated; per-token cost analysis and price checks go wrong.",
    example: "usage 1000 (1K tokens), rate `0.0008000000`, cost 0.88 instead of 0.80.",
    fix: "Re-download the export; if a pipeline recomputes or converts costs (currency, markup), keep the original columns and put derived values in new ones.",
    sql: SqlForm::Query(sql),
};

/// `line_item_unblended_rate` as a number: the rate is text in CUR, parsed once per distinct
/// value (`None` when it is not a number).
static RATE: PerValue<Option<f64>> = PerValue {
    of: Distinct::Column(Col::UnblendedRate),
    fact: |r, _| r.trim().parse::<f64>().ok(),
};

impl Rule for CostRateMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        let rates = v.facts(&RATE);
        if !rates.any() {
            return;
        }
        for i in 0..v.len {
            if !v.is(i, R_USAGE) {
                continue;
            }
            let rate = rates.at(i).copied().flatten();
            let (Some(cost), Some(usage), Some(r)) = (v.cost(i), v.usage(i), rate) else {
                continue;
            };
            let expected = usage * r;
            if (cost - expected).abs() > ABS_TOLERANCE + REL_TOLERANCE * expected.abs() {
                out.hit(
                    v.file,
                    Some(cost),
                    v.sample(
                        i,
                        [
                            ("line_item_unblended_cost", cost.to_string()),
                            ("line_item_usage_amount", usage.to_string()),
                            (
                                "line_item_unblended_rate",
                                v.rate_text(i).unwrap_or("").to_string(),
                            ),
                            ("expected_cost", format!("{expected:.10}")),
                        ],
                    ),
                );
            }
        }
    }
}

/// The SQL form: on Usage rows with a numeric rate, |cost − usage × rate| > $0.0001 + 0.01 %.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT line_item_id, cost, usage_amount, rate, usage_amount * TRY_CAST(trim(rate) AS DOUBLE) AS expected\n  FROM base\n  WHERE line_item_type = 'Usage' AND cost IS NOT NULL AND usage_amount IS NOT NULL AND rate IS NOT NULL\n) t\nWHERE expected IS NOT NULL AND abs(cost - expected) > {abs} + {rel} * abs(expected)",
        s = sample(d, &[id(), ("line_item_unblended_cost", d.to_str("cost")), ("line_item_usage_amount", d.to_str("usage_amount")), ("line_item_unblended_rate", "rate".into())]),
        abs = d.dbl(ABS_TOLERANCE),
        rel = d.dbl(REL_TOLERANCE),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_wrong_cost_not_on_tax() {
        let tax = Row {
            line_item_type: "Tax",
            cost: Some(3.0),
            rate: None,
            ..ec2()
        };
        assert_eq!(
            run(&CostRateMismatch, &[inference(), ec2(), tax], &ctx()).count,
            0
        );
        let bad = Row {
            cost: Some(0.88),
            ..inference()
        };
        assert_eq!(run(&CostRateMismatch, &[bad], &ctx()).count, 1);
    }
}
