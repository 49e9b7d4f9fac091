//! RC008: a billing period's invoice total differs from the truth's bill.

use super::shared::{bill_skip, compare};
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::sql::fragment::{MONEY_TYPE, TOLERANCE_E10};
use curlab_vocab::truth::TruthRestatement;
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
    checks: "For each billing period of the truth's `bill.totals_by_period`, Σ `line_item_unblended_cost` of every row of that period — usage, separate discount rows, credits, refunds, tax, Bedrock or not — equals its `invoice_total` within $0.005 (one finding per differing period; a period without rows counts as $0). For a period the truth lists in `bill.restatements` (delivered again after it closed, with late credits or refunds), the finding says when the rows read add up to the first delivery (the restatement missed) or to both deliveries (the period counted twice). Skipped when the truth has no `bill`.",
    why: "The invoice is what the chargeback must reconcile to; a period that does not sum to it has lost, repeated or invented rows, whatever the per-principal totals say.",
    example: "2026-05: truth invoice total $66,012.40; the export's rows sum to $65,987.40 (a credit row is missing).",
    fix: "Look for duplicated or missing line items (CT004), rows outside their billing period (SC007) and adjustments with the wrong sign (CT008). A restated period is read from its latest execution folder only: the one its manifest lists (docs/export-format.md, \"Restated months\").",
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
            let mut what = vec![("billing_period", period.clone())];
            if let Some(r) = t.bill.restatements.get(period) {
                if let Some(d) = restatement_diagnosis(r, totals.invoice_total, actual) {
                    what.push(("restatement", d));
                }
            }
            compare(out, i, &what, totals.invoice_total, actual);
        }
    }
}

/// What a restated period's total says about the deliveries read: only the first one (the
/// restatement missed), or both summed (the period counted twice).
fn restatement_diagnosis(r: &TruthRestatement, latest: f64, actual: Money) -> Option<String> {
    let near = |v: f64| (actual - Money::from_usd(v)).abs() <= Money::HALF_CENT;
    if near(r.first_invoice_total) {
        Some(format!(
            "missed: the rows read are the first delivery; the restatement delivered {} (its {} late adjustment row(s), {}) is not read",
            r.restated_at,
            r.late_rows,
            crate::finding::usd(r.late_adjustments)
        ))
    } else if near(r.first_invoice_total + latest) {
        Some(format!(
            "counted twice: both deliveries were read, the first and the restatement of {}; read only the latest execution (the one the period's manifest lists)",
            r.restated_at
        ))
    } else {
        None
    }
}

/// The SQL form: the truth's invoice totals per period as a `VALUES` table, joined to
/// Σ unblended per `billing_period`; for a restated period (`r` = 1) the sample says when the
/// rows add up to its first delivery or to both deliveries.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let expected: Vec<Vec<String>> = cx
        .ctx
        .truth
        .iter()
        .flat_map(|t| {
            t.bill.totals_by_period.iter().map(|(p, totals)| {
                let e10 = Money::from_usd(totals.invoice_total).e10();
                let (r, first) = match t.bill.restatements.get(p) {
                    Some(r) => (1, Money::from_usd(r.first_invoice_total).e10()),
                    None => (0, e10),
                };
                vec![d.lit(p), e10.to_string(), r.to_string(), first.to_string()]
            })
        })
        .collect();
    let e = values_table(
        d,
        "e",
        &[
            ("period", "VARCHAR"),
            ("e10", MONEY_TYPE),
            ("r", "INTEGER"),
            ("first_e10", MONEY_TYPE),
        ],
        &expected,
    );
    let actual = "coalesce(a.e10, 0)";
    let diagnosis = format!(
        "CASE WHEN e.r = 1 AND abs({actual} - e.first_e10) <= {TOLERANCE_E10} THEN {missed} WHEN e.r = 1 AND abs({actual} - e.first_e10 - e.e10) <= {TOLERANCE_E10} THEN {twice} END",
        missed = d.lit("missed: the first delivery was read, not the restatement"),
        twice = d.lit("counted twice: both deliveries were read"),
    );
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (SELECT billing_period AS period, sum(e10) AS e10 FROM base GROUP BY billing_period) a\nRIGHT JOIN {e} ON e.period = a.period\nWHERE abs({actual} - e.e10) > {TOLERANCE_E10}",
        s = sample(
            d,
            &[
                ("billing_period", "e.period".into()),
                ("expected_e10", d.to_str("e.e10")),
                ("actual_e10", d.to_str(actual)),
                ("restatement", diagnosis),
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

    #[test]
    fn a_restated_period_says_which_delivery_was_read() {
        // The truth: 2026-04 restated with a -0.2 late refund; as first delivered it was 0.8.
        let mut t = truth(&[("2026-04", 0.6)]);
        t.bill.restatements.insert(
            "2026-04".into(),
            TruthRestatement {
                restated_at: "2026-05-09".into(),
                late_adjustments: -0.2,
                late_rows: 1,
                first_invoice_total: 0.8,
            },
        );
        let mut c = ctx();
        c.truth = Some(t);
        let row = |cost: f64| Row {
            cost: Some(cost),
            ..inference()
        };
        let diagnosis = |rows: &[Row<'_>]| -> Option<String> {
            let t = run(&InvoiceTotal, rows, &c);
            assert_eq!(t.count, 1);
            let d = t
                .samples()
                .next()
                .and_then(|s| s.values.get("restatement").cloned());
            d
        };
        // The restated total: clean.
        assert_eq!(run(&InvoiceTotal, &[row(0.6)], &c).count, 0);
        // Only the first delivery read.
        let d = diagnosis(&[row(0.8)]).expect("diagnosed");
        assert!(d.starts_with("missed") && d.contains("2026-05-09"), "{d}");
        // Both deliveries read.
        let d = diagnosis(&[row(0.8), row(0.6)]).expect("diagnosed");
        assert!(d.starts_with("counted twice"), "{d}");
        // Anything else: a plain difference.
        assert_eq!(diagnosis(&[row(0.1)]), None);
    }
}
