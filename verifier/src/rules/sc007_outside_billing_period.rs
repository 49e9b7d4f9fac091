//! SC007: a row outside its `BILLING_PERIOD=` folder.

use super::shared::{month_bounds_of, period_bounds};
use crate::context::Ctx;
use crate::facts::{Needs, R_CREDIT_REFUND, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::row::fmt_opt_ts;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// SC007.
pub struct OutsideBillingPeriod;

static META: RuleMeta = RuleMeta {
    code: "SC007",
    name: "row-outside-billing-period",
    family: Family::Schema,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::UsageStart, Col::PeriodStart],
        ..Needs::NONE
    },
    summary: "a row's usage start or billing period is not the month of its BILLING_PERIOD folder",
    checks: "For files in `data/BILLING_PERIOD=YYYY-MM/`, `bill_billing_period_start_date` is the first instant of that month and `line_item_usage_start_date` lies inside it. For files outside the layout, the usage start lies in the month of the row's own billing period. Credit and Refund rows may carry usage dates of an earlier month and are only checked on the billing period.",
    why: "Partition pruning (`WHERE billing_period = '2026-04'`) and month-to-date totals assume every row sits in its month's partition; a stray row is counted in the wrong month or twice.",
    example: "A row in `BILLING_PERIOD=2026-04` with `line_item_usage_start_date = 2026-05-01T00:00:00Z`.",
    fix: "Do not merge or move rows between period folders; re-sync the export from S3.",
    sql: SqlForm::Query(sql),
};

impl Rule for OutsideBillingPeriod {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        // The folder's bounds once per batch; a period start's month once per distinct value
        // in a run.
        let folder = v.folder_period.map(period_bounds);
        let mut last: Option<(i64, Option<(i64, i64)>)> = None;
        for i in 0..v.len {
            let period_start = v.period_start(i);
            let bounds = match folder {
                Some(b) => b,
                None => match (period_start, last) {
                    (Some(p), Some((l, b))) if l == p => b,
                    (Some(p), _) => {
                        let b = month_bounds_of(p);
                        last = Some((p, b));
                        b
                    }
                    (None, _) => None,
                },
            };
            let Some((lo, hi)) = bounds else { continue };
            let period_ok = period_start.is_none_or(|p| p == lo || v.folder_period.is_none());
            let late_adjustment = v.is(i, R_CREDIT_REFUND);
            let start = v.start(i);
            let start_ok = late_adjustment || start.is_none_or(|s| (lo..hi).contains(&s));
            if !(period_ok && start_ok) {
                out.hit(
                    v.file,
                    v.cost(i),
                    v.sample(
                        i,
                        [
                            (
                                "billing_period_folder",
                                v.folder_period.unwrap_or("").to_string(),
                            ),
                            ("bill_billing_period_start_date", fmt_opt_ts(period_start)),
                            ("line_item_usage_start_date", fmt_opt_ts(start)),
                        ],
                    ),
                );
            }
        }
    }
}

/// The SQL form: a row whose billing period start is not its BILLING_PERIOD partition's month, or whose
/// usage starts outside it (Credit and Refund rows: only the billing period).
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT line_item_id, line_item_type, billing_period, usage_start, period_start, start_ms, period_ms,\n    CASE WHEN billing_period IS NOT NULL THEN {lo_p} ELSE {lo_s} END AS lo,\n    CASE WHEN billing_period IS NOT NULL THEN {hi_p} ELSE {hi_s} END AS hi\n  FROM base\n) t\nWHERE lo IS NOT NULL AND hi IS NOT NULL\n  AND NOT ((period_ms IS NULL OR period_ms = lo OR billing_period IS NULL)\n       AND (line_item_type IN ('Credit', 'Refund') OR start_ms IS NULL OR (start_ms >= lo AND start_ms < hi)))",
        s = sample(d, &[id(), ("billing_period", "billing_period".into()), ("bill_billing_period_start_date", d.to_str("period_start")), ("line_item_usage_start_date", d.to_str("usage_start"))]),
        lo_p = d.period_start_ms("billing_period"),
        hi_p = d.period_end_ms("billing_period"),
        lo_s = d.month_floor_ms("period_start"),
        hi_s = d.month_next_ms("period_start"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_row_of_next_month() {
        let ok = inference();
        let bad = Row {
            start: ts("2026-05-01T00:00:00Z"),
            end: ts("2026-05-01T01:00:00Z"),
            ..inference()
        };
        assert_eq!(
            run(&OutsideBillingPeriod, std::slice::from_ref(&ok), &ctx()).count,
            0
        );
        assert_eq!(
            run(&OutsideBillingPeriod, &[ok, bad.clone()], &ctx()).count,
            1
        );
        let no_folder = Row {
            folder_period: None,
            ..bad
        };
        assert_eq!(run(&OutsideBillingPeriod, &[no_folder], &ctx()).count, 1);
    }
}
