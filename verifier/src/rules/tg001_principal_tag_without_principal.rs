//! TG001: an `iamPrincipal/` tag on a row without a principal.

use super::shared::principal_expected_from;
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs, R_PRINCIPAL, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::dialect::KEY;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{day_floor_us, expected_from_us, id, principal_key, sample, start_at_or_after_us};

/// TG001.
pub struct PrincipalTagWithoutPrincipal;

static META: RuleMeta = RuleMeta {
    code: "TG001",
    name: "principal-tag-without-principal",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Tags, Col::Principal],
        aggregates: &[Aggregate::FirstPrincipal],
        ..Needs::NONE
    },
    summary: "an iamPrincipal/ tag sits on a row with no IAM principal",
    checks: "A row whose `tags` map has an `iamPrincipal/<key>` entry has a non-empty `line_item_iam_principal`: principal tags come from the principal. Only rows from the day principal data starts are checked (as in PR001), because IAM principal tags also reach exports that do not carry the principal yet; when the export shows no principal at all and no truth says it should, nothing is reported.",
    why: "Without the principal the tag cannot be traced to an identity, and the row's spend is attributed to a team by a tag nobody can explain.",
    example: "`tags = {\"iamPrincipal/team\":\"ds\"}` on a row with an empty `line_item_iam_principal`.",
    fix: "Re-download the export; a pipeline that copies tags between rows must copy the principal with them.",
    sql: SqlForm::Query(sql),
};

impl Rule for PrincipalTagWithoutPrincipal {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        if !v.has_principal_column() || !v.any_principal_tag_key() {
            return;
        }
        for i in 0..v.len {
            if v.is(i, R_PRINCIPAL) {
                continue;
            }
            let Some(start) = v.start(i) else { continue };
            if let Some((k, value)) = v.principal_tags(i).next() {
                // Counted at the end, once the first day with principal data is known.
                out.defer(
                    start,
                    v.file,
                    v.cost(i),
                    v.sample(
                        i,
                        [
                            ("tag", format!("iamPrincipal/{k}")),
                            ("value", value.to_string()),
                        ],
                    ),
                );
            }
        }
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        match principal_expected_from(ctx, agg) {
            Some(from) => out.take_deferred(from),
            None => out.take_deferred(i64::MAX),
        }
    }
}

/// The SQL form: an iamPrincipal/ tag on a row without a principal, from the day principal data starts.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let (expected, uses) = expected_from_us(cx);
    let from_clause = if uses.is_empty() {
        "base"
    } else {
        "base CROSS JOIN first_principal fp"
    };
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM {from_clause}\nWHERE principal IS NULL AND start_ms IS NOT NULL\n  AND {count} > 0\n  AND {after}",
            s = sample(d, &[id(), ("tags", d.join_keys("tags", &principal_key(KEY)))]),
            count = d.count_keys("tags", &principal_key(KEY)),
            after = start_at_or_after_us(&day_floor_us(&expected)),
        ),
        uses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_tag_without_principal() {
        assert_eq!(
            run(&PrincipalTagWithoutPrincipal, &[inference(), ec2()], &ctx()).count,
            0
        );
        let bad = Row {
            principal: None,
            row: 2,
            ..inference()
        };
        assert_eq!(
            run(
                &PrincipalTagWithoutPrincipal,
                &[inference(), bad.clone()],
                &ctx()
            )
            .count,
            1
        );
        // No principal anywhere in the export: tags may predate enabling principal data.
        assert_eq!(run(&PrincipalTagWithoutPrincipal, &[bad], &ctx()).count, 0);
    }
}
