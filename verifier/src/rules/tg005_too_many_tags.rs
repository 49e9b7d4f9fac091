//! TG005: more than 50 `iamPrincipal/` keys on one row.

use curlab_vocab::tags::MAX_TAGS;

use crate::context::Ctx;
use crate::facts::{Needs, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::dialect::KEY;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, principal_key, rows, sample};

/// TG005.
pub struct TooManyTags;

static META: RuleMeta = RuleMeta {
    code: "TG005",
    name: "too-many-principal-tags",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Tags],
        ..Needs::NONE
    },
    summary: "a row carries more than 50 iamPrincipal/ tags",
    checks: "A row has at most 50 `iamPrincipal/` keys: IAM allows 50 tags per user or role and STS 50 session tags, and session tags replace principal tags of the same key.",
    why: "More than 50 cannot come from one principal; rows were merged or tags duplicated, and per-tag totals double count.",
    example: "A row with 51 keys `iamPrincipal/k1` … `iamPrincipal/k51`.",
    fix: "Re-download the export; check pipelines that merge tags of several rows.",
    sql: SqlForm::Query(sql),
};

impl Rule for TooManyTags {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        for i in 0..v.len {
            // Only a row with more than 50 entries at all can have more than 50 of them.
            if v.tag_count(i) <= MAX_TAGS {
                continue;
            }
            let n = v.principal_tags(i).count();
            if n > MAX_TAGS {
                out.hit(
                    v.file,
                    v.cost(i),
                    v.sample(i, [("iam_principal_tags", n.to_string())]),
                );
            }
        }
    }
}

/// The SQL form: more than 50 iamPrincipal/ keys on a row.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let count = d.count_keys("tags", &principal_key(KEY));
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE {count} > {MAX_TAGS}",
        s = sample(d, &[id(), ("iam_principal_tags", d.to_str(&count))]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_over_fifty() {
        assert_eq!(run(&TooManyTags, &[inference()], &ctx()).count, 0);
        let keys: Vec<String> = (0..51).map(|i| format!("iamPrincipal/k{i}")).collect();
        let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
        let bad = Row {
            tags: tags(&pairs),
            ..inference()
        };
        assert_eq!(run(&TooManyTags, &[bad], &ctx()).count, 1);
    }
}
