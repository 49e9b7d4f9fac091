//! `curlab generate --as-of DATE`: the export as AWS would have delivered it on DATE.
//!
//! The scenario moves by whole months so that its last billing period is DATE's month
//! ([`shift`]); every date in it moves with it (billing periods, the principal-data switch-on
//! day, activations, backfills, workload spans, request times, batch-job session names). A day
//! that does not exist in the target month becomes that month's last day (Jan 31 + 1 month →
//! Feb 28), so shifted dates keep their order. Then [`apply`] cuts the data at DATE minus AWS's
//! delivery delay, leaves the last month open (no invoice id) and invoices the earlier ones.
//! docs/scenarios.md ("Month to date") has the rules and the evidence behind the delay.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use curlab_vocab::bedrock::principal_data_start;

use crate::plan::{AsOfPlan, Plan};
use crate::scenario::ScenarioFile;
use crate::time::{day_of, parse_instant, parse_month, rfc3339, Ts};

/// Hours between usage and its first appearance in an export: AWS refreshes CUR 2.0 exports
/// at least once a day (up to three times), with usage typically lagging up to 24 hours.
pub(crate) const DATA_DELAY_HOURS: i64 = 24;

/// Billing periods curlab accepts (`[export] billing_periods`).
const YEARS: std::ops::RangeInclusive<i32> = 2020..=2035;

/// The `--as-of` date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOf {
    /// The day the export is looked at.
    pub date: NaiveDate,
}

impl std::str::FromStr for AsOf {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let date = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
            format!("--as-of `{s}` is not a date; fix: write YYYY-MM-DD, e.g. --as-of 2026-12-15")
        })?;
        if !YEARS.contains(&date.year()) {
            return Err(format!(
                "--as-of {s} is outside 2020..2035, the years curlab writes billing periods for; fix: pick a date in that range"
            ));
        }
        Ok(AsOf { date })
    }
}

impl AsOf {
    /// First instant after DATE (the export is the one delivered by the end of DATE).
    pub fn end(&self) -> Ts {
        day_of(self.date) * 86_400 + 86_400
    }

    /// End (exclusive) of the usage the export holds: the end of DATE minus the delay.
    pub fn data_until(&self) -> Ts {
        self.end() - DATA_DELAY_HOURS * 3600
    }
}

/// `d` moved by `months`, the day clamped to the target month's length.
pub(crate) fn shift_date(d: NaiveDate, months: i32) -> NaiveDate {
    let m = Months::new(months.unsigned_abs());
    let out = if months >= 0 {
        d.checked_add_months(m)
    } else {
        d.checked_sub_months(m)
    };
    out.unwrap_or(d)
}

/// An instant moved by `months`, keeping its time of day.
pub(crate) fn shift_ts(ts: Ts, months: i32) -> Ts {
    match chrono::DateTime::from_timestamp(ts, 0) {
        Some(t) => {
            let n = t.naive_utc();
            NaiveDateTime::new(shift_date(n.date(), months), n.time())
                .and_utc()
                .timestamp()
        }
        None => ts,
    }
}

fn month_index(y: i32, m: u32) -> i32 {
    y * 12 + m as i32 - 1
}

fn shift_month_text(s: &str, months: i32) -> Option<String> {
    let (y, m) = parse_month(s)?;
    let d = shift_date(NaiveDate::from_ymd_opt(y, m, 1)?, months);
    Some(d.format("%Y-%m").to_string())
}

fn shift_date_text(s: &str, months: i32) -> Option<String> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(shift_date(d, months).format("%Y-%m-%d").to_string())
}

/// A date or an RFC 3339 time, moved; a plain date stays a plain date.
fn shift_time_text(s: &str, months: i32) -> Option<String> {
    shift_date_text(s, months).or_else(|| parse_instant(s).map(|t| rfc3339(shift_ts(t, months))))
}

/// A selector naming one batch-job session (`role:R/<prefix>-YYYYMMDD-NN`): its date moves.
fn shift_selector(s: &str, months: i32) -> Option<String> {
    let (head, session) = s.rsplit_once('/')?;
    let mut parts: Vec<&str> = session.rsplitn(3, '-').collect();
    if parts.len() != 3 || !parts[0].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let d = NaiveDate::parse_from_str(parts[1], "%Y%m%d").ok()?;
    if parts[1].len() != 8 {
        return None;
    }
    let date = shift_date(d, months).format("%Y%m%d").to_string();
    parts[1] = &date;
    Some(format!("{head}/{}-{}-{}", parts[2], parts[1], parts[0]))
}

fn replace(v: &mut String, f: impl Fn(&str) -> Option<String>) {
    if let Some(n) = f(v) {
        *v = n;
    }
}

fn replace_opt(v: &mut Option<String>, f: impl Fn(&str) -> Option<String>) {
    if let Some(s) = v {
        replace(s, f);
    }
}

/// The scenario with every date moved by `months`. Values that do not parse stay as they
/// are, so the scenario check reports them at their place in the file.
pub(crate) fn shift_file(file: &ScenarioFile, months: i32) -> ScenarioFile {
    let mut f = file.clone();
    for p in &mut f.export.billing_periods {
        replace(p, |s| shift_month_text(s, months));
    }
    replace_opt(&mut f.export.iam_principal_data_enabled_on, |s| {
        shift_date_text(s, months)
    });
    for a in &mut f.cost_allocation_tags {
        replace(&mut a.activated_at, |s| shift_time_text(s, months));
        replace_opt(&mut a.backfill_from, |s| shift_month_text(s, months));
    }
    for w in &mut f.workloads {
        replace_opt(&mut w.start, |s| shift_date_text(s, months));
        replace_opt(&mut w.end, |s| shift_date_text(s, months));
        for p in &mut w.principals {
            replace(p, |s| shift_selector(s, months));
        }
    }
    for r in &mut f.requests {
        replace(&mut r.time, |s| shift_time_text(s, months));
        replace(&mut r.principal, |s| shift_selector(s, months));
    }
    for a in &mut f.adjustments {
        replace(&mut a.period, |s| shift_month_text(s, months));
        replace_opt(&mut a.restated_at, |s| shift_date_text(s, months));
    }
    f
}

/// "back 1 month", "forward 7 months".
fn months_text(months: i32) -> String {
    let n = months.unsigned_abs();
    format!(
        "{} {n} month{}",
        if months < 0 { "back" } else { "forward" },
        if n == 1 { "" } else { "s" }
    )
}

/// Billing periods of the file that parse, as month indices, in order.
fn periods(file: &ScenarioFile) -> Vec<i32> {
    let mut v: Vec<i32> = file
        .export
        .billing_periods
        .iter()
        .filter_map(|s| parse_month(s))
        .map(|(y, m)| month_index(y, m))
        .collect();
    v.sort_unstable();
    v
}

fn month_label(index: i32) -> String {
    format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    )
}

/// The first instant the scenario means to carry IAM principal data: the later of AWS's launch,
/// the export's switch-on day and the first billing period. `None` without principal data.
fn first_principal_instant(file: &ScenarioFile, first_period: i32) -> Option<Ts> {
    let e = &file.export;
    if !e.include_iam_principal_data {
        return None;
    }
    let launch = day_of(principal_data_start()) * 86_400;
    let enabled = e
        .iam_principal_data_enabled_on
        .as_deref()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .map_or(launch, |d| day_of(d) * 86_400);
    let start = NaiveDate::from_ymd_opt(
        first_period.div_euclid(12),
        first_period.rem_euclid(12) as u32 + 1,
        1,
    )
    .map_or(launch, |d| day_of(d) * 86_400);
    Some(launch.max(enabled).max(start))
}

/// Move `file` so that its last billing period is `as_of`'s month. Returns the moved file and
/// the months moved, or why the move is refused (the text names the flag, the date and the
/// fix): a move that puts the scenario's IAM principal data before AWS's launch of it
/// (2026-04-08), where those rows would lose their principals, or billing periods outside
/// 2020–2035.
pub fn shift(file: &ScenarioFile, as_of: AsOf, label: &str) -> Result<(ScenarioFile, i32), String> {
    let ps = periods(file);
    let (Some(&first), Some(&last)) = (ps.first(), ps.last()) else {
        // Nothing to anchor on: the scenario check reports the billing periods.
        return Ok((file.clone(), 0));
    };
    let target = month_index(as_of.date.year(), as_of.date.month());
    let months = target - last;
    let lo = first + months;
    if !YEARS.contains(&lo.div_euclid(12)) {
        return Err(format!(
            "--as-of {}: {label}'s {} billing periods would start in {}, before 2020; fix: pick a later --as-of date",
            as_of.date,
            ps.len(),
            month_label(lo)
        ));
    }
    if let Some(p0) = first_principal_instant(file, first) {
        let launch = day_of(principal_data_start()) * 86_400;
        let end = NaiveDate::from_ymd_opt(last.div_euclid(12), last.rem_euclid(12) as u32 + 1, 1)
            .and_then(|d| d.checked_add_months(Months::new(1)))
            .map_or(Ts::MAX, |d| day_of(d) * 86_400);
        if p0 < end && shift_ts(p0, months) < launch {
            // The earliest move that keeps every principal day on or after the launch.
            let ok = (months..months + 1200)
                .find(|k| shift_ts(p0, *k) >= launch)
                .unwrap_or(months);
            return Err(format!(
                "--as-of {} moves {label} {}: its first day of IAM principal data, {}, would become {}, before AWS's launch of IAM principal data on {} (rows before it carry no principal, so attribution would silently change); fix: use --as-of {}-01 or later, or set [export] include_iam_principal_data = false",
                as_of.date,
                months_text(months),
                &rfc3339(p0)[..10],
                &rfc3339(shift_ts(p0, months))[..10],
                principal_data_start(),
                month_label(last + ok),
            ));
        }
    }
    Ok((shift_file(file, months), months))
}

/// Make a resolved (already moved) plan the month-to-date export of `as_of`: usage only
/// before [`AsOf::data_until`], the last billing period open (no `bill_invoice_id`) and the
/// earlier ones invoiced, no activation the payer had not made by the end of DATE, and no
/// late adjustment whose restatement is delivered after DATE (it has not happened yet).
pub fn apply(plan: &mut Plan, as_of: AsOf, months: i32) {
    let end = as_of.end();
    plan.activations.retain(|a| a.activated < end);
    plan.adjustments
        .retain(|a| a.restated_at.is_none_or(|day| day < end));
    plan.export.invoice_finalized = true;
    if let Some(last) = plan.export.periods.last_mut() {
        last.open = true;
    }
    plan.export.as_of = Some(AsOfPlan {
        date: as_of.date,
        months,
        data_until: as_of.data_until(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn months_clamp_to_the_target_month() {
        assert_eq!(shift_date(d("2026-01-31"), 1), d("2026-02-28"));
        assert_eq!(shift_date(d("2028-01-31"), 1), d("2028-02-29"));
        assert_eq!(shift_date(d("2026-05-31"), -1), d("2026-04-30"));
        assert_eq!(shift_date(d("2026-05-20"), 7), d("2026-12-20"));
        assert_eq!(shift_date(d("2026-05-20"), 0), d("2026-05-20"));
        // Order is kept (never reversed) by the clamp.
        assert!(shift_date(d("2026-01-30"), 1) <= shift_date(d("2026-01-31"), 1));
        let t = parse_instant("2026-05-31T13:45:10Z").unwrap();
        assert_eq!(rfc3339(shift_ts(t, 1)), "2026-06-30T13:45:10Z");
    }

    #[test]
    fn texts_move_in_their_own_shape() {
        assert_eq!(shift_month_text("2026-11", 3).as_deref(), Some("2027-02"));
        assert_eq!(
            shift_time_text("2026-05-03", 1).as_deref(),
            Some("2026-06-03")
        );
        assert_eq!(
            shift_time_text("2026-05-03T10:00:00Z", 1).as_deref(),
            Some("2026-06-03T10:00:00Z")
        );
        assert_eq!(
            shift_selector("role:BatchRole/enrich-20260531-03", 1).as_deref(),
            Some("role:BatchRole/enrich-20260630-03")
        );
        assert_eq!(shift_selector("role:App/summarize-pdf", 1), None);
        assert_eq!(shift_selector("user:alice", 1), None);
        assert_eq!(shift_month_text("not-a-month", 1), None);
    }

    #[test]
    fn flag_values_are_checked() {
        assert!("2026-12-15".parse::<AsOf>().is_ok());
        let e = "2026-13-01".parse::<AsOf>().unwrap_err();
        assert!(e.contains("--as-of") && e.contains("YYYY-MM-DD"), "{e}");
        let e = "2040-01-01".parse::<AsOf>().unwrap_err();
        assert!(e.contains("2020..2035"), "{e}");
        let a: AsOf = "2026-12-15".parse().unwrap();
        assert_eq!(rfc3339(a.data_until()), "2026-12-15T00:00:00Z");
        assert_eq!(rfc3339(a.end()), "2026-12-16T00:00:00Z");
    }
}
