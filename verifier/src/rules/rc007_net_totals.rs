//! RC007: the export's net totals differ from the truth's bill.

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

/// RC007.
pub struct NetTotals;

static META: RuleMeta = RuleMeta {
    code: "RC007",
    name: "net-totals",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    needs: Needs {
        columns: &[Col::UnblendedCost, Col::LineItemType],
        aggregates: &[Aggregate::Bill],
        ..Needs::NONE
    },
    summary: "a net total (overall, per billing period or per principal) differs from the truth's bill",
    checks: "The net cost of the usage rows (`line_item_line_item_type = Usage`; a row's net cost is `line_item_net_unblended_cost`, or its unblended cost where that is null) equals the truth's `bill.totals.net_unblended` overall and `bill.totals_by_period[p].net_unblended` per billing period; for each principal both in the truth's `bill.by_principal` and in the export, the net cost of its usage rows equals its `net`. Each within $0.005; one finding per differing total. Skipped when the truth has no `bill`.",
    why: "Net chargeback and EstimatedContractedCost budgets sum the net column; a difference means discounts were lost, doubled or put on the wrong rows.",
    example: "Truth `bill.totals.net_unblended` $123,986.88; the export's usage rows sum to $123,980.34 net.",
    fix: "Look for CT006/CT007 findings (net columns that contradict the discount columns) and for rows whose net column was dropped (a null net counts as the unblended cost).",
    sql: SqlForm::Query(sql),
};

impl Rule for NetTotals {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        bill_skip(ctx)
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(t) = &ctx.truth else { return };
        let b = &t.bill;
        let all: Money = agg.periods.values().map(|p| p.usage_net).sum();
        compare(out, 0, &[("total", "net_unblended".into())], b.totals.net_unblended, all);
        for (i, (period, totals)) in b.totals_by_period.iter().enumerate() {
            let actual = agg.periods.get(period).map_or(Money::ZERO, |p| p.usage_net);
            compare(
                out,
                1 + i,
                &[("billing_period", period.clone())],
                totals.net_unblended,
                actual,
            );
        }
        let base = 1 + b.totals_by_period.len();
        for (i, (p, money)) in b.by_principal.iter().enumerate() {
            if let Some(actual) = agg.principal_total(p) {
                compare(out, base + i, &[("principal", p.clone())], money.net, actual.net);
            }
        }
    }
}

/// A row's net cost in 1e-10 USD, as the native rule sums it ([`Money::from_usd`]).
fn net_e10() -> String {
    format!("CAST(round(coalesce(net_cost, cost, 0) * 1E10) AS {MONEY_TYPE})")
}

/// The SQL form: the truth's net totals as a `VALUES` table (kind, key, e10) joined to the
/// same sums over `base`.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let mut expected: Vec<Vec<String>> = Vec::new();
    if let Some(t) = &cx.ctx.truth {
        let b = &t.bill;
        let row = |kind: &str, key: &str, v: f64| vec![d.lit(kind), d.lit(key), Money::from_usd(v).e10().to_string()];
        expected.push(row("total", "net_unblended", b.totals.net_unblended));
        for (p, totals) in &b.totals_by_period {
            expected.push(row("billing_period", p, totals.net_unblended));
        }
        for (p, m) in &b.by_principal {
            expected.push(row("principal", p, m.net));
        }
    }
    let e = values_table(
        d,
        "e",
        &[("kind", "VARCHAR"), ("k", "VARCHAR"), ("e10", MONEY_TYPE)],
        &expected,
    );
    let net = net_e10();
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT 'total' AS kind, 'net_unblended' AS k, sum({net}) AS e10 FROM base WHERE line_item_type = 'Usage'\n  UNION ALL\n  SELECT 'billing_period' AS kind, billing_period AS k, sum({net}) AS e10 FROM base WHERE line_item_type = 'Usage' GROUP BY billing_period\n  UNION ALL\n  SELECT 'principal' AS kind, principal AS k, sum({net}) AS e10 FROM base WHERE line_item_type = 'Usage' AND principal IS NOT NULL GROUP BY principal\n) a\nRIGHT JOIN {e} ON e.kind = a.kind AND e.k = a.k\nWHERE (a.k IS NOT NULL OR e.kind <> 'principal') AND abs(coalesce(a.e10, 0) - e.e10) > {TOLERANCE_E10}",
        s = sample(
            d,
            &[
                ("total", "e.kind".into()),
                ("key", "e.k".into()),
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
    use curlab_vocab::truth::{BillTotals, PrincipalMoney, Truth, TruthBill};

    fn truth(net: f64, alice_net: f64) -> Truth {
        let totals = BillTotals {
            net_unblended: net,
            ..Default::default()
        };
        Truth {
            bill: TruthBill {
                totals,
                totals_by_period: [("2026-04".to_string(), totals)].into(),
                by_principal: [(
                    inference().principal.unwrap().to_string(),
                    PrincipalMoney {
                        net: alice_net,
                        ..Default::default()
                    },
                )]
                .into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn rows() -> Vec<Row<'static>> {
        let discounted = Row {
            net_cost: Some(0.72),
            total_discount: Some(-0.08),
            ..inference()
        };
        let other = Row {
            principal: None,
            tags: tags(&[]),
            ..inference()
        };
        // A separate discount row: not a usage row, not in the net total.
        let edp = Row {
            line_item_type: "EdpDiscount",
            cost: Some(-0.08),
            net_cost: Some(0.0),
            principal: None,
            tags: tags(&[]),
            inference: false,
            ..inference()
        };
        vec![discounted, other, edp]
    }

    #[test]
    fn net_totals_match_the_bill() {
        let mut c = ctx();
        c.truth = Some(truth(1.52, 0.72));
        assert_eq!(run(&NetTotals, &rows(), &c).count, 0);
        // The overall and the period total differ; alice's is right.
        c.truth = Some(truth(1.60, 0.72));
        assert_eq!(run(&NetTotals, &rows(), &c).count, 2);
        // Alice's net counts her discount.
        c.truth = Some(truth(1.52, 0.80));
        assert_eq!(run(&NetTotals, &rows(), &c).count, 1);
    }

    #[test]
    fn skipped_without_a_bill() {
        let mut c = ctx();
        c.truth = Some(Truth::default());
        assert!(NetTotals.skip_reason(&c).is_some());
        c.truth = Some(truth(1.0, 1.0));
        assert!(NetTotals.skip_reason(&c).is_none());
    }
}
