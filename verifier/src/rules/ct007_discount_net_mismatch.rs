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
            Col::Discount,
        ],
        ..Needs::NONE
    },
    summary: "a usage row's net cost is not its unblended cost plus its total discount, or its `discount` map does not sum to that total",
    checks: "On rows with `line_item_line_item_type = Usage`: where `line_item_net_unblended_cost` is set, it equals `line_item_unblended_cost + discount_total_discount` (a null total discount counts as 0) within a millionth of a dollar; a row with a `discount_total_discount` has a net cost; and where the `discount` map has entries and `discount_total_discount` is set, the map's values (`edp_discount`, `private_rate_discount`, …) sum to it within a millionth of a dollar (an empty map is not checked: with manual discount compatibility the discounts are separate rows). One offence per row. Separate `EdpDiscount`/`PrivateRateDiscount` rows are not checked (their dollars are already in the usage rows' net).",
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
            // The map is read only when it has entries and a total to compare with.
            let map = total.and(v.discount_sum(i)).filter(|(n, _)| *n > 0);
            let map_bad = match (map, total) {
                (Some((_, sum)), Some(t)) => (sum - t).abs() > COST_TOLERANCE,
                _ => false,
            };
            if bad || map_bad {
                let show = |x: Option<f64>| x.map_or_else(|| "null".to_string(), |x| x.to_string());
                let mut values = vec![
                    ("line_item_unblended_cost", gross.to_string()),
                    ("discount_total_discount", show(total)),
                    ("line_item_net_unblended_cost", show(v.net_cost(i))),
                ];
                if let Some((_, sum)) = map {
                    values.push(("sum of discount map", sum.to_string()));
                }
                out.hit(v.file, Some(gross), v.sample(i, values));
            }
        }
    }
}

/// The SQL form: the same comparison on Usage rows.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let t = COST_TOLERANCE;
    let show = |c: &str| format!("coalesce({}, 'null')", d.to_str(c));
    let map_sum = d.map_values_sum("discount");
    let map_len = d.map_len("discount");
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE line_item_type = 'Usage' AND cost IS NOT NULL\n  AND ((net_cost IS NOT NULL AND abs(cost + coalesce(total_discount, 0) - net_cost) > {t})\n    OR (net_cost IS NULL AND total_discount IS NOT NULL)\n    OR (total_discount IS NOT NULL AND {map_len} > 0 AND abs({map_sum} - total_discount) > {t}))",
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
    fn the_discount_map_sums_to_the_total() {
        let map = |pairs: &[(&str, &str)]| -> &'static [(String, String)] {
            tags(pairs).expect("pairs")
        };
        let good = Row {
            net_cost: Some(0.72),
            total_discount: Some(-0.08),
            discount: map(&[("edp_discount", "-0.05"), ("private_rate_discount", "-0.03")]),
            ..inference()
        };
        // Manual discount compatibility: no map entries, nothing to compare.
        let no_map = Row {
            discount: &[],
            ..good.clone()
        };
        assert_eq!(run(&DiscountNetMismatch, &[good.clone(), no_map], &ctx()).count, 0);
        let off = Row {
            discount: map(&[("edp_discount", "-0.05")]),
            ..good
        };
        let t = run(&DiscountNetMismatch, &[off], &ctx());
        assert_eq!(t.count, 1);
        assert!(t
            .samples()
            .any(|s| s.values.iter().any(|(k, v)| k == "sum of discount map" && v == "-0.05")));
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
