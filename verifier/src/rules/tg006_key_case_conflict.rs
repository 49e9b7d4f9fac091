//! TG006: tag keys that differ only in case.

use super::{export_sample, Aggregates, Ctx, Rule};
use crate::finding::Tally;
use crate::meta::*;

/// TG006.
pub struct KeyCaseConflict;

static META: RuleMeta = RuleMeta {
    code: "TG006",
    name: "tag-key-case-conflict",
    family: Family::Tags,
    severity: Severity::Warning,
    applies: Applicability::Always,
    columns: &["tags"],
    summary: "tags keys differ only in case across the export",
    checks: "No two `tags` keys of the export are equal when lower-cased, such as `iamPrincipal/Team` and `iamPrincipal/team`.",
    why: "Cost allocation tags are case-sensitive: each spelling is a separate key to activate and a separate column in reports, so a team's spend splits in two. IAM and STS match keys case-insensitively, which hides the problem at the source.",
    example: "`iamPrincipal/CostCenter` on some rows and `iamPrincipal/costcenter` on others.",
    fix: "Standardise the key's spelling on IAM users/roles and in IdP/gateway session tags; activate the one spelling you keep.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::tg006),
};

impl Rule for KeyCaseConflict {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        for spellings in agg.tag_case.values() {
            if spellings.len() < 2 {
                continue;
            }
            let first = spellings.values().map(|s| s.first).min().unwrap_or((0, 0));
            let keys: Vec<String> = spellings
                .iter()
                .map(|(k, s)| format!("{k} ({} rows)", s.rows))
                .collect();
            let file = ctx.files.get(first.0).map(|f| f.file.display.clone());
            out.hit_n(
                1,
                first.0,
                None,
                export_sample(file, [("keys", keys.join(", "))]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::Row;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_two_spellings() {
        assert_eq!(
            run(&KeyCaseConflict, &[inference(), ec2()], &ctx()).count,
            0
        );
        let other = Row {
            tags: tags(&[("iamPrincipal/Team", "ds")]),
            ..inference()
        };
        assert_eq!(
            run(&KeyCaseConflict, &[inference(), other], &ctx()).count,
            1
        );
    }
}
