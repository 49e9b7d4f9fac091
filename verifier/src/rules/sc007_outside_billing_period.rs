//! SC007: a row outside its `BILLING_PERIOD=` folder.

use super::{month_bounds_of, period_bounds, Ctx, Rule, View};
use crate::finding::Tally;
use crate::meta::*;
use crate::row::fmt_opt_ts;
use crate::view::R_CREDIT_REFUND;

/// SC007.
pub struct OutsideBillingPeriod;

static META: RuleMeta = RuleMeta {
    code: "SC007",
    name: "row-outside-billing-period",
    family: Family::Schema,
    severity: Severity::Error,
    applies: Applicability::Always,
    columns: &["line_item_usage_start_date", "bill_billing_period_start_date"],
    summary: "a row's usage start or billing period is not the month of its BILLING_PERIOD folder",
    checks: "For files in `data/BILLING_PERIOD=YYYY-MM/`, `bill_billing_period_start_date` is the first instant of that month and `line_item_usage_start_date` lies inside it. For files outside the layout, the usage start lies in the month of the row's own billing period. Credit and Refund rows may carry usage dates of an earlier month and are only checked on the billing period.",
    why: "Partition pruning (`WHERE billing_period = '2026-04'`) and month-to-date totals assume every row sits in its month's partition; a stray row is counted in the wrong month or twice.",
    example: "A row in `BILLING_PERIOD=2026-04` with `line_item_usage_start_date = 2026-05-01T00:00:00Z`.",
    fix: "Do not merge or move rows between period folders; re-sync the export from S3.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::sc007),
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
