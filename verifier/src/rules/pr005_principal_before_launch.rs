//! PR005: a principal on a row dated before 2026-04-08.

use curlab_vocab::bedrock::principal_data_start;

use crate::context::Ctx;
use crate::facts::{Needs, R_PRINCIPAL, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::row::fmt_opt_ts;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// PR005.
pub struct PrincipalBeforeLaunch;

static META: RuleMeta = RuleMeta {
    code: "PR005",
    name: "principal-before-launch",
    family: Family::Principal,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Principal, Col::UsageStart],
        ..Needs::NONE
    },
    summary: "a row whose usage starts before 2026-04-08 carries an IAM principal",
    checks: "Rows whose `line_item_usage_start_date` is before 2026-04-08, the first usage day for which CUR 2.0 carries IAM principal data, have an empty `line_item_iam_principal`.",
    why: "AWS does not backfill principals before the launch; a principal there means rows were re-labelled, and trends across the launch date are then wrong.",
    example: "Usage start 2026-04-01T10:00:00Z with `line_item_iam_principal = arn:aws:iam::111122223333:user/alice`.",
    fix: "Re-download the export; do not backfill principals from CloudTrail into CUR rows, keep such enrichment in a separate table.",
    sql: SqlForm::Query(sql),
};

impl Rule for PrincipalBeforeLaunch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        let Some(launch) = principal_data_start()
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_micros())
        else {
            return;
        };
        for i in 0..v.len {
            if !v.is(i, R_PRINCIPAL) || v.start(i).is_none_or(|s| s >= launch) {
                continue;
            }
            if let (Some(p), Some(s)) = (v.principal(i), v.start(i)) {
                out.hit(
                    v.file,
                    v.cost(i),
                    v.sample(
                        i,
                        [
                            ("line_item_iam_principal", p.to_string()),
                            ("line_item_usage_start_date", fmt_opt_ts(Some(s))),
                        ],
                    ),
                );
            }
        }
    }
}

/// Epoch µs of 2026-04-08, the first day with IAM principal data.
fn launch_us() -> i64 {
    principal_data_start()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or(0)
}

/// The SQL form: a principal on a row whose usage starts before 2026-04-08.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE principal IS NOT NULL AND start_ms * 1000 < {launch}",
        s = sample(d, &[id(), ("line_item_iam_principal", "principal".into()), ("line_item_usage_start_date", d.to_str("usage_start"))]),
        launch = launch_us(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_before_launch() {
        assert_eq!(run(&PrincipalBeforeLaunch, &[inference()], &ctx()).count, 0);
        let bad = Row {
            start: ts("2026-04-07T23:00:00Z"),
            end: ts("2026-04-08T00:00:00Z"),
            ..inference()
        };
        assert_eq!(run(&PrincipalBeforeLaunch, &[bad], &ctx()).count, 1);
    }
}
