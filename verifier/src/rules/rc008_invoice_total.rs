//! RC008: a billing period's invoice total differs from the truth's bill.

use super::shared::{bill_skip, compare};
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::sql::fragment::{MONEY_TYPE, TOLERANCE_E10};
use curlab_vocab::Money;
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{rows, sample, values_table};

/// RC008.
pub struct InvoiceTotal;

static META: RuleMeta = RuleMeta {
    code: "RC008",
    name: "invoice-total",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    needs: Needs {
        columns: &[Col::UnblendedCost],
        aggregates: &[Aggregate::Bill],
        ..Needs::NONE
    },
    summary: "a billing period's Σ unblended cost of every row differs from the truth's invoice total",
    checks: "For each billing period of the truth's `bill.totals_by_period`, Σ `line_item_unblended_cost` of every row of that period — usage, separate discount rows, credits, refunds, tax, Bedrock or not — equals its `invoice_total` within $0.005 (one finding per differing period; a period without rows counts as $0). Skipped when the truth has no `bill`.",
    why: "The invoice is what the chargeback must reconcile to; a period that does not sum to it has lost, repeated or invented rows, whatever the per-principal totals say.",
    example: "2026-05: truth invoice total $66,012.40; the export's rows sum to $65,987.40 (a credit row is missing).",
    fix: "Look for duplicated or missing line items (CT004), rows outside their billing period (SC007) and adjustments with the wrong sign (CT008).",
    sql: SqlForm::Query(sql),
};

impl Rule for InvoiceTotal {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        bill_skip(ctx)
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(t) = &ctx.truth else { return };
        for (i, (period, totals)) in t.bill.totals_by_period.iter().enumerate() {
            let actual = agg.periods.get(period).map_or(Money::ZERO, |p| p.invoice);
            compare(
                out,
                i,
                &[("billing_period", period.clone())],
                totals.invoice_total,
                actual,
            );
        }
    }
}

/// The SQL form: the truth's invoice totals per period as a `VALUES` table, joined to
/// Σ unblended per `billing_period`.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let expected: Vec<Vec<String>> = cx
        .ctx
        .truth
        .iter()
        .flat_map(|t| t.bill.totals_by_period.iter())
        .map(|(p, totals)| vec![d.lit(p), Money::from_usd(totals.invoice_total).e10().to_string()])
        .collect();
    let e = values_table(d, "e", &[("period", "VARCHAR"), ("e10", MONEY_TYPE)], &expected);
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (SELECT billing_period AS period, sum(e10) AS e10 FROM base GROUP BY billing_period) a\nRIGHT JOIN {e} ON e.period = a.period\nWHERE abs(coalesce(a.e10, 0) - e.e10) > {TOLERANCE_E10}",
        s = sample(
            d,
            &[
                ("billing_period", "e.period".into()),
                ("expected_e10", d.to_str("e.e10")),
                ("actual_e10", d.to_str("coalesce(a.e10, 0)")),
            ]
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;
    use curlab_vocab::truth::{BillTotals, Truth, TruthBill};

    fn truth(periods: &[(&str, f64)]) -> Truth {
        Truth {
            bill: TruthBill {
                totals_by_period: periods
                    .iter()
                    .map(|(p, v)| {
                        (
                            p.to_string(),
                            BillTotals {
                                invoice_total: *v,
                                ..Default::default()
                            },
                        )
                    })
                    .collect(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn every_row_counts_per_period() {
        let credit = Row {
            line_item_type: "Credit",
            cost: Some(-0.3),
            usage: Some(0.0),
            principal: None,
            tags: tags(&[]),
            inference: false,
            ..inference()
        };
        let tax = Row {
            line_item_type: "Tax",
            cost: Some(0.1),
            principal: None,
            tags: tags(&[]),
            inference: false,
            ..inference()
        };
        let may = Row {
            folder_period: Some("2026-05"),
            ..inference()
        };
        let rows = [inference(), credit, tax, may];
        let mut c = ctx();
        c.truth = Some(truth(&[("2026-04", 0.6), ("2026-05", 0.8)]));
        assert_eq!(run(&InvoiceTotal, &rows, &c).count, 0);
        c.truth = Some(truth(&[("2026-04", 0.9), ("2026-05", 0.8), ("2026-06", 1.0)]));
        assert_eq!(run(&InvoiceTotal, &rows, &c).count, 2);
    }
}
