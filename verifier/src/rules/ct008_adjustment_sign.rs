//! CT008: a credit, refund or discount row with a positive cost.

use crate::context::Ctx;
use crate::facts::{Needs, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// CT008.
pub struct AdjustmentSign;

static META: RuleMeta = RuleMeta {
    code: "CT008",
    name: "adjustment-sign",
    family: Family::Cost,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::UnblendedCost, Col::LineItemType],
        ..Needs::NONE
    },
    summary: "a Credit, Refund or discount row has a positive cost",
    checks: "Rows whose `line_item_line_item_type` is `Credit`, `Refund` or ends in `Discount` (`EdpDiscount`, `PrivateRateDiscount`, `BundledDiscount`, …) have `line_item_unblended_cost <= 0`.",
    why: "Credits, refunds and discounts lower the bill; AWS writes them as negative amounts and the CID dashboards group them by type (\"Discounts\", \"Credits and Refunds\"). A positive one adds to the invoice total and to every chargeback it is spread over.",
    example: "An `EdpDiscount` row of +1.25 beside the Bedrock usage it discounts.",
    fix: "Write adjustments as negative amounts; a charge that is not an adjustment belongs on a Usage (or Fee) row.",
    sql: SqlForm::Query(sql),
};

/// Whether a line item type is an adjustment that lowers the bill.
pub(crate) fn is_adjustment(line_item_type: &str) -> bool {
    matches!(line_item_type, "Credit" | "Refund") || line_item_type.ends_with("Discount")
}

impl Rule for AdjustmentSign {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        for i in 0..v.len {
            let ty = v.line_item_type(i);
            if !is_adjustment(ty) {
                continue;
            }
            if let Some(c) = v.cost(i).filter(|c| *c > 0.0) {
                out.hit(
                    v.file,
                    Some(c),
                    v.sample(
                        i,
                        [
                            ("line_item_line_item_type", ty.to_string()),
                            ("line_item_unblended_cost", c.to_string()),
                        ],
                    ),
                );
            }
        }
    }
}

/// The SQL form: the same test on the line item type.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE (line_item_type IN ('Credit', 'Refund') OR line_item_type LIKE '%Discount') AND cost > 0",
        s = sample(
            d,
            &[
                id(),
                ("line_item_line_item_type", "line_item_type".to_string()),
                ("line_item_unblended_cost", d.to_str("cost")),
            ]
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    fn adjustment(ty: &'static str, cost: f64) -> Row<'static> {
        Row {
            line_item_type: ty,
            cost: Some(cost),
            usage: Some(0.0),
            principal: None,
            tags: tags(&[]),
            ..ec2()
        }
    }

    #[test]
    fn adjustments_are_negative() {
        let ok = [
            adjustment("Credit", -5.0),
            adjustment("Refund", -1.0),
            adjustment("EdpDiscount", -0.2),
            adjustment("PrivateRateDiscount", 0.0),
            // Usage and tax may be positive; DiscountedUsage is RI usage, not a discount.
            adjustment("Tax", 3.0),
            adjustment("DiscountedUsage", 3.0),
            inference(),
        ];
        assert_eq!(run(&AdjustmentSign, &ok, &ctx()).count, 0);
        let bad = [
            adjustment("Credit", 5.0),
            adjustment("Refund", 1.0),
            adjustment("EdpDiscount", 0.2),
            adjustment("BundledDiscount", 0.1),
        ];
        assert_eq!(run(&AdjustmentSign, &bad, &ctx()).count, 4);
    }
}
