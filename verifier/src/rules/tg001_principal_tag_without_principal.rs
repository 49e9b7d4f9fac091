//! TG001: an `iamPrincipal/` tag on a row without a principal.

use super::{Aggregates, Ctx, Rule, View};
use crate::finding::Tally;
use crate::meta::*;
use crate::view::{K_IAM, R_PRINCIPAL};

/// TG001.
pub struct PrincipalTagWithoutPrincipal;

static META: RuleMeta = RuleMeta {
    code: "TG001",
    name: "principal-tag-without-principal",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::Always,
    columns: &["tags", "line_item_iam_principal"],
    summary: "an iamPrincipal/ tag sits on a row with no IAM principal",
    checks: "A row whose `tags` map has an `iamPrincipal/<key>` entry has a non-empty `line_item_iam_principal`: principal tags come from the principal. Only rows from the day principal data starts are checked (as in PR001), because IAM principal tags also reach exports that do not carry the principal yet; when the export shows no principal at all and no truth says it should, nothing is reported.",
    why: "Without the principal the tag cannot be traced to an identity, and the row's spend is attributed to a team by a tag nobody can explain.",
    example: "`tags = {\"iamPrincipal/team\":\"ds\"}` on a row with an empty `line_item_iam_principal`.",
    fix: "Re-download the export; a pipeline that copies tags between rows must copy the principal with them.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::tg001),
};

impl Rule for PrincipalTagWithoutPrincipal {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        if !v.has_principal_column() || v.key_flags() & K_IAM == 0 {
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
        match ctx.principal_expected_from(agg) {
            Some(from) => out.take_deferred(from),
            None => out.take_deferred(i64::MAX),
        }
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
