//! TG006: tag keys that differ only in case.

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::dialect::KEY;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::rows;

/// TG006.
pub struct KeyCaseConflict;

static META: RuleMeta = RuleMeta {
    code: "TG006",
    name: "tag-key-case-conflict",
    family: Family::Tags,
    severity: Severity::Warning,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Tags],
        aggregates: &[Aggregate::TagSpellings],
        ..Needs::NONE
    },
    summary: "tags keys differ only in case across the export",
    checks: "No two `tags` keys of the export are equal when lower-cased, such as `iamPrincipal/Team` and `iamPrincipal/team`.",
    why: "Cost allocation tags are case-sensitive: each spelling is a separate key to activate and a separate column in reports, so a team's spend splits in two. IAM and STS match keys case-insensitively, which hides the problem at the source.",
    example: "`iamPrincipal/CostCenter` on some rows and `iamPrincipal/costcenter` on others.",
    fix: "Standardise the key's spelling on IAM users/roles and in IdP/gateway session tags; activate the one spelling you keep.",
    sql: SqlForm::Query(sql),
};

impl Rule for KeyCaseConflict {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        for spellings in agg.tag_spellings.values() {
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

/// The SQL form: keys of the whole export equal once lower-cased; one per lower-cased key.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let spelling = format!("spelling || ' (' || {} || ' rows)'", d.to_str("key_rows"));
    let s = format!("{} || {}", d.lit("keys="), d.string_agg(&spelling, ", "));
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT lower({KEY}) AS lower_key, {KEY} AS spelling, count(*) AS key_rows\n  FROM {from}\n  GROUP BY lower({KEY}), {KEY}\n) spellings\nGROUP BY lower_key\nHAVING count(*) >= 2",
        from = d.from_map_keys("base", "tags"),
    ))
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
