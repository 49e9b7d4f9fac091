//! CT006: a usage row's net cost above its gross cost, or of the opposite sign.

use crate::context::Ctx;
use crate::facts::{Needs, View, R_USAGE};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// CT006.
pub struct NetAboveGross;

/// What rounding may leave between two cost columns of one row (USD): a millionth of a dollar.
pub(crate) const COST_TOLERANCE: f64 = 1e-6;

static META: RuleMeta = RuleMeta {
    code: "CT006",
    name: "net-above-gross",
    family: Family::Cost,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[
            Col::UnblendedCost,
            Col::NetUnblendedCost,
            Col::LineItemType,
        ],
        ..Needs::NONE
    },
    summary: "a usage row's net cost is above its unblended cost, or of the opposite sign",
    checks: "On rows with `line_item_line_item_type = Usage` and a `line_item_net_unblended_cost`, the net cost is at most the unblended cost (beyond a millionth of a dollar) and has the same sign (a discount larger than the charge is flagged). Rows with a null net cost (no discount program applies, as in real exports) are not checked.",
    why: "`line_item_net_unblended_cost` is the cost after EDP and private-rate discounts, which are never positive; a net above gross inflates net chargeback and EstimatedContractedCost budgets.",
    example: "A Bedrock token row with unblended cost 10.00 and net unblended cost 10.50.",
    fix: "Recompute the net column as unblended cost plus `discount_total_discount`; discounts belong in the `discount` map and the `EdpDiscount`/`PrivateRateDiscount` rows as negative amounts.",
    sql: SqlForm::Query(sql),
};

/// Whether a net cost breaks CT006 against its gross.
fn broken(gross: f64, net: f64) -> bool {
    net > gross + COST_TOLERANCE
        || (gross >= 0.0 && net < -COST_TOLERANCE)
        || (gross <= 0.0 && net > COST_TOLERANCE)
}

impl Rule for NetAboveGross {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        for i in 0..v.len {
            if !v.is(i, R_USAGE) {
                continue;
            }
            if let (Some(gross), Some(net)) = (v.cost(i), v.net_cost(i)) {
                if broken(gross, net) {
                    out.hit(
                        v.file,
                        Some(gross),
                        v.sample(
                            i,
                            [
                                ("line_item_unblended_cost", gross.to_string()),
                                ("line_item_net_unblended_cost", net.to_string()),
                            ],
                        ),
                    );
                }
            }
        }
    }
}

/// The SQL form: the same comparison on Usage rows with a net cost.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let t = COST_TOLERANCE;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE line_item_type = 'Usage' AND cost IS NOT NULL AND net_cost IS NOT NULL\n  AND (net_cost > cost + {t} OR (cost >= 0 AND net_cost < -{t}) OR (cost <= 0 AND net_cost > {t}))",
        s = sample(
            d,
            &[
                id(),
                ("line_item_unblended_cost", d.to_str("cost")),
                ("line_item_net_unblended_cost", d.to_str("net_cost")),
            ]
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_net_above_gross_or_of_the_other_sign() {
        let discounted = Row {
            net_cost: Some(0.72),
            total_discount: Some(-0.08),
            ..inference()
        };
        let undiscounted = Row {
            net_cost: None,
            ..inference()
        };
        let ok = run(&NetAboveGross, &[discounted, undiscounted], &ctx());
        assert_eq!(ok.count, 0);
        let above = Row {
            net_cost: Some(0.9),
            ..inference()
        };
        let negative = Row {
            net_cost: Some(-0.1),
            ..inference()
        };
        assert_eq!(run(&NetAboveGross, &[above, negative], &ctx()).count, 2);
        // A credit's net is not a usage row's: not checked here (CT008).
        let credit = Row {
            line_item_type: "Credit",
            cost: Some(-5.0),
            net_cost: Some(5.0),
            ..ec2()
        };
        assert_eq!(run(&NetAboveGross, &[credit], &ctx()).count, 0);
    }

    #[test]
    fn rounding_is_not_a_finding() {
        let r = Row {
            net_cost: Some(0.8 + 1e-9),
            ..inference()
        };
        assert_eq!(run(&NetAboveGross, &[r], &ctx()).count, 0);
    }
}
