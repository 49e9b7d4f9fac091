//! `[export]`: name, billing periods, column set, format, delivery and where the manifest
//! points.

use chrono::NaiveDate;
use curlab_vocab::bedrock;
use curlab_vocab::columns::TableConfig;

use crate::scenario::model::ExportFormat;
use crate::time::{day_of, month_start, next_month, parse_month};

use super::context::{root, Ctx};
use super::types::{ExportPlan, Period};

/// Resolve `[export]`; `None` only when nothing could be made of it.
pub(crate) fn resolve_export(cx: &mut Ctx<'_>) -> Option<ExportPlan> {
    let e = &cx.file.export;
    let p = root().key("export");
    let name = e
        .name
        .clone()
        .unwrap_or_else(|| cx.file.scenario.name.clone());
    if name.is_empty()
        || name.len() > 128
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        cx.problem(
            if e.name.is_some() {
                p.key("name")
            } else {
                root().key("scenario").key("name")
            },
            format!("export name `{name}` is not valid"),
            "use 1-128 letters, digits, `-` or `_` (Data Exports names allow no other characters)",
        );
    }
    let mut periods = Vec::new();
    if e.billing_periods.is_empty() {
        cx.problem(
            p.key("billing_periods"),
            "no billing period",
            "add at least one month, e.g. billing_periods = [\"2026-05\"]",
        );
    }
    for (i, s) in e.billing_periods.iter().enumerate() {
        match parse_month(s) {
            Some((y, m)) if (2020..=2035).contains(&y) => {
                let (ny, nm) = next_month(y, m);
                periods.push(Period {
                    label: s.clone(),
                    start: month_start(y, m),
                    end: month_start(ny, nm),
                    open: false,
                });
            }
            _ => cx.problem(
                p.key("billing_periods").index(i),
                format!("`{s}` is not a billing period"),
                "write YYYY-MM between 2020 and 2035, e.g. \"2026-05\"",
            ),
        }
    }
    periods.sort_by_key(|p| p.start);
    if periods.windows(2).any(|w| w[0].start == w[1].start) {
        cx.problem(
            p.key("billing_periods"),
            "a billing period is listed twice",
            "list each month once",
        );
    }
    let launch = day_of(bedrock::principal_data_start()) * 86_400;
    let principal_from = if e.include_iam_principal_data {
        let enabled = match &e.iam_principal_data_enabled_on {
            None => launch,
            Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) => day_of(d) * 86_400,
                Err(_) => {
                    cx.problem(
                        p.key("iam_principal_data_enabled_on"),
                        format!("`{s}` is not a date"),
                        "write YYYY-MM-DD",
                    );
                    launch
                }
            },
        };
        Some(enabled.max(launch))
    } else {
        if e.iam_principal_data_enabled_on.is_some() {
            cx.problem(
                p.key("iam_principal_data_enabled_on"),
                "a switch-on date is set but include_iam_principal_data is false",
                "set include_iam_principal_data = true or remove the date",
            );
        }
        None
    };
    if e.legacy_113_columns
        && (e.include_iam_principal_data
            || e.include_resources
            || e.include_split_cost_allocation_data)
    {
        cx.problem(p.key("legacy_113_columns"), "the 113-column shape predates tags, resources and IAM principal data in one export", "set include_iam_principal_data, include_resources and include_split_cost_allocation_data to false");
    }
    if e.format == ExportFormat::Csv && e.legacy_113_columns {
        // Fine: both shapes exist in CSV.
    }
    if e.max_rows_per_file == 0 {
        cx.problem(
            p.key("max_rows_per_file"),
            "max_rows_per_file is 0",
            "use a positive number of rows",
        );
    }
    if e.s3_bucket.is_empty()
        || !e
            .s3_bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        cx.problem(
            p.key("s3_bucket"),
            format!("`{}` is not an S3 bucket name", e.s3_bucket),
            "use lower-case letters, digits, `-` and `.`",
        );
    }
    if e.s3_prefix.contains("//") || e.s3_prefix.starts_with('/') {
        cx.problem(
            p.key("s3_prefix"),
            format!("prefix `{}` has an empty path segment", e.s3_prefix),
            "write the prefix without leading or doubled `/`",
        );
    }
    Some(ExportPlan {
        name,
        periods,
        granularity: e.time_granularity,
        table: TableConfig {
            include_resources: e.include_resources,
            include_split_cost_allocation_data: e.include_split_cost_allocation_data,
            include_capacity_reservation_data: e.include_capacity_reservation_data,
            include_iam_principal_data: e.include_iam_principal_data,
            include_manual_discount_compatibility: e.include_manual_discount_compatibility,
            legacy_113: e.legacy_113_columns,
        },
        principal_from,
        format: e.format,
        delivery: e.delivery,
        s3_bucket: e.s3_bucket.clone(),
        s3_prefix: e.s3_prefix.trim_end_matches('/').to_string(),
        invoice_finalized: e.invoice_finalized,
        max_rows_per_file: e.max_rows_per_file,
        as_of: None,
    })
}
