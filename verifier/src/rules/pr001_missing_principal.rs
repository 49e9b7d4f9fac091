//! PR001: a Bedrock inference row without a principal.

use super::shared::principal_expected_from;
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs, R_PRINCIPAL, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::row::{fmt_opt_ts, fmt_ts};
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{day_floor_us, expected_from_us, id, sample, start_at_or_after_us};

/// PR001.
pub struct MissingPrincipal;

static META: RuleMeta = RuleMeta {
    code: "PR001",
    name: "missing-principal",
    family: Family::Principal,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Principal, Col::UsageStart, Col::ProductCode, Col::Operation, Col::LineItemType],
        aggregates: &[Aggregate::FirstPrincipal],
        ..Needs::NONE
    },
    summary: "a Bedrock inference row has no IAM principal",
    checks: "Every Bedrock model-inference usage row (AWS-billed or Marketplace-billed) carries a non-empty `line_item_iam_principal` from the day principal data starts: with --truth the export's `iam_principal_data_from`; otherwise the later of 2026-04-08 and the first day on which the export shows any principal (an export may have enabled INCLUDE_IAM_PRINCIPAL_DATA after the launch). Null and the empty string both count as missing. When the column is empty on every row of the whole export, the finding says so (it does not guess why; one possibility is usage before INCLUDE_IAM_PRINCIPAL_DATA was enabled) and counts the rows from 2026-04-08 on.",
    why: "Unattributed Bedrock spend cannot be charged back to a user, team or application; it is exactly what the IAM principal column was launched to remove.",
    example: "`line_item_product_code = AmazonBedrock`, `line_item_operation = InvokeModelInference`, usage start 2026-04-20, `line_item_iam_principal` empty.",
    fix: "Enable `INCLUDE_IAM_PRINCIPAL_DATA` on the CUR 2.0 export (a new export may be needed, see the Billing doc), and wait for the next refresh; rows before the flag was enabled stay empty.",
    sql: SqlForm::Query(sql),
};

impl Rule for MissingPrincipal {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, ctx: &Ctx, out: &mut Tally) {
        if !v.has_principal_column() {
            return;
        }
        for i in 0..v.len {
            if !v.inference(i) || v.is(i, R_PRINCIPAL) {
                continue;
            }
            let Some(start) = v.start(i) else { continue };
            if start >= ctx.principal_from {
                // Counted at the end, once the first day with principal data is known.
                out.defer(
                    start,
                    v.file,
                    v.cost(i),
                    v.sample(
                        i,
                        [
                            ("line_item_usage_type", v.usage_type(i).to_string()),
                            ("line_item_usage_start_date", fmt_opt_ts(Some(start))),
                            ("line_item_iam_principal", String::new()),
                        ],
                    ),
                );
            }
        }
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        out.take_deferred(
            principal_expected_from(ctx, agg).unwrap_or(ctx.principal_from),
        );
        if out.count > 0 && agg.principal_rows == 0 {
            out.message = Some(format!(
                "line_item_iam_principal is empty on every row of the export ({} Bedrock inference rows from {} on have no principal); the column fills from the day INCLUDE_IAM_PRINCIPAL_DATA is enabled on the export, so this usage may predate that",
                out.count,
                fmt_ts(ctx.principal_from).get(..10).unwrap_or("2026-04-08")
            ));
        } else if out.count > 0 {
            let rows = if out.count == 1 {
                "row has"
            } else {
                "rows have"
            };
            out.message = Some(format!(
                "{} Bedrock inference {rows} no IAM principal",
                out.count
            ));
        }
    }
}

/// The SQL form: Bedrock inference rows without a principal from the day
/// principal data starts.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let from = cx.ctx.principal_from;
    let (expected, uses) = expected_from_us(cx);
    // Without any principal in the export the native rule counts from principal_from.
    let expected = if uses.is_empty() {
        expected
    } else {
        format!("coalesce({expected}, {from})")
    };
    let from_clause = if uses.is_empty() {
        "base"
    } else {
        "base CROSS JOIN first_principal fp"
    };
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM {from_clause}\nWHERE inference AND principal IS NULL\n  AND {a}\n  AND {b}",
            s = sample(d, &[id(), ("line_item_usage_type", "usage_type".into()), ("line_item_usage_start_date", d.to_str("usage_start"))]),
            a = start_at_or_after_us(&from.to_string()),
            b = start_at_or_after_us(&day_floor_us(&expected)),
        ),
        uses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_empty_principal_after_launch() {
        let ok = inference();
        let bad = Row {
            principal: None,
            row: 2,
            ..inference()
        };
        let before = Row {
            principal: None,
            start: ts("2026-04-01T10:00:00Z"),
            ..inference()
        };
        assert_eq!(
            run(&MissingPrincipal, &[ok.clone(), before, ec2()], &ctx()).count,
            0
        );
        // The export shows principals only from 2026-04-20 on: an earlier gap is not flagged.
        let enabled_late = Row {
            principal: None,
            start: ts("2026-04-10T10:00:00Z"),
            ..inference()
        };
        assert_eq!(
            run(
                &MissingPrincipal,
                &[ok.clone(), enabled_late.clone()],
                &ctx()
            )
            .count,
            0
        );
        let mut with_truth = ctx();
        with_truth.principal_from_truth = true;
        assert_eq!(
            run(&MissingPrincipal, &[ok.clone(), enabled_late], &with_truth).count,
            1
        );
        let t = run(&MissingPrincipal, &[ok, bad.clone()], &ctx());
        assert_eq!(t.count, 1);
        assert!(!t.message.unwrap().contains("INCLUDE_IAM"));
        let t = run(&MissingPrincipal, &[bad], &ctx());
        assert!(t.message.unwrap().contains("INCLUDE_IAM_PRINCIPAL_DATA"));
    }
}
