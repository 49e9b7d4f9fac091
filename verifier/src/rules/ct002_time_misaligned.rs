//! CT002: usage start/end not aligned to the granularity, or end ≤ start.

use super::shared::{is_month_start, month_bounds_of};
use crate::context::Ctx;
use curlab_vocab::Granularity;
use crate::facts::{Needs, R_USAGE, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::row::fmt_opt_ts;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// CT002.
pub struct TimeMisaligned;

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

static META: RuleMeta = RuleMeta {
    code: "CT002",
    name: "usage-time-misaligned",
    family: Family::Cost,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::UsageStart, Col::UsageEnd],
        ..Needs::NONE
    },
    summary: "usage start/end is not aligned to the time granularity, or end is not after start",
    checks: "`line_item_usage_end_date` is after `line_item_usage_start_date`, and both are aligned to the export's granularity: with --truth, HOURLY rows span one whole hour, DAILY rows one day from midnight, MONTHLY rows whole months; without it the granularity is inferred per row: every start and end is a whole hour, a one-day row starts at midnight. Non-Usage rows (tax, fees, credits) that span whole months are always fine.",
    why: "Hourly and daily roll-ups bucket rows by their start; misaligned rows land in the wrong bucket or are counted twice, and they reveal hand-edited or badly merged data.",
    example: "An HOURLY row from 10:17:00 to 11:17:00.",
    fix: "Re-download the export; pipelines must not shift timestamps (e.g. by converting UTC to local time).",
    sql: SqlForm::Query(sql),
};

/// Midnight of the first day of a month (cheap test for midnight first).
fn month_start(t: i64) -> bool {
    t % DAY == 0 && is_month_start(t)
}

fn problem(usage: bool, start: i64, end: i64, gran: Option<Granularity>) -> Option<&'static str> {
    if end <= start {
        return Some("end is not after start");
    }
    if !usage && month_start(start) && month_start(end) {
        return None;
    }
    let one_month = || month_bounds_of(start).is_some_and(|(s, e)| s == start && e == end);
    match gran {
        Some(Granularity::Hourly)
            if !(start % HOUR == 0 && end.checked_sub(start) == Some(HOUR)) =>
        {
            Some("not one whole hour")
        }
        Some(Granularity::Daily) if !(start % DAY == 0 && end.checked_sub(start) == Some(DAY)) => {
            Some("not one day from midnight")
        }
        Some(Granularity::Monthly)
            if !(one_month()
                || (month_start(start) && end % DAY == 0)
                || (start % DAY == 0 && month_start(end))) =>
        {
            Some("not aligned to the month")
        }
        Some(_) => None,
        None if start % HOUR != 0 || end % HOUR != 0 => Some("not on whole hours"),
        None if end.checked_sub(start) == Some(DAY) && start % DAY != 0 => {
            Some("one-day row not starting at midnight")
        }
        None => None,
    }
}

impl Rule for TimeMisaligned {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, ctx: &Ctx, out: &mut Tally) {
        for i in 0..v.len {
            let (Some(s), Some(e)) = (v.start(i), v.end(i)) else {
                continue;
            };
            if let Some(p) = problem(v.is(i, R_USAGE), s, e, ctx.granularity) {
                out.hit(
                    v.file,
                    v.cost(i),
                    v.sample(
                        i,
                        [
                            ("line_item_usage_start_date", fmt_opt_ts(Some(s))),
                            ("line_item_usage_end_date", fmt_opt_ts(Some(e))),
                            ("problem", p.to_string()),
                        ],
                    ),
                );
            }
        }
    }
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The SQL form: end not after start, or start/end not aligned to the granularity.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let one_month = "(start_month = start_ms AND next_month = end_ms)";
    let gran = match cx.ctx.granularity {
        Some(Granularity::Hourly) => {
            format!("NOT (start_ms % {HOUR_MS} = 0 AND end_ms - start_ms = {HOUR_MS})")
        }
        Some(Granularity::Daily) => {
            format!("NOT (start_ms % {DAY_MS} = 0 AND end_ms - start_ms = {DAY_MS})")
        }
        Some(Granularity::Monthly) => format!(
            "NOT ({one_month} OR (start_month = start_ms AND end_ms % {DAY_MS} = 0) OR (start_ms % {DAY_MS} = 0 AND end_month = end_ms))"
        ),
        None => format!(
            "(start_ms % {HOUR_MS} <> 0 OR end_ms % {HOUR_MS} <> 0 OR (end_ms - start_ms = {DAY_MS} AND start_ms % {DAY_MS} <> 0))"
        ),
    };
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT line_item_id, line_item_type, usage_start, usage_end, start_ms, end_ms,\n    {sm} AS start_month, {nm} AS next_month, {em} AS end_month\n  FROM base\n  WHERE start_ms IS NOT NULL AND end_ms IS NOT NULL\n) t\nWHERE end_ms <= start_ms\n  OR (NOT (start_month = start_ms AND end_month = end_ms AND line_item_type <> 'Usage')\n      AND {gran})",
        s = sample(d, &[id(), ("line_item_usage_start_date", d.to_str("usage_start")), ("line_item_usage_end_date", d.to_str("usage_end"))]),
        sm = d.month_floor_ms("usage_start"),
        nm = d.month_next_ms("usage_start"),
        em = d.month_floor_ms("usage_end"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_shifted_hour() {
        let tax = Row {
            line_item_type: "Tax",
            start: ts("2026-04-01"),
            end: ts("2026-05-01"),
            ..ec2()
        };
        let mut c = ctx();
        assert_eq!(
            run(&TimeMisaligned, &[inference(), tax.clone()], &c).count,
            0
        );
        c.granularity = Some(Granularity::Hourly);
        assert_eq!(run(&TimeMisaligned, &[inference(), tax], &c).count, 0);
        let bad = Row {
            start: ts("2026-04-20T10:17:00Z"),
            end: ts("2026-04-20T11:17:00Z"),
            ..inference()
        };
        let back = Row {
            start: ts("2026-04-20T11:00:00Z"),
            end: ts("2026-04-20T10:00:00Z"),
            ..inference()
        };
        assert_eq!(run(&TimeMisaligned, &[bad.clone(), back], &ctx()).count, 2);
        assert_eq!(run(&TimeMisaligned, &[bad], &c).count, 1);
    }
}
