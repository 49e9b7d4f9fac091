//! Helpers several rules share: export-wide samples, money and month arithmetic, the day from
//! which rows must carry a principal, reconciliation against the truth, and reporting a
//! principal-level fact per row.

use crate::context::Ctx;
use crate::facts::{Aggregates, Facts, View};
use crate::finding::{Sample, Tally};
use crate::money::{to_dollars, to_nanos, usd, TOLERANCE_NANOS};

/// A sample that is not tied to a row: a total, a principal, a key.
pub fn export_sample<K: Into<String>, V: Into<String>>(
    file: Option<String>,
    values: impl IntoIterator<Item = (K, V)>,
) -> Sample {
    Sample {
        file,
        row: None,
        identity_line_item_id: None,
        values: crate::finding::values(values),
    }
}

/// First instant and the instant after the month of `YYYY-MM`, UTC µs.
pub fn period_bounds(period: &str) -> Option<(i64, i64)> {
    let y: i32 = period.get(..4)?.parse().ok()?;
    let m: u32 = period.get(5..7)?.parse().ok()?;
    month_bounds(y, m)
}

/// First instant of the month containing `micros` and of the next one.
pub fn month_bounds_of(micros: i64) -> Option<(i64, i64)> {
    use chrono::Datelike;
    let d = chrono::DateTime::from_timestamp_micros(micros)?;
    month_bounds(d.year(), d.month())
}

fn month_bounds(y: i32, m: u32) -> Option<(i64, i64)> {
    let start = chrono::NaiveDate::from_ymd_opt(y, m, 1)?;
    let next = if m == 12 {
        chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        chrono::NaiveDate::from_ymd_opt(y, m + 1, 1)?
    };
    let us = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_micros())
    };
    Some((us(start)?, us(next)?))
}

/// True when `micros` is midnight of the first day of a month.
pub fn is_month_start(micros: i64) -> bool {
    month_bounds_of(micros).is_some_and(|(s, _)| s == micros)
}

/// The first instant from which rows must carry a principal: the truth's
/// `iam_principal_data_from` when given; otherwise the later of 2026-04-08 and the first day on
/// which the export shows any principal (an export may have enabled IAM principal data after the
/// launch). `None` when the export shows no principal at all and no truth says when it should.
/// Needs the [`FirstPrincipal`](crate::facts::Aggregate::FirstPrincipal) aggregate.
pub fn principal_expected_from(ctx: &Ctx, agg: &Aggregates) -> Option<i64> {
    if ctx.principal_from_truth {
        return Some(ctx.principal_from);
    }
    agg.first_principal_start.map(|f| f.max(ctx.principal_from))
}

/// Count each row whose principal has the problem its fact (worked out once per distinct
/// principal) names, with the principal and the problem as the sample.
pub fn hit_principal_problems(v: &View<'_>, out: &mut Tally, problems: &Facts<'_, Option<String>>) {
    for i in 0..v.len {
        let Some(p) = v.principal(i) else {
            continue;
        };
        if let Some(Some(e)) = problems.at(i) {
            out.hit(
                v.file,
                v.cost(i),
                v.sample(
                    i,
                    [
                        ("line_item_iam_principal", p.to_string()),
                        ("problem", e.clone()),
                    ],
                ),
            );
        }
    }
}

/// Why reconciliation rules cannot run on this input, if they cannot.
pub fn reconciliation_skip(ctx: &Ctx) -> Option<String> {
    let truth = ctx.truth.as_ref()?;
    let p = ctx.period.as_ref()?;
    (truth.export.billing_periods != [p.clone()]).then(|| {
        format!(
            "--period {p} reads part of the export, but the truth covers {}",
            truth.export.billing_periods.join(", ")
        )
    })
}

/// Compare two totals and record a hit when they differ by more than half a cent.
pub fn compare(
    out: &mut Tally,
    order: usize,
    what: &[(&str, String)],
    expected: f64,
    actual_nanos: i128,
) {
    let diff = actual_nanos.saturating_sub(to_nanos(expected));
    if diff.saturating_abs() > TOLERANCE_NANOS {
        let mut values: Vec<(String, String)> = what
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        values.push(("expected".into(), usd(expected)));
        values.push(("actual".into(), usd(to_dollars(actual_nanos))));
        values.push(("difference".into(), usd(to_dollars(diff))));
        out.hit_n(
            1,
            order,
            Some(to_dollars(diff.saturating_abs())),
            export_sample(None, values),
        );
    }
}
