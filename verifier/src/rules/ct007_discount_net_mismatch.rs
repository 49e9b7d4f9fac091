//! CT007: a usage row's net cost is not its unblended cost plus its total discount.

use super::ct006_net_above_gross::COST_TOLERANCE;
use crate::context::Ctx;
use crate::facts::{Needs, View, R_USAGE};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// CT007.
pub struct DiscountNetMismatch;

static META: RuleMeta = RuleMeta {
    code: "CT007",
    name: "discount-net-mismatch",
    family: Family::Cost,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[
            Col::UnblendedCost,
            Col::NetUnblendedCost,
            Col::TotalDiscount,
            Col::LineItemType,
        ],
        ..Needs::NONE
    },
    summary: "a usage row's net cost is not its unblended cost plus its total discount",
    checks: "On rows with `line_item_line_item_type = Usage`: where `line_item_net_unblended_cost` is set, it equals `line_item_unblended_cost + discount_total_discount` (a null total discount counts as 0) within a millionth of a dollar; a row with a `discount_total_discount` has a net cost. Separate `EdpDiscount`/`PrivateRateDiscount` rows are not checked (their dollars are already in the usage rows' net). The `discount` map itself is not read: that its entries sum to `discount_total_discount` is not checked yet.",
    why: "Net chargeback, EstimatedContractedCost budgets and the CID dashboards' net views sum `line_item_net_unblended_cost`; the discount columns say what it should be, and when they disagree one of them is wrong.",
    example: "A Bedrock token row with unblended cost 10.00, `discount_total_discount` -0.50 and net unblended cost 9.00.",
    fix: "Recompute `line_item_net_unblended_cost` from the unblended cost and the discount columns (or the discount columns from the programs' rates).",
    sql: SqlForm::Query(sql),
};

impl Rule for DiscountNetMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        for i in 0..v.len {
            if !v.is(i, R_USAGE) {
                continue;
            }
            let Some(gross) = v.cost(i) else { continue };
            let total = v.total_discount(i);
            let bad = match v.net_cost(i) {
                Some(net) => (gross + total.unwrap_or(0.0) - net).abs() > COST_TOLERANCE,
                None => total.is_some(),
            };
            if bad {
                let show = |x: Option<f64>| x.map_or_else(|| "null".to_string(), |x| x.to_string());
                out.hit(
                    v.file,
                    Some(gross),
                    v.sample(
                        i,
                        [
                            ("line_item_unblended_cost", gross.to_string()),
                            ("discount_total_discount", show(total)),
                            ("line_item_net_unblended_cost", show(v.net_cost(i))),
                        ],
                    ),
                );
            }
        }
    }
}

/// The SQL form: the same comparison on Usage rows.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let t = COST_TOLERANCE;
    let show = |c: &str| format!("coalesce({}, 'null')", d.to_str(c));
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE line_item_type = 'Usage' AND cost IS NOT NULL\n  AND ((net_cost IS NOT NULL AND abs(cost + coalesce(total_discount, 0) - net_cost) > {t})\n    OR (net_cost IS NULL AND total_discount IS NOT NULL))",
        s = sample(
            d,
            &[
                id(),
                ("line_item_unblended_cost", d.to_str("cost")),
                ("discount_total_discount", show("total_discount")),
                ("line_item_net_unblended_cost", show("net_cost")),
            ]
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn net_is_gross_plus_total_discount() {
        let good = Row {
            net_cost: Some(0.72),
            total_discount: Some(-0.08),
            ..inference()
        };
        let no_program = inference();
        let program_without_discount = Row {
            net_cost: Some(0.8),
            ..inference()
        };
        let ok = run(
            &DiscountNetMismatch,
            &[good, no_program, program_without_discount],
            &ctx(),
        );
        assert_eq!(ok.count, 0);
        let off = Row {
            net_cost: Some(0.70),
            total_discount: Some(-0.08),
            ..inference()
        };
        let no_net = Row {
            total_discount: Some(-0.08),
            ..inference()
        };
        let undiscounted_net = Row {
            net_cost: Some(0.5),
            ..inference()
        };
        let t = run(&DiscountNetMismatch, &[off, no_net, undiscounted_net], &ctx());
        assert_eq!(t.count, 3);
    }

    #[test]
    fn discount_rows_are_not_checked() {
        let edp = Row {
            line_item_type: "EdpDiscount",
            cost: Some(-0.08),
            net_cost: Some(0.0),
            principal: None,
            tags: tags(&[]),
            inference: false,
            ..inference()
        };
        assert_eq!(run(&DiscountNetMismatch, &[edp], &ctx()).count, 0);
    }
}
