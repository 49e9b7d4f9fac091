//! SC007: a row outside its `BILLING_PERIOD=` folder.

use super::{month_bounds_of, period_bounds, Ctx, Rule};
use crate::finding::Tally;
use crate::meta::*;
use crate::row::{fmt_opt_ts, Row};

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

    fn check_row(&self, row: &Row<'_>, _ctx: &Ctx, out: &mut Tally) {
        let bounds = match row.folder_period {
            Some(p) => period_bounds(p),
            None => row.period_start.and_then(month_bounds_of),
        };
        let Some((lo, hi)) = bounds else { return };
        let period_ok = row
            .period_start
            .is_none_or(|p| p == lo || row.folder_period.is_none());
        let late_adjustment = matches!(row.line_item_type, "Credit" | "Refund");
        let start_ok = late_adjustment || row.start.is_none_or(|s| (lo..hi).contains(&s));
        if !(period_ok && start_ok) {
            out.hit(
                row.file,
                row.cost,
                row.sample([
                    (
                        "billing_period_folder",
                        row.folder_period.unwrap_or("").to_string(),
                    ),
                    (
                        "bill_billing_period_start_date",
                        fmt_opt_ts(row.period_start),
                    ),
                    ("line_item_usage_start_date", fmt_opt_ts(row.start)),
                ]),
            );
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
